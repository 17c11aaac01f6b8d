"""Turn request headers into a Principal: API keys, the session cookie, worker tokens.

The request path never runs argon2: keys are checked by a salted SHA-256 digest, and the
verified rows are cached until an event says the key, its user or a group changed (a disabled
key is refused from the next request on). A session cookie is valid only while its generation
equals the user's (bumped by logout and password changes). A user's groups and their limits
are cached with the user.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookies import CookieError, SimpleCookie

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.api_keys import ApiKey, KeyScope
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.groups import Group, GroupMember
from gpustack.schemas.users import User, UserPublic
from gpustack.schemas.workers import Worker
from gpustack.server.events import Event
from gpustack.server.security.key_material import digest_matches, parse_key
from gpustack.server.security.principal import GroupLimits, KeyLimits, Principal
from gpustack.server.security.sessions import SESSION_COOKIE, SessionClaims, SessionCodec

WORKER_TOKEN_PREFIX = "gpustack_worker_"
# Event hint: the row's credentials changed (a worker re-registered with a new token).
CREDENTIALS_CHANGED = "credentials"


@dataclass(frozen=True, slots=True)
class _CachedKey:
    key_id: int
    user_id: int
    salt: str
    digest: str
    expires_at: float | None
    scope: KeyScope
    allowed: frozenset[str] | None
    limits: KeyLimits
    is_active: bool
    request_log: bool = False


@dataclass(frozen=True, slots=True)
class _CachedUser:
    username: str
    is_admin: bool
    is_active: bool
    must_change_password: bool
    session_generation: int
    # The user's public JSON, so `/v2/users/me` needs no database round trip.
    public_json: bytes
    group_ids: frozenset[int]
    group_limits: tuple[GroupLimits, ...]


@dataclass(frozen=True, slots=True)
class _CachedWorker:
    salt: str
    digest: str


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.replace(tzinfo=UTC).timestamp()


class Authenticator:
    """Resolves callers; its caches are dropped by `on_event` for the rows that changed."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        codec: SessionCodec,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sessions = sessions
        self._codec = codec
        self._clock = clock
        self._keys: dict[str, _CachedKey] = {}
        self._users: dict[int, _CachedUser] = {}
        self._workers: dict[int, _CachedWorker] = {}
        # Counts user events: a row read before the latest one may be stale, so is not cached.
        self._user_events = 0
        # The same for keys: a key disabled while its row was being read must not stay cached.
        self._key_events = 0

    def on_event(self, event: Event) -> None:
        if event.kind == ResourceKind.API_KEYS:
            self._key_events += 1
            self._keys = {k: v for k, v in self._keys.items() if v.key_id != event.id}
        elif event.kind == ResourceKind.USERS:
            self._user_events += 1
            self._users.pop(event.id, None)
            if event.type == "DELETED":
                self._keys = {k: v for k, v in self._keys.items() if v.user_id != event.id}
        elif event.kind == ResourceKind.GROUPS:
            # Members or limits changed: rare, so every user's groups are read again.
            self._user_events += 1
            self._users.clear()
        elif event.kind == ResourceKind.WORKERS and (
            event.type == EventType.DELETED or event.hint == CREDENTIALS_CHANGED
        ):
            # Status reports (every 15 s per worker) leave the token alone: keep it cached.
            self._workers.pop(event.id, None)

    async def authenticate(self, headers: Mapping[str, str]) -> Principal | None:
        token = _bearer(headers.get("authorization")) or headers.get("x-api-key")
        if token:
            if token.startswith(WORKER_TOKEN_PREFIX):
                return await self._worker_principal(token)
            return await self._key_principal(token)
        return await self.session_principal(headers)

    async def session_principal(self, headers: Mapping[str, str]) -> Principal | None:
        """The user of a still-valid session cookie; None without one (API keys ignored)."""
        session = _cookie(headers.get("cookie"), SESSION_COOKIE)
        if session:
            claims = self._codec.decode(session)
            if claims is not None:
                return await self._user_principal(claims)
        return None

    async def user_public_json(self, user_id: int) -> bytes | None:
        """The caller's own user record as JSON, from the cache the auth step just filled."""
        user = await self._user(user_id)
        return None if user is None else user.public_json

    async def _key_principal(self, token: str) -> Principal | None:
        parts = parse_key(token)
        if parts is None:
            return None
        cached = self._keys.get(parts.access_key) or await self._load_key(parts.access_key)
        if cached is None or not digest_matches(parts.secret, cached.salt, cached.digest):
            return None
        if not cached.is_active:
            return None
        if cached.expires_at is not None and cached.expires_at <= self._clock():
            return None
        user = await self._user(cached.user_id)
        if user is None or not user.is_active:
            return None
        return Principal(
            user_id=cached.user_id,
            username=user.username,
            is_admin=user.is_admin,
            scope=cached.scope,
            api_key_id=cached.key_id,
            allowed_model_names=cached.allowed,
            limits=cached.limits,
            request_log=cached.request_log,
            group_ids=user.group_ids,
            group_limits=user.group_limits,
        )

    async def _user_principal(self, claims: SessionClaims) -> Principal | None:
        user = await self._user(claims.user_id)
        if user is None or not user.is_active:
            return None
        if user.session_generation != claims.generation:
            return None  # ended by a logout or a password change
        return Principal(
            user_id=claims.user_id,
            username=user.username,
            is_admin=user.is_admin,
            must_change_password=user.must_change_password,
            group_ids=user.group_ids,
            group_limits=user.group_limits,
        )

    async def _worker_principal(self, token: str) -> Principal | None:
        worker_id_text, _, secret = token.removeprefix(WORKER_TOKEN_PREFIX).partition("_")
        if not worker_id_text.isdigit() or not secret:
            return None
        worker_id = int(worker_id_text)
        cached = self._workers.get(worker_id)
        if cached is None:
            async with self._sessions() as session:
                row = await session.get(Worker, worker_id)
            if row is None or not row.token_digest:
                return None
            cached = _CachedWorker(row.token_salt, row.token_digest)
            self._workers[worker_id] = cached
        if not digest_matches(secret, cached.salt, cached.digest):
            return None
        return Principal(
            user_id=0, username=f"worker:{worker_id}", is_admin=False, worker_id=worker_id
        )

    async def _load_key(self, access_key: str) -> _CachedKey | None:
        events_before = self._key_events
        async with self._sessions() as session:
            row = (
                await session.exec(select(ApiKey).where(ApiKey.access_key == access_key))
            ).first()
        if row is None or row.id is None:
            return None
        cached = _CachedKey(
            key_id=row.id,
            user_id=row.user_id,
            salt=row.secret_salt,
            digest=row.secret_digest,
            expires_at=_epoch(row.expires_at),
            scope=KeyScope(row.scope),
            allowed=None if row.allowed_model_names is None else frozenset(row.allowed_model_names),
            limits=KeyLimits(row.rpm_limit, row.tpm_limit, row.tpd_limit),
            request_log=row.request_log,
            is_active=row.is_active,
        )
        if self._key_events == events_before:
            self._keys[access_key] = cached
        return cached

    async def _user(self, user_id: int) -> _CachedUser | None:
        cached = self._users.get(user_id)
        if cached is None:
            events_before = self._user_events
            async with self._sessions() as session:
                row = await session.get(User, user_id)
                groups = (
                    await session.exec(
                        select(Group)
                        .join(GroupMember, GroupMember.group_id == Group.id)  # type: ignore[arg-type]
                        .where(GroupMember.user_id == user_id)
                    )
                ).all()
            if row is None:
                return None
            public = UserPublic.model_validate(row, from_attributes=True)
            limited = tuple(
                GroupLimits(g.id, limits)
                for g in groups
                if g.id is not None
                and (limits := KeyLimits(g.rpm_limit, g.tpm_limit, g.tpd_limit, g.rpd_limit))
                != KeyLimits()
            )
            cached = _CachedUser(
                row.username,
                row.is_admin,
                row.is_active,
                row.require_password_change,
                row.session_generation,
                public.model_dump_json().encode(),
                frozenset(g.id for g in groups if g.id is not None),
                limited,
            )
            if self._user_events == events_before:
                self._users[user_id] = cached
        return cached


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _cookie(header: str | None, name: str) -> str | None:
    if not header or name not in header:
        return None
    try:
        jar = SimpleCookie(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None
