"""Tool calling for vLLM chat models: which parser reads a model family's tool calls.

vLLM answers any request with `tools` with a 400 unless it was started with
`--enable-auto-tool-choice --tool-call-parser <name>`, and the parser depends on how the
model family writes its calls. Families with a well-known format get it turned on; others
(and deployments that set either flag) are left as configured.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from gpustack.engines.backend_parameters import has_flag

# `model_type` of config.json → vLLM's parser name.
PARSERS = {
    "qwen2": "hermes",
    "qwen2_moe": "hermes",
    "qwen3": "hermes",
    "qwen3_moe": "hermes",
    "llama": "llama3_json",
}
_FLAGS = ("--enable-auto-tool-choice", "--tool-call-parser")


def tool_arguments(model_path: Path, params: Sequence[str]) -> list[str]:
    """The flags that turn on tool calling for this model, or [] when unknown or set."""
    if has_flag(params, *_FLAGS):
        return []
    parser = PARSERS.get(_model_type(model_path))
    return ["--enable-auto-tool-choice", "--tool-call-parser", parser] if parser else []


def _model_type(model_path: Path) -> str:
    folder = model_path if model_path.is_dir() else model_path.parent
    config = folder / "config.json"
    try:
        value = json.loads(config.read_text(encoding="utf-8")).get("model_type")
    except (OSError, ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""
