"""`POST /rerank`: one answer shape whatever the engine.

`{"results": [{"index", "relevance_score", "document": {"text"}}], "usage"}`, sorted by score
descending, cut to `top_n` (clamped to the number of documents), scores in 0-1. Engines are
asked for every score; cutting, sorting and echoing documents are done here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..call import Call
from ..errors import bad_request
from ..jsonio import dumps
from .base import ReshapingOperation, UpstreamRequest, json_doc


@dataclass(frozen=True, slots=True)
class RerankRequest:
    """The parts of a rerank request the gateway needs to shape the answer."""

    documents: tuple[str, ...]
    top_n: int
    return_documents: bool

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> RerankRequest:
        if not isinstance(body.get("query"), str):
            raise bad_request("'query' must be a string.", param="query")
        raw = body.get("documents")
        if not isinstance(raw, list):
            raise bad_request("'documents' must be a list.", param="documents")
        documents = tuple(_document_text(d) for d in raw)
        top_n = body.get("top_n")
        if top_n is None:
            top_n = len(documents)
        elif not isinstance(top_n, int) or isinstance(top_n, bool) or top_n < 1:
            raise bad_request("'top_n' must be a positive integer.", param="top_n")
        return cls(documents, min(top_n, len(documents)), body.get("return_documents") is not False)

    def upstream_body(self, body: dict[str, Any]) -> dict[str, Any]:
        """Ask the engine for every score: cutting and sorting are done here."""
        out = dict(body)
        out["documents"] = list(self.documents)
        out["top_n"] = len(self.documents)
        out.pop("return_documents", None)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class RerankUpstream(UpstreamRequest):
    request: RerankRequest


class Rerank(ReshapingOperation[RerankUpstream]):
    path = "/rerank"
    name = "rerank"
    upstream_path = "/v1/rerank"

    def prepare(self, call: Call) -> RerankUpstream:
        doc = json_doc(call)
        request = RerankRequest.from_body(doc)
        if not request.documents:
            empty = {"model": call.route.name, "results": [], "usage": {"total_tokens": 0}}
            return RerankUpstream(call.body, answer=dumps(empty), request=request)
        return RerankUpstream(dumps(request.upstream_body(doc)), request=request)

    def reshape(
        self, call: Call, upstream: RerankUpstream, doc: dict[str, Any]
    ) -> dict[str, Any] | None:
        logits = call.quirks.rerank_scores_are_logits
        return rerank_response(doc, upstream.request, call.route.name, logits)


def _document_text(doc: object) -> str:
    if isinstance(doc, str):
        return doc
    if isinstance(doc, dict) and isinstance(doc.get("text"), str):
        return str(doc["text"])
    raise bad_request("Each document must be a string or an object with 'text'.", "documents")


def rerank_response(
    doc: dict[str, Any], request: RerankRequest, model: str, scores_are_logits: bool
) -> dict[str, Any]:
    raw = doc.get("results")
    if not isinstance(raw, list):
        data = doc.get("data")
        raw = data if isinstance(data, list) else []
    scored: list[tuple[int, float]] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        index = item.get("index")
        score = item.get("relevance_score", item.get("score"))
        if isinstance(index, int) and 0 <= index < len(request.documents):
            if isinstance(score, (int, float)):
                scored.append((index, float(score)))
    if scores_are_logits or any(s < 0.0 or s > 1.0 for _, s in scored):
        scored = [(i, _sigmoid(s)) for i, s in scored]
    scored.sort(key=lambda pair: pair[1], reverse=True)
    results: list[dict[str, Any]] = []
    for index, score in scored[: request.top_n]:
        result: dict[str, Any] = {"index": index, "relevance_score": score}
        if request.return_documents:
            result["document"] = {"text": request.documents[index]}
        results.append(result)
    usage = doc.get("usage")
    if not isinstance(usage, dict):
        usage = {"prompt_tokens": 0, "total_tokens": 0}
    usage.setdefault("total_tokens", int(usage.get("prompt_tokens") or 0))
    out: dict[str, Any] = {"model": doc.get("model") or model, "results": results, "usage": usage}
    if isinstance(doc.get("id"), str):
        out["id"] = doc["id"]
    return out


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)
