"""`time_from` / `time_to` query filters on a timestamp column stored as naive UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement


def naive_utc(value: datetime) -> datetime:
    """A given zone is converted; a naive time is taken as UTC already."""
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


def time_range(
    column: Any, time_from: datetime | None, time_to: datetime | None
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if time_from is not None:
        clauses.append(column >= naive_utc(time_from))
    if time_to is not None:
        clauses.append(column < naive_utc(time_to))
    return clauses
