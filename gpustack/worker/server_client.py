"""The worker's client for the server's worker endpoints, behind a Protocol tests can fake.

One aiohttp session, one base URL. Registration uses the cluster token (plus this worker's
own token when it has one: a known name is granted only with it); every other call uses the
per-worker token it returned. A 401 on a worker call (the server forgot this worker,
e.g. its database was reset) triggers one re-registration through ``on_unauthorized`` and
one retry of the call.

Pooled connections: a server closes a connection that idled past its keep-alive, and a call
that reuses it at that moment fails at once (``Server disconnected``, connection reset). The
pool drops idle connections well before the server's keep-alive (``POOL_KEEP_ALIVE_S``), and a
call that is safe to repeat is sent once more on a new connection: aiohttp does so itself for
GET, PUT and DELETE (since 3.9); the heartbeat, a POST, says so here.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import aiohttp

from gpustack.schemas.engine_versions import EngineVersionPublic
from gpustack.schemas.events import EventType
from gpustack.schemas.model_files import ModelFileCreate, ModelFilePublic, ModelFileState
from gpustack.schemas.model_instances import InstanceStatusUpdate, ModelInstancePublic
from gpustack.schemas.models import ModelPublic
from gpustack.schemas.worker_status import WorkerStatus
from gpustack.schemas.workers import WORKER_TOKEN_HEADER, WorkerRegistered, WorkerRegistration

logger = logging.getLogger(__name__)

# Enough for every instance one worker could run; the server caps perPage at 1000.
_PER_PAGE = 1000
# How long an idle pooled connection is kept: below the server's keep-alive (65 s) and the
# 60 s idle timeout of common load balancers, above the heartbeat so it is reused.
POOL_KEEP_ALIVE_S = 30.0


class ServerError(Exception):
    """The server answered with an error status; ``str(error)`` carries its message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"server answered {status}: {message}")
        self.status = status
        self.message = message


class UnauthorizedError(ServerError):
    """The token was refused (401): a wrong cluster token, or a worker the server forgot."""


class ServerUnreachableError(Exception):
    """The server could not be reached (connection refused, timeout, broken stream)."""


@dataclass(frozen=True, slots=True)
class InstanceEvent:
    """One change of a model instance, from the server's watch stream."""

    type: EventType
    instance: ModelInstancePublic


@dataclass(frozen=True, slots=True)
class ModelFileEvent:
    """One change of a model file of this worker, from the server's watch stream."""

    type: EventType
    file: ModelFilePublic


@dataclass(frozen=True, slots=True)
class ModelFileReport:
    """What the worker tells the server about one of its model files; None fields stay."""

    state: ModelFileState
    state_message: str = ""
    download_progress: float | None = None
    size: int | None = None
    local_dir: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


Event = TypeVar("Event")

# An open connection that broke under a call (a connector error means none could be opened).
_DROPPED = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)


class ServerClient(Protocol):
    """What the worker's loops ask of the server once registered."""

    @property
    def worker_id(self) -> int: ...

    async def heartbeat(self) -> None: ...

    async def report_status(self, status: WorkerStatus) -> None: ...

    async def list_instances(self) -> list[ModelInstancePublic]: ...

    def watch_instances(self) -> AbstractAsyncContextManager[AsyncIterator[InstanceEvent]]:
        """Open the stream of every instance change; entering waits until it is connected."""
        ...

    async def get_model(self, model_id: int) -> ModelPublic: ...

    async def get_engine_version(self, backend: str, version: str) -> EngineVersionPublic | None:
        """The version an administrator added, None when they did not."""
        ...

    async def report_instance(self, instance_id: int, update: InstanceStatusUpdate) -> None: ...


class HttpServerClient:
    """``ServerClient`` over HTTP, plus registration with the cluster token."""

    def __init__(
        self,
        base_url: str,
        cluster_token: str,
        *,
        timeout_s: float = 30.0,
        session: aiohttp.ClientSession | None = None,
        verify_tls: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._verify_tls = verify_tls
        self.cluster_token = cluster_token
        self.on_unauthorized: Callable[[], Awaitable[None]] | None = None
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session = session
        self._registered: WorkerRegistered | None = None
        self._reregister_lock = asyncio.Lock()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        # Created on first use, on the loop that uses it.
        if self._session is None or self._session.closed:
            # ssl=True verifies certificates as usual; False accepts any certificate.
            connector = aiohttp.TCPConnector(
                ssl=self._verify_tls, keepalive_timeout=POOL_KEEP_ALIVE_S
            )
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    @property
    def registration(self) -> WorkerRegistered | None:
        return self._registered

    @property
    def worker_id(self) -> int:
        if self._registered is None:
            raise RuntimeError("the worker is not registered yet")
        return self._registered.id

    async def register(
        self, body: WorkerRegistration, worker_token: str | None = None
    ) -> WorkerRegistered:
        """Register (or re-register) this worker; the answer's token replaces the old one.

        A name the server already knows is granted only with that worker's own token.
        """
        kwargs: dict[str, Any] = {"json": body.model_dump(mode="json")}
        if worker_token:
            kwargs["headers"] = {WORKER_TOKEN_HEADER: worker_token}
        data = await self._send("POST", "/v2/workers/register", kwargs, self.cluster_token)
        self._registered = WorkerRegistered.model_validate(data)
        return self._registered

    async def heartbeat(self) -> None:
        # Repeating it changes nothing but the time of the last heartbeat.
        await self._worker_call("POST", "/v2/workers/{worker_id}/heartbeat", idempotent=True)

    async def report_status(self, status: WorkerStatus) -> None:
        await self._worker_call(
            "PUT", "/v2/workers/{worker_id}/status", json=status.model_dump(mode="json")
        )

    async def list_instances(self) -> list[ModelInstancePublic]:
        params = {"worker_id": "{worker_id}", "perPage": str(_PER_PAGE)}
        data = await self._worker_call("GET", "/v2/model-instances", params=params)
        return [ModelInstancePublic.model_validate(item) for item in data["items"]]

    async def get_model(self, model_id: int) -> ModelPublic:
        return ModelPublic.model_validate(await self._worker_call("GET", f"/v2/models/{model_id}"))

    async def get_engine_version(self, backend: str, version: str) -> EngineVersionPublic | None:
        path = f"/v2/inference-backends/{quote(backend, safe='')}/versions/{quote(version)}"
        try:
            found = await self._worker_call("GET", path, idempotent=True)
        except ServerError as exc:
            if exc.status == 404:
                return None
            raise
        return EngineVersionPublic.model_validate(found)

    async def report_instance(self, instance_id: int, update: InstanceStatusUpdate) -> None:
        body = update.model_dump(mode="json", exclude_none=True)
        await self._worker_call("PUT", f"/v2/model-instances/{instance_id}/status", json=body)

    def watch_instances(self) -> AbstractAsyncContextManager[AsyncIterator[InstanceEvent]]:
        return self._watch("/v2/model-instances", _parse_instance_event, "instance")

    async def list_model_files(self) -> list[ModelFilePublic]:
        params = {"worker_id": "{worker_id}", "perPage": str(_PER_PAGE)}
        data = await self._worker_call("GET", "/v2/model-files", params=params)
        return [ModelFilePublic.model_validate(item) for item in data["items"]]

    async def create_model_file(self, body: ModelFileCreate) -> ModelFilePublic:
        data = await self._worker_call(
            "POST", "/v2/model-files", json=body.model_dump(mode="json", exclude_none=True)
        )
        return ModelFilePublic.model_validate(data)

    async def report_model_file(self, file_id: int, report: ModelFileReport) -> ModelFilePublic:
        data = await self._worker_call(
            "PUT", f"/v2/model-files/{file_id}/status", json=report.to_json()
        )
        return ModelFilePublic.model_validate(data)

    def watch_model_files(self) -> AbstractAsyncContextManager[AsyncIterator[ModelFileEvent]]:
        return self._watch("/v2/model-files", _parse_model_file_event, "model file")

    @asynccontextmanager
    async def _watch(
        self, path: str, parse: Callable[[dict[str, Any]], Event], what: str
    ) -> AsyncIterator[AsyncIterator[Event]]:
        await self._ensure_authorized()
        url = f"{self.base_url}{path}"
        # No total timeout: the stream lives as long as the server; its pings keep it busy.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=60)
        try:
            async with self._http().get(
                url, params={"watch": "true"}, headers=self._headers(), timeout=timeout
            ) as resp:
                await _raise_for_status(resp)
                yield _read_events(resp, parse, what)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ServerUnreachableError(
                f"{what} watch stream broke: {exc or type(exc).__name__}"
            ) from exc

    async def _ensure_authorized(self) -> None:
        """Probe with a cheap call so a stale token re-registers before the stream opens."""
        await self.heartbeat()

    async def _worker_call(
        self, method: str, path: str, *, idempotent: bool = False, **kwargs: Any
    ) -> Any:
        """A call with the worker token; ``{worker_id}`` in the path and params is filled in.

        On a 401 the worker registers again (its id may change) and the call is retried once.
        """
        token = self._worker_token()
        try:
            return await self._send(method, *self._fill(path, kwargs), token, idempotent)
        except UnauthorizedError:
            if self.on_unauthorized is None:
                raise
            await self._reregister(token)
        return await self._send(method, *self._fill(path, kwargs), self._worker_token(), idempotent)

    def _fill(self, path: str, kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        worker_id = str(self.worker_id)
        params = kwargs.get("params")
        if isinstance(params, dict):
            params = {k: v.replace("{worker_id}", worker_id) for k, v in params.items()}
            kwargs = {**kwargs, "params": params}
        return path.replace("{worker_id}", worker_id), kwargs

    async def _reregister(self, refused_token: str) -> None:
        async with self._reregister_lock:
            # Another call may have re-registered while this one waited.
            if self._worker_token() == refused_token and self.on_unauthorized is not None:
                logger.warning("the server refused this worker's token; registering again")
                await self.on_unauthorized()

    def _worker_token(self) -> str:
        if self._registered is None:
            raise RuntimeError("the worker is not registered yet")
        return self._registered.token

    def _headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self._worker_token()}"}

    async def _send(
        self,
        method: str,
        path: str,
        kwargs: dict[str, Any],
        token: str,
        idempotent: bool = False,
    ) -> Any:
        """One call; an idempotent one is sent again once when its connection was dropped."""
        url = f"{self.base_url}{path}"
        headers = self._headers(token) | kwargs.get("headers", {})
        rest = {k: v for k, v in kwargs.items() if k != "headers"}
        try:
            try:
                return await self._request(method, url, headers, rest)
            except _DROPPED as exc:
                if not idempotent or isinstance(exc, aiohttp.ClientConnectorError):
                    raise
                logger.debug("%s %s: %s; sending it once more", method, url, exc)
                return await self._request(method, url, headers, rest)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ServerUnreachableError(
                f"{method} {url} failed: {exc or type(exc).__name__}"
            ) from exc

    async def _request(
        self, method: str, url: str, headers: dict[str, str], rest: dict[str, Any]
    ) -> Any:
        async with self._http().request(
            method, url, headers=headers, timeout=self._timeout, **rest
        ) as resp:
            await _raise_for_status(resp)
            if resp.status == 204:
                return None
            return await resp.json()


async def _raise_for_status(resp: aiohttp.ClientResponse) -> None:
    if resp.status < 400:
        return
    text = await resp.text()
    try:
        message = str(json.loads(text).get("message") or text)
    except (ValueError, AttributeError):
        message = text
    error = UnauthorizedError if resp.status == 401 else ServerError
    raise error(resp.status, message.strip() or resp.reason or "")


async def _read_events(
    resp: aiohttp.ClientResponse, parse: Callable[[dict[str, Any]], Event], what: str
) -> AsyncIterator[Event]:
    """Parse server-sent events: ``data:`` lines, blank line ends an event, ``:`` pings."""
    data_lines: list[str] = []
    async for raw in resp.content:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if line.startswith("data:"):
            data_lines.append(line[5:].removeprefix(" "))
        elif not line and data_lines:
            data = "\n".join(data_lines)
            data_lines = []
            try:
                event = parse(json.loads(data))
            except (ValueError, KeyError, TypeError):
                logger.warning("ignoring a %s event the worker cannot read: %.200s", what, data)
                continue
            yield event
    raise ServerUnreachableError(f"the server closed the {what} watch stream")


def _parse_instance_event(payload: dict[str, Any]) -> InstanceEvent:
    return InstanceEvent(
        EventType(payload["type"]), ModelInstancePublic.model_validate(payload["data"])
    )


def _parse_model_file_event(payload: dict[str, Any]) -> ModelFileEvent:
    return ModelFileEvent(
        EventType(payload["type"]), ModelFilePublic.model_validate(payload["data"])
    )
