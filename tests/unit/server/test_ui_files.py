"""The UI route serves only files inside the build folder, whatever form the path takes.

Requests go over a real socket to uvicorn with the path sent exactly as written (like
`curl --path-as-is`), so the server's own URL decoding is part of what is tested.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from gpustack.server.ui import mount_ui
from tests.support.processes import free_port

SECRET = "top-secret-session-key"


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    root = tmp_path_factory.mktemp("ui")
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root>app</div>")
    (dist / "assets" / "main-abc123.js").write_text("console.log('ui')")
    secret = root / "session_secret"
    secret.write_text(SECRET)
    (dist / "escape.txt").symlink_to(secret)
    (dist / "assets" / "outside").symlink_to(root, target_is_directory=True)
    app = FastAPI()
    mount_ui(app, dist)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield port, secret
    server.should_exit = True
    thread.join(timeout=5)


def raw_get(port: int, target: bytes) -> tuple[int, bytes]:
    """GET `target` byte for byte; returns the status and the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def attack_paths(secret: Path) -> list[bytes]:
    absolute = str(secret).encode()
    bare = absolute.lstrip(b"/")
    encoded = bare.replace(b"/", b"%2F")
    depth = b"../" * 12
    return [
        b"/" + absolute,
        b"//" + absolute,
        b"/%2F" + bare,
        b"/%2f" + bare,
        b"/%2F" + encoded,
        b"/" + depth + bare,
        b"/assets/" + depth + bare,
        b"/" + depth.replace(b"..", b"%2e%2e") + bare,
        b"/" + depth.replace(b"/", b"%2F") + bare,
        b"/" + depth.replace(b"/", b"\\") + bare.replace(b"/", b"\\"),
        b"/%5C" + bare.replace(b"/", b"%5C"),
        b"/%00/" + absolute,
        b"/index.html%00" + absolute,
        b"/escape.txt",
        b"/assets/outside/session_secret",
        b"//etc/passwd",
        b"///etc/passwd",
        b"/%2Fetc/passwd",
        b"/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    ]


def test_no_path_form_reads_a_file_outside_the_build(ui_server: tuple[int, Path]) -> None:
    port, secret = ui_server
    leaked = []
    for target in attack_paths(secret):
        status, body = raw_get(port, target)
        if SECRET.encode() in body or b"root:" in body:
            leaked.append((target, status))
        assert status in (200, 400, 404), (target, status)
        if status == 200:
            assert b"id=root" in body, target  # only ever the app's own page
    assert leaked == []


def test_deep_links_get_the_app_and_missing_files_get_404(ui_server: tuple[int, Path]) -> None:
    port, _ = ui_server
    status, body = raw_get(port, b"/deployments/3")
    assert (status, b"id=root" in body) == (200, True)
    assert raw_get(port, b"/assets/main-abc123.js") == (200, b"console.log('ui')")
    assert raw_get(port, b"/assets/missing-999.js")[0] == 404
    assert raw_get(port, b"/favicon-missing.png")[0] == 404


def test_unknown_api_paths_answer_404_in_the_error_shape(ui_server: tuple[int, Path]) -> None:
    port, _ = ui_server
    status, body = raw_get(port, b"/v2/no-such-thing")
    assert status == 404
    assert b'"code":404' in body.replace(b" ", b"")
