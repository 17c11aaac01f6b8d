"""The sentence-transformers server as a real process (needs torch; optional install)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("sentence_transformers")

from tests.fixtures.builtin_servers import start_builtin_server
from tests.fixtures.models import minilm_dir

pytestmark = pytest.mark.slow
QUERY = "Where is the Eiffel tower?"
DOCUMENTS = ["Bananas are yellow.", "The Eiffel Tower is in Paris."]


@pytest.fixture(scope="module")
def st_url(builtin_logs: Path) -> Iterator[str]:
    server = start_builtin_server("st_embeddings", minilm_dir(), builtin_logs / "st.log")
    yield server.base_url
    server.stop()


@pytest.fixture(scope="module")
def st_cross_url(tmp_path_factory: pytest.TempPathFactory, builtin_logs: Path) -> Iterator[str]:
    from transformers import BertForSequenceClassification

    folder = tmp_path_factory.mktemp("st-cross") / "minilm-cross"
    # MiniLM's body with a random 1-logit head: a cross-encoder in shape, not in skill.
    model = BertForSequenceClassification.from_pretrained(str(minilm_dir()), num_labels=1)
    model.save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt"):
        shutil.copyfile(minilm_dir() / name, folder / name)
    server = start_builtin_server("st_embeddings", folder, builtin_logs / "st-cross.log")
    yield server.base_url
    server.stop()


def test_embeddings_match_the_sentence_transformers_reference(st_url: str) -> None:
    body = {"model": "m", "input": [QUERY, *DOCUMENTS]}
    answer = httpx.post(st_url + "/v1/embeddings", json=body, timeout=60).json()

    vectors = np.array([d["embedding"] for d in answer["data"]])
    # all-MiniLM-L6-v2's published similarities for these sentences.
    assert vectors[2] @ vectors[0] == pytest.approx(0.859, abs=0.01)
    assert vectors[1] @ vectors[0] == pytest.approx(-0.014, abs=0.02)
    assert answer["usage"]["total_tokens"] > 0


def test_rerank_by_similarity_ranks_paris_first(st_url: str) -> None:
    body = {"model": "m", "query": QUERY, "documents": DOCUMENTS, "top_n": 3}
    answer = httpx.post(st_url + "/v1/rerank", json=body, timeout=60).json()
    meta = httpx.get(st_url + "/v1/models", timeout=10).json()["data"][0]["meta"]

    assert [r["index"] for r in answer["results"]] == [1, 0]
    assert meta == {**meta, "engine": "sentence-transformers", "reranker": "embedding-similarity"}


def test_a_sequence_classifier_reranks_as_a_cross_encoder(st_cross_url: str) -> None:
    body = {"model": "m", "query": QUERY, "documents": DOCUMENTS}
    answer = httpx.post(st_cross_url + "/v1/rerank", json=body, timeout=60).json()
    meta = httpx.get(st_cross_url + "/v1/models", timeout=10).json()["data"][0]["meta"]

    assert meta["reranker"] == "cross-encoder"
    scores = [r["relevance_score"] for r in answer["results"]]
    assert len(scores) == 2
    assert all(0.0 < s < 1.0 for s in scores)
    assert answer["results"][0]["document"]["text"] in DOCUMENTS
