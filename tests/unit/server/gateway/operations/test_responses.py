"""OpenAI's Responses API through the gateway, with the `openai` SDK, on a stand-in engine."""

from __future__ import annotations

import httpx
import openai
import pytest
from openai.types.responses import FunctionToolParam, ResponseInputParam

from ..conftest import KEY, LIMITED_KEY, Harness

TOOLS: list[FunctionToolParam] = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        "strict": False,
    }
]


def sdk(gw: Harness, key: str = KEY) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gw.v1, api_key=key, max_retries=0)


async def test_a_response_is_answered_from_the_engines_chat_completion(gw: Harness) -> None:
    reply = await sdk(gw).responses.create(
        model="chat", input="ping", instructions="Be brief.", max_output_tokens=3, temperature=0
    )
    assert reply.object == "response" and reply.id.startswith("resp_") and reply.model == "chat"
    assert reply.output_text == "pong pong pong "
    # The engine stopped at the token limit: Responses calls that incomplete.
    assert reply.status == "incomplete"
    assert reply.incomplete_details is not None
    assert reply.incomplete_details.reason == "max_output_tokens"
    assert reply.instructions == "Be brief." and reply.max_output_tokens == 3
    assert reply.usage is not None
    assert (reply.usage.input_tokens, reply.usage.output_tokens, reply.usage.total_tokens) == (
        7,
        3,
        10,
    )
    seen = gw.upstream.seen[-1]
    assert seen.path == "/v1/chat/completions"
    assert seen.json == {
        "model": "chat",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "ping"},
        ],
        "max_tokens": 3,
        "temperature": 0,
    }
    await gw.sink.arrived.wait()
    record = gw.sink.records[-1]
    assert (record.operation, record.total_tokens) == ("responses", 10)


async def test_a_streamed_response_sends_the_events_the_sdk_expects(gw: Harness) -> None:
    events = [
        e async for e in await sdk(gw).responses.create(model="chat", input="ping", stream=True)
    ]
    assert [e.type for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert [e.delta for e in events if e.type == "response.output_text.delta"] == [
        "tok0 ",
        "tok1 ",
        "tok2 ",
    ]
    done = events[-1]
    assert done.type == "response.completed"
    assert done.response.status == "completed" and done.response.output_text == "tok0 tok1 tok2 "
    assert done.response.usage is not None and done.response.usage.output_tokens == 3
    assert done.response.id == events[0].response.id  # type: ignore[union-attr]

    # The SDK's own stream helper assembles the same answer.
    async with sdk(gw).responses.stream(model="chat", input="ping") as stream:
        final = await stream.get_final_response()
    assert final.output_text == "tok0 tok1 tok2 "


async def test_previous_response_id_continues_the_conversation(gw: Harness) -> None:
    client = sdk(gw)
    first = await client.responses.create(
        model="chat", input="first", instructions="Only for the first.", max_output_tokens=2
    )
    second = await client.responses.create(
        model="chat", input="second", previous_response_id=first.id, max_output_tokens=2
    )
    assert second.previous_response_id == first.id
    sent = gw.upstream.seen[-1].json
    assert sent is not None
    # The previous turn and its answer, not its instructions (as OpenAI does).
    assert sent["messages"] == [
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "pong pong "},
        {"role": "user", "content": "second"},
    ]
    # A streamed answer is kept as well, and chains go on.
    async with client.responses.stream(
        model="chat", input="third", previous_response_id=second.id
    ) as stream:
        third = await stream.get_final_response()
    fourth = await client.responses.create(
        model="chat", input="fourth", previous_response_id=third.id, max_output_tokens=2
    )
    assert fourth.status == "incomplete"
    sent = gw.upstream.seen[-1].json
    assert sent is not None
    assert [m["content"] for m in sent["messages"]] == [
        "first",
        "pong pong ",
        "second",
        "pong pong ",
        "third",
        "tok0 tok1 tok2 ",
        "fourth",
    ]


async def test_kept_responses_belong_to_their_user_and_store_false_keeps_none(
    gw: Harness,
) -> None:
    mine = await sdk(gw).responses.create(model="chat", input="secret", max_output_tokens=2)
    with pytest.raises(openai.BadRequestError) as other_user:
        await sdk(gw, LIMITED_KEY).responses.create(
            model="chat", input="tell me", previous_response_id=mine.id
        )
    assert other_user.value.code == "previous_response_not_found"
    assert other_user.value.param == "previous_response_id"
    unkept = await sdk(gw).responses.create(
        model="chat", input="forget", store=False, max_output_tokens=2
    )
    with pytest.raises(openai.BadRequestError):
        await sdk(gw).responses.create(model="chat", input="x", previous_response_id=unkept.id)


async def test_function_tools_and_their_outputs_round_trip(gw: Harness) -> None:
    gw.upstream.tool_call = ("get_weather", '{"city": "Paris"}')
    client = sdk(gw)
    reply = await client.responses.create(
        model="chat", input="Weather in Paris?", tools=TOOLS, tool_choice="required"
    )
    (call,) = reply.output
    assert call.type == "function_call" and call.name == "get_weather"
    assert call.call_id == "call_1" and call.arguments == '{"city": "Paris"}'
    sent = gw.upstream.seen[-1].json
    assert sent is not None
    assert sent["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The weather in a city.",
                "parameters": TOOLS[0]["parameters"],
                "strict": False,
            },
        }
    ]
    assert sent["tool_choice"] == "required"

    gw.upstream.tool_call = None
    follow_up: ResponseInputParam = [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "type": "function_call",
            "call_id": call.call_id,
            "name": call.name,
            "arguments": call.arguments,
        },
        {"type": "function_call_output", "call_id": call.call_id, "output": "Sunny"},
    ]
    await client.responses.create(model="chat", input=follow_up, tools=TOOLS)
    sent = gw.upstream.seen[-1].json
    assert sent is not None
    assert sent["messages"] == [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny"},
    ]

    # The same through previous_response_id: only the output goes in the new input.
    gw.upstream.tool_call = ("get_weather", '{"city": "Paris"}')
    asked = await client.responses.create(model="chat", input="Weather in Paris?", tools=TOOLS)
    gw.upstream.tool_call = None
    output: ResponseInputParam = [
        {"type": "function_call_output", "call_id": "call_1", "output": "Sunny"}
    ]
    await client.responses.create(
        model="chat", input=output, previous_response_id=asked.id, tools=TOOLS
    )
    assert gw.upstream.seen[-1].json == sent


async def test_a_streamed_function_call_arrives_as_argument_deltas(gw: Harness) -> None:
    gw.upstream.tool_call = ("get_weather", '{"city": "Paris"}')
    async with sdk(gw).responses.stream(
        model="chat", input="Weather in Paris?", tools=TOOLS
    ) as stream:
        kinds = [event.type async for event in stream]
        final = await stream.get_final_response()
    assert kinds.count("response.function_call_arguments.delta") == 2
    assert "response.function_call_arguments.done" in kinds
    (call,) = final.output
    assert call.type == "function_call" and call.arguments == '{"city": "Paris"}'


async def test_images_reach_vision_models_as_image_url_parts(gw: Harness) -> None:
    content: ResponseInputParam = [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "What is this?"},
                {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "low"},
            ],
        }
    ]
    await sdk(gw).responses.create(model="vlm", input=content, max_output_tokens=2)
    sent = gw.upstream.seen[-1].json
    assert sent is not None
    assert sent["messages"][0]["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}},
    ]
    with pytest.raises(openai.BadRequestError):
        await sdk(gw).responses.create(model="chat", input=content)


async def test_what_cannot_be_served_is_a_400_in_the_openai_shape(gw: Harness) -> None:
    async with httpx.AsyncClient() as client:
        r = await client.post(
            gw.v1 + "/responses",
            json={"model": "chat", "input": "hi", "tools": [{"type": "web_search"}]},
            headers={"Authorization": f"Bearer {KEY}"},
        )
    assert r.status_code == 400
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == "tools" and "web_search" in error["message"]
    assert gw.upstream.seen == []
