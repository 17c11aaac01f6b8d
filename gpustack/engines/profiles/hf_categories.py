"""What a Hugging Face model does, read from its config.json `architectures` and side files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gpustack.engines.base import Category

# Checked in order against each architecture name; the first match wins.
_SUFFIX_CATEGORIES: tuple[tuple[str, Category], ...] = (
    ("ForSequenceClassification", Category.RERANKER),
    ("ForSpeechSeq2Seq", Category.SPEECH_TO_TEXT),
    ("ForCTC", Category.SPEECH_TO_TEXT),
    ("ForTextToSpeech", Category.TEXT_TO_SPEECH),
    ("ForCausalLM", Category.LLM),
    ("ForConditionalGeneration", Category.LLM),
    ("LMHeadModel", Category.LLM),
    ("ForMaskedLM", Category.EMBEDDING),
)
_PREFIX_CATEGORIES: tuple[tuple[str, Category], ...] = (
    ("Whisper", Category.SPEECH_TO_TEXT),
    ("Bert", Category.EMBEDDING),
    ("XLMRoberta", Category.EMBEDDING),
    ("Roberta", Category.EMBEDDING),
    ("MPNet", Category.EMBEDDING),
    ("NomicBert", Category.EMBEDDING),
    ("ModernBert", Category.EMBEDDING),
)
_EMBEDDING_NAME_HINTS = ("ForEmbedding", "EmbeddingModel")


def hf_categories(model_dir: Path, config: dict[str, Any]) -> tuple[Category, ...]:
    """Categories of a Hugging Face model directory; empty when nothing is recognised."""
    if (model_dir / "modules.json").is_file() or (model_dir / "1_Pooling").is_dir():
        # A sentence-transformers layout; cross-encoders keep a classification head.
        architectures = _architectures(config)
        if any(a.endswith("ForSequenceClassification") for a in architectures):
            return (Category.RERANKER,)
        return (Category.EMBEDDING,)
    for architecture in _architectures(config):
        category = _category_of(architecture)
        if category is not None:
            return (category,)
    return ()


def hf_capabilities(config: dict[str, Any]) -> tuple[str, ...]:
    """Extra abilities, such as image input for vision-language models."""
    if "vision_config" in config or "vision_tower" in config:
        return ("vision",)
    return ()


def _category_of(architecture: str) -> Category | None:
    # Whisper's class names end in ForConditionalGeneration too, so prefixes come first
    # for audio, and suffixes decide the rest.
    if architecture.startswith("Whisper"):
        return Category.SPEECH_TO_TEXT
    if any(hint in architecture for hint in _EMBEDDING_NAME_HINTS):
        return Category.EMBEDDING
    for suffix, category in _SUFFIX_CATEGORIES:
        if architecture.endswith(suffix):
            return category
    for prefix, category in _PREFIX_CATEGORIES:
        if architecture.startswith(prefix):
            return category
    return None


def _architectures(config: dict[str, Any]) -> list[str]:
    architectures = config.get("architectures") or []
    return [a for a in architectures if isinstance(a, str)]
