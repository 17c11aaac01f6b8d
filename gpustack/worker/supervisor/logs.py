"""Instance log files: where they live, rotation on restart, tail and follow.

Lines are returned without their trailing newline and decoded as UTF-8 (invalid bytes are
replaced), since engines print whatever their libraries print.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator
from io import BufferedReader
from pathlib import Path

_BLOCK = 64 * 1024


class InstanceLogs:
    """Log files of engine instances under `<data_dir>/logs/instances/`.

    The current run writes `<id>.log`; the run before it is kept as `<id>.log.1`.
    """

    def __init__(self, data_dir: Path) -> None:
        self.directory = data_dir / "logs" / "instances"

    def path(self, instance_id: int) -> Path:
        return self.directory / f"{instance_id}.log"

    def previous_path(self, instance_id: int) -> Path:
        return self.directory / f"{instance_id}.log.1"

    def rotate(self, instance_id: int) -> Path:
        """Make room for a new run: the current log becomes `.log.1`. Returns the new path."""
        self.directory.mkdir(parents=True, exist_ok=True)
        current = self.path(instance_id)
        if current.exists():
            os.replace(current, self.previous_path(instance_id))
        return current


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").rstrip("\r")


def _tail_bytes(fh: BufferedReader, end: int, n: int) -> bytes:
    """The bytes of the last `n` lines before offset `end`, read backwards in blocks."""
    if n <= 0 or end == 0:
        return b""
    data = b""
    position = end
    # n + 1 newlines guarantee n whole lines even when the data ends with a newline.
    while position > 0 and data.count(b"\n") <= n:
        step = min(_BLOCK, position)
        position -= step
        fh.seek(position)
        data = fh.read(step) + data
    return data


def tail(path: Path, n: int) -> list[str]:
    """The last `n` lines of a file (an unterminated last line included); [] if absent."""
    try:
        with open(path, "rb") as fh:
            end = fh.seek(0, os.SEEK_END)
            data = _tail_bytes(fh, end, n)
    except FileNotFoundError:
        return []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [_decode(line) for line in lines[-n:]] if n > 0 else []


class _Follower:
    """Blocking reader behind `follow`: an open handle survives the file being rotated."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh: BufferedReader | None = None
        self.pending = b""

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None

    def start(self, n: int) -> list[str]:
        """The last `n` complete lines; later reads continue from the end of the file."""
        try:
            self.fh = open(self.path, "rb")
        except FileNotFoundError:
            return []
        end = self.fh.seek(0, os.SEEK_END)
        data = _tail_bytes(self.fh, end, n + 1)
        self.fh.seek(end)
        complete, _, self.pending = data.rpartition(b"\n")
        if not complete and b"\n" not in data:
            return []
        lines = complete.split(b"\n")
        return [_decode(line) for line in lines[-n:]] if n > 0 else []

    def poll(self) -> list[str]:
        """Lines written since the last call, switching to a new file after rotation."""
        if self.fh is None:
            try:
                self.fh = open(self.path, "rb")
            except FileNotFoundError:
                return []
        lines = self._read_available()
        if self._replaced_or_truncated():
            # Whatever the old run wrote last has been read above; its partial line is done.
            if self.pending:
                lines.append(_decode(self.pending))
                self.pending = b""
            self.close()
            try:
                self.fh = open(self.path, "rb")
            except FileNotFoundError:
                return lines
            lines.extend(self._read_available())
        return lines

    def _read_available(self) -> list[str]:
        assert self.fh is not None
        data = self.pending + self.fh.read()
        *complete, self.pending = data.split(b"\n")
        return [_decode(line) for line in complete]

    def _replaced_or_truncated(self) -> bool:
        assert self.fh is not None
        try:
            on_disk = os.stat(self.path)
        except FileNotFoundError:
            return False
        opened = os.fstat(self.fh.fileno())
        if (on_disk.st_ino, on_disk.st_dev) != (opened.st_ino, opened.st_dev):
            return True
        return on_disk.st_size < self.fh.tell()


async def follow(path: Path, n: int = 100, poll_interval: float = 0.2) -> AsyncGenerator[str, None]:
    """Yield the last `n` lines of `path`, then each new line as it is written.

    Keeps following across a restart of the instance (the file rotated to `.log.1` and a new
    one started) and waits for a file that does not exist yet. Runs until the consumer stops
    iterating or the task is cancelled.
    """
    follower = _Follower(path)
    try:
        for line in await asyncio.to_thread(follower.start, n):
            yield line
        while True:
            await asyncio.sleep(poll_interval)
            for line in await asyncio.to_thread(follower.poll):
                yield line
    finally:
        follower.close()
