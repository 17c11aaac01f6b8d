"""The database side of activity: request times onto `models.last_request_at`, and wakes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.common import utcnow
from gpustack.schemas.models import Model, ModelPublic

Published = Callable[[int, ModelPublic], None]


class DatabaseActivitySink:
    """One short transaction per flush; a wake also publishes the deployment's change."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], published: Published) -> None:
        self._sessions = sessions
        self._published = published

    async def touch(self, last_request: Mapping[int, float]) -> None:
        async with self._sessions() as session:
            for model_id, at in last_request.items():
                when = datetime.fromtimestamp(at, UTC).replace(tzinfo=None)
                # Only ever later: another server may have flushed a newer time.
                await session.exec(
                    update(Model)
                    .where(
                        col(Model.id) == model_id,
                        or_(
                            col(Model.last_request_at).is_(None),
                            col(Model.last_request_at) < when,
                        ),
                    )
                    .values(last_request_at=when)
                )
            await session.commit()

    async def wake(self, model_id: int) -> None:
        async with self._sessions() as session:
            model = await session.get(Model, model_id)
            if model is None or not model.asleep:
                return  # gone, or already woken (by another server's request)
            now = utcnow()
            model.asleep = False
            model.last_request_at = now
            model.updated_at = now
            session.add(model)
            await session.commit()
            shown = ModelPublic.model_validate(model.model_dump())
        self._published(model_id, shown)
