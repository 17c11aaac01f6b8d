"""A tiny stand-in for an inference engine, so supervisor tests exercise real processes.

Serves HTTP on --port (or $PORT); the health path answers 200 unless told to fail.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "0")))
    parser.add_argument("--health-path", default="/health")
    parser.add_argument("--unhealthy-for", type=float, default=0.0, help="seconds of 503s")
    parser.add_argument("--fail-health-file", type=Path, help="503 while this file exists")
    parser.add_argument("--exit-code", type=int, help="print --say lines, then exit with it")
    parser.add_argument("--exit-once", type=Path, help="exit only if this marker is absent")
    parser.add_argument("--say", action="append", default=[], help="line printed at start")
    parser.add_argument("--print-env", action="append", default=[], help="variable to print")
    parser.add_argument("--ignore-sigterm", action="store_true")
    parser.add_argument("--spawn-child", type=Path, help="spawn a sleeping child, write its pid")
    parser.add_argument("--pid-file", type=Path)
    return parser.parse_args()


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main() -> None:
    args = parse_args()
    if args.ignore_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for name in args.print_env:
        print(f"{name}={os.environ.get(name, '<unset>')}", flush=True)
    for line in args.say:
        print(line, flush=True)
    if args.exit_code is not None:
        if args.exit_once is None or not args.exit_once.exists():
            if args.exit_once is not None:
                args.exit_once.touch()
            sys.exit(args.exit_code)
    if args.spawn_child is not None:
        child = subprocess.Popen(["sleep", "300"])
        write_atomically(args.spawn_child, str(child.pid))
    if args.pid_file is not None:
        write_atomically(args.pid_file, str(os.getpid()))

    healthy_at = time.monotonic() + args.unhealthy_for

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            failing = time.monotonic() < healthy_at or (
                args.fail_health_file is not None and args.fail_health_file.exists()
            )
            if self.path != args.health_path:
                self.send_response(404)
            elif failing:
                self.send_response(503)
            else:
                self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"listening on port {args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
