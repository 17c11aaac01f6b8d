"""Route decisions: weights, cool-down, which failure goes on to which target."""

from __future__ import annotations

import random
from collections import Counter

from gpustack.server.gateway.errors import GatewayError, no_instance, upstream_failure
from gpustack.server.gateway.fallback import (
    Planner,
    error_kind,
    is_context_length_error,
    status_kind,
    takes,
)
from gpustack.server.gateway.routes import PlanTarget, RoutePlan, RouteTable
from gpustack.server.gateway.upstream import UpstreamBroken, UpstreamConnectError, UpstreamTimeout

CONNECTION = frozenset({"connection"})


def plan(*weights: int, fallbacks: tuple[PlanTarget, ...] = ()) -> RoutePlan:
    targets = tuple(
        PlanTarget(key=f"model:m{i}", model=f"m{i}", weight=w, on=CONNECTION)
        for i, w in enumerate(weights)
    )
    return RoutePlan(route_id=1, name="public", targets=targets, fallbacks=fallbacks)


def test_targets_share_requests_by_weight() -> None:
    planner = Planner(random.Random(7))
    route = plan(3, 1)
    firsts = Counter(planner.attempts(route, 0.0)[0].model for _ in range(10_000))
    assert 0.72 < firsts["m0"] / 10_000 < 0.78


def test_a_zero_weight_target_gets_no_traffic_but_takes_over_on_connection_failure() -> None:
    planner = Planner(random.Random(1))
    route = plan(1, 0)
    attempts = [planner.attempts(route, 0.0) for _ in range(500)]
    assert all(a[0].model == "m0" for a in attempts)
    assert all([t.model for t in a] == ["m0", "m1"] for a in attempts)


def test_a_target_failing_three_times_cools_down_then_comes_back() -> None:
    planner = Planner(random.Random(3))
    route = plan(1, 1)
    for _ in range(3):
        planner.health.failed(route, "model:m0", 100.0)
    during = {planner.attempts(route, 110.0)[0].model for _ in range(200)}
    assert during == {"m1"}
    # Still a last resort while cooling down.
    assert [t.model for t in planner.attempts(route, 110.0)] == ["m1", "m0"]
    after = {planner.attempts(route, 131.0)[0].model for _ in range(200)}
    assert after == {"m0", "m1"}


def test_a_success_resets_the_failure_count() -> None:
    planner = Planner(random.Random(3))
    route = plan(1, 1)
    planner.health.failed(route, "model:m0", 0.0)
    planner.health.failed(route, "model:m0", 0.0)
    planner.health.succeeded("model:m0")
    planner.health.failed(route, "model:m0", 0.0)
    assert planner.health.available("model:m0", 1.0)


def test_fallbacks_come_after_targets_and_take_only_their_kinds() -> None:
    only_429 = PlanTarget(key="provider:p/x", model="x", weight=0, on=frozenset({"429"}))
    route = plan(1, fallbacks=(only_429,))
    attempts = Planner().attempts(route, 0.0)
    assert [t.key for t in attempts] == ["model:m0", "provider:p/x"]
    assert takes(only_429, "429") and not takes(only_429, "5xx")
    assert not takes(attempts[0], "429")


def test_failures_are_classified_as_the_on_switches_name_them() -> None:
    assert status_kind(429) == "429"
    assert status_kind(503) == "5xx"
    assert status_kind(400) is None and status_kind(200) is None
    assert error_kind(upstream_failure(UpstreamConnectError("refused"), "m")) == "connection"
    assert error_kind(upstream_failure(UpstreamBroken("eof"), "m")) == "connection"
    assert error_kind(no_instance("m")) == "connection"
    assert error_kind(upstream_failure(UpstreamTimeout("slow"), "m")) == "timeout"
    assert error_kind(GatewayError(429, "full", code="queue_full")) == "429"
    assert error_kind(GatewayError(400, "bad")) is None


def test_context_length_errors_are_recognised_in_the_usual_wordings() -> None:
    assert is_context_length_error(b'{"error":{"code":"context_length_exceeded"}}')
    assert is_context_length_error(b"This model's maximum context length is 4096 tokens")
    assert is_context_length_error(b"the request exceeds the available context size")
    assert not is_context_length_error(b'{"error":{"message":"messages must be a list"}}')


def test_a_route_name_resolves_in_the_table_and_a_deployment_wins_a_clash() -> None:
    from gpustack.server.gateway.routes import ModelRoute

    table = RouteTable()
    table.replace_all([ModelRoute(1, "m0")], [plan(1), RoutePlan(2, "m0", plan(1).targets)])
    assert table.plan("public") is not None and table.get("public") is None
    assert table.plan("m0") is None and table.get("m0") is not None
