"""llama.cpp across workers: rpc-server command lines and the main's `--rpc`."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpustack.engines.base import Category, LaunchContext
from gpustack.engines.llamacpp import LlamaCppEngine
from gpustack.engines.llamacpp_rpc import (
    INSTALL_DIR,
    RPC_LLAMA_SERVER_ENV,
    RpcBinaryMissing,
    RpcEndpoint,
    find_rpc_llama_server,
    find_rpc_server,
    rpc_server_argv,
    rpc_server_env,
)


def _ctx(path: Path, **overrides: object) -> LaunchContext:
    fields: dict[str, object] = {
        "model_name": "tiny",
        "model_path": path,
        "port": 40001,
        "host": "10.0.0.5",
        "gpu_indexes": (),
        "categories": (Category.LLM,),
    }
    fields.update(overrides)
    return LaunchContext(**fields)  # type: ignore[arg-type]


def test_rpc_server_binds_the_workers_address_and_port(tmp_path: Path) -> None:
    argv = rpc_server_argv("/opt/rpc-server", "10.0.0.7", 50052, threads=8, cache_dir=tmp_path)
    assert argv == [
        "/opt/rpc-server",
        *("--host", "10.0.0.7", "--port", "50052", "--threads", "8", "--cache"),
    ]
    assert rpc_server_env(tmp_path) == {"LLAMA_CACHE": str(tmp_path)}


def test_endpoints_read_as_host_port_and_bracket_ipv6() -> None:
    assert str(RpcEndpoint("10.0.0.7", 50052)) == "10.0.0.7:50052"
    assert str(RpcEndpoint("fd00::7", 50052)) == "[fd00::7]:50052"


def test_main_gets_every_rpc_server_and_an_rpc_capable_llama_server(
    tiny_llama_gguf: Path, tmp_path: Path
) -> None:
    binary = tmp_path / INSTALL_DIR / "llama-server"
    binary.parent.mkdir(parents=True)
    binary.write_text("")
    spec = LlamaCppEngine().build_launch(
        _ctx(tiny_llama_gguf, data_dir=tmp_path, rpc_servers=("10.0.0.7:50052", "10.0.0.8:50052"))
    )
    assert spec.argv[0] == str(binary)
    assert spec.argv[spec.argv.index("--rpc") + 1] == "10.0.0.7:50052,10.0.0.8:50052"


def test_without_an_rpc_build_the_main_fails_saying_how_to_get_one(
    tiny_llama_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RpcBinaryMissing, match=r"install-llama-rpc\.sh"):
        LlamaCppEngine().build_launch(
            _ctx(tiny_llama_gguf, data_dir=tmp_path, rpc_servers=("10.0.0.7:50052",))
        )


def test_one_worker_instances_keep_the_xllamacpp_launcher(tiny_llama_gguf: Path) -> None:
    spec = LlamaCppEngine().build_launch(_ctx(tiny_llama_gguf))
    assert spec.argv[1:3] == ["-m", "gpustack.engines.llamacpp_launcher"]
    assert "--rpc" not in spec.argv


def test_binaries_named_by_env_win(tmp_path: Path) -> None:
    env = {RPC_LLAMA_SERVER_ENV: "/srv/llama-server", "GPUSTACK_LLAMA_RPC_SERVER": "/srv/rpc"}
    assert find_rpc_llama_server(env, tmp_path) == "/srv/llama-server"
    assert find_rpc_server(env, tmp_path) == "/srv/rpc"
