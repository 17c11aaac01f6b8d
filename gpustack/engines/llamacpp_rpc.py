"""llama.cpp RPC: `rpc-server` on subordinate workers, `--rpc host:port,...` on the main.

xllamacpp is built without ggml's RPC backend, so a GGUF spread across workers needs the
`ggml-rpc-server` and `llama-server` binaries of a build with `-DGGML_RPC=ON`
(`scripts/install-llama-rpc.sh` builds both). rpc-server has no authentication: whoever
reaches its port can allocate its memory and run tensor operations on it, so it binds only
to the worker's own address, on a network the cluster trusts.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# Where the binaries are looked for: these env vars, then <data-dir>/engines/llama-rpc/bin,
# then PATH.
RPC_SERVER_ENV = "GPUSTACK_LLAMA_RPC_SERVER"
RPC_LLAMA_SERVER_ENV = "GPUSTACK_LLAMA_RPC_LLAMA_SERVER"
INSTALL_DIR = Path("engines") / "llama-rpc" / "bin"
RPC_SERVER_NAMES = ("ggml-rpc-server", "rpc-server")
LLAMA_SERVER_NAMES = ("llama-server",)
RPC_FLAG = "--rpc"


class RpcBinaryMissing(ValueError):
    """No llama.cpp build with RPC was found; the message says how to get one."""


@dataclass(frozen=True, slots=True)
class RpcEndpoint:
    """One subordinate's rpc-server, as its worker reported it."""

    host: str
    port: int

    def __str__(self) -> str:
        # IPv6 literals need brackets to carry a port.
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def rpc_server_argv(
    binary: str, host: str, port: int, threads: int | None = None, cache_dir: Path | None = None
) -> list[str]:
    """An rpc-server serving this worker's devices (its GPUs, else its CPU) on host:port.

    `cache_dir` enables rpc-server's tensor cache (`-c`), so a restarted main does not send
    the weights over the network again; the cache lives in LLAMA_CACHE, set by the caller.
    """
    argv = [binary, "--host", host, "--port", str(port)]
    if threads:
        argv += ["--threads", str(threads)]
    if cache_dir is not None:
        argv.append("--cache")
    return argv


def rpc_server_env(cache_dir: Path | None) -> dict[str, str]:
    return {"LLAMA_CACHE": str(cache_dir)} if cache_dir is not None else {}


def find_rpc_server(env: Mapping[str, str], data_dir: Path | None) -> str:
    return _find(env.get(RPC_SERVER_ENV), data_dir, RPC_SERVER_NAMES, "rpc-server")


def find_rpc_llama_server(env: Mapping[str, str], data_dir: Path | None) -> str:
    return _find(env.get(RPC_LLAMA_SERVER_ENV), data_dir, LLAMA_SERVER_NAMES, "llama-server")


def _find(explicit: str | None, data_dir: Path | None, names: Sequence[str], what: str) -> str:
    if explicit:
        return explicit
    for name in names:
        if data_dir is not None and (data_dir / INSTALL_DIR / name).is_file():
            return str(data_dir / INSTALL_DIR / name)
        found = shutil.which(name)
        if found:
            return found
    raise RpcBinaryMissing(
        f"no llama.cpp {what} with RPC support: run scripts/install-llama-rpc.sh "
        f"<data-dir>/engines/llama-rpc, or set {RPC_SERVER_ENV} and {RPC_LLAMA_SERVER_ENV}"
    )
