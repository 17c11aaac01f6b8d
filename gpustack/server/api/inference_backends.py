"""/v2/inference-backends: each backend with the versions workers have and administrators added."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.engines.installs import layout_for, version_key
from gpustack.engines.registry import UnknownEngineError, default_registry
from gpustack.schemas.engine_versions import (
    BackendVersionView,
    EngineVersion,
    EngineVersionCreate,
    EngineVersionPublic,
    InferenceBackendList,
    InferenceBackendPublic,
    WorkerEngineInstall,
)
from gpustack.schemas.workers import Worker
from gpustack.server.api.responses import AUTHENTICATED, errors
from gpustack.server.dependencies import AdminPrincipal, ReaderPrincipal, Session, UserPrincipal
from gpustack.server.errors import ApiError
from gpustack.server.scheduler.db_views import worker_status

router = APIRouter(
    prefix="/v2/inference-backends", tags=["inference-backends"], responses=AUTHENTICATED
)


def public(row: EngineVersion) -> EngineVersionPublic:
    return EngineVersionPublic.model_validate(row.model_dump())


@router.get("", response_model=InferenceBackendList)
async def list_inference_backends(_: UserPrincipal, session: Session) -> InferenceBackendList:
    added: dict[str, dict[str, EngineVersionPublic]] = defaultdict(dict)
    for row in (await session.exec(select(EngineVersion))).all():
        added[row.backend][row.version] = public(row)
    installed: dict[str, dict[str, list[WorkerEngineInstall]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for worker in (await session.exec(select(Worker).order_by(Worker.name))).all():
        status = worker_status(worker)
        if status is None or worker.id is None:
            continue
        for found in status.engines:
            installed[found.backend][found.version].append(
                WorkerEngineInstall(
                    worker_id=worker.id,
                    worker_name=worker.name,
                    path=found.path,
                    managed=found.managed,
                )
            )
    items = []
    for name in sorted(default_registry()):
        versions = set(added[name]) | set(installed[name])
        items.append(
            InferenceBackendPublic(
                name=name,
                installs_versions=layout_for(name) is not None,
                versions=[
                    BackendVersionView(
                        version=v, added=added[name].get(v), installed_on=installed[name][v]
                    )
                    for v in sorted(versions, key=version_key, reverse=True)
                ],
            )
        )
    return InferenceBackendList(items=items)


@router.get(
    "/{backend}/versions/{version}", response_model=EngineVersionPublic, responses=errors(404)
)
async def get_backend_version(
    backend: str, version: str, _: ReaderPrincipal, session: Session
) -> EngineVersionPublic:
    """A version an administrator added; workers read it to install or find it."""
    return public(await _get(session, backend, version))


@router.post(
    "/{backend}/versions",
    response_model=EngineVersionPublic,
    status_code=201,
    responses=errors(404, 409),
)
async def add_backend_version(
    backend: str, body: EngineVersionCreate, _: AdminPrincipal, session: Session
) -> EngineVersionPublic:
    _known_backend(backend)
    if layout_for(backend) is None:
        raise ApiError(400, f"{backend} does not run per-version installs; only vllm and sglang do")
    row = EngineVersion(backend=backend, **body.model_dump())
    session.add(row)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise ApiError(409, f"{backend} {body.version} was already added") from exc
    await session.refresh(row)
    return public(row)


@router.delete("/{backend}/versions/{version}", status_code=204, responses=errors(404))
async def delete_backend_version(
    backend: str, version: str, _: AdminPrincipal, session: Session
) -> Response:
    """Forgets the version; what workers installed stays on their disks and keeps running."""
    row = await _get(session, backend, version)
    await session.delete(row)
    await session.commit()
    return Response(status_code=204)


def _known_backend(backend: str) -> None:
    try:
        default_registry()[backend]
    except UnknownEngineError as exc:
        raise ApiError(404, str(exc.args[0])) from exc


async def _get(session: AsyncSession, backend: str, version: str) -> EngineVersion:
    _known_backend(backend)
    query = select(EngineVersion).where(
        EngineVersion.backend == backend, EngineVersion.version == version
    )
    row = (await session.exec(query)).first()
    if row is None:
        raise ApiError(404, f"no version {version!r} of {backend} was added")
    return row
