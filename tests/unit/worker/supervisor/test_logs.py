"""Instance log files: rotation, tail and follow."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from gpustack.worker.supervisor import InstanceLogs, follow, tail


def write(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


async def take(lines: AsyncIterator[str], count: int) -> list[str]:
    async def collect() -> list[str]:
        return [await anext(lines) for _ in range(count)]

    return await asyncio.wait_for(collect(), 5)


def test_restart_keeps_the_previous_run_as_log_1(tmp_path: Path) -> None:
    logs = InstanceLogs(tmp_path)
    first = logs.rotate(7)
    write(first, "run 1\n")

    second = logs.rotate(7)
    write(second, "run 2\n")
    logs.rotate(7)

    assert first == tmp_path / "logs" / "instances" / "7.log"
    assert logs.previous_path(7).read_text() == "run 2\n"
    assert not logs.path(7).exists()


def test_tail_returns_the_last_lines(tmp_path: Path) -> None:
    path = tmp_path / "1.log"
    write(path, "".join(f"line {i}\n" for i in range(20000)) + "partial")

    assert tail(path, 3) == ["line 19998", "line 19999", "partial"]
    assert tail(path, 0) == []
    assert tail(tmp_path / "missing.log", 5) == []


async def test_follow_yields_the_tail_then_new_lines(tmp_path: Path) -> None:
    path = tmp_path / "1.log"
    write(path, "old 1\nold 2\nold 3\n")
    lines = follow(path, n=2, poll_interval=0.01)
    try:
        assert await take(lines, 2) == ["old 2", "old 3"]

        write(path, "new 1\nnew ")
        assert await take(lines, 1) == ["new 1"]
        write(path, "2\n")
        assert await take(lines, 1) == ["new 2"]
    finally:
        await lines.aclose()


async def test_follow_continues_into_the_next_run(tmp_path: Path) -> None:
    logs = InstanceLogs(tmp_path)
    write(logs.rotate(1), "run 1 started\n")
    lines = follow(logs.path(1), n=10, poll_interval=0.01)
    try:
        assert await take(lines, 1) == ["run 1 started"]

        write(logs.path(1), "run 1 crashed\n")
        write(logs.rotate(1), "run 2 started\n")

        assert await take(lines, 2) == ["run 1 crashed", "run 2 started"]
    finally:
        await lines.aclose()


async def test_follow_waits_for_the_file_to_appear(tmp_path: Path) -> None:
    path = tmp_path / "later.log"
    lines = follow(path, n=10, poll_interval=0.01)
    try:
        pending = asyncio.ensure_future(take(lines, 1))
        await asyncio.sleep(0.05)
        write(path, "hello\n")

        assert await pending == ["hello"]
    finally:
        await lines.aclose()
