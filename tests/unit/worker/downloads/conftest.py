"""A fake hub on loopback, and a guard that fails any attempt to reach another host."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import huggingface_hub.constants as hf_constants
import pytest

from gpustack.worker.downloads import HubSettings
from tests.fixtures.fake_hub import FakeHub, serve_fake_hub

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(autouse=True)
def only_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    real_getaddrinfo = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in _LOOPBACK:
            raise AssertionError(f"test tried to reach {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    # The library reads these at import; tests may run with HF_HUB_OFFLINE=1 in the environment.
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    # Telemetry headers would look up an agent registry on the real hub.
    monkeypatch.setattr(hf_constants, "HF_HUB_DISABLE_TELEMETRY", True)
    for name in ("HF_ENDPOINT", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with serve_fake_hub() as running:
        yield running


@pytest.fixture
def settings(hub: FakeHub) -> HubSettings:
    return HubSettings(endpoint=hub.url)
