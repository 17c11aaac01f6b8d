"""Restart delays."""

from __future__ import annotations

import pytest

from gpustack.worker.supervisor import RestartBackoff


def test_delay_doubles_up_to_the_maximum_and_resets() -> None:
    backoff = RestartBackoff(initial=5, maximum=300)

    delays = [backoff.next_delay() for _ in range(8)]
    backoff.reset()

    assert delays == [5, 10, 20, 40, 80, 160, 300, 300]
    assert backoff.next_delay() == 5


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        RestartBackoff(initial=10, maximum=5)
