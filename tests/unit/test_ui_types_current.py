"""The UI's generated API types are those of the server's current OpenAPI document."""

from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UI = REPO / "ui"
COMMITTED = UI / "src" / "api" / "schema.gen.ts"
GENERATOR = UI / "node_modules" / ".bin" / "openapi-typescript"
REGENERATE = "cd ui && npm run gen:types"


def generated_types(tmp_path: Path) -> str:
    """Runs the same two steps as `npm run gen:types`, into a temporary file."""
    document = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "export-openapi.py")],
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout
    out = tmp_path / "schema.gen.ts"
    subprocess.run(
        [str(GENERATOR), "-o", str(out)],
        input=document,
        cwd=UI,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out.read_text(encoding="utf-8")


def test_committed_ui_types_match_the_server_openapi(tmp_path: Path) -> None:
    if not GENERATOR.exists():
        pytest.skip("ui/node_modules is not installed (cd ui && npm ci): no openapi-typescript")
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH: openapi-typescript cannot run")
    expected = generated_types(tmp_path)
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    if committed != expected:
        diff = difflib.unified_diff(
            committed.splitlines(),
            expected.splitlines(),
            "committed " + COMMITTED.relative_to(REPO).as_posix(),
            "generated from the server",
            lineterm="",
        )
        excerpt = "\n".join(list(diff)[:60])
        pytest.fail(
            "ui/src/api/schema.gen.ts is out of date with the server's OpenAPI document.\n"
            f"Regenerate it with:  {REGENERATE}\n"
            "(set PYTHON=<an interpreter with gpustack's dependencies> when ./.venv is not one),\n"
            "then run `npm run typecheck` in ui/ and commit the file.\n\n" + excerpt,
            pytrace=False,
        )
