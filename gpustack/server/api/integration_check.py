"""POST /v2/models/{id}/integration-check: replay real clients' calls against a deployment."""

from __future__ import annotations

from fastapi import APIRouter, Request

from gpustack.schemas.models import Model
from gpustack.server.api.params import PathId
from gpustack.server.api.responses import AUTHENTICATED, errors
from gpustack.server.dependencies import AdminPrincipal, Ctx, Session
from gpustack.server.errors import not_found
from gpustack.server.integration_check import CheckReport, run_integration_check
from gpustack.server.services.audit import record_write

router = APIRouter(prefix="/v2/models", tags=["models"], responses=AUTHENTICATED)


@router.post("/{model_id}/integration-check", response_model=CheckReport, responses=errors(404))
async def integration_check(
    model_id: PathId, principal: AdminPrincipal, ctx: Ctx, session: Session, request: Request
) -> CheckReport:
    """Dify's, the OpenAI SDK's and Open WebUI's requests for the deployment's categories,
    sent through the gateway; each row says pass or fail and, on failure, why."""
    model = await session.get(Model, model_id)
    if model is None:
        raise not_found("model", model_id)
    report = await run_integration_check(ctx, model, principal.user_id)
    # The temporary key it made and deleted is part of this one audited action.
    await record_write(
        ctx, request, principal, action="integration-check", kind="models", resource_id=model_id
    )
    return report
