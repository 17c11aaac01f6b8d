"""Starting an instance pinned to an engine version: installed on first use, named when given
as a program, launched with that version's program."""

from __future__ import annotations

from pathlib import Path

from gpustack.engines.installs import InstallLayout
from gpustack.engines.registry import default_registry
from gpustack.schemas.engine_versions import EngineVersionPublic
from gpustack.worker.engine_installer import InstallProgress, PipInstall
from gpustack.worker.instance_reports import InstanceReporter
from gpustack.worker.instance_starter import InstanceStarter, StarterSettings

from .fakes import FakeServer, FakeSupervisor, instance, model


class FakeInstaller:
    """Puts a `vllm` program where pip would and reports pip-like lines."""

    def __init__(self) -> None:
        self.installed: list[str] = []

    async def __call__(
        self, layout: InstallLayout, install: PipInstall, data_dir: Path, progress: InstallProgress
    ) -> Path:
        progress(13.0, f"Collecting {install.pip_spec}")
        program = layout.program_in(layout.version_dir(data_dir, install.version))
        program.parent.mkdir(parents=True)
        program.touch()
        self.installed.append(install.pip_spec)
        return program


def _version(**fields: object) -> EngineVersionPublic:
    data = {"id": 1, "backend": "vllm", "version": "0.32.0", "pip_spec": None,
            "index_url": None, "pip_args": [], "executable": None,
            "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"}  # fmt: skip
    return EngineVersionPublic.model_validate(data | fields)


def _starter(tmp_path: Path, installer: FakeInstaller) -> tuple[InstanceStarter, FakeServer]:
    server = FakeServer()
    reporter = InstanceReporter(server)
    settings = StarterSettings("w1", tmp_path / "cache", tmp_path, progress_interval_s=0.0)
    supervisor = FakeSupervisor(reporter.on_engine_state)
    starter = InstanceStarter(settings, reporter, supervisor, default_registry(), install=installer)
    return starter, server


async def test_a_pip_version_is_installed_then_launched(
    tmp_path: Path, tiny_llama_gguf: Path
) -> None:
    installer = FakeInstaller()
    starter, server = _starter(tmp_path, installer)
    server.models[3] = model(local_path=str(tiny_llama_gguf))
    server.engine_versions[("vllm", "0.32.0")] = _version(pip_spec="vllm==0.32.0")
    pinned = instance(7, backend="vllm", backend_version="0.32.0")

    await starter.start(pinned)
    await starter.start(instance(8, backend="vllm", backend_version="0.32.0"))

    assert installer.installed == ["vllm==0.32.0"]
    messages = [u.state_message for i, u in server.reports if u.state == "installing"]
    assert "installing vllm==0.32.0 (13%): Collecting vllm==0.32.0" in messages
    assert server.last(7).state == "running" and server.last(8).state == "running"
    assert "installing" not in server.states(8)
    program = tmp_path / "engines" / "vllm" / "0.32.0" / "bin" / "vllm"
    supervisor = starter.supervisor
    assert isinstance(supervisor, FakeSupervisor)
    assert supervisor.started[7].argv[0] == str(program)


async def test_an_executable_version_must_exist_on_the_worker(
    tmp_path: Path, tiny_llama_gguf: Path
) -> None:
    starter, server = _starter(tmp_path, FakeInstaller())
    server.models[3] = model(local_path=str(tiny_llama_gguf))
    server.engine_versions[("vllm", "0.31.1")] = _version(
        version="0.31.1", executable=str(tmp_path / "missing" / "vllm")
    )

    await starter.start(instance(7, backend="vllm", backend_version="0.31.1"))

    last = server.last(7)
    assert last.state == "error"
    assert last.state_message == f"vllm 0.31.1: {tmp_path}/missing/vllm does not exist on worker w1"
