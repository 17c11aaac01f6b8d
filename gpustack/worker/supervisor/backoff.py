"""Delay before restarting a failed engine: doubles per failure, capped, reset by health."""

from __future__ import annotations


class RestartBackoff:
    """Exponential restart delay: `initial`, 2x, 4x ... up to `maximum` seconds.

    `reset()` goes back to `initial`; the supervisor calls it after an engine stayed healthy
    for a while, so one crash days after the last does not wait minutes.
    """

    def __init__(self, initial: float = 5.0, maximum: float = 300.0, factor: float = 2.0) -> None:
        if initial <= 0 or maximum < initial or factor < 1:
            raise ValueError("backoff needs 0 < initial <= maximum and factor >= 1")
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self._next = initial

    def next_delay(self) -> float:
        """The delay to wait now; the following call returns a longer one."""
        delay = self._next
        self._next = min(self._next * self.factor, self.maximum)
        return delay

    def reset(self) -> None:
        self._next = self.initial
