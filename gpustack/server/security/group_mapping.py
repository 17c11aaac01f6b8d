"""Groups from a directory or an ID token, mapped to the admin role."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def claim_groups(claims: Mapping[str, object], claim: str) -> list[str]:
    """The groups named by `claim`; a dotted name reads nested claims (Keycloak's
    `realm_access.roles`). A single string counts as one group; anything else as none."""
    value: object = claims
    for part in claim.split("."):
        if not isinstance(value, Mapping):
            return []
        value = value.get(part)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _names(group: str) -> set[str]:
    """A group compared case-insensitively by itself and, for a DN, by its first value
    (`cn=admins,ou=groups,dc=example,dc=org` also matches `admins`)."""
    whole = " ".join(group.split()).lower()
    names = {whole, ",".join(part.strip() for part in whole.split(","))}
    first, sep, _ = whole.partition(",")
    key, eq, rdn_value = first.partition("=")
    if sep and eq and key.strip():
        names.add(rdn_value.strip())
    return names


def is_admin(groups: Iterable[str], admin_groups: Iterable[str]) -> bool:
    """Whether any of the user's groups is one of the admin groups."""
    wanted = {" ".join(g.split()).lower() for g in admin_groups}
    wanted |= {",".join(part.strip() for part in g.split(",")) for g in wanted}
    return any(_names(group) & wanted for group in groups)
