"""The UI route serves only files inside the build folder, whatever form the path takes.

Requests go over a real socket to uvicorn with the path sent exactly as written (like
`curl --path-as-is`), so the server's own URL decoding is part of what is tested.
"""

from __future__ import annotations

import gzip
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
BIG_SCRIPT = "export const rows = [" + ",".join(f"{{id: {i}}}" for i in range(2000)) + "];"


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    root = tmp_path_factory.mktemp("ui")
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root>app</div>")
    (dist / "assets" / "main-abc123.js").write_text("console.log('ui')")
    (dist / "assets" / "big-def456.js").write_text(BIG_SCRIPT)
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
    status, _, body = raw_exchange(port, target)
    return status, body


def raw_exchange(port: int, target: bytes, *headers: bytes) -> tuple[int, dict[str, str], bytes]:
    """GET `target` byte for byte with extra header lines; the status, headers and body."""
    extra = b"".join(h + b"\r\n" for h in headers)
    request = b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request + b"\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines)
    return int(status_line.split(" ", 2)[1]), {k.lower(): v for k, v in fields.items()}, body


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


def test_hashed_assets_are_cached_for_good_and_sent_compressed(
    ui_server: tuple[int, Path],
) -> None:
    port, _ = ui_server
    status, headers, body = raw_exchange(
        port, b"/assets/big-def456.js", b"Accept-Encoding: gzip, deflate, br"
    )
    assert status == 200
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["content-encoding"] == "gzip"
    assert headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body).decode() == BIG_SCRIPT
    assert len(body) < len(BIG_SCRIPT) / 3
    # A client that does not take gzip gets the file as it is.
    status, headers, body = raw_exchange(port, b"/assets/big-def456.js")
    assert (status, body.decode()) == (200, BIG_SCRIPT)
    assert "content-encoding" not in headers


def test_the_app_page_is_revalidated_not_cached(ui_server: tuple[int, Path]) -> None:
    port, _ = ui_server
    status, headers, body = raw_exchange(port, b"/deployments/3", b"Accept-Encoding: gzip")
    assert (status, headers["cache-control"]) == (200, "no-cache")
    assert b"id=root" in body
