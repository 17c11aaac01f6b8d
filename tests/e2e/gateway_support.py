"""Shared pieces of the gateway's end-to-end tests: one server (with its embedded worker) per
test module, several deployments started together, API keys, and a few request helpers."""

from __future__ import annotations

import base64
import io
import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openai
from PIL import Image

from tests.support.processes import Cluster, cluster, free_port_range, wait_until

# A stand-in "engine" for the custom backend: healthy on GET, silent forever on POST.
_SILENT_ENGINE = """\
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"object": "list", "data": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(3600)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


@dataclass
class GatewayCluster:
    """A running server with deployments by name; `key` is a full-scope API key."""

    cluster: Cluster
    admin: httpx.Client
    key: str = ""
    model_ids: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.cluster.url

    def deploy(self, name: str, path: Path, **extra: object) -> int:
        body = {"name": name, "source": "local_path", "local_path": str(path), **extra}
        resp = self.admin.post("/v2/models", json=body)
        assert resp.status_code == 201, resp.text
        model_id: int = resp.json()["id"]
        self.model_ids[name] = model_id
        return model_id

    def wait_running(self, names: list[str], timeout: float = 120) -> None:
        def all_running() -> bool:
            items = self.admin.get("/v2/models", params={"perPage": 100}).json()["items"]
            states = {m["name"]: m for m in items}
            bad = [n for n in names if states[n]["state"] == "error"]
            assert not bad, f"deployments failed: {[states[n] for n in bad]}\n{self.logs()}"
            return all(states[n]["state"] == "running" for n in names)

        wait_until(all_running, timeout, f"{names} running\n{self.logs()}", interval=0.3)

    def wait_routed(self, names: list[str], timeout: float = 20) -> None:
        """Until the gateway lists them (its route table follows the instances' states)."""

        def listed() -> bool:
            resp = httpx.get(f"{self.url}/v1/models", headers=self.bearer(), timeout=5)
            return {m["id"] for m in resp.json()["data"]} >= set(names)

        wait_until(listed, timeout, f"{names} listed by /v1/models")

    def create_key(self, name: str, **fields: object) -> str:
        resp = self.admin.post("/v2/api-keys", json={"name": name, **fields})
        assert resp.status_code == 201, resp.text
        value: str = resp.json()["value"]
        return value

    def bearer(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}

    def sdk(self, prefix: str = "/v1", key: str | None = None) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url + prefix, api_key=key or self.key, max_retries=0)

    def logs(self) -> str:
        return self.cluster.logs()


@contextmanager
def gateway_cluster(
    tmp: Path, env: Mapping[str, str] | None = None, ports: int = 16
) -> Iterator[GatewayCluster]:
    """Start a server with its embedded worker; the caller deploys and waits."""
    with cluster(tmp) as running:
        running.env.update(env or {})
        running.start_server("--service-port-range", free_port_range(ports))
        admin = running.client()
        running.wait_worker_ready(admin, ["local"])
        gateway = GatewayCluster(running, admin)
        gateway.key = gateway.create_key("e2e-gateway")
        try:
            yield gateway
        finally:
            admin.close()


def silent_engine_command(folder: Path) -> str:
    """A custom backend command whose server never answers a POST."""
    script = folder / "silent_engine.py"
    script.write_text(_SILENT_ENGINE)
    return f"{sys.executable} {script} {{{{port}}}}"


def png_data_uri(size: int = 32) -> str:
    image = Image.new("RGB", (size, size))
    for x in range(size):
        for y in range(size):
            image.putpixel((x, y), (x * 8 % 256, y * 8 % 256, 128))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def dify_sse_events(body: str) -> list[dict[str, Any]]:
    """Parse an SSE body the way Dify's plugin does; fail where the plugin would stop reading."""
    events: list[dict[str, Any]] = []
    for piece in body.split("\n\n"):
        piece = piece.strip()
        if not piece or piece.startswith(":"):
            continue
        if piece.startswith("data:"):
            piece = piece[len("data:") :].strip()
        if piece == "[DONE]":
            continue
        event = json.loads(piece)  # anything but one JSON object ends Dify's answer
        assert isinstance(event, dict), piece
        assert "choices" in event or "error" in event, event
        events.append(event)
    return events


def openai_error(resp: httpx.Response, status: int) -> dict[str, Any]:
    """Assert the status and the OpenAI error shape; return the `error` object."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    error = resp.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)


# A stand-in engine for the custom backend: healthy on GET, a short chat answer on POST.
_ECHO_ENGINE = """\
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def _send(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._send({"object": "list", "data": []})

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send({
            "id": "c1", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "ok"}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def echo_engine(folder: Path) -> dict[str, object]:
    """The deployment fields of a custom backend that answers every chat at once."""
    script = folder / "echo_engine.py"
    script.write_text(_ECHO_ENGINE)
    return {
        "backend": "custom",
        "backend_command": f"{sys.executable} {script} {{{{port}}}}",
        "health_path": "/health",
        "categories": ["llm"],
    }
