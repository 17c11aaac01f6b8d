"""Work the server runs beside its requests: one named task from `start` to `stop`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn

logger = logging.getLogger(__name__)


class BackgroundLoop:
    """Runs ``run()`` as one named task from `start` until `stop`."""

    def __init__(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._name = name
        self._run = run
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Started and not stopped since."""
        return self._task is not None

    def start(self) -> None:
        """Start the task; a loop already running is left alone."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self, grace_s: float = 0.0) -> bool:
        """Cancel the task and wait until it has ended; True when it ended by itself.

        A task told to finish (a flag, an event) gets ``grace_s`` seconds to do so first.
        """
        task, self._task = self._task, None
        if task is None:
            return True
        if grace_s > 0:
            await asyncio.wait([task], timeout=grace_s)
        ended = task.done()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return ended


async def every(
    interval_s: float,
    step: Callable[[], Awaitable[object]],
    failure: str,
    *,
    wait_first: bool = False,
) -> NoReturn:
    """Run ``step`` every ``interval_s`` seconds until cancelled.

    A failed round is logged with ``failure`` and the next one runs on time: one bad row or a
    database hiccup must not end the loop.
    """
    if wait_first:
        await asyncio.sleep(interval_s)
    while True:
        try:
            await step()
        except Exception:
            logger.exception(failure)
        await asyncio.sleep(interval_s)
