"""Fixtures for the inventory tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fixtures.nvml_snapshots import RecordedNvml, load_snapshot


@pytest.fixture
def recorded_nvml() -> Callable[[str], RecordedNvml]:
    return lambda name: RecordedNvml(load_snapshot(name))
