"""Cluster state for `/metrics`: how many workers, instances and models are in each state."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Mapped
from sqlmodel import col

from gpustack.schemas.model_instances import ModelInstance
from gpustack.schemas.models import Model
from gpustack.schemas.workers import Worker
from gpustack.server.context import ServerContext

_GAUGES: tuple[tuple[str, Mapped[str], str], ...] = (
    ("gpustack_workers", col(Worker.state), "Workers by state"),
    ("gpustack_model_instances", col(ModelInstance.state), "Model instances by state"),
    ("gpustack_models", col(Model.state), "Deployments by state"),
)


async def render_cluster_state(ctx: ServerContext) -> bytes:
    """Read at scrape time (three small GROUP BY queries), so the numbers are never stale."""
    registry = CollectorRegistry()
    async with ctx.sessions() as session:
        for name, state, help_text in _GAUGES:
            gauge = Gauge(name, help_text, ["state"], registry=registry)
            rows = await session.execute(sa_select(state, func.count()).group_by(state))
            for value, count in rows.all():
                gauge.labels(state=value).set(count)
    return generate_latest(registry)
