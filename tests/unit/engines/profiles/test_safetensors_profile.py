"""Profiling Hugging Face directories from safetensors headers and config.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from safetensors.numpy import save_file

from gpustack.engines import Category, ModelFormat, ModelProfileError, profile_model
from tests.fixtures.models import minilm_dir


def _write_hf_model(folder: Path, config: dict[str, Any], shards: int = 1) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config))
    tensors = {
        "model.embed_tokens.weight": np.zeros((100, 32), np.float16),
        "lm_head.weight": np.zeros((100, 32), np.float16),
    }
    for i in range(config["num_hidden_layers"]):
        tensors[f"model.layers.{i}.self_attn.q_proj.weight"] = np.zeros((32, 32), np.float16)
        tensors[f"model.layers.{i}.mlp.up_proj.weight"] = np.zeros((64, 32), np.float16)
    names = sorted(tensors)
    for shard in range(shards):
        part = {n: tensors[n] for n in names[shard::shards]}
        save_file(part, str(folder / f"model-{shard + 1:05d}-of-{shards:05d}.safetensors"))


LLAMA_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "hidden_size": 32,
    "max_position_embeddings": 4096,
    "torch_dtype": "bfloat16",
}


@pytest.mark.parametrize("shards", [1, 2])
def test_causal_lm_profile(tmp_path: Path, shards: int) -> None:
    _write_hf_model(tmp_path / "m", LLAMA_CONFIG, shards)

    profile = profile_model(tmp_path / "m")

    assert profile.format == ModelFormat.SAFETENSORS
    assert profile.categories == (Category.LLM,)
    assert profile.layer_count == 2
    # Per layer: q (32x32) + up (64x32) f16; outside: embeddings and head (100x32) f16.
    assert profile.layer_bytes == (32 * 32 + 64 * 32) * 2
    assert profile.non_layer_bytes == 2 * 100 * 32 * 2
    assert profile.context_length == 4096
    # 2 layers x 2 KV heads x head dim 8 x (K+V) x 2 bytes.
    assert profile.kv_bytes_per_token == 2 * 2 * 8 * 2 * 2


@pytest.mark.parametrize(
    ("architecture", "category"),
    [
        ("BertForSequenceClassification", Category.RERANKER),
        ("XLMRobertaForSequenceClassification", Category.RERANKER),
        ("BertModel", Category.EMBEDDING),
        ("WhisperForConditionalGeneration", Category.SPEECH_TO_TEXT),
        ("Qwen2ForCausalLM", Category.LLM),
    ],
)
def test_category_from_architecture(tmp_path: Path, architecture: str, category: Category) -> None:
    _write_hf_model(tmp_path / "m", {**LLAMA_CONFIG, "architectures": [architecture]})

    assert profile_model(tmp_path / "m").categories == (category,)


def test_vision_language_model_has_vision(tmp_path: Path) -> None:
    config = {
        "architectures": ["Qwen2VLForConditionalGeneration"],
        "vision_config": {"depth": 2},
        "text_config": LLAMA_CONFIG,
    }
    _write_hf_model(tmp_path / "m", {**config, "num_hidden_layers": 2})

    profile = profile_model(tmp_path / "m")

    assert profile.categories == (Category.LLM,)
    assert profile.capabilities == ("vision",)
    assert profile.context_length == 4096


def test_sentence_transformers_minilm_is_an_embedding_model() -> None:
    profile = profile_model(minilm_dir())

    assert profile.categories == (Category.EMBEDDING,)
    assert profile.layer_count == 6
    assert 80_000_000 < profile.weights_bytes < 100_000_000


def test_index_without_shards_uses_its_total(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_CONFIG))
    index = {"metadata": {"total_size": 123456}, "weight_map": {}}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))

    assert profile_model(tmp_path).weights_bytes == 123456


def test_corrupt_safetensors_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(LLAMA_CONFIG))
    (tmp_path / "model.safetensors").write_bytes(b"\xff" * 16)

    with pytest.raises(ModelProfileError, match="not a safetensors file"):
        profile_model(tmp_path)
