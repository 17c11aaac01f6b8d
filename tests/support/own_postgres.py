"""A PostgreSQL server of one test's own, which the test may stop and start again."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import free_port


@dataclass
class OwnPostgres:
    bin_dir: Path
    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        command = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args]
        subprocess.run(_as_postgres(command), check=True, capture_output=True)

    def start(self) -> None:
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off"
        self._ctl("-l", str(self.data_dir / "server.log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        # `immediate`: connections die as in a crash, not a polite shutdown.
        self._ctl("-m", "immediate", "-w", "stop")


def installed_bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    return Path(found[-1]) if found else None


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    bin_dir = installed_bin_dir()
    assert bin_dir is not None, "PostgreSQL is installed by scripts/start-test-postgres.sh"
    # Not under pytest's folders: those are private to root, and PostgreSQL runs as postgres.
    data_dir = Path(tempfile.mkdtemp(prefix="gpustack-own-pg."))
    if os.geteuid() == 0:
        shutil.chown(data_dir, "postgres")
    initdb = [str(bin_dir / "initdb"), "-D", str(data_dir), "-A", "trust", "-U", "postgres"]
    subprocess.run(_as_postgres(initdb), check=True, capture_output=True)
    server = OwnPostgres(bin_dir, data_dir, free_port())
    server.start()
    try:
        yield server
    finally:
        subprocess.run(
            _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(data_dir, ignore_errors=True)


def _as_postgres(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root.
    if os.geteuid() != 0:
        return command
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{c}'" for c in command)]
