"""Autoscaler (leader): replicas follow the requests outstanding per replica.

A deployment with `max_replicas` and `target_outstanding_per_replica` wants
ceil(outstanding / target) replicas, within min/max and the floor of its open scaling
windows. More than it has, for `up_window_s` on end, scales up; fewer, for `cooldown_s` on
end, scales down. It never asks for more while one of its instances waits for a place:
the scheduler's message on that pending instance says why.

Outstanding requests are those the gateway of this server runs and queues for the model.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from gpustack.schemas.common import utcnow
from gpustack.schemas.cron import parse_cron
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.model_instances import InstanceState, ModelInstance
from gpustack.schemas.models import Model, ModelPublic
from gpustack.server.context import ServerContext

logger = logging.getLogger(__name__)

# Model name → requests running plus waiting for it.
LoadProbe = Callable[[str], int]


def window_floor(windows: Iterable[dict[str, Any]], now: datetime) -> int:
    """The largest `min_replicas` of the windows open at `now` (0 when none is)."""
    floor = 0
    for window in windows:
        try:
            cron = parse_cron(str(window["cron"]))
            if cron.fired_within(now, float(window["duration"])):
                floor = max(floor, int(window["min_replicas"]))
        except (KeyError, TypeError, ValueError):
            continue  # validated on the way in; a hand-edited row must not stop the others
    return floor


@dataclass(slots=True)
class Trend:
    """Since when the wanted count has stayed above or below the current one (monotonic s)."""

    above_since: float | None = None
    below_since: float | None = None


@dataclass(frozen=True, slots=True)
class Bounds:
    low: int
    high: int
    target: float


def decide(
    current: int,
    outstanding: int,
    bounds: Bounds,
    trend: Trend,
    now: float,
    up_window_s: float,
    cooldown_s: float,
    can_grow: bool = True,
) -> int:
    """The replica count to have now; updates `trend`.

    `can_grow` False (an instance is still waiting for a place) holds the count where it is.
    """
    wanted = math.ceil(outstanding / bounds.target) if outstanding > 0 else 0
    wanted = min(max(wanted, bounds.low), bounds.high)
    if current < bounds.low or current > bounds.high:
        trend.above_since = trend.below_since = None
        return min(max(current, bounds.low), bounds.high)  # bounds changed: follow at once
    if wanted > current and can_grow:
        trend.below_since = None
        if trend.above_since is None:
            trend.above_since = now
        if now - trend.above_since >= up_window_s:
            trend.above_since = None
            return wanted
        return current
    if wanted < current:
        trend.above_since = None
        if trend.below_since is None:
            trend.below_since = now
        if now - trend.below_since >= cooldown_s:
            trend.below_since = None
            return wanted
        return current
    trend.above_since = trend.below_since = None
    return current


class Autoscaler:
    """One step per tick over the autoscaled deployments; its trends live as long as it."""

    def __init__(
        self,
        ctx: ServerContext,
        load: LoadProbe,
        clock: Callable[[], float],
        up_window_s: float,
        cooldown_s: float,
    ) -> None:
        self._ctx = ctx
        self._load = load
        self._clock = clock
        self._up_window_s = up_window_s
        self._cooldown_s = cooldown_s
        self._trends: dict[int, Trend] = {}

    async def step(self) -> None:
        async with self._ctx.sessions() as session:
            query = select(Model).where(
                col(Model.max_replicas).is_not(None),
                col(Model.target_outstanding_per_replica).is_not(None),
            )
            models = list((await session.exec(query)).all())
            ids = [m.id for m in models]
            waiting = set(
                (
                    await session.exec(
                        select(ModelInstance.model_id).where(
                            col(ModelInstance.model_id).in_(ids),
                            ModelInstance.state == InstanceState.PENDING.value,
                        )
                    )
                ).all()
            )
            now_wall, now = utcnow(), self._clock()
            changed: list[Model] = []
            for model in models:
                assert model.id is not None and model.max_replicas is not None
                target = model.target_outstanding_per_replica
                assert target is not None
                if model.asleep:
                    self._trends.pop(model.id, None)
                    continue
                low = max(model.min_replicas or 0, window_floor(model.scaling_windows, now_wall))
                if model.min_replicas == 0 and model.idle_timeout is not None:
                    low = max(low, 1)  # awake; sleeping is the idle sleeper's call
                bounds = Bounds(min(low, model.max_replicas), model.max_replicas, target)
                current = (
                    model.autoscaled_replicas
                    if model.autoscaled_replicas is not None
                    else max(bounds.low, min(model.replicas, bounds.high))
                )
                trend = self._trends.setdefault(model.id, Trend())
                count = decide(
                    current,
                    self._load(model.name),
                    bounds,
                    trend,
                    now,
                    self._up_window_s,
                    self._cooldown_s,
                    can_grow=model.id not in waiting,
                )
                if count != model.autoscaled_replicas:
                    logger.info("autoscaling %s: %s → %s replicas", model.name, current, count)
                    model.autoscaled_replicas = count
                    session.add(model)
                    changed.append(model)
            if changed:
                await session.commit()
        for model in changed:
            assert model.id is not None
            self._ctx.publish(
                ResourceKind.MODELS,
                EventType.UPDATED,
                model.id,
                ModelPublic.model_validate(model.model_dump()),
            )
