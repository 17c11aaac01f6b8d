"""A stand-in worker: supervises one stand-in engine, then waits until it is killed.

Usage: supervising_parent.py DATA_DIR PORT ENGINE_PID_FILE
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from gpustack.engines.base import LaunchSpec
from gpustack.worker.supervisor import PortAllocator, Supervisor, SupervisorSettings

STANDIN = Path(__file__).with_name("standin_engine.py")


async def ignore(
    instance_id: int, state: str, message: str, restarts: int, port: int | None
) -> None:
    pass


async def main(data_dir: Path, port: int, engine_pid_file: Path) -> None:
    ports = PortAllocator(port, port, host="127.0.0.1")
    argv = [sys.executable, str(STANDIN), "--port", str(port), "--pid-file", str(engine_pid_file)]
    spec = LaunchSpec(argv=argv, env={}, health_path="/health")
    async with Supervisor(data_dir, ports, SupervisorSettings(), ignore) as supervisor:
        await supervisor.start(1, spec, [], port)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])))
