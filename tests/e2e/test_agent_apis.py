"""Agents' APIs through the official SDKs: Anthropic Messages and OpenAI Responses, served by
a real llama.cpp chat model (SmolLM2) and a tiny vision model behind a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anthropic
import pytest

from tests.e2e.gateway_support import GatewayCluster, gateway_cluster, png_data_uri

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "The current weather in a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.fixture(scope="module")
def gw(
    tmp_path_factory: pytest.TempPathFactory, smollm2_gguf: Path, tiny_vision_model_dir: Path
) -> Iterator[GatewayCluster]:
    with gateway_cluster(tmp_path_factory.mktemp("agent-apis")) as gw:
        gw.deploy("chat", smollm2_gguf)
        gw.deploy("vision", tiny_vision_model_dir)
        gw.wait_running(["chat", "vision"])
        gw.wait_routed(["chat", "vision"])
        yield gw


def claude(gw: GatewayCluster) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key=gw.key, max_retries=0)


def test_anthropic_messages_create_answers_with_usage(gw: GatewayCluster) -> None:
    message = claude(gw).messages.create(
        model="chat",
        max_tokens=24,
        system="Answer in one word.",
        # This SDK release no longer takes temperature as an argument; greedy sampling
        # keeps the one-word answer stable.
        extra_body={"temperature": 0},
        messages=[{"role": "user", "content": "What is the capital of France?"}],
    )
    assert message.role == "assistant" and message.model == "chat"
    text = "".join(b.text for b in message.content if b.type == "text")
    assert "Paris" in text
    assert message.stop_reason in ("end_turn", "max_tokens")
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0


def test_anthropic_stream_sends_text_deltas_and_a_final_usage(gw: GatewayCluster) -> None:
    deltas = []
    with claude(gw).messages.stream(
        model="chat",
        max_tokens=16,
        messages=[{"role": "user", "content": "Count: one, two,"}],
    ) as stream:
        for text in stream.text_stream:
            deltas.append(text)
        final = stream.get_final_message()
    assert len(deltas) > 1
    assert "".join(deltas) == "".join(b.text for b in final.content if b.type == "text")
    assert final.usage.output_tokens > 0


def test_anthropic_tool_round_trip_is_accepted(gw: GatewayCluster) -> None:
    messages: list[anthropic.types.MessageParam] = [
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "get_weather",
                    "input": {"city": "Paris"},
                }
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "Sunny, 21 C"}
            ],
        },
    ]
    message = claude(gw).messages.create(
        model="chat", max_tokens=32, tools=[WEATHER_TOOL], messages=messages
    )
    assert message.stop_reason in ("end_turn", "max_tokens", "tool_use")
    assert message.content and all(b.type in ("text", "tool_use") for b in message.content)


def test_anthropic_image_reaches_a_vision_model(gw: GatewayCluster) -> None:
    data = png_data_uri().split(",", 1)[1]
    message = claude(gw).messages.create(
        model="vision",
        max_tokens=8,
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": data},
                    },
                    {"type": "text", "text": "Describe the image."},
                ],
            }
        ],
    )
    assert message.usage.input_tokens > 0


def test_anthropic_errors_have_anthropics_shape(gw: GatewayCluster) -> None:
    with pytest.raises(anthropic.NotFoundError) as missing:
        claude(gw).messages.create(
            model="no-such-model", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        )
    assert missing.value.body["type"] == "error"  # type: ignore[index]
    bad_key = anthropic.Anthropic(base_url=gw.url, api_key="gpustack_bad", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        bad_key.messages.create(
            model="chat", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        )


def test_anthropic_count_tokens(gw: GatewayCluster) -> None:
    counted = claude(gw).messages.count_tokens(
        model="chat", messages=[{"role": "user", "content": "What is the capital of France?"}]
    )
    assert counted.input_tokens > 0


def test_openai_responses_create_and_follow_up(gw: GatewayCluster) -> None:
    sdk = gw.sdk("/v1")
    first = sdk.responses.create(
        model="chat",
        instructions="Answer in one word.",
        input="What is the capital of France?",
        max_output_tokens=24,
        temperature=0,
    )
    assert first.status == "completed"
    assert "Paris" in first.output_text
    assert first.usage is not None and first.usage.output_tokens > 0
    follow = sdk.responses.create(
        model="chat",
        previous_response_id=first.id,
        input="And of Germany?",
        max_output_tokens=24,
    )
    assert follow.status == "completed" and follow.output_text
    # The first turn travelled with the follow-up: the prompt grew.
    assert follow.usage is not None and follow.usage.input_tokens > first.usage.input_tokens


def test_openai_responses_stream_events(gw: GatewayCluster) -> None:
    sdk = gw.sdk("/v1-openai")
    kinds = []
    text = []
    final = None
    stream = sdk.responses.create(
        model="chat", input="Say hello.", max_output_tokens=16, stream=True
    )
    for event in stream:
        kinds.append(event.type)
        if event.type == "response.output_text.delta":
            text.append(event.delta)
        if event.type in ("response.completed", "response.incomplete"):
            final = event.response
    assert kinds[0] == "response.created"
    # At the token limit the stream ends `incomplete`, as OpenAI's does.
    assert kinds[-1] in ("response.completed", "response.incomplete")
    assert "response.output_text.delta" in kinds and final is not None
    assert "".join(text) == final.output_text
    assert final.usage is not None and final.usage.output_tokens > 0
