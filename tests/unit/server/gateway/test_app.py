"""The routes, both prefixes, and every error answer in the OpenAI shape."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import openai
import pytest

from gpustack.server.gateway import GatewayApp

from .conftest import KEY, LIMITED_KEY, MGMT_KEY, Harness, route, serve
from .standin import StandInUpstream, unused_port

AUTH = {"Authorization": f"Bearer {KEY}"}


def assert_openai_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["message"]
    if code is not None:
        assert error["code"] == code


@pytest.mark.parametrize("prefix", ["/v1", "/v1-openai"])
async def test_dify_validation_request_works_on_both_prefixes(gw: Harness, prefix: str) -> None:
    body = {"model": "chat", "max_tokens": 5, "messages": [{"role": "user", "content": "ping"}]}
    async with httpx.AsyncClient() as client:
        r = await client.post(gw.url + prefix + "/chat/completions", json=body, headers=AUTH)
    assert r.status_code == 200
    doc = r.json()
    assert doc["object"] == "chat.completion"
    assert doc["choices"][0]["finish_reason"] == "length"
    assert doc["usage"] == {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}
    # The client's key stays here; the worker's header goes upstream.
    seen = gw.upstream.seen[-1]
    assert "Authorization" not in seen.headers
    assert seen.headers["X-Worker-Token"] == "w"


async def test_unknown_fields_reach_the_engine_untouched(gw: Harness) -> None:
    body = {
        "model": "chat",
        "messages": [{"role": "user", "content": "hi"}],
        "chat_template_kwargs": {"enable_thinking": False},
        "stop": ["a", "b", "c", "d", "Observation"],
        "thinking": {"type": "disabled"},
    }
    async with httpx.AsyncClient() as client:
        r = await client.post(gw.v1 + "/chat/completions", json=body, headers=AUTH)
    assert r.status_code == 200
    assert gw.upstream.seen[-1].json == body


async def test_completions_mode_and_missing_usage_is_filled_in(gw: Harness) -> None:
    gw.upstream.usage_in_body = False
    async with httpx.AsyncClient() as client:
        r = await client.post(
            gw.v1 + "/completions",
            json={"model": "chat", "prompt": "ping", "max_tokens": 5},
            headers=AUTH,
        )
    doc = r.json()
    assert doc["object"] == "text_completion"
    assert doc["usage"]["completion_tokens"] > 0
    assert doc["usage"]["total_tokens"] >= doc["usage"]["completion_tokens"]


async def test_models_list_shows_only_running_models_and_meta(gw: Harness) -> None:
    client = openai.AsyncOpenAI(base_url=gw.v1, api_key=KEY)
    names = [m.id async for m in client.models.list()]
    assert "chat" in names and "idle" not in names
    async with httpx.AsyncClient() as http:
        meta = await http.get(gw.url + "/v1-openai/models?with_meta=true", headers=AUTH)
        one = await http.get(gw.v1 + "/models/vlm", headers=AUTH)
        limited = await http.get(gw.v1 + "/models", headers={"X-API-Key": LIMITED_KEY})
        hidden = await http.get(gw.v1 + "/models/vlm", headers={"X-API-Key": LIMITED_KEY})
    vlm = next(m for m in meta.json()["data"] if m["id"] == "vlm")
    assert vlm["owned_by"] == "gpustack"
    assert vlm["capabilities"] == ["vision"] and vlm["context_length"] == 8192
    assert one.json()["id"] == "vlm"
    assert [m["id"] for m in limited.json()["data"]] == ["chat"]
    assert_openai_error(hidden, 404, "model_not_found")


async def test_sdk_chat_and_errors_map_to_sdk_exceptions(gw: Harness) -> None:
    client = openai.AsyncOpenAI(base_url=gw.v1, api_key=KEY, max_retries=0)
    answer = await client.chat.completions.create(
        model="chat", messages=[{"role": "user", "content": "hi"}], max_tokens=2
    )
    assert answer.choices[0].message.content == "pong pong "
    assert answer.usage is not None and answer.usage.completion_tokens == 2
    with pytest.raises(openai.NotFoundError):
        await client.chat.completions.create(model="nope", messages=[])
    bad = openai.AsyncOpenAI(base_url=gw.v1, api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        await bad.chat.completions.create(model="chat", messages=[])


async def test_auth_errors(gw: Harness) -> None:
    body = {"model": "chat", "messages": []}
    url = gw.v1 + "/chat/completions"
    async with httpx.AsyncClient() as client:
        missing = await client.post(url, json=body)
        wrong = await client.post(url, json=body, headers={"Authorization": "Bearer nope"})
        mgmt = await client.post(url, json=body, headers={"Authorization": f"Bearer {MGMT_KEY}"})
        models = await client.get(gw.v1 + "/models", headers={"X-API-Key": MGMT_KEY})
    assert_openai_error(missing, 401, "invalid_api_key")
    assert_openai_error(wrong, 401)
    assert_openai_error(mgmt, 403, "insufficient_scope")
    assert_openai_error(models, 403)


async def test_model_not_allowed_for_key_is_404_like_unknown(gw: Harness) -> None:
    headers = {"Authorization": f"Bearer {LIMITED_KEY}"}
    async with httpx.AsyncClient() as client:
        other = await client.post(
            gw.v1 + "/embeddings", json={"model": "embed", "input": ["x"]}, headers=headers
        )
        unknown = await client.post(
            gw.v1 + "/embeddings", json={"model": "ghost", "input": ["x"]}, headers=headers
        )
    assert_openai_error(other, 404, "model_not_found")
    assert_openai_error(unknown, 404, "model_not_found")
    assert "embed" in other.json()["error"]["message"]
    assert gw.upstream.seen == []


@pytest.mark.parametrize(
    ("content", "body", "needle"),
    [
        (b"{not json", None, "JSON"),
        (None, {"messages": []}, "model"),
        (None, {"model": "chat", "messages": "hi"}, "messages"),
        (
            None,
            {
                "model": "chat",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "what is this"},
                            {"type": "image_url", "image_url": {"url": "data:image/png;base64,"}},
                        ],
                    }
                ],
            },
            "vision",
        ),
    ],
)
async def test_invalid_requests_are_400_before_any_upstream_call(
    gw: Harness, content: bytes | None, body: object, needle: str
) -> None:
    async with httpx.AsyncClient() as client:
        r = await client.post(
            gw.v1 + "/chat/completions",
            content=content,
            json=body,
            headers={**AUTH, "Content-Type": "application/json"},
        )
    assert_openai_error(r, 400)
    assert needle in r.json()["error"]["message"]
    assert gw.upstream.seen == []


async def test_image_parts_pass_to_a_vision_model(gw: Harness) -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    body = {"model": "vlm", "messages": [{"role": "user", "content": [image]}]}
    async with httpx.AsyncClient() as client:
        r = await client.post(gw.v1 + "/chat/completions", json=body, headers=AUTH)
    assert r.status_code == 200


async def test_no_running_instance_is_503(gw: Harness) -> None:
    async with httpx.AsyncClient() as client:
        r = await client.post(
            gw.v1 + "/chat/completions", json={"model": "idle", "messages": []}, headers=AUTH
        )
    assert_openai_error(r, 503, "no_running_instance")


async def test_all_instances_refusing_connections_is_503(
    make_gateway: Callable[..., GatewayApp],
) -> None:
    app = make_gateway([route("chat", f"http://127.0.0.1:{unused_port()}")])
    async with serve(app) as url, httpx.AsyncClient() as client:
        r = await client.post(
            url + "/v1/chat/completions", json={"model": "chat", "messages": []}, headers=AUTH
        )
    assert_openai_error(r, 503)


async def test_hanging_engine_is_504(
    upstream: StandInUpstream, make_gateway: Callable[..., GatewayApp]
) -> None:
    upstream.hang = True
    app = make_gateway([route("chat", upstream)], total_timeout_s=0.3)
    async with serve(app) as url, httpx.AsyncClient() as client:
        r = await client.post(
            url + "/v1/chat/completions", json={"model": "chat", "messages": []}, headers=AUTH
        )
    assert_openai_error(r, 504, "upstream_timeout")


async def test_engine_error_is_relayed_in_openai_shape(gw: Harness) -> None:
    gw.upstream.status = 500
    async with httpx.AsyncClient() as client:
        r = await client.post(
            gw.v1 + "/chat/completions", json={"model": "chat", "messages": []}, headers=AUTH
        )
    assert_openai_error(r, 500)
    assert r.json()["error"]["message"] == "engine exploded"


async def test_unknown_path_and_wrong_method(gw: Harness) -> None:
    async with httpx.AsyncClient() as client:
        unknown = await client.post(gw.v1 + "/nothing", headers=AUTH)
        wrong = await client.get(gw.v1 + "/chat/completions", headers=AUTH)
    assert_openai_error(unknown, 404)
    assert_openai_error(wrong, 405)


async def test_transcription_reads_model_from_multipart_form(gw: Harness) -> None:
    files = {"file": ("tmpab12cd34.mp3", b"ID3fake-audio")}
    async with httpx.AsyncClient() as client:
        r = await client.post(
            gw.v1 + "/audio/transcriptions", data={"model": "whisper"}, files=files, headers=AUTH
        )
        missing = await client.post(gw.v1 + "/audio/transcriptions", files=files, headers=AUTH)
    assert r.status_code == 200 and r.json() == {"text": "hello world"}
    assert b"ID3fake-audio" in gw.upstream.seen[-1].raw
    assert_openai_error(missing, 400)


async def test_speech_relays_audio_bytes(gw: Harness) -> None:
    body = {"model": "tts", "input": "Test.", "voice": "Chinese Female", "response_format": "mp3"}
    async with httpx.AsyncClient() as client:
        r = await client.post(gw.v1 + "/audio/speech", json=body, headers=AUTH)
    assert r.status_code == 200
    assert r.headers["content-type"] == "audio/mpeg"
    assert r.content.startswith(b"\xff\xf3") and len(r.content) == 96


async def test_images_default_to_b64_json(gw: Harness) -> None:
    body = {"model": "sd", "prompt": "a cat", "n": 1, "size": "512x512", "cfg_scale": 4.5}
    async with httpx.AsyncClient() as client:
        r = await client.post(gw.v1 + "/images/generations", json=body, headers=AUTH)
    assert r.json()["data"][0]["b64_json"]
    assert gw.upstream.seen[-1].json == {**body, "response_format": "b64_json"}
