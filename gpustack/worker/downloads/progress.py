"""Byte progress over the files of one download, throttled for reporting.

Hub clients report through tqdm-like bars; ``ProgressTracker.bar_class`` makes a minimal bar bound
to one file that feeds the tracker and stops the download when it is cancelled.
``ThrottledProgress`` turns that progress into reports to the server.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, ClassVar

from gpustack.worker.downloads.errors import DownloadCancelledError

ProgressCallback = Callable[[int, int], None]
"""Called with ``(downloaded_bytes, total_bytes)``."""


def download_progress(downloaded: int, total: int) -> float:
    """Percentage done, 0 to 100 with 2 decimals, as shown in ``download_progress``."""
    if total <= 0:
        return 0.0
    return round(min(max(downloaded / total, 0.0), 1.0) * 100.0, 2)


class ThrottledProgress:
    """A download's progress callback that sends at most once per interval, one at a time.

    Called on the event loop by ``ensure_model``; each report runs as a task so the download
    never waits for the server. The caller reports the final 100 % itself.
    """

    def __init__(
        self,
        send: Callable[[float], Awaitable[object]],
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._send = send
        self._interval_s = interval_s
        self._clock = clock
        self._last_sent: float | None = None
        self._inflight: asyncio.Task[object] | None = None
        self.total = 0
        """The largest total size seen so far, in bytes."""

    def callback(self, downloaded: int, total: int) -> None:
        self.total = max(self.total, total)
        now = self._clock()
        if self._last_sent is not None and now - self._last_sent < self._interval_s:
            return
        if self._inflight is not None and not self._inflight.done():
            return
        self._last_sent = now
        self._inflight = asyncio.create_task(self._sent(download_progress(downloaded, total)))

    async def _sent(self, percent: float) -> object:
        return await self._send(percent)

    async def drain(self) -> None:
        """Wait for a report still under way, so that it is not lost."""
        if self._inflight is not None:
            await asyncio.gather(self._inflight, return_exceptions=True)

    async def cancel(self) -> None:
        """Stop a report still under way (the download ended)."""
        if self._inflight is not None and not self._inflight.done():
            self._inflight.cancel()
            await asyncio.gather(self._inflight, return_exceptions=True)


class ProgressTracker:
    """Counts bytes per file from any thread and reports at most once per ``interval`` seconds.

    A file's count is capped at its expected size; a finished file counts as its whole size, so
    files that were already cached move the bar too. The final report is never throttled.
    """

    def __init__(
        self,
        report: ProgressCallback | None,
        expected_sizes: Mapping[str, int | None],
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._report = report
        self._expected: dict[str, int | None] = dict(expected_sizes)
        self._done: dict[str, int] = dict.fromkeys(expected_sizes, 0)
        self._interval = interval
        self._clock = clock
        self._last_report: float | None = None
        self._lock = threading.Lock()

    @property
    def total(self) -> int:
        with self._lock:
            return self._total()

    @property
    def downloaded(self) -> int:
        with self._lock:
            return sum(self._done.values())

    def _total(self) -> int:
        return sum(
            size if size is not None else self._done[name] for name, size in self._expected.items()
        )

    def expect(self, filename: str, size: int | None) -> None:
        """Learn a file's size when the listing did not give it."""
        with self._lock:
            if self._expected.get(filename) is None and size is not None:
                self._expected[filename] = size

    def add(self, filename: str, n: int) -> None:
        with self._lock:
            count = max(self._done.get(filename, 0) + n, 0)
            expected = self._expected.setdefault(filename, None)
            self._done[filename] = min(count, expected) if expected is not None else count
        self._maybe_report(force=False)

    def finish_file(self, filename: str, size: int | None = None) -> None:
        with self._lock:
            final = size if size is not None else self._expected.get(filename)
            if final is None:
                final = self._done.get(filename, 0)
            self._expected[filename] = final
            self._done[filename] = final
        self._maybe_report(force=False)

    def finish(self) -> None:
        """Report the final state (100 % when every file finished)."""
        self._maybe_report(force=True)

    def _maybe_report(self, *, force: bool) -> None:
        if self._report is None:
            return
        with self._lock:
            now = self._clock()
            if (
                not force
                and self._last_report is not None
                and now - self._last_report < self._interval
            ):
                return
            self._last_report = now
            downloaded, total = sum(self._done.values()), self._total()
        self._report(downloaded, total)

    def bar_class(self, filename: str, cancel: threading.Event) -> type[FileProgressBar]:
        """A tqdm-compatible class whose bars count bytes of ``filename`` into this tracker."""
        tracker = self

        class _BoundBar(FileProgressBar):
            _tracker = tracker
            _filename = filename
            _cancel = cancel

        return _BoundBar


class FileProgressBar:
    """The slice of tqdm's interface hub clients call while streaming one file.

    ``update`` counts bytes written; transfer-only updates (compressed network bytes) are ignored.
    Every update checks the cancel event, so a cancelled download stops at the next chunk.
    """

    # Bound per file by ``ProgressTracker.bar_class``: hub clients instantiate the class themselves.
    _tracker: ClassVar[ProgressTracker]
    _filename: ClassVar[str]
    _cancel: ClassVar[threading.Event]

    def __init__(
        self,
        *args: Any,
        total: int | float | None = None,
        initial: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.total = total
        self.n = 0
        if total:
            self._tracker.expect(self._filename, int(total))
        if initial:
            self.update(initial)

    def update(self, n: int | float | None = 1) -> None:
        if self._cancel.is_set():
            raise DownloadCancelledError(f"download of {self._filename} cancelled")
        step = int(n or 0)
        self.n += step
        self._tracker.add(self._filename, step)

    def update_transfer(self, n: int | float | None = 1) -> None:
        if self._cancel.is_set():
            raise DownloadCancelledError(f"download of {self._filename} cancelled")

    def set_postfix_str(self, *args: Any, **kwargs: Any) -> None:
        pass

    def set_transfer_postfix_str(self, *args: Any, **kwargs: Any) -> None:
        pass

    def set_description(self, *args: Any, **kwargs: Any) -> None:
        pass

    def refresh(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> FileProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
