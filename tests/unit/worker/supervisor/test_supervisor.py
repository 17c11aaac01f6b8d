"""The supervisor against real processes of the stand-in engine."""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import replace
from pathlib import Path

import pytest

from gpustack.engines.base import LaunchSpec
from gpustack.worker.supervisor import (
    AlreadySupervisedError,
    PortAllocator,
    Supervisor,
    tail,
)

from .harness import FAST, StateLog, is_gone, standin_spec, wait_until


async def test_start_reports_starting_then_running(
    supervisor: Supervisor, ports: PortAllocator, state_log: StateLog
) -> None:
    port = ports.allocate(1)
    spec = standin_spec(port, "--unhealthy-for", "0.3", "--print-env", "CUDA_VISIBLE_DEVICES")

    assert await supervisor.start(1, spec, [0, 2], port, name="llama.cpp") == port

    running = await state_log.wait_for("running")
    first = state_log.reports[0]
    assert (first.state, first.message, first.port) == (
        "starting",
        f"starting llama.cpp on port {port}",
        port,
    )
    assert (running.restart_count, running.port) == (0, port)
    assert supervisor.running_ids() == [1]
    assert supervisor.port_of(1) == port
    assert "CUDA_VISIBLE_DEVICES=0,2" in tail(supervisor.log_path(1), 10)


async def test_a_started_engine_does_not_see_the_cluster_token(
    supervisor: Supervisor,
    ports: PortAllocator,
    state_log: StateLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GPUSTACK_TOKEN", "cluster-token")
    monkeypatch.setenv("GPUSTACK_BOOTSTRAP_PASSWORD", "Admin-pass-123")
    port = ports.allocate(1)
    names = ("GPUSTACK_TOKEN", "GPUSTACK_BOOTSTRAP_PASSWORD", "PATH")
    spec = standin_spec(port, *(arg for name in names for arg in ("--print-env", name)))

    await supervisor.start(1, spec, [], port)

    await state_log.wait_for("running")
    log = tail(supervisor.log_path(1), 10)
    assert "GPUSTACK_TOKEN=<unset>" in log and "GPUSTACK_BOOTSTRAP_PASSWORD=<unset>" in log
    assert f"PATH={os.environ['PATH']}" in log


async def test_without_port_allocates_one_and_passes_it_as_env(
    supervisor: Supervisor, ports: PortAllocator, state_log: StateLog
) -> None:
    port = await supervisor.start(5, standin_spec(None), [])

    assert (await state_log.wait_for("running")).port == port
    assert ports.port_of(5) == port
    assert f"listening on port {port}" in tail(supervisor.log_path(5), 5)


async def test_engine_exit_reports_log_tail_then_restarts(
    supervisor: Supervisor, ports: PortAllocator, state_log: StateLog, tmp_path: Path
) -> None:
    port = ports.allocate(1)
    spec = standin_spec(
        port,
        *("--say", "loading model", "--say", "fatal: model file is corrupt"),
        *("--exit-code", "3", "--exit-once", str(tmp_path / "exited")),
    )
    await supervisor.start(1, spec, [], port)

    error = await state_log.wait_for("error")
    assert error.message.startswith("engine exited with code 3: loading model\n")
    assert "fatal: model file is corrupt" in error.message
    assert error.message.endswith("restarting in 0.1 s (attempt 1)")
    assert error.restart_count == 0
    await state_log.wait_for("running", restart_count=1)
    assert state_log.states() == [("starting", 0), ("error", 0), ("starting", 1), ("running", 1)]
    # The failed run's log is kept beside the new one.
    assert "fatal: model file is corrupt" in tail(supervisor.logs.previous_path(1), 5)


async def test_restart_delay_doubles_up_to_the_maximum(
    supervisor: Supervisor, ports: PortAllocator, state_log: StateLog
) -> None:
    port = ports.allocate(1)
    await supervisor.start(1, standin_spec(port, "--exit-code", "1"), [], port)

    await state_log.wait_for("error", restart_count=3)
    delays = [r.message.rsplit("; ", 1)[1] for r in state_log.reports if r.state == "error"]
    assert delays[:4] == [
        "restarting in 0.1 s (attempt 1)",
        "restarting in 0.2 s (attempt 2)",
        "restarting in 0.4 s (attempt 3)",
        "restarting in 0.4 s (attempt 4)",
    ]


async def test_no_restart_when_restart_on_error_is_off(
    supervisor: Supervisor, ports: PortAllocator, state_log: StateLog
) -> None:
    port = ports.allocate(1)
    spec = standin_spec(port, "--say", "bad flag --foo", "--exit-code", "2")
    await supervisor.start(1, spec, [], port, restart_on_error=False)

    error = await state_log.wait_for("error")
    await asyncio.sleep(0.3)
    assert error.message == "engine exited with code 2: bad flag --foo"
    assert state_log.states() == [("starting", 0), ("error", 0)]
    # Still supervised: the worker must not start it again behind the user's back.
    assert supervisor.running_ids() == [1]


async def test_killed_engine_is_restarted(
    supervisor: Supervisor, ports: PortAllocator, state_log: StateLog
) -> None:
    port = ports.allocate(1)
    await supervisor.start(1, standin_spec(port), [], port)
    await state_log.wait_for("running")
    status = supervisor.status_of(1)
    assert status is not None and status.pid is not None

    os.kill(status.pid, signal.SIGKILL)

    error = await state_log.wait_for("error")
    assert error.message.startswith("engine was killed by signal 9 (SIGKILL)")
    running = await state_log.wait_for("running", restart_count=1)
    assert running.port == port


async def test_lost_health_is_an_error_and_restarts(
    supervisor: Supervisor, ports: PortAllocator, state_log: StateLog, tmp_path: Path
) -> None:
    sick = tmp_path / "sick"
    port = ports.allocate(1)
    spec = standin_spec(port, "--fail-health-file", str(sick), health_path="/v1/health")
    await supervisor.start(1, spec, [], port)
    await state_log.wait_for("running")

    sick.touch()
    error = await state_log.wait_for("error")
    sick.unlink()

    assert error.message.startswith(
        f"health check failed 2 times at http://127.0.0.1:{port}/v1/health: HTTP 503"
    )
    await state_log.wait_for("running", restart_count=1)


async def test_startup_timeout_is_an_error(
    tmp_path: Path, ports: PortAllocator, state_log: StateLog
) -> None:
    settings = replace(FAST, startup_timeout_s=0.5, restart_on_error=False)
    port = ports.allocate(1)
    async with Supervisor(tmp_path, ports, settings, state_log) as supervisor:
        await supervisor.start(1, standin_spec(port, "--unhealthy-for", "60"), [], port)
        error = await state_log.wait_for("error")
        status = supervisor.status_of(1)

    assert error.message == f"engine not healthy after 0.5 s at http://127.0.0.1:{port}/health"
    assert status is not None and status.pid is None


async def test_missing_program_is_an_error_with_the_reason(
    supervisor: Supervisor, state_log: StateLog
) -> None:
    spec = LaunchSpec(argv=["/nonexistent/llama-server"], env={}, health_path="/health")
    await supervisor.start(1, spec, [], 47399, restart_on_error=False)

    error = await state_log.wait_for("error")
    assert error.message.startswith("cannot start engine: [Errno 2] No such file or directory")
    assert error.message in tail(supervisor.log_path(1), 1)


async def test_stop_kills_the_whole_process_group_and_frees_the_port(
    supervisor: Supervisor, ports: PortAllocator, state_log: StateLog, tmp_path: Path
) -> None:
    child_pid_file = tmp_path / "child.pid"
    port = ports.allocate(1)
    await supervisor.start(1, standin_spec(port, "--spawn-child", str(child_pid_file)), [], port)
    await state_log.wait_for("running")
    status = supervisor.status_of(1)
    assert status is not None and status.pid is not None
    child_pid = int(child_pid_file.read_text())

    await supervisor.stop(1)

    assert is_gone(status.pid)
    await wait_until(lambda: is_gone(child_pid), within_s=3)
    assert supervisor.running_ids() == []
    assert ports.in_use() == {}
    assert state_log.states() == [("starting", 0), ("running", 0)]


async def test_stop_escalates_to_sigkill_when_sigterm_is_ignored(
    tmp_path: Path, ports: PortAllocator, state_log: StateLog
) -> None:
    settings = replace(FAST, stop_timeout_s=0.5)
    port = ports.allocate(1)
    async with Supervisor(tmp_path, ports, settings, state_log) as supervisor:
        await supervisor.start(1, standin_spec(port, "--ignore-sigterm"), [], port)
        await state_log.wait_for("running")
        status = supervisor.status_of(1)
        assert status is not None and status.pid is not None
        started = asyncio.get_running_loop().time()

        await supervisor.stop(1)

        assert asyncio.get_running_loop().time() - started >= 0.5
        assert is_gone(status.pid)


async def test_stop_all_stops_every_instance(
    supervisor: Supervisor, ports: PortAllocator, state_log: StateLog
) -> None:
    for instance_id in (1, 2):
        port = ports.allocate(instance_id)
        await supervisor.start(instance_id, standin_spec(port), [], port)
    await wait_until(lambda: len([r for r in state_log.reports if r.state == "running"]) == 2)
    pids = [supervisor.status_of(i).pid for i in (1, 2)]  # type: ignore[union-attr]

    await supervisor.stop_all()

    assert all(pid is not None and is_gone(pid) for pid in pids)
    assert supervisor.running_ids() == []


async def test_starting_an_instance_twice_is_refused(
    supervisor: Supervisor, ports: PortAllocator
) -> None:
    port = ports.allocate(1)
    await supervisor.start(1, standin_spec(port), [], port)

    with pytest.raises(AlreadySupervisedError):
        await supervisor.start(1, standin_spec(port), [], port)


async def test_a_failing_state_report_does_not_stop_supervision(
    tmp_path: Path, ports: PortAllocator
) -> None:
    states: list[str] = []

    async def flaky(
        instance_id: int, state: str, message: str, restarts: int, port: int | None
    ) -> None:
        states.append(state)
        if state == "starting":
            raise ConnectionError("server unreachable")

    port = ports.allocate(1)
    async with Supervisor(tmp_path, ports, FAST, flaky) as supervisor:
        await supervisor.start(1, standin_spec(port), [], port)
        await wait_until(lambda: "running" in states)


async def test_a_healthy_period_resets_the_restart_delay(
    tmp_path: Path, ports: PortAllocator, state_log: StateLog
) -> None:
    settings = replace(FAST, backoff_reset_after_s=1.0)
    port = ports.allocate(1)

    async def kill_engine_once_running(restart_count: int, after_s: float) -> str:
        await state_log.wait_for("running", restart_count=restart_count)
        await asyncio.sleep(after_s)
        status = supervisor.status_of(1)
        assert status is not None and status.pid is not None
        os.kill(status.pid, signal.SIGKILL)
        error = await state_log.wait_for("error", restart_count=restart_count)
        return error.message.rsplit("; ", 1)[1]

    async with Supervisor(tmp_path, ports, settings, state_log) as supervisor:
        await supervisor.start(1, standin_spec(port), [], port)
        quick = [await kill_engine_once_running(n, after_s=0) for n in (0, 1)]
        after_a_healthy_while = await kill_engine_once_running(2, after_s=1.2)

    assert quick == ["restarting in 0.1 s (attempt 1)", "restarting in 0.2 s (attempt 2)"]
    assert after_a_healthy_while == "restarting in 0.1 s (attempt 3)"


async def test_stop_while_starting_kills_the_engine_and_reports_nothing_more(
    supervisor: Supervisor, ports: PortAllocator, state_log: StateLog
) -> None:
    port = ports.allocate(1)
    await supervisor.start(1, standin_spec(port, "--unhealthy-for", "60"), [], port)
    await state_log.wait_for("starting")
    status = supervisor.status_of(1)
    assert status is not None and status.pid is not None

    await supervisor.stop(1)
    await asyncio.sleep(0.2)

    assert is_gone(status.pid)
    assert state_log.states() == [("starting", 0)]
