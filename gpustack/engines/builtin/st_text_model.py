"""A sentence-transformers model (torch) with the `TextModel` shape of the ONNX one.

Serves Hugging Face folders (safetensors) on CPU when torch is installed; a folder whose
config names a `...ForSequenceClassification` head with one label loads as a CrossEncoder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from sentence_transformers import CrossEncoder, SentenceTransformer

BATCH_SIZE = 32


def is_cross_encoder_dir(model_dir: Path) -> bool:
    config_file = model_dir / "config.json"
    if not config_file.is_file():
        return False
    config = json.loads(config_file.read_text(encoding="utf-8"))
    heads = [
        a for a in config.get("architectures") or [] if a.endswith("ForSequenceClassification")
    ]
    labels = config.get("num_labels") or len(config.get("id2label") or {0: ""})
    return bool(heads) and labels == 1


class SentenceTransformerTextModel:
    """Blocking; call from a worker thread."""

    def __init__(self, model_dir: Path, device: str, threads: int) -> None:
        if device == "cpu":
            torch.set_num_threads(threads)
        self.is_cross_encoder = is_cross_encoder_dir(model_dir)
        self._model: Any
        if self.is_cross_encoder:
            # Identity keeps raw logits; the rerank route applies one sigmoid itself.
            self._model = CrossEncoder(
                str(model_dir),
                device=device,
                local_files_only=True,
                activation_fn=torch.nn.Identity(),
            )
            self.max_tokens = int(self._model.max_length or 512)
        else:
            self._model = SentenceTransformer(str(model_dir), device=device, local_files_only=True)
            self.max_tokens = int(self._model.max_seq_length)

    def embed(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.float32], int]:
        vectors = self._model.encode(
            list(texts), batch_size=BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True
        )
        features = self._model.tokenize(list(texts))
        return np.asarray(vectors, dtype=np.float32), int(features["attention_mask"].sum())

    def score_pairs(
        self, query: str, documents: Sequence[str]
    ) -> tuple[npt.NDArray[np.float32], int]:
        pairs = [(query, d) for d in documents]
        logits = self._model.predict(pairs, batch_size=BATCH_SIZE, convert_to_numpy=True)
        tokenizer = self._model.tokenizer
        encoded = tokenizer(
            [query] * len(documents),
            list(documents),
            truncation=True,
            max_length=self.max_tokens,
        )
        tokens = sum(sum(mask) for mask in encoded["attention_mask"])
        return np.asarray(logits, dtype=np.float32).reshape(-1), int(tokens)
