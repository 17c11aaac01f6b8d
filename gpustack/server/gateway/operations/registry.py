"""Which operation serves which path below the mount point."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .audio import Speech, Transcriptions, Translations
from .base import Operation
from .chat import ChatCompletions
from .completions import Completions
from .embeddings import Embeddings
from .images import ImageEdits, ImageGenerations
from .messages import CountTokens, Messages
from .rerank import Rerank
from .responses import Responses


def default_operations(affinity_chars: int = 0) -> Mapping[str, Operation[Any]]:
    """Path → operation for every API the gateway serves.

    `affinity_chars`: characters of a prompt that pick the instance (prefix affinity; 0: off).
    Each call makes new operations: the Responses API's kept responses belong to the gateway
    that holds them.
    """
    operations: tuple[Operation[Any], ...] = (
        ChatCompletions(affinity_chars),
        Completions(affinity_chars),
        Messages(affinity_chars),
        CountTokens(),
        Responses(affinity_chars),
        Embeddings(),
        Rerank(),
        ImageGenerations(),
        ImageEdits(),
        Speech(),
        Transcriptions(),
        Translations(),
    )
    return MappingProxyType({op.path: op for op in operations})
