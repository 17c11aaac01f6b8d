#!/usr/bin/env python3
"""Writes the server's OpenAPI document as JSON, built from the app without starting a server.

Usage: export-openapi.py [OUTPUT]   (stdout when OUTPUT is omitted)

The UI's TypeScript types are generated from this document (`cd ui && npm run gen:types`).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def openapi_document() -> dict[str, Any]:
    """The app's OpenAPI document; the lifespan never runs, so no database or worker is touched."""
    # This checkout's package first, whatever version the interpreter has installed.
    sys.path.insert(0, str(REPO_ROOT))
    # Settings from the environment must not change the document.
    for name in [n for n in os.environ if n.upper().startswith("GPUSTACK_")]:
        del os.environ[name]
    from gpustack.config import Config
    from gpustack.server.app import create_app

    with tempfile.TemporaryDirectory(prefix="gpustack-openapi-") as data_dir:
        app = create_app(Config(data_dir=Path(data_dir), disable_worker=True))
        return app.openapi()


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        print(__doc__, file=sys.stderr)
        return 2
    text = json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"
    if argv:
        Path(argv[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
