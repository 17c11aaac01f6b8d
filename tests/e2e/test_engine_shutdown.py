"""Stopping the server stops its embedded worker's engines gracefully, helpers included.

Multi-process engines (vLLM's engine core, tokenizer servers) shut their helpers down on
SIGTERM; a SIGKILL of the engine alone leaves them running, holding RAM and GPU memory.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from tests.support.processes import Cluster, wait_model_running, wait_until

# A custom "engine" with one helper process; on SIGTERM it stops the helper, as vLLM does.
_ENGINE = """\
import signal
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

folder = sys.argv[2]
helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
open(f"{folder}/helper.pid", "w").write(str(helper.pid))


def stop(*_):
    open(f"{folder}/got-sigterm", "w").write("1")
    helper.terminate()
    helper.wait()
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def test_sigterm_to_the_server_stops_engines_and_their_helpers(
    gpustack_cluster: Cluster, tmp_path: Path
) -> None:
    script = tmp_path / "engine.py"
    script.write_text(_ENGINE)
    gpustack_cluster.start_server()
    client = gpustack_cluster.client()
    body = {
        "name": "helped",
        "source": "local_path",
        "local_path": str(tmp_path),
        "backend": "custom",
        "backend_command": f"{sys.executable} {script} {{{{port}}}} {tmp_path}",
        "health_path": "/",
        "categories": ["llm"],
    }
    resp = client.post("/v2/models", json=body)
    assert resp.status_code == 201, resp.text
    wait_model_running(client, resp.json()["id"], 60, gpustack_cluster.logs)
    helper = int((tmp_path / "helper.pid").read_text())
    server = gpustack_cluster.server
    assert server is not None and server.proc is not None

    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=30)

    assert (tmp_path / "got-sigterm").exists(), f"the engine was not stopped\n{server.log()}"
    deadline = time.monotonic() + 5
    wait_until(lambda: not _alive(helper), max(0.0, deadline - time.monotonic()), "helper gone")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for every purpose but its table entry.
    return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
