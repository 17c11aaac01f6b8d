"""/v2/model-evaluations: would these deployments fit the cluster now? (a dry run)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from gpustack.engines.registry import default_registry
from gpustack.schemas.models import ModelSpec, SourceKind, example_spec
from gpustack.server.api.responses import AUTHENTICATED, errors
from gpustack.server.dependencies import Ctx, Session, UserPrincipal
from gpustack.server.errors import ApiError
from gpustack.server.scheduler.evaluation import evaluate_specs

router = APIRouter(
    prefix="/v2/model-evaluations", tags=["model-evaluations"], responses=AUTHENTICATED
)


class EvaluationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_specs: list[ModelSpec] = Field(min_length=1, max_length=64)


@router.post("", responses=errors(413))
async def evaluate(
    body: Annotated[EvaluationRequest, Body(examples=[{"model_specs": [example_spec()]}])],
    principal: UserPrincipal,
    ctx: Ctx,
    session: Session,
) -> dict[str, Any]:
    """One result per spec, in order; creates nothing and claims nothing.

    Local paths are for administrators only, as for deploying: anyone else gets the same
    answer for every path, so the endpoint cannot tell them which files exist.
    """
    if not principal.is_admin and any(s.source is SourceKind.LOCAL_PATH for s in body.model_specs):
        raise ApiError(403, "only administrators may evaluate models from a local path")
    results = await evaluate_specs(session, body.model_specs, ctx.analyzer, default_registry())
    return {"results": [r.as_json() for r in results]}
