"""The `rate_counters` table as the gateway's shared counter store (several servers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gpustack.server.gateway.shared_limits import CounterKey

# Rows per statement: well under the drivers' bound-parameter limits.
_BATCH = 500


class DatabaseCounterStore:
    """Adds with one `INSERT .. ON CONFLICT DO UPDATE .. RETURNING` per batch of counters."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, increments: Mapping[CounterKey, int]) -> dict[CounterKey, int]:
        items = list(increments.items())
        totals: dict[CounterKey, int] = {}
        async with self._engine.begin() as conn:
            for start in range(0, len(items), _BATCH):
                batch = items[start : start + _BATCH]
                params: dict[str, Any] = {}
                rows = []
                for i, ((name, window), amount) in enumerate(batch):
                    params |= {f"k{i}": name, f"w{i}": window, f"n{i}": amount}
                    rows.append(f"(:k{i}, :w{i}, :n{i})")
                result = await conn.execute(
                    text(
                        "INSERT INTO rate_counters (key, window_start, count) VALUES "
                        + ", ".join(rows)
                        + " ON CONFLICT (key, window_start) DO UPDATE"
                        " SET count = rate_counters.count + excluded.count"
                        " RETURNING key, window_start, count"
                    ),
                    params,
                )
                for name, window, count in result.all():
                    totals[(str(name), int(window))] = int(count)
        return totals

    async def prune(self, minute: int, day: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                text(
                    "DELETE FROM rate_counters WHERE (window_start < :minute AND "
                    "(key LIKE :rpm OR key LIKE :tpm)) OR (window_start < :day AND "
                    "(key LIKE :rpd OR key LIKE :tpd))"
                ),
                {"minute": minute, "day": day}
                | {kind: f"%:{kind}" for kind in ("rpm", "tpm", "rpd", "tpd")},
            )
