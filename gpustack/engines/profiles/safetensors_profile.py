"""Profile a Hugging Face safetensors directory from its file headers and config.json."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Any

from gpustack.engines.base import ModelFormat, ModelProfile
from gpustack.engines.profiles.errors import ModelProfileError
from gpustack.engines.profiles.hf_categories import hf_capabilities, hf_categories

_INDEX_FILE = "model.safetensors.index.json"
# `model.layers.3.`, `transformer.h.3.`, `encoder.layer.3.`, `blocks.3.`
_LAYER_TENSOR = re.compile(r"(?:^|\.)(?:layers|layer|h|blocks)\.\d+\.")
_MAX_HEADER = 100 * 1024 * 1024
_DTYPE_BYTES = {"float16": 2, "bfloat16": 2, "float32": 4, "float8_e4m3fn": 1, "int8": 1}
_CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length")


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelProfileError(f"{path.name}: cannot read JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ModelProfileError(f"{path.name}: expected a JSON object")
    return data


def profile_safetensors(model_dir: Path) -> ModelProfile:
    """Profile a directory with config.json and *.safetensors (or their index)."""
    config = read_json(model_dir / "config.json") if (model_dir / "config.json").is_file() else {}
    nested = config.get("text_config")
    # Vision-language models keep the language model's shape under text_config.
    text: dict[str, Any] = nested if isinstance(nested, dict) else config
    layer_total, non_layer_total = _tensor_bytes(model_dir)
    layer_count = _first_int(text, ("num_hidden_layers", "n_layer", "num_layers"))
    return ModelProfile(
        format=ModelFormat.SAFETENSORS,
        architecture=str(text.get("model_type") or config.get("model_type") or ""),
        weights_bytes=layer_total + non_layer_total,
        layer_count=layer_count,
        layer_bytes=layer_total // layer_count if layer_count else 0,
        non_layer_bytes=non_layer_total if layer_count else layer_total + non_layer_total,
        context_length=_first_int(text, _CONTEXT_KEYS),
        kv_bytes_per_token=_kv_bytes_per_token(text, layer_count),
        categories=hf_categories(model_dir, config),
        capabilities=hf_capabilities(config),
    )


def _tensor_bytes(model_dir: Path) -> tuple[int, int]:
    """Bytes in repeating layers and outside them, from safetensors headers."""
    files = sorted(model_dir.glob("*.safetensors"))
    index = model_dir / _INDEX_FILE
    if not files and index.is_file():
        # Index only (shards not downloaded yet): its total is all we know.
        total = read_json(index).get("metadata", {}).get("total_size", 0)
        return 0, int(total)
    if not files:
        raise ModelProfileError(f"no *.safetensors files in {model_dir}")
    layer = non_layer = 0
    for file in files:
        for name, size in _read_header_sizes(file).items():
            if _LAYER_TENSOR.search(name):
                layer += size
            else:
                non_layer += size
    return layer, non_layer


def _read_header_sizes(path: Path) -> dict[str, int]:
    """Tensor name → stored bytes, from the JSON header at the start of a safetensors file."""
    try:
        with path.open("rb") as stream:
            prefix = stream.read(8)
            if len(prefix) != 8:
                raise ModelProfileError(f"{path.name}: not a safetensors file (too short)")
            (length,) = struct.unpack("<Q", prefix)
            if length > _MAX_HEADER:
                raise ModelProfileError(f"{path.name}: not a safetensors file (bad header)")
            header = json.loads(stream.read(length))
    except (OSError, ValueError) as exc:
        raise ModelProfileError(f"{path.name}: not a safetensors file ({exc})") from exc
    sizes: dict[str, int] = {}
    for name, info in header.items():
        if name == "__metadata__" or not isinstance(info, dict):
            continue
        start, end = info["data_offsets"]
        sizes[name] = int(end) - int(start)
    return sizes


def _kv_bytes_per_token(config: dict[str, Any], layer_count: int) -> int:
    heads = _first_int(config, ("num_attention_heads", "n_head"))
    hidden = _first_int(config, ("hidden_size", "n_embd", "d_model"))
    if not heads or not hidden or not layer_count:
        return 0
    head_dim = _first_int(config, ("head_dim",)) or hidden // heads
    kv_heads = _first_int(config, ("num_key_value_heads",)) or heads
    # vLLM and SGLang cache in the model dtype; f16/bf16 for nearly every release.
    dtype_bytes = _DTYPE_BYTES.get(str(config.get("torch_dtype") or config.get("dtype")), 2)
    return 2 * layer_count * kv_heads * head_dim * dtype_bytes


def _first_int(config: dict[str, Any], keys: tuple[str, ...]) -> int:
    for key in keys:
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return 0
