"""LDAP / Active Directory sign-in: service bind, user search, bind as the user, groups.

ldap3 blocks, so `LdapDirectory.authenticate` runs it in a thread. A user who is not found
still costs a bind (of a name that does not exist), so a wrong name and a wrong password take
the same steps.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ldap3 import NONE, SUBTREE, Connection, Server
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from gpustack.config import Config

logger = logging.getLogger(__name__)

# Whole seconds: ldap3 packs the receive timeout into a socket option.
TIMEOUT_SECONDS = 10
_USER_ATTRIBUTES = ["cn", "displayName", "memberOf"]


class LdapUnavailableError(Exception):
    """The directory could not be asked (down, or the service account is refused)."""


@dataclass(frozen=True, slots=True)
class LdapIdentity:
    dn: str
    full_name: str
    groups: tuple[str, ...]


def fill_filter(template: str, **values: str) -> str:
    """`template` with each `{name}` replaced by the escaped value: a typed `*)(uid=*` finds
    nothing instead of everyone."""
    out = template
    for name, value in values.items():
        out = out.replace("{" + name + "}", escape_filter_chars(value))
    return out


@dataclass(frozen=True, slots=True)
class LdapDirectory:
    url: str
    bind_dn: str | None
    bind_password: str | None
    user_search_base: str
    user_filter: str
    group_search_base: str | None
    group_filter: str
    admin_groups: tuple[str, ...]

    @classmethod
    def from_config(cls, config: Config) -> LdapDirectory | None:
        if not config.ldap_url or not config.ldap_user_search_base:
            return None
        return cls(
            url=config.ldap_url,
            bind_dn=config.ldap_bind_dn,
            bind_password=config.resolved_ldap_bind_password,
            user_search_base=config.ldap_user_search_base,
            user_filter=config.ldap_user_filter,
            group_search_base=config.ldap_group_search_base,
            group_filter=config.ldap_group_filter,
            admin_groups=tuple(config.ldap_admin_groups),
        )

    async def authenticate(self, username: str, password: str) -> LdapIdentity | None:
        """The user's entry when the password is right; None for a wrong name or password."""
        return await asyncio.to_thread(self.authenticate_sync, username, password)

    def authenticate_sync(self, username: str, password: str) -> LdapIdentity | None:
        server = Server(self.url, connect_timeout=TIMEOUT_SECONDS, get_info=NONE)
        try:
            service = Connection(
                server,
                user=self.bind_dn,
                password=self.bind_password,
                receive_timeout=TIMEOUT_SECONDS,
                read_only=True,
            )
            if not service.bind():
                raise LdapUnavailableError(f"service account bind refused: {service.result}")
            try:
                return self._check_user(server, service, username, password)
            finally:
                service.unbind()
        except LDAPException as exc:
            raise LdapUnavailableError(str(exc)) from exc

    def _check_user(
        self, server: Server, service: Connection, username: str, password: str
    ) -> LdapIdentity | None:
        service.search(
            self.user_search_base,
            fill_filter(self.user_filter, username=username),
            SUBTREE,
            attributes=_USER_ATTRIBUTES,
            size_limit=2,
        )
        entries = _entries(service.response)
        found = len(entries) == 1
        # Several matches are as good as none: the filter does not name one person.
        dn = entries[0][0] if found else f"cn={secrets.token_hex(8)},{self.user_search_base}"
        # An empty password would be an unauthenticated bind, which servers accept.
        if not password or not self._bind_as(server, dn, password) or not found:
            return None
        attributes = entries[0][1]
        full_name = (_values(attributes, "displayName") or _values(attributes, "cn") or [""])[0]
        if self.group_search_base:
            groups = self._search_groups(service, dn, username)
        else:
            groups = _values(attributes, "memberOf")
        return LdapIdentity(dn=dn, full_name=full_name[:255], groups=tuple(groups))

    def _bind_as(self, server: Server, dn: str, password: str) -> bool:
        user = Connection(server, user=dn, password=password, receive_timeout=TIMEOUT_SECONDS)
        try:
            return bool(user.bind())
        finally:
            user.unbind()

    def _search_groups(self, service: Connection, dn: str, username: str) -> list[str]:
        assert self.group_search_base is not None
        service.search(
            self.group_search_base,
            fill_filter(self.group_filter, user_dn=dn, username=username),
            SUBTREE,
            attributes=["cn"],
        )
        groups: list[str] = []
        for group_dn, attributes in _entries(service.response):
            groups.append(group_dn)
            groups.extend(_values(attributes, "cn"))
        return groups


def _entries(response: object) -> list[tuple[str, Mapping[str, object]]]:
    """(DN, attributes) of the search result entries (referrals left out)."""
    if not isinstance(response, Sequence):
        return []
    out = []
    for item in response:
        if isinstance(item, Mapping) and item.get("type") == "searchResEntry":
            attributes = item.get("attributes")
            out.append(
                (str(item.get("dn", "")), attributes if isinstance(attributes, Mapping) else {})
            )
    return out


def _values(attributes: Mapping[str, object], name: str) -> list[str]:
    """An attribute's values as text, whatever case the server spelled its name in."""
    for key, value in attributes.items():
        if key.lower() != name.lower():
            continue
        items = value if isinstance(value, list | tuple) else [value]
        return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in items]
    return []
