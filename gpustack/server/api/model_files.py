"""/v2/model-files: model weights on a worker's disk — list, pre-download, retry, delete.

Rows are created by an administrator (pre-download to a worker) or by a worker for itself
(an instance's download, so the Model Files page shows it too). The worker owning a row
downloads it and reports progress through ``PUT /{id}/status``.

Deleting with ``cleanup=true`` first asks the worker to remove the files from its cache
(``DELETE http://<worker>/model-files/{id}`` with that worker's credential) and deletes the row only
once the worker has answered, so a failed clean-up leaves the row for another try. Files of a
``local_path`` source are the user's own and are never removed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.common import INT64_MAX, utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.model_files import (
    ModelFile,
    ModelFileCreate,
    ModelFilePublic,
    ModelFileState,
)
from gpustack.schemas.model_instances import PLACED_STATES, InstanceState, ModelInstance
from gpustack.schemas.models import Model, SourceKind
from gpustack.schemas.workers import Worker
from gpustack.server.api.params import PathId, QueryId
from gpustack.server.api.responses import AUTHENTICATED, errors, listing
from gpustack.server.context import ServerContext
from gpustack.server.dependencies import (
    AdminPrincipal,
    Ctx,
    ReaderPrincipal,
    Session,
    WorkerOrAdmin,
    WorkerPrincipal,
)
from gpustack.server.errors import ApiError, not_found
from gpustack.server.events import Event
from gpustack.server.listing import ListParams, list_params, paginate, watch_response
from gpustack.server.security.principal import Principal
from gpustack.server.services.audit import record_write
from gpustack.server.worker_client import WorkerApi, WorkerApiDep, WorkerCallError

router = APIRouter(prefix="/v2/model-files", tags=["model-files"], responses=AUTHENTICATED)
KIND = ResourceKind.MODEL_FILES


# Instance states in which the instance uses (or is about to use) its files on the worker.
_USING_FILES = PLACED_STATES - {InstanceState.ERROR}


class ModelFileStatusUpdate(BaseModel):
    """What the owning worker reports about one of its model files."""

    model_config = ConfigDict(extra="forbid")

    state: ModelFileState
    state_message: str = Field(default="", max_length=4096)
    download_progress: float | None = Field(default=None, ge=0.0, le=100.0)
    size: int | None = Field(default=None, ge=0, le=INT64_MAX)
    local_dir: str | None = Field(default=None, max_length=4096)


def public(row: ModelFile) -> ModelFilePublic:
    return ModelFilePublic.model_validate(row.model_dump())


@router.get("", responses=listing(ModelFilePublic))
async def list_model_files(
    principal: ReaderPrincipal,
    ctx: Ctx,
    session: Session,
    params: ListParams = Depends(list_params),
    worker_id: QueryId = None,
) -> Any:
    if principal.worker_id is not None:
        # A worker sees and follows only the files on its own disk.
        worker_id = principal.worker_id
    if params.watch:
        return watch_response(ctx.bus, KIND, _event_filter(worker_id))
    where: list[ColumnElement[bool]] = []
    if worker_id is not None:
        where.append(col(ModelFile.worker_id) == worker_id)
    return await paginate(session, ModelFile, params, public, ("source_key", "worker_name"), where)


@router.get("/{file_id}", response_model=ModelFilePublic, responses=errors(404))
async def get_model_file(
    file_id: PathId, principal: ReaderPrincipal, session: Session
) -> ModelFilePublic:
    return public(await _get_visible(session, file_id, principal))


@router.post("", response_model=ModelFilePublic, status_code=201, responses=errors(404, 409, 413))
async def create_model_file(
    body: Annotated[
        ModelFileCreate,
        Body(examples=[{"source": "local_path", "local_path": "/models/m.gguf", "worker_id": 1}]),
    ],
    principal: WorkerOrAdmin,
    ctx: Ctx,
    session: Session,
    request: Request,
) -> ModelFilePublic:
    """Download a model's files to one worker; a worker may create rows for itself only."""
    if principal.worker_id is not None and principal.worker_id != body.worker_id:
        raise ApiError(403, "a worker may only create model files for itself")
    worker = await session.get(Worker, body.worker_id)
    if worker is None:
        raise not_found("worker", body.worker_id)
    key = body.source_key()
    query = select(ModelFile).where(
        col(ModelFile.worker_id) == body.worker_id, col(ModelFile.source_key) == key
    )
    existing = (await session.exec(query)).first()
    if existing is not None:
        raise ApiError(409, f"model file {existing.id} already holds {key} on worker {worker.name}")
    fields = body.model_dump(mode="json", exclude={"worker_id"})
    row = ModelFile(
        **fields,
        source_key=key,
        worker_id=body.worker_id,
        worker_name=worker.name,
        state=ModelFileState.DOWNLOADING.value,
        state_message="waiting for the worker",
    )
    session.add(row)
    await session.commit()
    assert row.id is not None
    shown = public(row)
    ctx.publish(KIND, EventType.CREATED, row.id, shown)
    if principal.worker_id is None:  # a worker's own bookkeeping is not a person's write
        await record_write(
            ctx, request, principal, action="create", kind=KIND, resource_id=row.id, after=shown
        )
    return shown


@router.post("/{file_id}/retry", response_model=ModelFilePublic, responses=errors(404, 409))
async def retry_model_file(
    file_id: PathId, principal: AdminPrincipal, ctx: Ctx, session: Session, request: Request
) -> ModelFilePublic:
    """Download a failed model file again."""
    row = await _get(session, file_id)
    if row.state != ModelFileState.ERROR:
        raise ApiError(409, f"model file {file_id} is {row.state}: only a failed one is retried")
    row.state, row.state_message = ModelFileState.DOWNLOADING.value, "waiting for the worker"
    row.download_progress = 0.0
    shown = await _save(ctx, session, row)
    await record_write(ctx, request, principal, action="retry", kind=KIND, resource_id=file_id)
    return shown


@router.put("/{file_id}/status", response_model=ModelFilePublic, responses=errors(404, 413))
async def report_status(
    file_id: PathId,
    body: ModelFileStatusUpdate,
    principal: WorkerPrincipal,
    ctx: Ctx,
    session: Session,
) -> ModelFilePublic:
    row = await _get(session, file_id)
    if row.worker_id != principal.worker_id:
        raise ApiError(403, f"model file {file_id} belongs to another worker")
    row.state, row.state_message = body.state.value, body.state_message
    for field in ("download_progress", "size", "local_dir"):
        value = getattr(body, field)
        if value is not None:
            setattr(row, field, value)
    return await _save(ctx, session, row)


@router.delete("/{file_id}", status_code=204, responses=errors(404, 409, 502))
async def delete_model_file(
    file_id: PathId,
    principal: AdminPrincipal,
    ctx: Ctx,
    session: Session,
    request: Request,
    workers: WorkerApiDep,
    cleanup: bool = Query(False),
) -> None:
    """Forget a model file; with ``cleanup=true`` its worker also removes it from its cache."""
    row = await _get(session, file_id)
    if cleanup:
        await _refuse_if_in_use(session, row)
        if row.source != SourceKind.LOCAL_PATH:
            worker = await session.get(Worker, row.worker_id)
            if worker is not None:
                await _clean_up_on_worker(workers, worker, row)
    shown = public(row)
    await session.delete(row)
    await session.commit()
    ctx.publish(KIND, EventType.DELETED, file_id, shown)
    await record_write(
        ctx, request, principal, action="delete", kind=KIND, resource_id=file_id, before=shown
    )


async def _refuse_if_in_use(session: AsyncSession, row: ModelFile) -> None:
    query = (
        select(ModelInstance, Model)
        .join(Model, col(Model.id) == col(ModelInstance.model_id))
        .where(
            col(ModelInstance.worker_id) == row.worker_id,
            col(ModelInstance.state).in_([s.value for s in _USING_FILES]),
        )
    )
    for instance, model in (await session.exec(query)).all():
        if model.spec().source_key() == row.source_key:
            raise ApiError(
                409,
                f"instance {instance.name} ({instance.state}) on worker {row.worker_name} uses "
                "these files: delete or move it first, or delete without cleanup",
            )


async def _clean_up_on_worker(workers: WorkerApi, worker: Worker, row: ModelFile) -> None:
    try:
        await workers.remove_model_files(worker, row)
    except WorkerCallError as exc:
        raise ApiError(
            502,
            f"worker {worker.name} could not remove the files ({exc.detail.strip()[:500]}); "
            "try again, or delete without cleanup to drop the record only",
        ) from exc


async def _save(ctx: ServerContext, session: AsyncSession, row: ModelFile) -> ModelFilePublic:
    row.updated_at = utcnow()
    session.add(row)
    await session.commit()
    assert row.id is not None
    shown = public(row)
    ctx.publish(KIND, EventType.UPDATED, row.id, shown)
    return shown


async def _get(session: AsyncSession, file_id: int) -> ModelFile:
    row = await session.get(ModelFile, file_id)
    if row is None:
        raise not_found("model file", file_id)
    return row


async def _get_visible(session: AsyncSession, file_id: int, principal: Principal) -> ModelFile:
    row = await _get(session, file_id)
    if principal.worker_id is not None and row.worker_id != principal.worker_id:
        raise ApiError(403, f"model file {file_id} belongs to another worker")
    return row


def _event_filter(worker_id: int | None) -> Any:
    def keep(event: Event) -> bool:
        return worker_id is None or event.data.get("worker_id") == worker_id

    return keep
