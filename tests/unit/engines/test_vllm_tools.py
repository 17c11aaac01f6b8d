"""vLLM chat models of families with a known tool-call format accept `tools` requests."""

from __future__ import annotations

import json
from pathlib import Path

from gpustack.engines import Category, LaunchContext
from gpustack.engines.vllm import VLLMEngine


def _launch(folder: Path, model_type: str, *params: str, embedding: bool = False) -> list[str]:
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"model_type": model_type}))
    ctx = LaunchContext(
        model_name="m",
        model_path=folder,
        port=1,
        host="127.0.0.1",
        gpu_indexes=(0,),
        categories=(Category.EMBEDDING,) if embedding else (Category.LLM,),
        backend_parameters=params,
    )
    return list(VLLMEngine().build_launch(ctx).argv)


def test_qwen_chat_gets_the_hermes_tool_parser(tmp_path: Path) -> None:
    argv = _launch(tmp_path / "qwen", "qwen2")

    assert "--enable-auto-tool-choice" in argv
    assert argv[argv.index("--tool-call-parser") + 1] == "hermes"


def test_unknown_families_embeddings_and_user_choices_are_left_alone(tmp_path: Path) -> None:
    unknown = _launch(tmp_path / "other", "gpt_bigcode")
    embedding = _launch(tmp_path / "embed", "qwen2", embedding=True)
    chosen = _launch(tmp_path / "own", "llama", "--tool-call-parser", "pythonic")

    assert "--enable-auto-tool-choice" not in unknown + embedding + chosen
    assert chosen.count("--tool-call-parser") == 1
