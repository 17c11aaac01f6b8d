"""The autoscaler's decision: up after the window, down after the cool-down, within bounds."""

from __future__ import annotations

from datetime import datetime

from gpustack.schemas.models import Model
from gpustack.server.controllers.autoscaler import Bounds, Trend, decide
from gpustack.server.controllers.replicas import target_replicas

BOUNDS = Bounds(low=1, high=4, target=2.0)


def _step(current: int, outstanding: int, trend: Trend, now: float, can_grow: bool = True) -> int:
    return decide(current, outstanding, BOUNDS, trend, now, 10.0, 60.0, can_grow)


def test_scales_up_only_once_demand_has_lasted_the_window() -> None:
    trend = Trend()
    assert _step(1, 6, trend, now=0.0) == 1  # 6 outstanding / 2 per replica: wants 3
    assert _step(1, 6, trend, now=9.0) == 1
    assert _step(1, 6, trend, now=10.0) == 3


def test_a_dip_restarts_the_window() -> None:
    trend = Trend()
    _step(1, 6, trend, now=0.0)
    assert _step(1, 2, trend, now=5.0) == 1  # back on target
    assert _step(1, 6, trend, now=12.0) == 1
    assert _step(1, 6, trend, now=22.0) == 3


def test_scales_down_after_the_cool_down_never_below_min() -> None:
    trend = Trend()
    assert _step(3, 0, trend, now=0.0) == 3
    assert _step(3, 0, trend, now=59.0) == 3
    assert _step(3, 0, trend, now=60.0) == 1


def test_never_past_max() -> None:
    trend = Trend()
    _step(2, 100, trend, now=0.0)
    assert _step(2, 100, trend, now=10.0) == 4


def test_holds_while_an_instance_waits_for_a_place() -> None:
    trend = Trend()
    _step(2, 8, trend, now=0.0, can_grow=False)
    assert _step(2, 8, trend, now=30.0, can_grow=False) == 2


def test_changed_bounds_apply_at_once() -> None:
    assert _step(6, 0, Trend(), now=0.0) == 4
    assert _step(0, 0, Trend(), now=0.0) == 1


def _model(**fields: object) -> Model:
    return Model(name="m", source="local_path", local_path="/m.gguf", **fields)


NOON_MONDAY = datetime(2026, 12, 7, 12, 0)


def test_fixed_deployments_keep_their_replicas() -> None:
    assert target_replicas(_model(replicas=3), NOON_MONDAY) == 3
    assert target_replicas(_model(replicas=0), NOON_MONDAY) == 0


def test_autoscaled_count_is_clamped_to_min_and_max() -> None:
    model = _model(min_replicas=2, max_replicas=5, target_outstanding_per_replica=4.0)
    assert target_replicas(model, NOON_MONDAY) == 2  # nothing decided yet: replicas 1, min 2
    model.autoscaled_replicas = 9
    assert target_replicas(model, NOON_MONDAY) == 5


def test_a_sleeping_deployment_has_none_and_an_awake_one_at_least_one() -> None:
    model = _model(replicas=0, min_replicas=0, idle_timeout=60.0)
    assert target_replicas(model, NOON_MONDAY) == 1
    model.asleep = True
    assert target_replicas(model, NOON_MONDAY) == 0


def test_an_open_window_raises_the_floor() -> None:
    window = {"cron": "0 9 * * 1-5", "duration": 8 * 3600, "min_replicas": 3}
    model = _model(max_replicas=4, target_outstanding_per_replica=1.0, scaling_windows=[window])
    assert target_replicas(model, NOON_MONDAY) == 3
    assert target_replicas(model, datetime(2026, 12, 7, 18, 0)) == 1  # closed at 17:00
    assert target_replicas(model, datetime(2026, 12, 6, 12, 0)) == 1  # Sunday
