"""Integration check advice: a refused field is named with why the client sends it."""

from __future__ import annotations

import json

from gpustack.server.integration_check.dify import probes as dify_probes
from gpustack.server.integration_check.hints import hint_for
from gpustack.server.integration_check.probe import read_chat_stream


def _dify(call: str, categories: set[str]):  # type: ignore[no-untyped-def]
    return next(p for p in dify_probes("m", categories) if p.call == call)


def _error(message: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": "invalid_request_error"}}).encode()


def test_a_refused_stream_options_names_the_field_and_why() -> None:
    probe = _dify("chat stream", {"llm"})
    hint = hint_for(probe, 400, _error("Unrecognized request argument: stream_options"), None)
    assert "`stream_options`" in hint and "rejected" in hint and "usage" in hint


def test_a_refused_encoding_format_is_explained_for_embeddings() -> None:
    probe = _dify("embeddings", {"embedding"})
    hint = hint_for(probe, 422, _error("encoding_format: unexpected value"), None)
    assert "encoding_format" in hint and "422" in hint


def test_a_passing_call_has_no_hint_and_a_bad_answer_says_what_breaks() -> None:
    probe = _dify("chat stream", {"llm"})
    assert hint_for(probe, 200, b"", None) == ""
    broken = read_chat_stream(200, "text/event-stream", b'data: {"choices": []}\n\n')
    assert broken == "the stream carries no `usage`"
    assert "Dify would fail" in hint_for(probe, 200, b"", broken)


def test_other_failures_get_a_plain_reason() -> None:
    probe = _dify("rerank (validation: 2 documents, top_n 3)", {"reranker"})
    assert "does not serve /v1/rerank" in hint_for(probe, 404, b"Not Found", None)
    assert "engine failed" in hint_for(probe, 502, _error("boom"), None)
    assert "no answer" in hint_for(probe, None, b"", "ClientConnectorError: refused")
