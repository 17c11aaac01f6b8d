"""Several servers on one PostgreSQL: events cross servers by LISTEN/NOTIFY, and one leader
(holding an advisory lock) runs the scheduler and controllers."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from gpustack.schemas.events import EventType, ResourceKind
from gpustack.server.background import BackgroundLoop
from gpustack.server.events import Event, EventBus

logger = logging.getLogger(__name__)

CHANNEL = "gpustack_events"
LEADER_LOCK_KEY = 0x67707573  # "gpus"
# NOTIFY payloads are limited to 8000 bytes; bigger rows travel as ids only.
_MAX_PAYLOAD = 7500
# Fields that readers filter on, kept when the full row does not fit.
_ROUTING_FIELDS = ("id", "model_id", "worker_id", "user_id", "name")


def asyncpg_dsn(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def encode(event: Event, origin: str) -> str:
    body = {"o": origin, "k": event.kind, "t": event.type.value, "i": event.id, "d": event.data,
            "h": event.hint}  # fmt: skip
    text = json.dumps(body, separators=(",", ":"))
    if len(text.encode()) <= _MAX_PAYLOAD:
        return text
    body["d"] = {k: v for k, v in event.data.items() if k in _ROUTING_FIELDS}
    return json.dumps(body, separators=(",", ":"))


def decode(payload: str) -> Event:
    body: dict[str, Any] = json.loads(payload)
    return Event(
        ResourceKind(body["k"]),
        EventType(body["t"]),
        body["i"],
        body["d"],
        origin=body["o"],
        hint=body["h"],
    )


class PostgresEventBridge:
    """Relays this server's events to the others and theirs into the local bus."""

    def __init__(self, bus: EventBus, database_url: str) -> None:
        self._bus = bus
        self._dsn = asyncpg_dsn(database_url)
        self.server_id = secrets.token_hex(6)
        self._outbox: asyncio.Queue[Event] = asyncio.Queue()
        self._conn: asyncpg.Connection | None = None
        self._background = BackgroundLoop("pg-event-bridge", self._send_loop)

    async def start(self) -> None:
        self._conn = await asyncpg.connect(self._dsn)
        await self._conn.add_listener(CHANNEL, self._on_notify)
        self._bus.add_listener(self._on_local_event)
        self._background.start()

    async def stop(self) -> None:
        await self._background.stop()
        if self._conn is not None:
            await self._conn.close()

    def _on_local_event(self, event: Event) -> None:
        if not event.origin:
            self._outbox.put_nowait(event)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        event = decode(payload)
        if event.origin != self.server_id:
            self._bus.publish(event)

    async def _send_loop(self) -> None:
        assert self._conn is not None
        while True:
            event = await self._outbox.get()
            try:
                await self._conn.execute(
                    "SELECT pg_notify($1, $2)", CHANNEL, encode(event, self.server_id)
                )
            except (asyncpg.PostgresError, OSError):
                logger.exception("could not relay an event to other servers")


class LeaderElection:
    """Runs `on_elected` while this server holds the advisory lock (session-scoped), and
    `on_lost` if the lock's connection breaks, so two leaders never run at once."""

    def __init__(
        self,
        database_url: str,
        on_elected: Callable[[], Awaitable[None]],
        on_lost: Callable[[], Awaitable[None]],
        retry_seconds: float = 3.0,
    ) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._on_elected = on_elected
        self._on_lost = on_lost
        self._retry = retry_seconds
        self._conn: asyncpg.Connection | None = None
        self._background = BackgroundLoop("leader-election", self._campaign)
        self.is_leader = False

    def start(self) -> None:
        self._background.start()

    async def stop(self) -> None:
        await self._background.stop()
        if self._conn is not None:
            await self._conn.close()

    async def _campaign(self) -> None:
        while True:
            await self._until_elected()
            await self._while_leader()

    async def _while_leader(self) -> None:
        assert self._conn is not None
        try:
            while True:
                await asyncio.sleep(self._retry)
                await self._conn.fetchval("SELECT 1")
        except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError):
            logger.error("leader lost its database connection: stopping controllers")
        self.is_leader = False
        await self._on_lost()

    async def _until_elected(self) -> None:
        while not self.is_leader:
            try:
                if self._conn is None or self._conn.is_closed():
                    self._conn = await asyncpg.connect(self._dsn)
                acquired = await self._conn.fetchval(
                    "SELECT pg_try_advisory_lock($1)", LEADER_LOCK_KEY
                )
            except (asyncpg.PostgresError, OSError, asyncpg.InterfaceError):
                logger.exception("leader election: database unreachable, retrying")
                acquired = False
            if acquired:
                self.is_leader = True
                logger.info("this server is the leader: running the scheduler and controllers")
                await self._on_elected()
                return
            await asyncio.sleep(self._retry)
