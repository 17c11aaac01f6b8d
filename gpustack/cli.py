"""The `gpustack` command: start, version, reset-admin-password."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from gpustack import __version__
from gpustack.config import Config
from gpustack.data_dir import restrict_new_files
from gpustack.db.engine import DatabaseUrlError, async_database_url


def _add_common(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--config-file", help="YAML file of settings (below flags and GPUSTACK_* variables)")
    add("--data-dir", help="state folder (default /var/lib/gpustack for root)")
    add("--database-url", help="sqlite:///path (default <data-dir>/database.db) or postgresql://…")
    add("--debug", action="store_true", default=argparse.SUPPRESS)


def _start_parser(sub: Any) -> None:
    parser = sub.add_parser("start", help="run a server (with a local worker) or a worker")
    parser.set_defaults(command="start")
    _add_common(parser)
    add = parser.add_argument
    add("--host", help="address to listen on (default 0.0.0.0)")
    add("--port", type=int, help="HTTP port of the UI and APIs (default 80)")
    add(
        "--bootstrap-password", help="initial admin password (else a random one, written to a file)"
    )
    add("--disable-worker", action="store_true", default=argparse.SUPPRESS)
    add("--server-url", help="run only a worker that joins this server")
    add(
        "--token",
        help="cluster token for --server-url (in the server's <data-dir>/token; "
        "default: <data-dir>/token of this machine)",
    )
    add(
        "--insecure-skip-tls-verify",
        dest="server_tls_verify",
        action="store_false",
        default=argparse.SUPPRESS,
        help="worker: accept the server's TLS certificate without verifying it",
    )
    add("--worker-port", type=int, help="worker API port (default 10150)")
    add("--worker-name", help="worker name (default: host name)")
    add("--worker-ip", help="address the server uses to reach this worker")
    add("--worker-labels", help="extra worker labels: k=v,k2=v2")
    add("--service-port-range", help="engine ports (default 40000-40063)")
    add("--cache-dir", help="model cache folder (default <data-dir>/cache)")
    add("--ssl-keyfile")
    add("--ssl-certfile")
    add("--enable-cors", action="store_true", default=argparse.SUPPRESS)
    add("--allow-origins", help="comma-separated origins for CORS")
    add("--metrics-token", help="bearer token for /metrics from other hosts (16+ characters)")
    add(
        "--secret-key-file",
        help="Fernet key that encrypts provider API keys at rest "
        "(default: <data-dir>/secret_key, created on first start)",
    )
    add(
        "--trusted-proxies",
        help="comma-separated proxy addresses/CIDRs whose X-Forwarded-For names the client",
    )
    add("--audit-log-retention", type=int, help="days of audit log kept (default 365)")
    add("--request-log-retention", type=int, help="days of request log kept (default 7)")
    add("--request-log-max-body", type=int, help="bytes kept of each logged body (default 16384)")
    add(
        "--request-log-max-total-bytes",
        type=int,
        help="bytes of request log kept in all; the oldest go first (default 1 GiB)",
    )
    _sign_in_flags(parser)


def _sign_in_flags(parser: argparse.ArgumentParser) -> None:
    oidc = parser.add_argument_group("OpenID Connect sign-in").add_argument
    oidc("--oidc-issuer", help="issuer URL (its /.well-known/openid-configuration is read)")
    oidc("--oidc-client-id")
    oidc("--oidc-client-secret")
    oidc("--oidc-client-secret-file", help="file holding the client secret")
    oidc("--oidc-name", help='provider name on the login button (default "SSO")')
    oidc("--oidc-groups-claim", help='ID token claim listing groups (default "groups")')
    oidc("--oidc-username-claim", help='claim used as user name (default "preferred_username")')
    oidc("--oidc-admin-groups", help="comma-separated groups whose members are admins")
    oidc(
        "--oidc-auto-create",
        type=_boolean,
        help="create users on first sign-in (default true; false: only pre-created users)",
    )
    oidc("--oidc-redirect-uri", help="default <server URL>/auth/oidc/callback")
    ldap = parser.add_argument_group("LDAP / Active Directory sign-in").add_argument
    ldap("--ldap-url", help="ldap://host:389 or ldaps://host:636")
    ldap("--ldap-bind-dn", help="service account that searches for users")
    ldap("--ldap-bind-password")
    ldap("--ldap-bind-password-file", help="file holding the service account's password")
    ldap("--ldap-user-search-base", help="where users are searched (subtree)")
    ldap("--ldap-user-filter", help="default (uid={username}); AD: (sAMAccountName={username})")
    ldap("--ldap-group-search-base", help="search groups here (default: read memberOf)")
    ldap("--ldap-group-filter", help="default (|(member={user_dn})(uniqueMember={user_dn}))")
    ldap("--ldap-admin-groups", help="comma-separated group names or DNs whose members are admins")


def _boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gpustack", argument_default=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)
    _start_parser(sub)
    sub.add_parser("version", help="print the version").set_defaults(command="version")
    reset = sub.add_parser("reset-admin-password", help="set a new random admin password")
    reset.set_defaults(command="reset-admin-password")
    _add_common(reset)
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    """Flags that were given become init values: they beat env and the YAML file."""
    values = {k: v for k, v in vars(args).items() if k != "command" and v is not None}
    if "worker_labels" in values:
        pairs = [p.split("=", 1) for p in str(values["worker_labels"]).split(",") if p]
        if any(len(p) != 2 for p in pairs):
            raise ValueError("--worker-labels must look like k=v,k2=v2")
        values["worker_labels"] = dict(pairs)
    if "allow_origins" in values:
        values["allow_origins"] = [o.strip() for o in values["allow_origins"].split(",")]
    for name in ("oidc_admin_groups", "ldap_admin_groups"):
        if name in values:
            values[name] = [g.strip() for g in values[name].split(",") if g.strip()]
    if "trusted_proxies" in values:
        values["trusted_proxies"] = [p.strip() for p in values["trusted_proxies"].split(",") if p]
    config = Config(**values)
    async_database_url(config.resolved_database_url)
    # A worker beside its server (the embedded one) reads the token file they share.
    if config.server_url and not config.token and not (config.data_dir / "token").is_file():
        raise ValueError("--server-url needs --token (the cluster token the server printed)")
    return config


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "version":
        print(f"gpustack {__version__}")
        return 0
    try:
        config = config_from_args(args)
    except (ValidationError, ValueError, DatabaseUrlError) as exc:
        print(f"gpustack: configuration error: {exc}", file=sys.stderr)
        return 2
    restrict_new_files()
    if args.command == "reset-admin-password":
        return _reset_admin_password(config)
    from gpustack.launcher import run

    return run(config)


def _reset_admin_password(config: Config) -> int:
    from gpustack.db.engine import create_engine, session_factory
    from gpustack.db.migrate import upgrade_to_head
    from gpustack.server.bootstrap import PASSWORD_FILE, reset_admin_password
    from gpustack.server.security.passwords import PasswordHashing

    async def reset() -> None:
        await asyncio.to_thread(upgrade_to_head, config.resolved_database_url)
        engine = create_engine(config.resolved_database_url)
        try:
            await reset_admin_password(session_factory(engine), PasswordHashing(), config.data_dir)
        finally:
            await engine.dispose()

    try:
        asyncio.run(reset())
    except LookupError as exc:
        print(f"gpustack: {exc}", file=sys.stderr)
        return 1
    print(f"New admin password written to {config.data_dir / PASSWORD_FILE}")
    return 0
