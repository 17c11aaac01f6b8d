"""Engine versions end to end: an administrator adds a vLLM version as a pip requirement, a
deployment pins it, the worker installs it into its data dir on first use (the instance
shows `installing` with pip's progress) and a second deployment on that version reuses the
install. The "vLLM" is a stand-in wheel built here (tests/fixtures/standin_engine_wheel.py),
installed with `pip --no-index --find-links`, so nothing leaves the machine.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.gateway_support import GatewayCluster, gateway_cluster
from tests.fixtures.standin_engine_wheel import REPLY, write_standin_vllm_wheel
from tests.support.processes import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

VERSION = "0.1.0"
# A venv and a pip install on two shared cores.
INSTALL_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayCluster]:
    tmp = tmp_path_factory.mktemp("engine-versions")
    env = {"GPUSTACK_STATUS_INTERVAL": "1", "GPUSTACK_VLLM_EXECUTABLE": ""}
    with gateway_cluster(tmp, env=env) as gw:
        yield gw


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.fixtures.tiny_hf_llm import write_tiny_qwen2_chat

    return write_tiny_qwen2_chat(tmp_path_factory.mktemp("hf") / "tiny-qwen2")


def _instance(gw: GatewayCluster, name: str) -> dict[str, object] | None:
    items = gw.admin.get(f"/v2/models/{gw.model_ids[name]}/instances").json()["items"]
    return items[0] if items else None


def test_a_pinned_pip_version_is_installed_once_and_served(
    gw: GatewayCluster, tiny_model: Path, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    write_standin_vllm_wheel(wheels, VERSION)
    added = gw.admin.post(
        "/v2/inference-backends/vllm/versions",
        json={
            "version": VERSION,
            "pip_spec": f"standin-vllm=={VERSION}",
            "pip_args": ["--no-index", "--find-links", str(wheels)],
        },
    )
    assert added.status_code == 201, added.text
    again = gw.admin.post(
        "/v2/inference-backends/vllm/versions", json={"version": VERSION, "executable": "/x"}
    )
    assert again.status_code == 409 and again.json()["code"] == 409

    names = ["standin-a", "standin-b"]
    for name in names:
        gw.deploy(name, tiny_model, backend="vllm", backend_version=VERSION, categories=["llm"])
    seen: dict[str, set[str]] = {name: set() for name in names}
    messages: list[str] = []

    def both_running() -> bool:
        for name in names:
            instance = _instance(gw, name)
            if instance is None:
                continue
            assert instance["state"] != "error", f"{instance}\n{gw.logs()}"
            seen[name].add(str(instance["state"]))
            if instance["state"] == "installing":
                messages.append(str(instance["state_message"]))
        return all("running" in s for s in seen.values())

    started = time.monotonic()
    wait_until(both_running, INSTALL_TIMEOUT_S, f"both running\n{gw.logs()}", interval=0.2)
    print(f"installed and running after {time.monotonic() - started:.0f} s")

    assert any("installing" in s for s in seen.values()), seen
    assert any(m.startswith(f"installing standin-vllm=={VERSION} (") for m in messages), messages
    # One install for both deployments: the second waited for it or found it done.
    assert gw.logs().count(f"installed vllm {VERSION} (standin-vllm=={VERSION})") == 1

    gw.wait_routed(names)
    for name in names:
        reply = gw.sdk().chat.completions.create(
            model=name, messages=[{"role": "user", "content": "hi"}], max_tokens=4
        )
        assert reply.choices[0].message.content == REPLY

    def listed() -> bool:
        backends = gw.admin.get("/v2/inference-backends").json()["items"]
        [vllm] = [b for b in backends if b["name"] == "vllm"]
        [version] = [v for v in vllm["versions"] if v["version"] == VERSION]
        assert version["added"]["pip_spec"] == f"standin-vllm=={VERSION}"
        return [w["worker_name"] for w in version["installed_on"]] == ["local"]

    wait_until(listed, 30, "the worker reports its install")
    # Free the worker's memory for the next test.
    for name in names:
        assert gw.admin.delete(f"/v2/models/{gw.model_ids[name]}").status_code == 204


def test_an_executable_version_that_is_missing_is_named(
    gw: GatewayCluster, tiny_model: Path
) -> None:
    added = gw.admin.post(
        "/v2/inference-backends/vllm/versions",
        json={"version": "9.9.9", "executable": "/nonexistent/bin/vllm"},
    )
    assert added.status_code == 201, added.text
    gw.deploy(
        "missing-exe", tiny_model, backend="vllm", backend_version="9.9.9", categories=["llm"]
    )

    def failed() -> bool:
        instance = _instance(gw, "missing-exe")
        return instance is not None and instance["state"] == "error"

    wait_until(failed, 120, f"the instance in error: {_instance(gw, 'missing-exe')}")
    message = str((_instance(gw, "missing-exe") or {})["state_message"])
    assert "/nonexistent/bin/vllm does not exist on worker local" in message, message
    removed = gw.admin.delete("/v2/inference-backends/vllm/versions/9.9.9")
    assert removed.status_code == 204
    assert gw.admin.delete("/v2/inference-backends/vllm/versions/9.9.9").status_code == 404
