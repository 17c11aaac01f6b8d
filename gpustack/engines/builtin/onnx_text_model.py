"""A BERT-style ONNX text model: sentence embeddings, or cross-encoder scores with a 1-logit head.

Mirrors sentence-transformers: tokenise with the model's `tokenizer.json`, truncate to its
maximum sequence length, mean-pool the token states over the attention mask (or CLS when
`1_Pooling/config.json` says so) and L2-normalise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

BATCH_SIZE = 32
DEFAULT_MAX_TOKENS = 512

Vectors = npt.NDArray[np.float32]


class ModelFilesError(ValueError):
    """The model directory lacks a file the engine needs."""


@dataclass(frozen=True, slots=True)
class OnnxFiles:
    onnx: Path
    tokenizer: Path
    folder: Path


def locate_files(model_path: Path) -> OnnxFiles:
    """The .onnx file and the tokenizer.json beside it (or in the folder above, for `onnx/`)."""
    if model_path.is_file():
        onnx, folder = model_path, model_path.parent
    else:
        candidates = sorted(model_path.rglob("*.onnx"))
        if not candidates:
            raise ModelFilesError(f"no .onnx file under {model_path}")
        # Prefer model.onnx over quantised variants and sub-graphs when a folder has several.
        onnx = next((c for c in candidates if c.name == "model.onnx"), candidates[0])
        folder = model_path
    for place in (onnx.parent, folder, folder.parent):
        if (place / "tokenizer.json").is_file():
            return OnnxFiles(onnx=onnx, tokenizer=place / "tokenizer.json", folder=place)
    raise ModelFilesError(f"no tokenizer.json beside {onnx}")


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def max_tokens(folder: Path) -> int:
    """The sequence length sentence-transformers would use for this model."""
    for name, key in (
        ("sentence_bert_config.json", "max_seq_length"),
        ("tokenizer_config.json", "model_max_length"),
        ("config.json", "max_position_embeddings"),
    ):
        value = _read_json(folder / name).get(key)
        # tokenizer_config uses a huge sentinel when it does not know.
        if isinstance(value, int) and 0 < value <= 100_000:
            return value
    return DEFAULT_MAX_TOKENS


class OnnxTextModel:
    """One ONNX session plus its tokenizer; blocking, call from a worker thread."""

    def __init__(self, files: OnnxFiles, threads: int) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(
            str(files.onnx), options, providers=["CPUExecutionProvider"]
        )
        self.max_tokens = max_tokens(files.folder)
        self._tokenizer = Tokenizer.from_file(str(files.tokenizer))
        self._tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer.enable_padding()
        self._inputs = {i.name for i in self._session.get_inputs()}
        output = self._session.get_outputs()[0]
        self._output_rank = len(output.shape)
        # A [batch, 1] output is a cross-encoder's relevance logit.
        self.is_cross_encoder = self._output_rank == 2 and output.shape[1] == 1
        pooling = _read_json(files.folder / "1_Pooling" / "config.json")
        self._cls_pooling = bool(pooling.get("pooling_mode_cls_token"))

    def embed(self, texts: Sequence[str]) -> tuple[Vectors, int]:
        """Unit-length vectors for `texts` and the number of tokens read."""
        vectors: list[Vectors] = []
        tokens = 0
        for start in range(0, len(texts), BATCH_SIZE):
            encodings = self._tokenizer.encode_batch(list(texts[start : start + BATCH_SIZE]))
            mask = _mask(encodings)
            tokens += int(mask.sum())
            output = self._run(encodings)
            pooled = output if self._output_rank == 2 else self._pool(output, mask)
            vectors.append(_normalise(pooled))
        return np.concatenate(vectors), tokens

    def score_pairs(self, query: str, documents: Sequence[str]) -> tuple[Vectors, int]:
        """Cross-encoder logits for (query, document) pairs and the tokens read."""
        logits: list[Vectors] = []
        tokens = 0
        for start in range(0, len(documents), BATCH_SIZE):
            pairs = [(query, d) for d in documents[start : start + BATCH_SIZE]]
            encodings = self._tokenizer.encode_batch(pairs)
            tokens += int(_mask(encodings).sum())
            logits.append(self._run(encodings)[:, 0])
        return np.concatenate(logits), tokens

    def _run(self, encodings: Sequence[Encoding]) -> Vectors:
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": _mask(encodings),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        result = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})
        return np.asarray(result[0], dtype=np.float32)

    def _pool(self, states: Vectors, mask: npt.NDArray[np.int64]) -> Vectors:
        if self._cls_pooling:
            return np.asarray(states[:, 0, :], dtype=np.float32)
        weights = mask[:, :, None].astype(np.float32)
        summed = (states * weights).sum(axis=1)
        return np.asarray(summed / np.clip(weights.sum(axis=1), 1e-9, None), dtype=np.float32)


def _mask(encodings: Sequence[Encoding]) -> npt.NDArray[np.int64]:
    return np.array([e.attention_mask for e in encodings], dtype=np.int64)


def _normalise(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.clip(norms, 1e-12, None), dtype=np.float32)
