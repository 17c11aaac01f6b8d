"""Rerank answers in one shape: sorted, cut to top_n, 0-1 scores, document objects."""

from __future__ import annotations

import math

import httpx
import pytest

from gpustack.server.gateway.errors import GatewayError
from gpustack.server.gateway.operations.rerank import RerankRequest, rerank_response

from ..conftest import KEY, Harness
from ..standin import RERANK_LOGITS

AUTH = {"Authorization": f"Bearer {KEY}"}
DOCS = ["alpha", "bravo", "charlie", "delta"]


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


async def test_dify_rerank_with_top_n_over_document_count(gw: Harness) -> None:
    body = {"model": "rerank", "query": "q", "documents": DOCS[:2], "top_n": 3}
    async with httpx.AsyncClient() as client:
        r = await client.post(gw.v1 + "/rerank", json=body, headers=AUTH)
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["index"] for x in results] == [1, 0]
    assert results[0]["relevance_score"] == pytest.approx(sigmoid(RERANK_LOGITS[1]))
    assert results[0]["document"] == {"text": "bravo"}
    assert r.json()["usage"]["total_tokens"] == 11


async def test_top_n_cuts_and_return_documents_false_omits_them(gw: Harness) -> None:
    body = {
        "model": "rerank",
        "query": "q",
        "documents": DOCS,
        "top_n": 2,
        "return_documents": False,
    }
    async with httpx.AsyncClient() as client:
        r = await client.post(gw.url + "/v1-openai/rerank", json=body, headers=AUTH)
    results = r.json()["results"]
    assert [x["index"] for x in results] == [1, 2]
    assert all("document" not in x for x in results)
    assert all(0 <= x["relevance_score"] <= 1 for x in results)


async def test_no_documents_answers_empty_without_calling_the_engine(gw: Harness) -> None:
    body = {"model": "rerank", "query": "q", "documents": []}
    async with httpx.AsyncClient() as client:
        r = await client.post(gw.v1 + "/rerank", json=body, headers=AUTH)
    assert r.json()["results"] == []
    assert gw.upstream.seen == []


def test_scores_already_in_range_from_a_probability_engine_are_kept() -> None:
    request = RerankRequest(("a", "b"), top_n=5, return_documents=True)
    engine = {"results": [{"index": 0, "relevance_score": 0.2}, {"index": 1, "score": 0.9}]}
    out = rerank_response(engine, request, "m", scores_are_logits=False)
    assert [(r["index"], r["relevance_score"]) for r in out["results"]] == [(1, 0.9), (0, 0.2)]


def test_object_documents_and_bad_top_n() -> None:
    request = RerankRequest.from_body({"query": "q", "documents": [{"text": "x"}], "top_n": 9})
    assert request.documents == ("x",) and request.top_n == 1
    with pytest.raises(GatewayError) as bad:
        RerankRequest.from_body({"query": "q", "documents": ["x"], "top_n": 0})
    assert bad.value.status == 400
