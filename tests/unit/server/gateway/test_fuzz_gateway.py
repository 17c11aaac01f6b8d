"""Random request bodies against every gateway API: never a 5xx of our own, never a hang, and
every refusal in the API's own error shape.

The gateway has no OpenAPI document to drive a schema fuzzer, so the cases come from a seeded
generator: JSON of every shape (wrong types, deep nesting, huge numbers, unicode, NUL), bodies
that are not JSON at all, odd content types, and the model names the stand-in engine serves
mixed with unknown ones. The stand-in answers what it is sent, so the gateway's own parsing,
checks, normalisation and relaying are what is under test.
"""

from __future__ import annotations

import json
import random
from typing import Any

import httpx

from gpustack.server.gateway.operations.registry import default_operations

from .conftest import KEY, Harness

CASES_PER_PATH = 60
SEED = 20261202
MODELS = ["chat", "vlm", "embed", "rerank", "whisper", "tts", "sd", "idle", "nope", ""]
# What the gateway says when an engine is missing, broken or slow: clean, documented statuses.
UPSTREAM_STATUSES = {502, 503, 504}
FIELDS = [
    "model", "messages", "prompt", "input", "stream", "stream_options", "max_tokens", "n",
    "tools", "tool_choice", "documents", "query", "top_n", "encoding_format", "voice",
    "response_format", "size", "system", "instructions", "previous_response_id",
    "max_output_tokens", "temperature", "content", "role",
]  # fmt: skip


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(10 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 2**31, 2**63, -(2**64), 10**30])
    if kind == 3:
        return rng.choice([0.5, -1e308, 1e308, float("1e-320")])
    if kind in (4, 5):
        return rng.choice(["", "hi", "\x00", "é" * 50, "x" * 5000, "data:image/png;base64,AAAA"])
    if kind in (6, 7):
        return [_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(FIELDS): _value(rng, depth + 1) for _ in range(rng.randrange(4))}


def _message(rng: random.Random) -> Any:
    if rng.random() < 0.3:
        return _value(rng)
    content: Any = rng.choice(
        ["hello", "", [{"type": "text", "text": "hi"}], [{"type": "image_url"}], _value(rng)]
    )
    return {
        "role": rng.choice(["user", "system", "assistant", "tool", "bogus"]),
        "content": content,
    }


def _body(rng: random.Random) -> tuple[bytes, str]:
    """One request body and its content type."""
    roll = rng.random()
    if roll < 0.08:
        return rng.choice(
            [b"", b"{", b"[]", b"null", b"\xff\xfe", b'{"model": "chat"']
        ), "application/json"
    if roll < 0.12:
        return b"model=chat&input=hi", rng.choice(
            ["application/x-www-form-urlencoded", "text/plain"]
        )
    doc: dict[str, Any] = {}
    if rng.random() < 0.9:
        doc["model"] = rng.choice(MODELS) if rng.random() < 0.85 else _value(rng)
    for _ in range(rng.randrange(6)):
        name = rng.choice(FIELDS)
        if name == "messages":
            doc[name] = [_message(rng) for _ in range(rng.randrange(3))]
        elif name == "stream" and rng.random() < 0.6:
            doc[name] = True
        else:
            doc[name] = _value(rng)
    return json.dumps(doc, allow_nan=False).encode(), "application/json"


def _error_shaped(text: str) -> bool:
    try:
        doc = json.loads(text)
    except ValueError:
        return False
    # OpenAI's {"error": {...}}; Anthropic's {"type": "error", "error": {...}}.
    return isinstance(doc, dict) and isinstance(doc.get("error"), dict)


async def test_random_bodies_never_break_the_gateway(gw: Harness) -> None:
    rng = random.Random(SEED)
    paths = sorted(default_operations())
    wrong: list[str] = []
    statuses: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {KEY}"}
    async with httpx.AsyncClient(timeout=20) as client:
        for path in paths:
            for _ in range(CASES_PER_PATH):
                body, content_type = _body(rng)
                sent = {**headers, "Content-Type": content_type}
                reached = len(gw.upstream.seen)
                resp = await client.post(f"{gw.v1}{path}", content=body, headers=sent)
                statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
                status = resp.status_code
                # An engine that fails on a body may say so (relayed in the API's shape).
                relayed = len(gw.upstream.seen) > reached
                if status >= 500 and status not in UPSTREAM_STATUSES and not relayed:
                    wrong.append(f"{path} {status}: {body[:200]!r} -> {resp.text[:200]}")
                elif status >= 400 and not _error_shaped(resp.text):
                    wrong.append(f"{path} {status} not error-shaped: {resp.text[:200]}")
    print(f"\nfuzzed the gateway: {sum(statuses.values())} cases, {sorted(statuses.items())}")
    assert wrong == [], "\n".join(wrong[:20])
    assert sum(statuses.values()) == len(paths) * CASES_PER_PATH
    # The generator reaches both sides: answers served and requests refused.
    assert any(s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses), statuses
