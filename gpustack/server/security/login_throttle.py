"""Login throttling: failed logins per account and per client address, in a sliding window."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# A person who mistypes a password a few times is not slowed down; a guesser gets 5 tries per
# account (20 per address, for spraying many names) every 5 minutes. Constants, not settings:
# nobody has needed other values yet.
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
WINDOW_SECONDS = 300.0
# Entries kept per map (least recently touched dropped first): bounds memory under a flood.
MAX_ENTRIES = 50_000


@dataclass(frozen=True, slots=True)
class Attempt:
    """A login attempt let through: it counts as a failure until `LoginThrottle.succeeded`."""

    username: str
    address: str
    at: float


class _Window:
    """Failure times per key within the window; never more than `limit` per key."""

    def __init__(self, limit: int, window: float, max_entries: int) -> None:
        self._limit = limit
        self._window = window
        self._max_entries = max_entries
        # Keys in order of their latest failure, oldest first.
        self._times: OrderedDict[str, list[float]] = OrderedDict()

    def wait(self, key: str, now: float) -> float:
        """Seconds until `key` may try again; 0 when it may now."""
        self._expire(now)
        times = self._times.get(key, [])
        cutoff = now - self._window
        while times and times[0] <= cutoff:
            times.pop(0)
        return times[0] + self._window - now if len(times) >= self._limit else 0.0

    def add(self, key: str, now: float) -> None:
        times = self._times.get(key)
        if times is None:
            while len(self._times) >= self._max_entries:
                self._times.popitem(last=False)
            times = self._times[key] = []
        else:
            self._times.move_to_end(key)
        times.append(now)

    def discard(self, key: str, at: float) -> None:
        times = self._times.get(key)
        if times is not None and at in times:
            times.remove(at)

    def clear(self, key: str) -> None:
        self._times.pop(key, None)

    def _expire(self, now: float) -> None:
        # Keys come in order of their latest failure: stop at the first still inside the window.
        cutoff = now - self._window
        while self._times:
            times = next(iter(self._times.values()))
            if times and times[-1] > cutoff:
                return
            self._times.popitem(last=False)


class LoginThrottle:
    """Refuses logins for an account or an address with too many recent failures.

    An attempt is counted when it starts (so parallel guesses cannot slip past the limit) and
    uncounted when it succeeds; a success also forgets the account's earlier failures. Unknown
    user names are counted exactly like real ones, so the throttle does not reveal which exist.
    """

    def __init__(
        self,
        account_failures: int = ACCOUNT_FAILURES,
        address_failures: int = ADDRESS_FAILURES,
        window_seconds: float = WINDOW_SECONDS,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self._accounts = _Window(account_failures, window_seconds, max_entries)
        self._addresses = _Window(address_failures, window_seconds, max_entries)

    def begin(self, username: str, address: str) -> Attempt | int:
        """The attempt, counted; or, while throttled, whole seconds to wait (at least 1)."""
        now = self.clock()
        wait = max(self._accounts.wait(username, now), self._addresses.wait(address, now))
        if wait > 0:
            return max(1, math.ceil(wait))
        self._accounts.add(username, now)
        self._addresses.add(address, now)
        return Attempt(username, address, now)

    def succeeded(self, attempt: Attempt) -> None:
        self._accounts.clear(attempt.username)
        self._addresses.discard(attempt.address, attempt.at)
