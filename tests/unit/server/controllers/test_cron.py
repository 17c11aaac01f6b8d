"""Five-field cron expressions of scaling windows: what they match and what they refuse."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from gpustack.schemas.cron import parse_cron
from gpustack.schemas.models import ModelSpec, ScalingWindow


def test_weekday_mornings() -> None:
    cron = parse_cron("0 9 * * 1-5")
    assert cron.matches(datetime(2026, 12, 7, 9, 0))  # Monday
    assert cron.matches(datetime(2026, 12, 11, 9, 0, 30))  # Friday, within the minute
    assert not cron.matches(datetime(2026, 12, 12, 9, 0))  # Saturday
    assert not cron.matches(datetime(2026, 12, 7, 9, 1))


def test_steps_lists_and_sunday_as_seven() -> None:
    cron = parse_cron("*/15 8,20 * * 7")
    assert cron.matches(datetime(2026, 12, 6, 20, 45))  # Sunday
    assert not cron.matches(datetime(2026, 12, 6, 20, 50))


def test_both_day_fields_match_either() -> None:
    cron = parse_cron("0 0 1 * 1")
    assert cron.matches(datetime(2026, 12, 1, 0, 0))  # the 1st, a Tuesday
    assert cron.matches(datetime(2026, 12, 7, 0, 0))  # a Monday


def test_a_window_is_open_for_its_duration_after_firing() -> None:
    cron = parse_cron("0 9 * * 1-5")
    assert cron.fired_within(datetime(2026, 12, 7, 9, 0), 3600)
    assert cron.fired_within(datetime(2026, 12, 7, 9, 59, 59), 3600)
    assert not cron.fired_within(datetime(2026, 12, 7, 10, 0), 3600)
    assert not cron.fired_within(datetime(2026, 12, 7, 8, 59), 3600)


@pytest.mark.parametrize(
    "expression", ["0 9 * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "a * * * *", "5-1 * * * *"]
)
def test_bad_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ValidationError, match="cron"):
        ScalingWindow(cron=expression, duration=60, min_replicas=1)


def test_spec_refuses_inconsistent_scaling() -> None:
    base = {"name": "m", "source": "local_path", "local_path": "/m.gguf"}
    with pytest.raises(ValidationError, match="min_replicas must not exceed"):
        ModelSpec.model_validate(base | {"min_replicas": 3, "max_replicas": 2})
    with pytest.raises(ValidationError, match="idle_timeout needs min_replicas: 0"):
        ModelSpec.model_validate(base | {"idle_timeout": 5})
    with pytest.raises(ValidationError, match="needs max_replicas"):
        ModelSpec.model_validate(base | {"target_outstanding_per_replica": 4})
