"""The Python snippets of docs/integrations/openai-api.md run against the gateway."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from pathlib import Path

from .conftest import Harness

DOC = Path(__file__).resolve().parents[4] / "docs" / "integrations" / "openai-api.md"


async def test_openai_sdk_snippets_run(gw: Harness) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert blocks
    source = "\n".join(blocks).replace("http://localhost/v1", gw.v1)
    out = io.StringIO()

    def run() -> None:
        with contextlib.redirect_stdout(out):
            exec(compile(source, str(DOC), "exec"), {})

    # The SDK client is synchronous: run it beside the event loop serving the gateway.
    await asyncio.to_thread(run)
    lines = out.getvalue().splitlines()
    assert lines[0] == "pong pong pong pong pong  12"
    assert "tokens: 10" in lines
    assert lines[-1] == "2 4"
