"""Five-field cron expressions (minute hour day-of-month month day-of-week), evaluated in UTC.

A small parser instead of a dependency: scaling windows need only "did this fire at that
minute". Fields take `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, and lists `a,b`;
day-of-week runs 0-7 with 0 and 7 both Sunday. As in cron, when both day fields are
restricted a day matches either of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator

# (low, high) of each field.
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_NAMES = ("minute", "hour", "day of month", "month", "day of week")


@dataclass(frozen=True, slots=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    days_restricted: bool
    weekdays_restricted: bool

    def matches(self, when: datetime) -> bool:
        """Whether it fires at the minute `when` falls in."""
        if when.minute not in self.minutes or when.hour not in self.hours:
            return False
        if when.month not in self.months:
            return False
        day = when.day in self.days
        weekday = (when.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return day or weekday
        return day and weekday

    def fired_within(self, now: datetime, seconds: float) -> bool:
        """Whether it fired at a minute M with M <= now < M + seconds (its window is open)."""
        minute = now.replace(second=0, microsecond=0)
        earliest = now - timedelta(seconds=seconds)
        while minute > earliest:
            if self.matches(minute):
                return True
            minute -= timedelta(minutes=1)
        return False


def parse_cron(text: str) -> Cron:
    """The expression parsed; ValueError naming the bad field otherwise."""
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(
            f"a cron expression has 5 fields (minute hour day month weekday): {text!r}"
        )
    sets = [
        _parse_field(f, lo, hi, name)
        for f, (lo, hi), name in zip(fields, _BOUNDS, _NAMES, strict=True)
    ]
    weekdays = frozenset(d % 7 for d in sets[4])
    return Cron(sets[0], sets[1], sets[2], sets[3], weekdays, fields[2] != "*", fields[4] != "*")


def _parse_field(text: str, low: int, high: int, name: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        body, _, step_text = part.partition("/")
        step = _number(step_text, name) if step_text else 1
        if step < 1:
            raise ValueError(f"cron {name}: a step must be at least 1, got {part!r}")
        if body == "*":
            start, end = low, high
        elif "-" in body:
            first, _, last = body.partition("-")
            start, end = _number(first, name), _number(last, name)
        else:
            start = end = _number(body, name)
            if step_text:
                end = high
        if not low <= start <= end <= high:
            raise ValueError(f"cron {name}: {part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _number(text: str, name: str) -> int:
    if not text.isdigit():
        raise ValueError(f"cron {name}: {text!r} is not a number")
    return int(text)


def _check(text: str) -> str:
    parse_cron(text)
    return text


CronExpression = Annotated[str, AfterValidator(_check)]
