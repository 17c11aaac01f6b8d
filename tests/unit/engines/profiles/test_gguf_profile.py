"""Profiling GGUF models from headers: sizes, layers, KV cache, categories, projectors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gpustack.engines import Category, ModelFormat, ModelProfileError, profile_model
from tests.fixtures import models


def test_tiny_llama_profile_matches_what_was_written(tiny_llama_gguf: Path) -> None:
    profile = profile_model(tiny_llama_gguf)

    assert profile.format == ModelFormat.GGUF
    assert profile.architecture == "llama"
    assert profile.categories == (Category.LLM,)
    assert profile.layer_count == models.TINY_LLAMA_LAYERS
    assert profile.context_length == models.TINY_LLAMA_CONTEXT
    # f32 weights: every byte of tensor data is counted, header excluded.
    assert 0 < profile.weights_bytes < tiny_llama_gguf.stat().st_size
    assert profile.weights_bytes == (
        profile.layer_count * profile.layer_bytes + profile.non_layer_bytes
    )
    head_dim = models.TINY_LLAMA_EMBD // models.TINY_LLAMA_HEADS
    # K and V, f16, per layer per KV head.
    expected_kv = 2 * 2 * models.TINY_LLAMA_LAYERS * models.TINY_LLAMA_KV_HEADS * head_dim
    assert profile.kv_bytes_per_token == expected_kv
    assert profile.capabilities == ()


def test_split_gguf_shards_are_summed(tiny_llama_gguf: Path, tmp_path: Path) -> None:
    first = models.write_tiny_llama_gguf(tmp_path / "split.gguf", split_max_tensors=8)
    shards = sorted(tmp_path.glob("split-*-of-*.gguf"))
    assert len(shards) > 1

    whole = profile_model(tiny_llama_gguf)
    # Any shard, or the folder, names the whole model.
    for path in (first, shards[-1], tmp_path):
        split = profile_model(path)
        assert split.weights_bytes == whole.weights_bytes
        assert split.layer_bytes == whole.layer_bytes


def test_missing_shard_is_a_clear_error(tmp_path: Path) -> None:
    models.write_tiny_llama_gguf(tmp_path / "split.gguf", split_max_tensors=8)
    next(iter(sorted(tmp_path.glob("split-00002-*.gguf")))).unlink()

    with pytest.raises(ModelProfileError, match="missing split-00002"):
        profile_model(tmp_path)


def test_sibling_mmproj_adds_vision(tiny_vision_model_dir: Path) -> None:
    projector = next(iter(tiny_vision_model_dir.glob("mmproj-*.gguf")))

    for path in (tiny_vision_model_dir, tiny_vision_model_dir / "tiny-llama.gguf"):
        profile = profile_model(path)
        assert profile.capabilities == ("vision",)
        assert profile.extra_bytes == projector.stat().st_size


def test_a_projector_alone_is_not_a_model(tiny_vision_model_dir: Path) -> None:
    projector = next(iter(tiny_vision_model_dir.glob("mmproj-*.gguf")))

    with pytest.raises(ModelProfileError, match="vision projector"):
        profile_model(projector)


def test_minilm_gguf_is_an_embedding_model(minilm_embedding_gguf: Path) -> None:
    profile = profile_model(minilm_embedding_gguf)

    assert profile.architecture == "bert"
    assert profile.categories == (Category.EMBEDDING,)
    assert profile.layer_count == 6
    assert profile.context_length == 512


def test_rank_pooling_gguf_is_a_reranker(minilm_reranker_gguf: Path) -> None:
    assert profile_model(minilm_reranker_gguf).categories == (Category.RERANKER,)


def test_smollm2_profile(smollm2_gguf: Path) -> None:
    profile = profile_model(smollm2_gguf)

    assert (profile.layer_count, profile.context_length) == (30, 8192)
    # 9 heads of 64 dims, 3 KV heads: 30 layers x 3 x (64 + 64) x 2 bytes.
    assert profile.kv_bytes_per_token == 30 * 3 * 128 * 2
    assert 90_000_000 < profile.weights_bytes < smollm2_gguf.stat().st_size


def test_file_that_is_not_gguf_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"<html>not found</html>" * 10)

    with pytest.raises(ModelProfileError, match="not a GGUF file"):
        profile_model(fake)


def test_truncated_gguf_is_a_clear_error(tiny_llama_gguf: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(tiny_llama_gguf.read_bytes()[:2000])

    with pytest.raises(ModelProfileError, match="truncated"):
        profile_model(cut)


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelProfileError, match="does not exist"):
        profile_model(tmp_path / "nope.gguf")


def test_unknown_file_is_a_clear_error(tmp_path: Path) -> None:
    other = tmp_path / "weights.txt"
    other.write_text("hello")

    with pytest.raises(ModelProfileError, match="not a model file"):
        profile_model(other)


def test_folder_with_two_models_asks_for_one(tiny_llama_gguf: Path, tmp_path: Path) -> None:
    shutil.copyfile(tiny_llama_gguf, tmp_path / "a.gguf")
    shutil.copyfile(tiny_llama_gguf, tmp_path / "b.gguf")

    with pytest.raises(ModelProfileError, match="several GGUF models"):
        profile_model(tmp_path)
