"""Model status controller: a deployment's state and ready replicas follow its instances."""

from __future__ import annotations

from sqlmodel import select

from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.model_instances import InstanceState, ModelInstance
from gpustack.schemas.models import Model, ModelPublic, ModelState
from gpustack.server.context import ServerContext
from gpustack.server.controllers.replicas import target_replicas


def summarize(
    replicas: int, instances: list[ModelInstance], asleep: bool = False
) -> tuple[ModelState, int, str]:
    """(state, ready replicas, message) for a deployment with these instances.

    Draining instances finish their requests but count as gone.
    """
    instances = [i for i in instances if i.draining_since is None]
    ready = sum(1 for i in instances if i.state == InstanceState.RUNNING)
    if asleep:
        return ModelState.SLEEPING, 0, "asleep: idle; the next request wakes it"
    errors = [i for i in instances if i.state == InstanceState.ERROR]
    if replicas > 0 and ready >= replicas:
        return ModelState.RUNNING, ready, ""
    if ready > 0:
        return ModelState.PARTIAL, ready, f"{ready} of {replicas} replicas ready"
    if errors:
        return ModelState.ERROR, 0, f"{errors[0].name}: {errors[0].state_message}"
    if replicas == 0:
        return ModelState.PENDING, 0, "stopped: 0 replicas requested"
    waiting = next((i for i in instances if i.state_message), None)
    return ModelState.PENDING, 0, waiting.state_message if waiting else ""


async def refresh_model_status(ctx: ServerContext, model_id: int) -> None:
    async with ctx.sessions() as session:
        model = await session.get(Model, model_id)
        if model is None:
            return
        query = select(ModelInstance).where(ModelInstance.model_id == model_id)
        instances = list((await session.exec(query)).all())
        state, ready, message = summarize(target_replicas(model, utcnow()), instances, model.asleep)
        if (model.state, model.ready_replicas, model.state_message) == (state, ready, message):
            return
        model.state, model.ready_replicas, model.state_message = state.value, ready, message
        model.updated_at = utcnow()
        session.add(model)
        await session.commit()
        ctx.publish(
            ResourceKind.MODELS,
            EventType.UPDATED,
            model_id,
            ModelPublic.model_validate(model.model_dump()),
        )
