"""Following one of the server's watch streams until cancelled, reconnecting with a backoff."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import NoReturn, TypeVar

from gpustack.worker.server_client import ServerError, ServerUnreachableError

logger = logging.getLogger(__name__)

Event = TypeVar("Event")


async def follow_watch(
    watch: Callable[[], AbstractAsyncContextManager[AsyncIterator[Event]]],
    resync: Callable[[], Awaitable[None]],
    handle: Callable[[Event], Awaitable[None] | None],
    *,
    stream: str,
    work: str,
    retry_initial_s: float,
    retry_max_s: float,
) -> NoReturn:
    """Open ``watch``, ``resync`` once connected, then ``handle`` each event; forever.

    Level-triggered: every reconnect resyncs, so events missed while away are not lost.
    ``stream`` and ``work`` name the stream and what it drives, for the log.
    """
    delay = retry_initial_s
    while True:
        try:
            async with watch() as events:
                await resync()
                delay = retry_initial_s
                async for event in events:
                    handled = handle(event)
                    if handled is not None:
                        await handled
        except (ServerError, ServerUnreachableError) as exc:
            logger.warning("%s interrupted (%s); retrying in %g s", stream, exc, delay)
        except Exception:
            # A bug or an unreadable answer must not end the worker's following.
            logger.exception("%s failed; retrying in %g s", work, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, retry_max_s)
