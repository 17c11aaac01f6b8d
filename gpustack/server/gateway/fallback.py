"""Which target of a model route a request tries, and in what order: weights, cool-down, fallbacks.

The first attempt goes to a target picked by weight among those not cooling down. When it
fails before anything reached the client, the next entry that takes that kind of failure is
tried: the route's other targets take a connection failure (like another instance of one
model would), each fallback takes the kinds in its `on`. A target that failed
`cooldown_failures` times in a row is left out for `cooldown_s`.
"""

from __future__ import annotations

import random

from .errors import GatewayError
from .routes import PlanTarget, RoutePlan

CONNECTION = "connection"
RATE_LIMITED = "429"
SERVER_ERROR = "5xx"
TIMEOUT = "timeout"
CONTEXT_LENGTH = "context_length"

# How engines and hosted APIs word a prompt that does not fit its model's context.
_CONTEXT_MARKERS = (
    b"context_length_exceeded",
    b"maximum context length",
    b"context length",
    b"context window",
    b"exceed_context_size",
    b"exceeds the available context size",
    b"prompt is too long",
    b"too many tokens",
)
# Statuses an engine answers a too-long prompt with.
CONTEXT_STATUSES = frozenset({400, 413, 422})

_GATEWAY_CONNECTION_CODES = frozenset(
    {"no_reachable_instance", "no_running_instance", "upstream_broken"}
)


def status_kind(status: int) -> str | None:
    """The failure an upstream status means (None: an answer to pass on)."""
    if status == 429:
        return RATE_LIMITED
    if status >= 500:
        return SERVER_ERROR
    return None


def error_kind(error: GatewayError) -> str | None:
    """The failure behind a gateway error raised before the answer started (None: final)."""
    if error.code in _GATEWAY_CONNECTION_CODES:
        return CONNECTION
    if error.code == "upstream_timeout":
        return TIMEOUT
    return status_kind(error.status)


def is_context_length_error(body: bytes) -> bool:
    lowered = body[:4096].lower()
    return any(marker in lowered for marker in _CONTEXT_MARKERS)


class TargetHealth:
    """Consecutive failures per target (by `PlanTarget.key`) and the targets cooling down.

    Empty while nothing fails, so the common request pays two dict misses at most.
    """

    __slots__ = ("_failures", "_out_until")

    def __init__(self) -> None:
        self._failures: dict[str, int] = {}
        self._out_until: dict[str, float] = {}

    def available(self, key: str, now: float) -> bool:
        until = self._out_until.get(key)
        if until is None:
            return True
        if now < until:
            return False
        del self._out_until[key]
        return True

    def failed(self, plan: RoutePlan, key: str, now: float) -> None:
        count = self._failures.get(key, 0) + 1
        if count >= plan.cooldown_failures:
            self._failures.pop(key, None)
            self._out_until[key] = now + plan.cooldown_s
        else:
            self._failures[key] = count

    def succeeded(self, key: str) -> None:
        if self._failures:
            self._failures.pop(key, None)

    def cooling(self) -> bool:
        return bool(self._out_until)


class Planner:
    """Orders a route's targets and fallbacks for one request."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.health = TargetHealth()
        self._rng = rng or random.Random()

    def attempts(self, plan: RoutePlan, now: float) -> list[PlanTarget]:
        """The first target (by weight) followed by every other candidate, in try order;
        those cooling down come after the rest of their group."""
        targets = plan.targets
        if not self.health.cooling():
            first = self._pick(targets, plan.total_weight)
            if len(targets) == 1:
                return [first, *plan.fallbacks]
            return [first, *(t for t in targets if t is not first), *plan.fallbacks]
        available = self.health.available
        usable = tuple(t for t in targets if t.weight > 0 and available(t.key, now))
        if usable:
            first = self._pick(usable, sum(t.weight for t in usable))
        else:  # everything is cooling down: weights decide among all
            first = self._pick(targets, plan.total_weight)
        rest = [t for t in targets if t is not first]
        fallbacks = list(plan.fallbacks)
        return [
            first,
            *(t for t in rest if available(t.key, now)),
            *(t for t in fallbacks if available(t.key, now)),
            *(t for t in rest if not available(t.key, now)),
            *(t for t in fallbacks if not available(t.key, now)),
        ]

    def _pick(self, targets: tuple[PlanTarget, ...], total: int) -> PlanTarget:
        if len(targets) == 1 or total <= 0:
            return targets[0]
        point = self._rng.random() * total
        for target in targets:
            point -= target.weight
            if point < 0:
                return target
        return targets[-1]


def takes(target: PlanTarget, kind: str) -> bool:
    """Whether a request that failed with `kind` goes on to `target`."""
    return kind in target.on
