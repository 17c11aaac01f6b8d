"""Idle sleeper (leader): a deployment that may sleep does so after `idle_timeout` unused.

A deployment may sleep when it sets `min_replicas: 0` and `idle_timeout`. Idle means no
request since the later of `last_request_at` (flushed by every server's gateway, also while
requests of it are still running) and the last change of the deployment (it becoming ready
included); only a deployment that serves can be idle. Sleeping sets `asleep`: the replica
controller then drains and stops every instance, which releases their claims; the gateway's
first request wakes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlmodel import col, select

from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.models import Model, ModelPublic, ModelState
from gpustack.server.context import ServerContext

logger = logging.getLogger(__name__)


async def put_idle_to_sleep(ctx: ServerContext, load: Callable[[str], int]) -> list[int]:
    """Mark the deployments idle for longer than their timeout asleep; their ids."""
    now = utcnow()
    async with ctx.sessions() as session:
        query = select(Model).where(
            Model.min_replicas == 0,
            col(Model.idle_timeout).is_not(None),
            col(Model.asleep).is_(False),
            # Only one that serves: a slow start must not count as idle time.
            col(Model.state).in_([ModelState.RUNNING.value, ModelState.PARTIAL.value]),
        )
        slept: list[Model] = []
        for model in (await session.exec(query)).all():
            assert model.idle_timeout is not None
            last = max(model.last_request_at or model.updated_at, model.updated_at)
            if now - last < timedelta(seconds=model.idle_timeout) or load(model.name) > 0:
                continue
            logger.info("%s idle for %.0f s: going to sleep", model.name, model.idle_timeout)
            model.asleep = True
            model.updated_at = now
            session.add(model)
            slept.append(model)
        if slept:
            await session.commit()
    for model in slept:
        assert model.id is not None
        ctx.publish(
            ResourceKind.MODELS,
            EventType.UPDATED,
            model.id,
            ModelPublic.model_validate(model.model_dump()),
        )
    return [m.id for m in slept if m.id is not None]
