"""Profile a GGUF model from its headers: sizes, layers, KV cache per token, categories."""

from __future__ import annotations

import re
from pathlib import Path

from gguf import PoolingType

from gpustack.engines.base import Category, ModelFormat, ModelProfile
from gpustack.engines.profiles.gguf_files import locate_gguf_model
from gpustack.engines.profiles.gguf_header import GGUFHeader, MetadataValue, read_gguf_header

_LAYER_TENSOR = re.compile(r"^blk\.\d+\.")
_F16_BYTES = 2
# Encoders llama.cpp serves as embedding models even without a pooling key.
_ENCODER_ARCHITECTURES = frozenset(
    {"bert", "nomic-bert", "jina-bert-v2", "t5encoder", "modern-bert"}
)


def profile_gguf(path: Path) -> ModelProfile:
    """Profile a .gguf file, one shard of a split model, or a directory holding one model."""
    files = locate_gguf_model(path)
    headers = [read_gguf_header(shard) for shard in files.shards]
    meta = headers[0].metadata
    arch = str(meta.get("general.architecture", ""))
    layer_count = _int(meta.get(f"{arch}.block_count"))
    layer_total, non_layer_total = _split_bytes(headers)
    category = _category(meta, arch)
    capabilities: tuple[str, ...] = ()
    extra_bytes = 0
    # Only a text generator uses a projector; an encoder beside one in a shared folder does not.
    if files.mmproj is not None and category == Category.LLM:
        capabilities = ("vision",)
        extra_bytes = files.mmproj.stat().st_size
    return ModelProfile(
        format=ModelFormat.GGUF,
        architecture=arch,
        weights_bytes=layer_total + non_layer_total,
        layer_count=layer_count,
        layer_bytes=layer_total // layer_count if layer_count else 0,
        non_layer_bytes=non_layer_total if layer_count else layer_total + non_layer_total,
        context_length=_int(meta.get(f"{arch}.context_length")),
        kv_bytes_per_token=_kv_bytes_per_token(meta, arch, layer_count),
        extra_bytes=extra_bytes,
        categories=(category,),
        capabilities=capabilities,
    )


def _split_bytes(headers: list[GGUFHeader]) -> tuple[int, int]:
    layer = non_layer = 0
    for header in headers:
        for tensor in header.tensors:
            if _LAYER_TENSOR.match(tensor.name):
                layer += tensor.n_bytes
            else:
                non_layer += tensor.n_bytes
    return layer, non_layer


def _category(meta: dict[str, MetadataValue], arch: str) -> Category:
    pooling = meta.get(f"{arch}.pooling_type")
    if pooling == PoolingType.RANK:
        return Category.RERANKER
    if pooling in (PoolingType.MEAN, PoolingType.CLS, PoolingType.LAST):
        return Category.EMBEDDING
    causal = meta.get(f"{arch}.attention.causal", True)
    if causal is False or (pooling is None and arch in _ENCODER_ARCHITECTURES):
        return Category.EMBEDDING
    return Category.LLM


def _kv_bytes_per_token(meta: dict[str, MetadataValue], arch: str, layer_count: int) -> int:
    """f16 K and V bytes for one token across all layers (what llama.cpp allocates by default)."""
    heads = _int(meta.get(f"{arch}.attention.head_count"))
    embedding = _int(meta.get(f"{arch}.embedding_length"))
    if not heads or not embedding or not layer_count:
        return 0
    head_dim = embedding // heads
    key_dim = _int(meta.get(f"{arch}.attention.key_length")) or head_dim
    value_dim = _int(meta.get(f"{arch}.attention.value_length")) or head_dim
    kv_heads = meta.get(f"{arch}.attention.head_count_kv", heads)
    # Some models (hybrid attention) list KV heads per layer, 0 where a layer has no cache.
    per_layer = kv_heads if isinstance(kv_heads, tuple) else (kv_heads,) * layer_count
    total_heads = sum(_int(h) for h in per_layer)
    return total_heads * (key_dim + value_dim) * _F16_BYTES


def _int(value: MetadataValue | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value)
