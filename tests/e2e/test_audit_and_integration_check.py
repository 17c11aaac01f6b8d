"""Audit log, request log and the integration check on a real server with real engines."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.gateway_support import GatewayCluster, gateway_cluster
from tests.fixtures.builtin_models import piper_voice_dir, whisper_tiny_en_dir
from tests.fixtures.models import MissingTestModelError
from tests.support.processes import wait_until

RUNNING = ["llm", "emb", "rerank", "tts", "stt", "custom"]

# A stand-in engine that serves chat completions but refuses `stream_options`.
_STRICT_ENGINE = """\
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def _answer(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._answer(200, {"object": "list", "data": []})

    def do_POST(self):
        doc = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        if "stream_options" in doc:
            error = {"message": "Unrecognized request argument: stream_options", "type": "x"}
            return self._answer(400, {"error": error})
        message = {"role": "assistant", "content": "hi"}
        usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        self._answer(200, {"object": "chat.completion", "choices": [
            {"index": 0, "message": message, "finish_reason": "stop"}], "usage": usage})

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


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
    tmp = tmp_path_factory.mktemp("audit")
    script = tmp / "strict_engine.py"
    script.write_text(_STRICT_ENGINE)
    with gateway_cluster(tmp) as gw:
        gw.deploy("llm", tiny_llama_gguf, request_log={"enabled": True})
        gw.deploy("emb", minilm_embedding_gguf)
        gw.deploy("rerank", minilm_reranker_gguf)
        gw.deploy("tts", voice)
        gw.deploy("stt", whisper)
        gw.deploy(
            "custom",
            tmp,
            backend="custom",
            backend_command=f"{sys.executable} {script} {{{{port}}}}",
            categories=["llm"],
        )
        gw.wait_running(RUNNING, timeout=300)
        gw.wait_routed(RUNNING)
        yield gw


def _audit(gw: GatewayCluster, **params: object) -> list[dict[str, Any]]:
    resp = gw.admin.get("/v2/audit-logs", params={"perPage": 1000, **params})
    assert resp.status_code == 200, resp.text
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


def test_writes_to_users_keys_and_models_are_audited_without_secrets(
    gw: GatewayCluster, tiny_llama_gguf: Path
) -> None:
    admin = gw.admin
    user = admin.post("/v2/users", json={"username": "eve", "password": "eve-pass-123"}).json()
    admin.put(f"/v2/users/{user['id']}", json={"password": "eve-pass-456"})
    key = admin.post("/v2/api-keys", json={"name": "audited"}).json()
    admin.put(f"/v2/api-keys/{key['id']}", json={"description": "changed"})
    admin.delete(f"/v2/api-keys/{key['id']}")
    model_id = gw.deploy("scratch", tiny_llama_gguf, replicas=0, env={"HF_TOKEN": "hf_sekrit"})
    admin.put(f"/v2/models/{model_id}", json={"description": "scratch model"})
    admin.delete(f"/v2/models/{model_id}")
    admin.delete(f"/v2/users/{user['id']}")

    for kind, ident in (("users", user["id"]), ("api-keys", key["id"]), ("models", model_id)):
        rows = _audit(gw, resource_kind=kind, resource_id=ident)
        assert [r["action"] for r in rows] == ["delete", "update", "create"], (kind, rows)
        assert all(r["actor_name"] == "admin" and r["client_ip"] for r in rows)
    model_update = _audit(gw, resource_kind="models", resource_id=model_id)[1]
    assert model_update["changes"]["description"] == {"before": "", "after": "scratch model"}
    everything = json.dumps(_audit(gw))
    for secret in ("eve-pass-123", "eve-pass-456", key["value"], "hf_sekrit", gw.key):
        assert secret not in everything


def test_a_user_may_not_read_the_logs(gw: GatewayCluster) -> None:
    gw.admin.post("/v2/users", json={"username": "mallory", "password": "mallory-pass-1"})
    with httpx.Client(base_url=gw.url) as mallory:
        login = {"username": "mallory", "password": "mallory-pass-1"}
        assert mallory.post("/auth/login", data=login).status_code == 200
        for path in ("/v2/audit-logs", "/v2/request-logs"):
            resp = mallory.get(path)
            assert resp.status_code == 403 and resp.json()["code"] == 403


def test_the_request_log_keeps_only_the_deployment_that_asked(gw: GatewayCluster) -> None:
    chat = {"model": "llm", "max_tokens": 4, "messages": [{"role": "user", "content": "logme"}]}
    assert (
        httpx.post(
            f"{gw.url}/v1/chat/completions", json=chat, headers=gw.bearer(), timeout=120
        ).status_code
        == 200
    )
    stream = {**chat, "stream": True}
    assert (
        httpx.post(
            f"{gw.url}/v1/chat/completions", json=stream, headers=gw.bearer(), timeout=120
        ).status_code
        == 200
    )
    emb = {"model": "emb", "input": ["not logged"]}
    assert (
        httpx.post(
            f"{gw.url}/v1/embeddings", json=emb, headers=gw.bearer(), timeout=120
        ).status_code
        == 200
    )

    def logged() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = gw.admin.get(
            "/v2/request-logs", params={"model": "llm"}
        ).json()["items"]
        return items

    wait_until(lambda: len(logged()) >= 2, 15, "two request log rows for llm")
    rows = logged()
    assert all("logme" in r["request_body"] for r in rows)
    whole = next(r for r in rows if not r["stream"])
    streamed = next(r for r in rows if r["stream"])
    answer = json.loads(whole["response_body"])["choices"][0]["message"]["content"]
    assert answer and streamed["response_body"] and "data:" not in streamed["response_body"]
    time.sleep(1.5)  # past a flush of the writer
    assert gw.admin.get("/v2/request-logs", params={"model": "emb"}).json()["items"] == []


@pytest.mark.parametrize("name", ["llm", "emb", "rerank", "tts", "stt"])
def test_the_integration_check_passes_on_working_deployments(gw: GatewayCluster, name: str) -> None:
    resp = gw.admin.post(f"/v2/models/{gw.model_ids[name]}/integration-check", timeout=600)
    assert resp.status_code == 200, resp.text
    report = resp.json()
    failed = [r for r in report["results"] if not r["passed"]]
    assert report["passed"] and not failed, failed
    assert {r["client"] for r in report["results"]} >= {"Dify", "Open WebUI"}
    # The temporary key is gone.
    keys = gw.admin.get("/v2/api-keys").json()["items"]
    assert not [k for k in keys if k["name"].startswith("integration-check")]


def test_the_integration_check_explains_a_refused_stream_options(gw: GatewayCluster) -> None:
    resp = gw.admin.post(f"/v2/models/{gw.model_ids['custom']}/integration-check", timeout=600)
    report = resp.json()
    assert resp.status_code == 200 and report["passed"] is False
    dify_stream = next(
        r for r in report["results"] if r["client"] == "Dify" and r["call"] == "chat stream"
    )
    assert not dify_stream["passed"] and dify_stream["status_code"] == 400
    assert "`stream_options`" in dify_stream["hint"] and "rejected" in dify_stream["hint"]
    plain = next(r for r in report["results"] if r["call"] == "chat.completions.create")
    assert plain["passed"], plain
