"""The ONNX embeddings server as a real process: embeddings, rerank and errors."""

from __future__ import annotations

import base64

import httpx
import numpy as np

QUERY = "Where is the Eiffel tower?"
DOCUMENTS = ["Bananas are yellow.", "The Eiffel Tower is in Paris.", "GPUs accelerate matrix math."]


def _embed(url: str, texts: list[str], **extra: object) -> httpx.Response:
    body = {"model": "test-model", "input": texts, **extra}
    return httpx.post(url + "/v1/embeddings", json=body, timeout=30)


def test_embeddings_put_the_paris_sentence_near_the_eiffel_question(embeddings_url: str) -> None:
    answer = _embed(embeddings_url, [QUERY, *DOCUMENTS])

    assert answer.status_code == 200
    body = answer.json()
    assert body["model"] == "test-model"
    vectors = np.array([d["embedding"] for d in body["data"]])
    assert vectors.shape == (4, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    paris, banana = vectors[2] @ vectors[0], vectors[1] @ vectors[0]
    assert paris > 0.8 > 0.1 > banana
    assert body["usage"]["prompt_tokens"] == body["usage"]["total_tokens"] > 0


def test_single_string_input_gives_one_vector(embeddings_url: str) -> None:
    body = httpx.post(
        embeddings_url + "/v1/embeddings", json={"model": "m", "input": "ping"}, timeout=30
    ).json()

    assert [d["index"] for d in body["data"]] == [0]


def test_base64_decodes_to_the_float_vectors(embeddings_url: str) -> None:
    floats = _embed(embeddings_url, DOCUMENTS, encoding_format="float").json()["data"]
    packed = _embed(embeddings_url, DOCUMENTS, encoding_format="base64").json()["data"]

    for plain, encoded in zip(floats, packed, strict=True):
        decoded = np.frombuffer(base64.b64decode(encoded["embedding"]), dtype="<f4")
        assert np.allclose(decoded, plain["embedding"], atol=1e-6)


def test_over_long_input_is_truncated_not_rejected(embeddings_url: str) -> None:
    answer = _embed(embeddings_url, ["word " * 5000])

    assert answer.status_code == 200
    # MiniLM reads at most 256 tokens (sentence_bert_config.json).
    assert answer.json()["usage"]["total_tokens"] == 256


def test_rerank_ranks_paris_first_with_documents_and_clamps_top_n(embeddings_url: str) -> None:
    body = {"model": "test-model", "query": QUERY, "documents": DOCUMENTS, "top_n": 10}
    answer = httpx.post(embeddings_url + "/v1/rerank", json=body, timeout=30)

    assert answer.status_code == 200
    results = answer.json()["results"]
    assert len(results) == 3
    assert results[0]["index"] == 1
    assert results[0]["document"] == {"text": "The Eiffel Tower is in Paris."}
    scores = [r["relevance_score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[0] > 0.8
    assert answer.json()["usage"]["total_tokens"] > 0


def test_rerank_top_n_cuts_results(embeddings_url: str) -> None:
    body = {"model": "m", "query": QUERY, "documents": DOCUMENTS, "top_n": 1}
    results = httpx.post(embeddings_url + "/v1/rerank", json=body, timeout=30).json()["results"]

    assert [r["index"] for r in results] == [1]


def test_models_say_which_reranker_serves(embeddings_url: str) -> None:
    model = httpx.get(embeddings_url + "/v1/models", timeout=10).json()["data"][0]

    assert model["id"] == "test-model"
    assert model["meta"]["reranker"] == "embedding-similarity"


def test_bad_requests_get_openai_errors(embeddings_url: str) -> None:
    missing = httpx.post(embeddings_url + "/v1/embeddings", json={"model": "m"}, timeout=10)
    bad_format = _embed(embeddings_url, ["x"], encoding_format="int8")
    not_json = httpx.post(embeddings_url + "/v1/embeddings", content=b"{", timeout=10)

    for answer in (missing, bad_format, not_json):
        assert answer.status_code == 400
        assert set(answer.json()["error"]) == {"message", "type", "param", "code"}
    assert missing.json()["error"]["param"] == "input"


def test_a_one_logit_model_reranks_as_a_cross_encoder(cross_encoder_url: str) -> None:
    body = {"model": "m", "query": QUERY, "documents": DOCUMENTS, "top_n": 3}
    answer = httpx.post(cross_encoder_url + "/v1/rerank", json=body, timeout=30)
    meta = httpx.get(cross_encoder_url + "/v1/models", timeout=10).json()["data"][0]["meta"]

    assert meta["reranker"] == "cross-encoder"
    scores = [r["relevance_score"] for r in answer.json()["results"]]
    # Sigmoids of a random head's logits: strictly inside 0-1, sorted.
    assert len(scores) == 3
    assert all(0.0 < s < 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)


def test_a_cross_encoder_refuses_embeddings(cross_encoder_url: str) -> None:
    answer = _embed(cross_encoder_url, ["x"])

    assert answer.status_code == 400
    assert "rerank" in answer.json()["error"]["message"]
