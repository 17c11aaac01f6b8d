"""Dify's GPUStack plugins replayed against a real server: the exact requests they send (paths,
headers, JSON bytes, multipart layout) and exactly the fields they read from the answers."""

from __future__ import annotations

import base64
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.gateway_support import GatewayCluster, dify_sse_events, gateway_cluster
from tests.fixtures.builtin_models import piper_voice_dir, whisper_tiny_en_dir
from tests.fixtures.models import MissingTestModelError

RUNNING = ["llm", "emb", "rerank", "tts", "stt"]
SPOKEN = "The quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="module")
def gw(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_llama_gguf: Path,
    minilm_embedding_gguf: Path,
    minilm_reranker_gguf: Path,
) -> Iterator[GatewayCluster]:
    try:
        voice, whisper = piper_voice_dir(), whisper_tiny_en_dir()
    except MissingTestModelError as exc:
        pytest.skip(str(exc))
    with gateway_cluster(tmp_path_factory.mktemp("gateway-dify")) as gw:
        gw.deploy("llm", tiny_llama_gguf)
        gw.deploy("emb", minilm_embedding_gguf)
        gw.deploy("rerank", minilm_reranker_gguf)
        gw.deploy("tts", voice)
        gw.deploy("stt", whisper)
        gw.wait_running(RUNNING)
        gw.wait_routed(RUNNING)
        # Dify's users hold inference-only keys.
        gw.key = gw.create_key("dify", scope="inference")
        yield gw


def _dify_headers(gw: GatewayCluster, **extra: str) -> dict[str, str]:
    """What Python `requests` sends besides the plugin's own headers."""
    return {
        "User-Agent": "python-requests/2.32.3",
        "Accept-Encoding": "gzip, deflate",
        "Accept": "*/*",
        "Connection": "keep-alive",
        **gw.bearer(),
        **extra,
    }


def _post_json(
    gw: GatewayCluster, path: str, body: dict[str, Any], **headers: str
) -> httpx.Response:
    # `requests.post(json=...)` serialises with json.dumps defaults: these are its exact bytes.
    data = json.dumps(body).encode()
    all_headers = _dify_headers(gw, **{"Content-Type": "application/json", **headers})
    return httpx.post(f"{gw.url}{path}", content=data, headers=all_headers, timeout=120)


def _normalised_base(server_url: str) -> str:
    """The plugin's Server URL normalisation (section 2 of the contract)."""
    base = server_url.rstrip("/").removesuffix("/v1").removesuffix("/v1-openai")
    return base + "/v1"


def test_llm_validation_in_chat_and_completion_mode(gw: GatewayCluster) -> None:
    chat = _post_json(
        gw,
        "/v1/chat/completions",
        {"model": "llm", "max_tokens": 5, "messages": [{"role": "user", "content": "ping"}]},
    )
    assert chat.status_code == 200 and chat.json()["object"] == "chat.completion"

    completion = _post_json(
        gw, "/v1/completions", {"model": "llm", "max_tokens": 5, "prompt": "ping"}
    )
    assert completion.status_code == 200 and completion.json()["object"] == "text_completion"
    assert isinstance(completion.json()["choices"][0]["text"], str)


def test_chat_invoke_non_stream_gives_message_and_usage(gw: GatewayCluster) -> None:
    body = {
        "model": "llm",
        "stream": False,
        "temperature": 0.2,
        "max_tokens": 8,
        "messages": [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "Hello"},
        ],
        "user": "dify-user-1",
    }
    resp = _post_json(gw, "/v1/chat/completions", body, **{"Accept-Charset": "utf-8"})
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["choices"] and isinstance(doc["choices"][0]["message"]["content"], str)
    assert doc["usage"]["prompt_tokens"] > 0 and doc["usage"]["completion_tokens"] == 8


@pytest.mark.parametrize("mode", ["chat", "completion"])
def test_stream_invoke_parses_like_the_plugin(gw: GatewayCluster, mode: str) -> None:
    body: dict[str, Any] = {"model": "llm", "stream": True, "max_tokens": 6}
    if mode == "chat":
        body["messages"] = [{"role": "user", "content": "Tell me a story"}]
        path = "/v1/chat/completions"
    else:
        body["prompt"] = "Tell me a story"
        path = "/v1/completions"
    body |= {"stop": ["Observation"], "user": "dify-user-1"}
    # No `Accept: text/event-stream`: the body's `stream` decides.
    resp = _post_json(gw, path, body, **{"Accept-Charset": "utf-8"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/event-stream")
    assert "\r\n" not in resp.text
    events = dify_sse_events(resp.text)
    text = ""
    usage: dict[str, Any] | None = None
    finish_reason = None
    for event in events:
        assert "error" not in event, event
        usage = event.get("usage") or usage
        if event["choices"]:
            choice = event["choices"][0]
            finish_reason = choice.get("finish_reason")
            text += (choice.get("delta") or {}).get("content") or choice.get("text") or ""
    assert text
    assert finish_reason == "length"
    assert usage is not None and usage["completion_tokens"] == 6 and usage["prompt_tokens"] > 0


def test_tool_call_request_shape_is_accepted(gw: GatewayCluster) -> None:
    weather = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather of a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "content": "Sunny, 21 C", "tool_call_id": "call_1"},
    ]
    for stream in (False, True):
        body = {
            "model": "llm",
            "stream": stream,
            "max_tokens": 5,
            "messages": messages,
            "tool_choice": "auto",
            "tools": [weather],
        }
        resp = _post_json(gw, "/v1/chat/completions", body)
        assert resp.status_code == 200, resp.text
        if stream:
            assert any(e.get("usage") for e in dify_sse_events(resp.text))
        else:
            message = resp.json()["choices"][0]["message"]
            for call in message.get("tool_calls") or []:
                assert isinstance(call["function"]["arguments"], str)


def test_extended_compatibility_fields_are_accepted(gw: GatewayCluster) -> None:
    body = {
        "model": "llm",
        "stream": False,
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "ping"}],
        "chat_template_kwargs": {"enable_thinking": False, "thinking": False},
        "thinking": {"type": "disabled"},
        "enable_thinking": False,
        "reasoning_effort": "low",
        "stop": ["a1", "b2", "c3", "d4", "e5", "Observation"],
        "user": "dify-user-1",
    }
    resp = _post_json(gw, "/v1/chat/completions", body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["usage"]["completion_tokens"] >= 0


def test_embeddings_validation_and_invoke(gw: GatewayCluster) -> None:
    check = _post_json(gw, "/v1/embeddings", {"input": ["ping"], "model": "emb"})
    assert check.status_code == 200 and "model" in check.json()
    assert check.json()["usage"]["total_tokens"] > 0

    body = {"input": ["hello world"], "model": "emb", "user": "u1", "encoding_format": "float"}
    doc = _post_json(gw, "/v1/embeddings", body).json()
    [item] = doc["data"]
    assert len(item["embedding"]) == 384 and all(isinstance(x, float) for x in item["embedding"])
    assert doc["usage"]["total_tokens"] > 0


def test_rerank_validation_with_two_documents_and_top_n_3(gw: GatewayCluster) -> None:
    documents = ["GPUStack manages GPU clusters.", "Bananas are yellow."]
    body = {"model": "rerank", "query": "What is GPUStack?", "documents": documents, "top_n": 3}
    resp = _post_json(gw, "/v1/rerank", body)
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert sorted(r["index"] for r in results) == [0, 1]
    for r in results:
        assert isinstance(r["relevance_score"], float) and 0 <= r["relevance_score"] <= 1
        assert r["document"]["text"] == documents[r["index"]]


def _speech(gw: GatewayCluster, text: str, response_format: str) -> httpx.Response:
    body = {
        "model": "tts",
        "input": text,
        "voice": "Chinese Female",
        "response_format": response_format,
    }
    return _post_json(gw, "/v1/audio/speech", body)


def test_tts_returns_mp3_for_an_unknown_voice(gw: GatewayCluster) -> None:
    resp = _speech(gw, "Test.", "mp3")
    assert resp.status_code == 200, resp.text
    audio = resp.content
    assert len(audio) > 1000
    if audio.startswith(b"ID3"):  # skip an ID3v2 tag: 10-byte header, syncsafe size
        size = (audio[6] << 21) | (audio[7] << 14) | (audio[8] << 7) | audio[9]
        audio = audio[10 + size :]
    # An MPEG audio frame header: 11 sync bits, then layer III.
    assert audio[0] == 0xFF and audio[1] & 0xE0 == 0xE0, audio[:4]
    assert (audio[1] >> 1) & 0b11 == 0b01, "layer III"


def test_stt_upload_named_mp3_with_wav_bytes_is_transcribed(gw: GatewayCluster) -> None:
    wav = _speech(gw, SPOKEN, "wav")
    assert wav.status_code == 200 and wav.content[:4] == b"RIFF"
    boundary = "0c4e1b39a5a1e0f4bd2d9d4b0b5d7a1f"
    # `requests` multipart: a text field, then the file part without a Content-Type.
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nstt\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="tmpab12cd34.mp3"\r\n\r\n'
        ).encode()
        + wav.content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = _dify_headers(gw, **{"Content-Type": f"multipart/form-data; boundary={boundary}"})
    resp = httpx.post(
        f"{gw.url}/v1/audio/transcriptions", content=body, headers=headers, timeout=120
    )
    assert resp.status_code == 200, resp.text
    text = resp.json()["text"].lower()
    assert "quick brown fox" in text and "lazy dog" in text, text


def test_tools_plugin_credentials_check(gw: GatewayCluster) -> None:
    headers = {"authorization": f"Bearer {gw.key}", "accept": "application/json"}
    assert httpx.get(f"{gw.url}/v1/models", headers=headers).status_code == 200


@pytest.mark.parametrize(
    "typed", ["{u}", "{u}/", "{u}/v1", "{u}/v1/", "{u}/v1-openai", "{u}/v1-openai/"]
)
def test_server_url_normalisation_reaches_v1(gw: GatewayCluster, typed: str) -> None:
    base = _normalised_base(typed.format(u=gw.url))
    assert base == f"{gw.url}/v1"
    body = {"model": "llm", "max_tokens": 5, "messages": [{"role": "user", "content": "ping"}]}
    resp = httpx.post(f"{base}/chat/completions", json=body, headers=gw.bearer())
    assert resp.status_code == 200 and resp.json()["object"] == "chat.completion"


def test_older_plugins_on_v1_openai_get_the_same_answers(gw: GatewayCluster) -> None:
    body = {"input": ["ping"], "model": "emb"}
    old = _post_json(gw, "/v1-openai/embeddings", body).json()
    new = _post_json(gw, "/v1/embeddings", body).json()
    assert old["data"][0]["embedding"] == pytest.approx(new["data"][0]["embedding"], abs=1e-6)
    speech = _post_json(
        gw,
        "/v1-openai/audio/speech",
        {"model": "tts", "input": "Test.", "voice": "English Female", "response_format": "mp3"},
    )
    assert speech.status_code == 200 and speech.content


@pytest.mark.slow
def test_text_to_image_answers_b64_png_without_response_format(
    gw: GatewayCluster, tmp_path: Path
) -> None:
    if not all(importlib.util.find_spec(m) for m in ("torch", "diffusers", "transformers")):
        pytest.skip("torch, diffusers and transformers are needed for the image engine")
    from tests.fixtures.tiny_diffusers import write_tiny_stable_diffusion

    gw.deploy("sd", write_tiny_stable_diffusion(tmp_path / "tiny-sd"))
    gw.wait_running(["sd"], timeout=150)
    gw.wait_routed(["sd"])
    # The image tool's body with its defaults, except a size and step count the tiny
    # pipeline paints quickly (both are the user's choice in Dify).
    body = {
        "cfg_scale": 4.5,
        "model": "sd",
        "prompt": "a red apple",
        "n": 1,
        "size": "64x64",
        "sample_method": "euler",
        "sampling_steps": 4,
        "schedule_method": "discrete",
        "guidance": 4.5,
        "seed": None,
        "negative_prompt": "",
    }
    resp = _post_json(gw, "/v1/images/generations", body)
    assert resp.status_code == 200, resp.text
    [item] = resp.json()["data"]
    assert base64.b64decode(item["b64_json"]).startswith(b"\x89PNG\r\n\x1a\n")
