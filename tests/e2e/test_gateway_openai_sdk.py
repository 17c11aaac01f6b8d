"""The gateway through the official `openai` SDK, against a real server and real engines, on
both prefixes; and every error status of the inference API in the OpenAI error shape."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.e2e.gateway_support import (
    GatewayCluster,
    gateway_cluster,
    openai_error,
    png_data_uri,
    silent_engine_command,
)

PREFIXES = ("/v1", "/v1-openai")
RUNNING = ["tiny", "vision", "embed", "rerank", "silent"]


@pytest.fixture(scope="module")
def gw(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_llama_gguf: Path,
    tiny_vision_model_dir: Path,
    minilm_embedding_gguf: Path,
    minilm_reranker_gguf: Path,
) -> Iterator[GatewayCluster]:
    tmp = tmp_path_factory.mktemp("gateway-sdk")
    # A short whole-request limit makes the silent engine's 504 quick to see.
    with gateway_cluster(tmp, env={"GPUSTACK_UPSTREAM_TOTAL_TIMEOUT": "3"}) as gw:
        gw.deploy("tiny", tiny_llama_gguf)
        gw.deploy("vision", tiny_vision_model_dir)
        gw.deploy("embed", minilm_embedding_gguf)
        gw.deploy("rerank", minilm_reranker_gguf)
        gw.deploy("idle", tiny_llama_gguf, replicas=0)
        gw.deploy(
            "silent",
            tiny_llama_gguf,
            backend="custom",
            backend_command=silent_engine_command(tmp),
            health_path="/health",
            categories=["llm"],
        )
        gw.wait_running(RUNNING)
        gw.wait_routed(RUNNING)
        yield gw


@pytest.mark.parametrize("prefix", PREFIXES)
def test_models_list_and_retrieve(gw: GatewayCluster, prefix: str) -> None:
    sdk = gw.sdk(prefix)
    listed = {m.id: m for m in sdk.models.list().data}
    # Only deployments with a running instance are listed.
    assert set(listed) == set(RUNNING)
    assert all(m.owned_by == "gpustack" and m.object == "model" for m in listed.values())
    tiny = sdk.models.retrieve("tiny")
    assert tiny.id == "tiny" and tiny.owned_by == "gpustack"

    meta = httpx.get(f"{gw.url}{prefix}/models", params={"with_meta": "true"}, headers=gw.bearer())
    entries = {m["id"]: m for m in meta.json()["data"]}
    assert "embedding" in entries["embed"]["categories"]
    assert "vision" in entries["vision"]["capabilities"]
    assert "vision" not in entries["tiny"]["capabilities"]
    assert isinstance(entries["tiny"]["context_length"], int)
    with pytest.raises(openai.NotFoundError):
        sdk.models.retrieve("nope")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_chat_non_stream_and_stream_report_usage(gw: GatewayCluster, prefix: str) -> None:
    sdk = gw.sdk(prefix)
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "user", "content": "hello"}
    ]
    reply = sdk.chat.completions.create(model="tiny", messages=messages, max_tokens=6)
    assert reply.object == "chat.completion" and reply.model
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage is not None and reply.usage.completion_tokens == 6
    assert reply.usage.prompt_tokens > 0

    chunks = list(
        sdk.chat.completions.create(model="tiny", messages=messages, max_tokens=5, stream=True)
    )
    assert any(c.choices and c.choices[0].delta.content for c in chunks)
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 5

    # On the wire: the usage event comes last, then [DONE], without stream_options sent.
    raw = httpx.post(
        f"{gw.url}{prefix}/chat/completions",
        headers=gw.bearer(),
        json={"model": "tiny", "messages": messages, "max_tokens": 3, "stream": True},
    )
    assert raw.headers["content-type"].startswith("text/event-stream")
    events = [e for e in raw.text.split("\n\n") if e.strip()]
    assert events[-1] == "data: [DONE]"
    assert json.loads(events[-2].removeprefix("data: "))["usage"]["completion_tokens"] == 3


@pytest.mark.parametrize("prefix", PREFIXES)
def test_completions(gw: GatewayCluster, prefix: str) -> None:
    reply = gw.sdk(prefix).completions.create(model="tiny", prompt="Once upon", max_tokens=4)
    assert reply.object == "text_completion"
    assert isinstance(reply.choices[0].text, str) and reply.choices[0].text
    assert reply.usage is not None and reply.usage.completion_tokens == 4


@pytest.mark.parametrize("prefix", PREFIXES)
def test_embeddings_float_and_base64_agree(gw: GatewayCluster, prefix: str) -> None:
    sdk = gw.sdk(prefix)
    texts = ["The Eiffel Tower is in Paris.", "Bananas are yellow."]
    floats = sdk.embeddings.create(model="embed", input=texts, encoding_format="float")
    assert floats.model == "embed" and len(floats.data) == 2
    assert [d.index for d in floats.data] == [0, 1]
    assert len(floats.data[0].embedding) == 384
    assert floats.usage.total_tokens > 0

    raw = httpx.post(
        f"{gw.url}{prefix}/embeddings",
        headers=gw.bearer(),
        json={"model": "embed", "input": texts, "encoding_format": "base64"},
    ).json()
    for item, expected in zip(raw["data"], floats.data, strict=True):
        packed = base64.b64decode(item["embedding"])
        decoded = struct.unpack(f"<{len(packed) // 4}f", packed)
        assert decoded == pytest.approx(expected.embedding, abs=1e-6)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_rerank_is_normalised(gw: GatewayCluster, prefix: str) -> None:
    documents = ["Paris is in France.", "Bananas are yellow.", "GPUs do math.", "Hello"]
    resp = httpx.post(
        f"{gw.url}{prefix}/rerank",
        headers=gw.bearer(),
        json={"model": "rerank", "query": "Where is Paris?", "documents": documents, "top_n": 3},
    )
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert len(results) == 3
    scores = [r["relevance_score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    for r in results:
        assert r["document"] == {"text": documents[r["index"]]}

    # top_n above the number of documents is clamped, never refused.
    two = httpx.post(
        f"{gw.url}{prefix}/rerank",
        headers=gw.bearer(),
        json={"model": "rerank", "query": "q", "documents": documents[:2], "top_n": 10},
    )
    assert two.status_code == 200, two.text
    assert sorted(r["index"] for r in two.json()["results"]) == [0, 1]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_image_chat_needs_a_vision_model(gw: GatewayCluster, prefix: str) -> None:
    content: list[openai.types.chat.ChatCompletionContentPartParam] = [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": png_data_uri(), "detail": "low"}},
    ]
    messages: list[openai.types.chat.ChatCompletionMessageParam] = [
        {"role": "user", "content": content}
    ]
    sdk = gw.sdk(prefix)
    reply = sdk.chat.completions.create(model="vision", messages=messages, max_tokens=3)
    assert reply.usage is not None and reply.choices
    text_only = sdk.chat.completions.create(
        model="vision", messages=[{"role": "user", "content": "What is in it?"}], max_tokens=3
    )
    assert text_only.usage is not None
    # The image really went through the projector: it costs prompt tokens.
    assert reply.usage.prompt_tokens > text_only.usage.prompt_tokens

    with pytest.raises(openai.BadRequestError) as refused:
        sdk.chat.completions.create(model="tiny", messages=messages, max_tokens=3)
    assert "does not accept images" in refused.value.message


def test_bad_keys_answer_401(gw: GatewayCluster) -> None:
    for prefix in PREFIXES:
        url = f"{gw.url}{prefix}/chat/completions"
        body = {"model": "tiny", "messages": [{"role": "user", "content": "x"}]}
        error = openai_error(httpx.post(url, json=body), 401)
        assert error["type"] == "authentication_error"
        wrong = gw.key[:-4] + "0000" if not gw.key.endswith("0000") else gw.key[:-4] + "1111"
        openai_error(httpx.post(url, json=body, headers=gw.bearer(wrong)), 401)
        openai_error(httpx.get(f"{gw.url}{prefix}/models"), 401)
    with pytest.raises(openai.AuthenticationError):
        gw.sdk(key="gpustack_0123456789abcdef_0123456789abcdef0123456789abcdef").models.list()


def test_unknown_or_forbidden_model_answers_404(gw: GatewayCluster) -> None:
    with pytest.raises(openai.NotFoundError) as unknown:
        gw.sdk().chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "x"}]
        )
    assert unknown.value.code == "model_not_found"

    only_embed = gw.create_key("only-embed", allowed_model_names=["embed"])
    url = f"{gw.url}/v1/chat/completions"
    body = {"model": "tiny", "messages": [{"role": "user", "content": "x"}]}
    error = openai_error(httpx.post(url, json=body, headers=gw.bearer(only_embed)), 404)
    assert error["code"] == "model_not_found"
    # The key still reaches what it is allowed, and lists only that.
    models = httpx.get(f"{gw.url}/v1/models", headers=gw.bearer(only_embed)).json()["data"]
    assert [m["id"] for m in models] == ["embed"]


def test_management_key_is_refused_with_403(gw: GatewayCluster) -> None:
    management = gw.create_key("mgmt", scope="management")
    body = {"model": "tiny", "messages": [{"role": "user", "content": "x"}]}
    resp = httpx.post(f"{gw.url}/v1/chat/completions", json=body, headers=gw.bearer(management))
    assert openai_error(resp, 403)["type"] == "permission_error"


def test_malformed_requests_answer_400(gw: GatewayCluster) -> None:
    url = f"{gw.url}/v1/chat/completions"
    headers = {**gw.bearer(), "Content-Type": "application/json"}
    openai_error(httpx.post(url, content=b'{"model": "tiny", "messages": [', headers=headers), 400)
    missing = openai_error(httpx.post(url, json={"messages": []}, headers=headers), 400)
    assert missing["param"] == "model"
    not_list = httpx.post(url, json={"model": "tiny", "messages": "hello"}, headers=headers)
    assert openai_error(not_list, 400)["param"] == "messages"


def test_requests_per_minute_limit_answers_429(gw: GatewayCluster) -> None:
    limited = gw.create_key("rpm-1", rpm_limit=1)
    url = f"{gw.url}/v1/chat/completions"
    body = {"model": "tiny", "messages": [{"role": "user", "content": "x"}], "max_tokens": 1}
    assert httpx.post(url, json=body, headers=gw.bearer(limited)).status_code == 200
    second = httpx.post(url, json=body, headers=gw.bearer(limited))
    assert openai_error(second, 429)["type"] == "rate_limit_error"
    assert 1 <= int(second.headers["Retry-After"]) <= 60


def test_no_running_instance_answers_503(gw: GatewayCluster) -> None:
    body = {"model": "idle", "messages": [{"role": "user", "content": "x"}]}
    resp = httpx.post(f"{gw.url}/v1/chat/completions", json=body, headers=gw.bearer())
    assert openai_error(resp, 503)["code"] == "no_running_instance"


def test_engine_that_never_answers_gives_504(gw: GatewayCluster) -> None:
    body = {"model": "silent", "messages": [{"role": "user", "content": "x"}]}
    resp = httpx.post(f"{gw.url}/v1/chat/completions", json=body, headers=gw.bearer(), timeout=30)
    assert openai_error(resp, 504)["code"] == "upstream_timeout"
