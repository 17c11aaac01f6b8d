"""Embeddings: base64 on request even when the engine returns only floats."""

from __future__ import annotations

import base64
import struct

import httpx
import openai

from ..conftest import KEY, Harness

AUTH = {"Authorization": f"Bearer {KEY}"}


async def test_base64_is_encoded_from_engine_floats(gw: Harness) -> None:
    body = {"model": "embed", "input": ["a", "b"], "encoding_format": "base64"}
    async with httpx.AsyncClient() as client:
        r = await client.post(gw.v1 + "/embeddings", json=body, headers=AUTH)
    item = r.json()["data"][1]
    assert struct.unpack("<3f", base64.b64decode(item["embedding"])) == (0.5, -0.25, 1.0)
    assert gw.upstream.seen[-1].json["encoding_format"] == "float"  # type: ignore[index]


async def test_sdk_default_base64_round_trips_and_dify_fields_exist(gw: Harness) -> None:
    # The SDK asks for base64 by default and decodes it itself.
    client = openai.AsyncOpenAI(base_url=gw.v1, api_key=KEY)
    answer = await client.embeddings.create(model="embed", input="ping")
    assert answer.data[0].embedding == [0.5, -0.25, 1.0]
    assert answer.usage.total_tokens == 2 and answer.model == "embed"
