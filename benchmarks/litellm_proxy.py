"""LiteLLM's proxy in front of the benchmark's upstream, from its own virtualenv.

`litellm[proxy]` is not a dependency of this project: it is installed on first use into a
virtualenv in the system's temporary folder and reused by later runs. When the install or the
start fails, the caller gets the reason instead of a proxy.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

DEFAULT_VENV = Path(tempfile.gettempdir()) / "gpustack-bench-litellm"
MASTER_KEY = "sk-bench-master"
CONFIG = """\
model_list:
  - model_name: {model}
    litellm_params:
      model: openai/{model}
      api_base: {upstream}/v1
      api_key: unused
litellm_settings:
  telemetry: false
general_settings:
  master_key: {key}
"""


@dataclass(frozen=True)
class LiteLLMProxy:
    url: str
    key: str
    pid: int


def _executable(venv: Path) -> tuple[Path | None, str]:
    """The `litellm` command, installing it first if needed; or None and why not."""
    litellm = venv / "bin" / "litellm"
    if litellm.exists():
        return litellm, ""
    print(f"installing litellm[proxy] into {venv} (first run only)", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        pip = [str(venv / "bin" / "pip"), "install", "--quiet", "litellm[proxy]"]
        done = subprocess.run(pip, capture_output=True, text=True, timeout=900)
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"could not install litellm[proxy]: {exc}"
    if done.returncode != 0 or not litellm.exists():
        return None, f"pip install litellm[proxy] failed: {done.stderr.strip()[-500:]}"
    return litellm, ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def litellm_proxy(
    upstream: str, model: str, venv: Path = DEFAULT_VENV, skip: bool = False
) -> Iterator[tuple[LiteLLMProxy | None, str | None]]:
    """Yield (proxy, None) once it answers, or (None, reason)."""
    if skip:
        yield None, "--no-litellm"
        return
    litellm, why = _executable(venv)
    if litellm is None:
        yield None, why
        return
    with tempfile.TemporaryDirectory(prefix="litellm-bench-") as tmp:
        config = Path(tmp) / "config.yaml"
        config.write_text(CONFIG.format(model=model, upstream=upstream, key=MASTER_KEY))
        port = _free_port()
        env = {
            **os.environ,
            # No network at start (model price list) and quiet logs.
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_LOG": "ERROR",
        }
        command = [str(litellm), "--config", str(config), "--host", "127.0.0.1"]
        command += ["--port", str(port), "--num_workers", "1"]
        log = (Path(tmp) / "litellm.log").open("wb")
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            if not _wait_healthy(url, proc):
                tail = (Path(tmp) / "litellm.log").read_text(errors="replace")[-800:]
                yield None, f"LiteLLM's proxy did not start:\n{tail}"
                return
            yield LiteLLMProxy(url, MASTER_KEY, proc.pid), None
        finally:
            for child in psutil.Process(proc.pid).children(recursive=True):
                child.terminate()
            proc.terminate()
            proc.wait(15)
            log.close()


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if httpx.get(f"{url}/health/liveliness", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False
