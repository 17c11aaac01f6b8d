"""Company sign-in rules that need no provider: group mapping, LDAP filters, the OIDC cookie."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from gpustack.cli import build_parser, config_from_args
from gpustack.config import Config
from gpustack.server.security.group_mapping import claim_groups, is_admin
from gpustack.server.security.ldap_auth import fill_filter
from gpustack.server.security.oidc import (
    OidcError,
    PendingSignIn,
    decode_pending,
    encode_pending,
    safe_next_path,
    username_from_claims,
)


def test_groups_claim_reads_lists_single_strings_and_nested_claims() -> None:
    claims = {
        "groups": ["gpu-admins", 7, "staff"],
        "team": "ml",
        "realm_access": {"roles": ["admin"]},
    }
    assert claim_groups(claims, "groups") == ["gpu-admins", "staff"]
    assert claim_groups(claims, "team") == ["ml"]
    assert claim_groups(claims, "realm_access.roles") == ["admin"]
    assert claim_groups(claims, "missing") == []
    assert claim_groups(claims, "team.roles") == []


def test_admin_group_matches_by_name_or_dn_case_insensitively() -> None:
    dn = "cn=GPU-Admins,ou=groups,dc=example,dc=org"
    assert is_admin([dn], ["gpu-admins"])
    assert is_admin([dn], ["CN=gpu-admins, OU=groups, DC=example, DC=org"])
    assert is_admin(["gpu-admins"], ["GPU-ADMINS"])
    assert not is_admin([dn], ["admins"])
    assert not is_admin(["cn=staff,ou=groups,dc=example,dc=org"], ["gpu-admins"])
    assert not is_admin([], ["gpu-admins"])


def test_ldap_filter_escapes_what_the_person_typed() -> None:
    assert fill_filter("(uid={username})", username="alice") == "(uid=alice)"
    # A typed wildcard or filter fragment cannot widen the search.
    assert fill_filter("(uid={username})", username="*") == "(uid=\\2a)"
    assert fill_filter("(uid={username})", username="a*)(uid=*") == "(uid=a\\2a\\29\\28uid=\\2a)"
    assert fill_filter("(sAMAccountName={username})", username="x\\y\x00") == (
        "(sAMAccountName=x\\5cy\\00)"
    )
    group = fill_filter("(member={user_dn})", user_dn="cn=a(b),dc=x", username="a")
    assert group == "(member=cn=a\\28b\\29,dc=x)"


def test_pending_sign_in_cookie_round_trips_and_refuses_tampering() -> None:
    pending = PendingSignIn("state1", "nonce1", "verifier1", "/users")
    token = encode_pending("s" * 32, pending)
    assert decode_pending("s" * 32, token) == pending
    assert decode_pending("t" * 32, token) is None
    assert decode_pending("s" * 32, token[:-2] + "xx") is None


def test_after_sign_in_only_local_paths_are_followed() -> None:
    assert safe_next_path("/deployments?x=1") == "/deployments?x=1"
    for bad in (None, "", "https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert safe_next_path(bad) == "/"


def test_username_falls_back_from_the_claim_to_email_then_subject() -> None:
    assert (
        username_from_claims({"preferred_username": "ann", "sub": "1"}, "preferred_username")
        == "ann"
    )
    assert (
        username_from_claims({"email": "ann@example.org", "sub": "1"}, "upn") == "ann@example.org"
    )
    assert username_from_claims({"sub": "abc"}, "preferred_username") == "abc"
    with pytest.raises(OidcError):
        username_from_claims({}, "preferred_username")


def test_sign_in_settings_are_checked_at_start() -> None:
    with pytest.raises(ValidationError, match="oidc_client_id"):
        Config(oidc_issuer="https://id.example.org")
    with pytest.raises(ValidationError, match="ldap_user_search_base"):
        Config(ldap_url="ldap://127.0.0.1")
    with pytest.raises(ValidationError, match="username"):
        Config(ldap_url="ldap://h", ldap_user_search_base="dc=x", ldap_user_filter="(uid=*)")


def test_sign_in_flags_become_settings_and_secrets_come_from_files(tmp_path: Path) -> None:
    secret = tmp_path / "oidc-secret"
    secret.write_text("s3cret\n")
    args = build_parser().parse_args(
        [
            "start",
            "--data-dir", str(tmp_path),
            "--oidc-issuer", "https://id.example.org",
            "--oidc-client-id", "gpustack",
            "--oidc-client-secret-file", str(secret),
            "--oidc-admin-groups", "gpu-admins, ops",
            "--oidc-auto-create", "false",
            "--ldap-url", "ldap://127.0.0.1:389",
            "--ldap-user-search-base", "ou=people,dc=example,dc=org",
            "--ldap-user-filter", "(sAMAccountName={username})",
        ]
    )  # fmt: skip
    config = config_from_args(args)
    assert config.resolved_oidc_client_secret == "s3cret"
    assert config.oidc_admin_groups == ["gpu-admins", "ops"]
    assert config.oidc_auto_create is False
    assert config.ldap_user_filter == "(sAMAccountName={username})"
    assert config.resolved_ldap_bind_password is None
