"""SGLang: `python -m sglang.launch_server` command line and its memory fraction."""

from __future__ import annotations

import sys
from pathlib import Path

from gpustack.engines import Category, LaunchContext, ModelFormat, ModelProfile, PlacementRequest
from gpustack.engines.sglang import SGLangEngine

GIB = 1024**3
engine = SGLangEngine()


def test_claims_mem_fraction_static() -> None:
    model = ModelProfile(format=ModelFormat.SAFETENSORS, weights_bytes=2 * GIB)
    request = PlacementRequest(
        gpu_count=1,
        total_vram_bytes_per_gpu=(80 * GIB,),
        backend_parameters=["--mem-fraction-static", "0.5"],
    )

    assert engine.estimate(model, request).vram_bytes_per_gpu == (40 * GIB,)


def test_command_line() -> None:
    ctx = LaunchContext(
        model_name="emb",
        model_path=Path("/models/bge"),
        port=40003,
        host="127.0.0.1",
        gpu_indexes=(0, 1),
        categories=(Category.EMBEDDING,),
    )

    argv = list(engine.build_launch(ctx).argv)

    assert argv[:3] == [sys.executable, "-m", "sglang.launch_server"]
    joined = " ".join(argv)
    assert "--model-path /models/bge --host 127.0.0.1 --port 40003" in joined
    assert "--served-model-name emb" in joined
    assert "--tp-size 2" in joined
    assert "--is-embedding" in argv


def test_does_not_serve_rerankers_or_gguf() -> None:
    hf = ModelProfile(format=ModelFormat.SAFETENSORS)
    assert engine.serves(hf, [Category.LLM])
    assert not engine.serves(hf, [Category.RERANKER])
    assert not engine.serves(ModelProfile(format=ModelFormat.GGUF), [Category.LLM])
