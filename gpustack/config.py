"""One typed configuration, filled from flags > GPUSTACK_* environment > YAML file > defaults."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)


def default_data_dir() -> Path:
    """`/var/lib/gpustack` for root, else a per-user folder (XDG data home)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/gpustack")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "gpustack"


class Config(BaseSettings):
    """Everything `gpustack start` needs; see `gpustack start --help` for the flags."""

    model_config = SettingsConfigDict(env_prefix="GPUSTACK_", extra="forbid")

    config_file: Path | None = None
    host: str = "0.0.0.0"
    port: int = Field(default=80, ge=1, le=65535)
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    bootstrap_password: str | None = None
    disable_worker: bool = False
    server_url: str | None = None
    token: str | None = None
    # Off only for a worker talking to a server whose certificate it cannot verify (the
    # embedded worker reaches its own server on loopback, where the name never matches).
    server_tls_verify: bool = True
    worker_port: int = Field(default=10150, ge=1, le=65535)
    worker_name: str | None = None
    worker_ip: str | None = None
    worker_labels: dict[str, str] = Field(default_factory=dict)
    service_port_range: str = "40000-40063"
    ssl_keyfile: Path | None = None
    ssl_certfile: Path | None = None
    enable_cors: bool = False
    allow_origins: list[str] = Field(default_factory=lambda: ["*"])
    debug: bool = False
    cache_dir: Path | None = None
    session_expire_minutes: int = Field(default=60 * 24 * 7, ge=1)
    max_body_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    # Cluster health timings (seconds).
    heartbeat_interval: float = Field(default=5.0, gt=0)
    status_interval: float = Field(default=15.0, gt=0)
    worker_not_ready_after: float = Field(default=15.0, gt=0)
    reschedule_unreachable_after: float = Field(default=30.0, gt=0)
    # Gateway timeouts (seconds): long generations must survive.
    upstream_total_timeout: float = Field(default=1800.0, gt=0)
    upstream_idle_timeout: float = Field(default=300.0, gt=0)
    # Engines on this machine are reached directly on loopback instead of via the worker proxy.
    gateway_direct_loopback: bool = True
    # Autoscaling (seconds): demand above a deployment's target for this long scales it up;
    # below it for the cool-down, down.
    autoscale_up_window: float = Field(default=15.0, ge=0)
    autoscale_cooldown: float = Field(default=120.0, ge=0)
    # Lets Prometheus scrape /metrics from another machine (loopback callers need none).
    metrics_token: str | None = Field(default=None, min_length=16)
    # OpenID Connect sign-in (see docs/sso.md); off while oidc_issuer is unset.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_client_secret_file: Path | None = None
    oidc_name: str = Field(default="SSO", min_length=1, max_length=64)
    oidc_groups_claim: str = "groups"
    oidc_username_claim: str = "preferred_username"
    oidc_admin_groups: list[str] = Field(default_factory=list)
    # Off: only users an admin created beforehand (source oidc) may sign in.
    oidc_auto_create: bool = True
    # Default: <the URL the browser used>/auth/oidc/callback.
    oidc_redirect_uri: str | None = None
    # LDAP / Active Directory sign-in through the login form; off while ldap_url is unset.
    ldap_url: str | None = None
    ldap_bind_dn: str | None = None
    ldap_bind_password: str | None = None
    ldap_bind_password_file: Path | None = None
    ldap_user_search_base: str | None = None
    ldap_user_filter: str = "(uid={username})"
    # Unset: groups come from the user entry's memberOf attribute.
    ldap_group_search_base: str | None = None
    ldap_group_filter: str = "(|(member={user_dn})(uniqueMember={user_dn}))"
    ldap_admin_groups: list[str] = Field(default_factory=list)
    # Proxies (addresses or CIDR networks) whose X-Forwarded-For names the client; empty:
    # the socket address is the client (a header anyone can send proves nothing).
    trusted_proxies: list[str] = Field(default_factory=list)
    # Audit rows older than this many days are pruned.
    audit_log_retention: int = Field(default=365, ge=1)
    # Request log: bodies cut to this many bytes, rows kept this many days, and at most this
    # many bytes of bodies in all (the oldest go first).
    request_log_max_body: int = Field(default=16 * 1024, ge=256, le=16 * 1024 * 1024)
    request_log_retention: int = Field(default=7, ge=1)
    request_log_max_total_bytes: int = Field(default=1024**3, ge=1024 * 1024)

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            ipaddress.ip_network(entry, strict=False)  # ValueError names the bad entry
        return value

    # Fernet key sealing provider API keys at rest (default: <data-dir>/secret_key).
    secret_key_file: Path | None = None

    @field_validator("service_port_range")
    @classmethod
    def _check_port_range(cls, value: str) -> str:
        low, _, high = value.partition("-")
        if not (low.isdigit() and high.isdigit() and 0 < int(low) <= int(high) <= 65535):
            raise ValueError("service_port_range must look like 40000-40063")
        return value

    @model_validator(mode="after")
    def _check_sign_in(self) -> Config:
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("oidc_issuer needs oidc_client_id")
        if self.ldap_url and not self.ldap_user_search_base:
            raise ValueError("ldap_url needs ldap_user_search_base")
        if "{username}" not in self.ldap_user_filter:
            raise ValueError("ldap_user_filter must contain {username}")
        return self

    @property
    def resolved_oidc_client_secret(self) -> str | None:
        return _secret(self.oidc_client_secret, self.oidc_client_secret_file)

    @property
    def resolved_ldap_bind_password(self) -> str | None:
        return _secret(self.ldap_bind_password, self.ldap_bind_password_file)

    @property
    def port_range(self) -> tuple[int, int]:
        low, _, high = self.service_port_range.partition("-")
        return int(low), int(high)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'database.db'}"

    @property
    def resolved_cache_dir(self) -> Path:
        return self.cache_dir or self.data_dir / "cache"

    @property
    def is_worker_only(self) -> bool:
        return self.server_url is not None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _YamlSource(settings_cls, init_settings))


def _secret(value: str | None, path: Path | None) -> str | None:
    """A secret given inline, or read from a file (so it stays out of `ps` and YAML)."""
    if value is not None or path is None:
        return value
    return path.read_text(encoding="utf-8").strip()


class _YamlSource(PydanticBaseSettingsSource):
    """Values from `--config-file` (or GPUSTACK_CONFIG_FILE), below flags and environment."""

    def __init__(self, settings_cls: type[BaseSettings], init: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self._init = init

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        init_values = self._init() if isinstance(self._init, InitSettingsSource) else {}
        path = init_values.get("config_file") or os.environ.get("GPUSTACK_CONFIG_FILE")
        if not path:
            return {}
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ValueError(f"cannot read config file {path}: {exc.strerror}") from exc
        if not isinstance(data, dict):
            raise ValueError(f"config file {path} must hold a mapping of settings")
        return {str(k).replace("-", "_"): v for k, v in data.items()}
