"""Engine OS processes: launch in their own process group, stop the whole group.

Each engine runs as the leader of a new session, so one signal to the group reaches the
helpers it spawns (tokenizer servers, multiprocessing workers). On Linux the engine also
asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG), so an engine never
outlives a worker that was killed with -9.

Caveat of PR_SET_PDEATHSIG: the signal fires when the *thread* that forked the child exits,
not the process. `asyncio.create_subprocess_exec` forks from the event-loop thread, so the
supervisor must run on a loop whose thread lives as long as the worker (the main thread
under `asyncio.run`), never on a short-lived helper thread.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1
# Settings that hold secrets (`Config.token`, ...) when given as GPUSTACK_* variables. An
# engine runs code that comes with a model (custom backends, remote code), so it must not read
# the cluster token, the admin password, the metrics token or the database's password.
WORKER_SECRETS = frozenset(
    {
        "GPUSTACK_TOKEN",
        "GPUSTACK_BOOTSTRAP_PASSWORD",
        "GPUSTACK_METRICS_TOKEN",
        "GPUSTACK_DATABASE_URL",
    }
)


# The variable that picks a vendor's devices for a process, and the ones that must not
# be inherited beside it. ROCR_VISIBLE_DEVICES renumbers devices before HIP sees them, so an
# inherited one would make HIP's indexes point elsewhere; Ray refuses to start with it set.
VISIBLE_DEVICES_BY_VENDOR = {
    "nvidia": "CUDA_VISIBLE_DEVICES",
    "amd": "HIP_VISIBLE_DEVICES",
    "ascend": "ASCEND_RT_VISIBLE_DEVICES",
    "intel": "ZE_AFFINITY_MASK",
}
_DROPPED_BY_VENDOR = {"amd": ("ROCR_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES")}


def build_env(
    base: Mapping[str, str],
    additions: Mapping[str, str],
    gpu_indexes: Sequence[int],
    host_has_gpus: bool,
    gpu_vendor: str = "nvidia",
) -> dict[str, str]:
    """The engine's environment: the worker's less its secrets, the spec's additions, its GPUs.

    The assigned GPUs always win over a visible-devices variable from the model's env, since
    the scheduler claimed exactly those. A CPU-only instance on a GPU host sees no GPU. Apple's
    single Metal GPU has no such variable.
    """
    # Settings read the variables whatever their case, so a secret is dropped in any case.
    inherited = {k: v for k, v in base.items() if k.upper() not in WORKER_SECRETS}
    env = {**inherited, **additions}
    variable = VISIBLE_DEVICES_BY_VENDOR.get(gpu_vendor)
    if variable is None:
        return env
    for dropped in _DROPPED_BY_VENDOR.get(gpu_vendor, ()):
        env.pop(dropped, None)
    if gpu_indexes:
        env[variable] = ",".join(str(index) for index in gpu_indexes)
    elif host_has_gpus:
        env[variable] = ""
    return env


def parent_death_signal_hook() -> Callable[[], None] | None:
    """A preexec function that makes the child get SIGKILL when this process dies.

    Resolved before the fork: loading a library in the child of a threaded parent can
    deadlock. None on systems without prctl.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent_pid = os.getpid()

    def set_parent_death_signal() -> None:
        prctl(
            ctypes.c_int(_PR_SET_PDEATHSIG),
            ctypes.c_ulong(signal.SIGKILL),
            ctypes.c_ulong(0),
            ctypes.c_ulong(0),
            ctypes.c_ulong(0),
        )
        # The parent may have died between fork and prctl; then no signal would ever come.
        if os.getppid() != parent_pid:
            os._exit(1)

    return set_parent_death_signal


class EngineProcess:
    """One launched engine process (leader of its own process group)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    @classmethod
    async def launch(
        cls, argv: Sequence[str], env: Mapping[str, str], log_path: Path
    ) -> EngineProcess:
        """Start `argv` with stdout and stderr appended to `log_path`.

        Raises OSError when the program cannot be executed (e.g. not found).
        """
        if not argv:
            raise ValueError("empty command line")
        # The child keeps its own descriptor of the log; ours is closed once it started.
        log = await asyncio.to_thread(open, log_path, "ab")
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env),
                start_new_session=True,
                preexec_fn=parent_death_signal_hook(),
            )
        finally:
            log.close()
        return cls(process)

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    async def wait(self) -> int:
        """Wait for the engine process to exit; its exit status (negative: signal)."""
        return await self._process.wait()

    def kill_group(self) -> None:
        """SIGKILL every process left in the engine's group."""
        self._signal_group(signal.SIGKILL)

    async def stop(self, grace_s: float) -> None:
        """SIGTERM the group, wait up to `grace_s` for the engine, then SIGKILL the group.

        The final SIGKILL also reaches helpers that outlived the engine itself, and it is
        sent even when the caller is cancelled while waiting.
        """
        try:
            if self._process.returncode is None:
                self._signal_group(signal.SIGTERM)
                try:
                    await asyncio.wait_for(self._process.wait(), grace_s)
                except TimeoutError:
                    pass
        finally:
            self.kill_group()
        await self._process.wait()

    def _signal_group(self, signum: int) -> None:
        try:
            # The group id is the leader's pid (start_new_session); it stays valid while
            # any member lives, even after the leader has been reaped.
            os.killpg(self._process.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass
