"""The client side towards engines, behind a small transport seam tests can replace.

Every failure towards an engine is an `UpstreamError` (`errors.upstream_failure` turns one
into the client's answer). `Transport.send` raises `UpstreamConnectError` when nothing reached
the engine's answer yet (safe to retry on another instance) and `UpstreamTimeout` when the
engine was too slow. `UpstreamResponse.iter_chunks` and `read` raise `UpstreamTimeout` or
`UpstreamBroken` mid-body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Protocol

import aiohttp

from .settings import GatewaySettings

# Below the engines' keep-alive (5 s is common to their HTTP servers).
ENGINE_KEEPALIVE_S = 4.0


class UpstreamError(Exception):
    """The engine could not be reached, was too slow, or broke off its answer."""


class UpstreamConnectError(UpstreamError):
    """The request did not get an answer started: another instance may be tried.

    `refused` is False when an open (pooled) connection dropped before the answer: the
    engine may well be up, so the same instance deserves one more try on a new connection.
    """

    def __init__(self, message: str, *, refused: bool = True) -> None:
        super().__init__(message)
        self.refused = refused


class UpstreamTimeout(UpstreamError):
    """The engine did not answer (or went silent) within the configured timeout."""


class UpstreamBroken(UpstreamError):
    """The engine's answer broke off midway."""


class UpstreamResponse(Protocol):
    status: int
    content_type: str

    def iter_chunks(self) -> AsyncIterator[bytes]: ...

    async def read(self) -> bytes: ...

    def release(self) -> None:
        """Give the connection back (or close it when the body was not read to the end)."""


class Transport(Protocol):
    """Sends one request to an engine."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def send(
        self, url: str, headers: Mapping[str, str], body: bytes, *, stream: bool
    ) -> UpstreamResponse: ...


class _AiohttpResponse:
    __slots__ = ("_resp", "content_type", "status")

    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self._resp = resp
        self.status = resp.status
        self.content_type = resp.headers.get("Content-Type", "")

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._resp.content.iter_any():
                yield chunk
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise UpstreamTimeout(str(exc)) from exc
        except aiohttp.ClientError as exc:
            raise UpstreamBroken(str(exc) or type(exc).__name__) from exc

    async def read(self) -> bytes:
        try:
            return await self._resp.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise UpstreamTimeout(str(exc)) from exc
        except aiohttp.ClientError as exc:
            raise UpstreamBroken(str(exc) or type(exc).__name__) from exc

    def release(self) -> None:
        self._resp.release()


class AiohttpTransport:
    """Keep-alive pool with no per-host cap (many concurrent streams to one engine)."""

    def __init__(self, settings: GatewaySettings) -> None:
        self._settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._stream_timeout = aiohttp.ClientTimeout(
            total=settings.total_timeout_s,
            sock_connect=settings.connect_timeout_s,
            sock_read=settings.stream_idle_timeout_s,
        )
        # A non-streamed answer sends nothing until it is complete: only the total applies.
        self._plain_timeout = aiohttp.ClientTimeout(
            total=settings.total_timeout_s, sock_connect=settings.connect_timeout_s
        )

    async def start(self) -> None:
        # Engines' own HTTP servers commonly close idle connections after about
        # 5 s: a pooled connection kept longer may be closed just as it is reused.
        connector = aiohttp.TCPConnector(
            limit=0, limit_per_host=0, keepalive_timeout=ENGINE_KEEPALIVE_S, ttl_dns_cache=60
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,
            skip_auto_headers=("User-Agent",),
            timeout=self._plain_timeout,
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self, url: str, headers: Mapping[str, str], body: bytes, *, stream: bool
    ) -> UpstreamResponse:
        if self._session is None:
            raise RuntimeError("AiohttpTransport.start() was not called")
        timeout = self._stream_timeout if stream else self._plain_timeout
        try:
            resp = await self._session.post(url, data=body, headers=headers, timeout=timeout)
        except aiohttp.ClientConnectorError as exc:
            raise UpstreamConnectError(str(exc) or type(exc).__name__) from exc
        except aiohttp.ConnectionTimeoutError as exc:
            raise UpstreamConnectError(f"connect timeout: {exc}") from exc
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise UpstreamTimeout(str(exc)) from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
            message = str(exc) or type(exc).__name__
            raise UpstreamConnectError(message, refused=False) from exc
        return _AiohttpResponse(resp)
