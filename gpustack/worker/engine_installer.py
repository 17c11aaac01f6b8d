"""Installing an engine version into a virtualenv of its own on first use, once per worker.

`<data-dir>/engines/<backend>/<version>/` gets `python -m venv` and `pip install <spec>`.
pip runs with the worker's own configuration (pip.conf, `PIP_INDEX_URL`...) unless the
version names an index or extra pip arguments. A file lock per version makes a second
instance wait for the first install and reuse it; a folder an install left unfinished (its
`.installing` marker remains) is removed and installed again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout

from gpustack.engines.installs import ENGINES_DIR, INSTALLING_MARKER, InstallLayout
from gpustack.schemas.engine_versions import EngineVersionPublic
from gpustack.worker.downloads.progress import ThrottledProgress

logger = logging.getLogger(__name__)

InstallProgress = Callable[[float, str], None]
"""Called with ``(percent, last line)`` while an install runs."""

RECORD_FILE = "gpustack-install.json"
# Lines of pip's output an error message quotes.
TAIL_LINES = 8
# Variables of the worker's own interpreter that must not leak into the engine's virtualenv.
_SCRUBBED_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONNOUSERSITE")


class EngineInstallError(Exception):
    """The install failed; ``str(error)`` names the version and quotes pip."""


@dataclass(frozen=True, slots=True)
class PipInstall:
    """What pip installs for one version, and from where."""

    backend: str
    version: str
    pip_spec: str
    index_url: str | None = None
    pip_args: Sequence[str] = field(default_factory=tuple)

    @classmethod
    def of(cls, added: EngineVersionPublic) -> PipInstall:
        assert added.pip_spec is not None
        return cls(added.backend, added.version, added.pip_spec, added.index_url, added.pip_args)

    def pip_command(self, python: Path) -> list[str]:
        argv = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
        argv += ["--progress-bar", "off"]
        if self.index_url:
            argv += ["--index-url", self.index_url]
        return [*argv, *self.pip_args, self.pip_spec]


class EngineInstaller(Protocol):
    """``install_engine``'s signature (a seam for tests)."""

    async def __call__(
        self, layout: InstallLayout, install: PipInstall, data_dir: Path, progress: InstallProgress
    ) -> Path: ...


def pip_percent(line: str, percent: float) -> float:
    """How far an install is after this line of pip's output: resolving and downloading
    creep from 10 % to 70 %, installing is 80 %, done is 100 %."""
    text = line.strip()
    if text.startswith("Successfully installed"):
        return 100.0
    if text.startswith("Installing collected packages"):
        return max(percent, 80.0)
    if text.startswith(("Collecting", "Downloading", "Processing", "Using cached", "Obtaining")):
        return min(max(percent, 10.0) + 3.0, 70.0)
    return percent


def lock_path(data_dir: Path, layout: InstallLayout, version: str) -> Path:
    return data_dir / ENGINES_DIR / ".locks" / f"{layout.backend}-{version}.lock"


async def install_engine(
    layout: InstallLayout,
    install: PipInstall,
    data_dir: Path,
    progress: InstallProgress,
    interpreter: str = sys.executable,
) -> Path:
    """The program of that version, installed first when missing; raises EngineInstallError."""
    folder = layout.version_dir(data_dir, install.version)
    if layout.is_installed(folder):
        return layout.program_in(folder)
    lock = FileLock(str(lock_path(data_dir, layout, install.version)), thread_local=False)
    Path(lock.lock_file).parent.mkdir(parents=True, exist_ok=True)
    await _acquire(lock, progress, f"waiting for another install of {install.pip_spec}")
    try:
        if layout.is_installed(folder):
            logger.info("%s %s was installed meanwhile; reusing it", layout.backend, folder)
            return layout.program_in(folder)
        started = time.monotonic()
        program = await _install(layout, install, folder, progress, interpreter)
        logger.info(
            "installed %s %s (%s) into %s in %.1f s",
            layout.backend,
            install.version,
            install.pip_spec,
            folder,
            time.monotonic() - started,
        )
        return program
    finally:
        lock.release()


async def _acquire(lock: FileLock, progress: InstallProgress, waiting: str) -> None:
    # Polls in a thread so that cancelling the instance stops the wait.
    told = False
    while True:
        try:
            await asyncio.to_thread(lock.acquire, timeout=0.25)
            return
        except Timeout:
            if not told:
                progress(0.0, waiting)
                told = True


async def _install(
    layout: InstallLayout,
    install: PipInstall,
    folder: Path,
    progress: InstallProgress,
    interpreter: str,
) -> Path:
    await asyncio.to_thread(_fresh_folder, folder)
    try:
        progress(2.0, "creating a virtualenv")
        await _run([interpreter, "-m", "venv", str(folder)], install, progress)
        progress(5.0, f"pip install {install.pip_spec}")
        await _run(install.pip_command(folder / "bin" / "python"), install, progress)
        program = layout.program_in(folder)
        if not program.is_file():
            raise EngineInstallError(
                f"installing {install.pip_spec} gave no {program}: is it a {layout.title} build?"
            )
        record = {
            "pip_spec": install.pip_spec,
            "index_url": install.index_url,
            "pip_args": list(install.pip_args),
        }
        (folder / RECORD_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")
        (folder / INSTALLING_MARKER).unlink()
        return program
    except BaseException:
        await asyncio.shield(asyncio.to_thread(shutil.rmtree, folder, True))
        raise


def _fresh_folder(folder: Path) -> None:
    # Whatever is there is an unfinished install (the caller checked for a finished one).
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / INSTALLING_MARKER).touch()


async def _run(argv: list[str], install: PipInstall, progress: InstallProgress) -> None:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
        )
    except OSError as exc:
        raise EngineInstallError(f"cannot run {argv[0]}: {exc}") from exc
    assert proc.stdout is not None
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    percent = 0.0
    try:
        async for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            if not line:
                continue
            tail.append(line)
            percent = pip_percent(line, percent)
            progress(percent, line)
        code = await proc.wait()
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if code != 0:
        quoted = "\n".join(tail)
        raise EngineInstallError(
            f"installing {install.backend} {install.version} ({install.pip_spec}) failed: "
            f"{Path(argv[0]).name} {' '.join(argv[1:3])} exited with code {code}\n{quoted}"
        )


class LineProgress:
    """An install's ``(percent, line)`` progress sent at most once per interval."""

    def __init__(self, send: Callable[[float, str], Awaitable[object]], interval_s: float) -> None:
        self.line = ""
        self._throttled = ThrottledProgress(lambda p: send(p, self.line), interval_s)

    def __call__(self, percent: float, line: str) -> None:
        self.line = line
        self._throttled.callback(round(percent * 100), 10_000)

    async def drain(self) -> None:
        """Let the last report in flight arrive (it comes before the next state)."""
        await self._throttled.drain()
