"""/v2/dashboard: counts, current cluster load, token usage over time, top users, active models
(with the requests this server's gateway runs and queues for each)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.schemas.common import utcnow
from gpustack.schemas.model_instances import ModelInstance
from gpustack.schemas.models import Model
from gpustack.schemas.usage import UsageDaily
from gpustack.schemas.users import User
from gpustack.schemas.workers import Worker
from gpustack.server.api.responses import AUTHENTICATED
from gpustack.server.api.usage import GroupBy, usage_rows
from gpustack.server.dependencies import Ctx, Session, UserPrincipal

router = APIRouter(prefix="/v2/dashboard", tags=["dashboard"], responses=AUTHENTICATED)
HISTORY_DAYS = 30


def cluster_load(workers: list[Worker]) -> dict[str, float]:
    """Utilisation in percent across all workers, weighted by capacity."""
    cpu_used = cpu_total = ram_used = ram_total = 0.0
    vram_used = vram_total = gpu_util = gpus = 0.0
    for worker in workers:
        status = worker.status or {}
        cpu = status.get("cpu") or {}
        cores = float(cpu.get("total") or 0)
        cpu_total += cores
        cpu_used += cores * float(cpu.get("utilization_rate") or 0) / 100
        memory = status.get("memory") or {}
        ram_total += float(memory.get("total") or 0)
        ram_used += float(memory.get("used") or 0)
        for gpu in status.get("gpu_devices") or []:
            gpus += 1
            gpu_util += float((gpu.get("core") or {}).get("utilization_rate") or 0)
            vram_total += float((gpu.get("memory") or {}).get("total") or 0)
            vram_used += float((gpu.get("memory") or {}).get("used") or 0)

    def pct(used: float, total: float) -> float:
        return round(100 * used / total, 1) if total else 0.0

    return {
        "cpu": pct(cpu_used, cpu_total),
        "ram": pct(ram_used, ram_total),
        "gpu": round(gpu_util / gpus, 1) if gpus else 0.0,
        "vram": pct(vram_used, vram_total),
    }


@router.get("")
async def dashboard(principal: UserPrincipal, ctx: Ctx, session: Session) -> dict[str, Any]:
    workers = list((await session.exec(select(Worker))).all())
    models = list((await session.exec(select(Model).order_by(Model.name))).all())
    instance_count = (await session.exec(select(func.count()).select_from(ModelInstance))).one()
    gpus = sum(len((w.status or {}).get("gpu_devices") or []) for w in workers)
    admission = ctx.gateway.admission
    loads = {m.name: admission.load(m.name) for m in models}
    today = utcnow().date()
    start = today - timedelta(days=HISTORY_DAYS - 1)
    return {
        "resource_counts": {
            "workers": len(workers),
            "gpus": gpus,
            "models": len(models),
            "model_instances": instance_count,
        },
        "system_load": {
            "current": cluster_load(workers),
            "history": ctx.load_history.samples(),
        },
        "model_usage": {
            "history": await _daily_totals(session, principal.is_admin, principal.user_id, start),
            "top_users": await _top_users(session, start) if principal.is_admin else [],
            "top_models": _top_models(
                await usage_rows(session, principal, start, today, GroupBy.MODEL)
            ),
        },
        "active_models": [
            {
                "id": m.id,
                "name": m.name,
                "ready_replicas": m.ready_replicas,
                "replicas": m.replicas,
                "categories": m.categories,
                "state": m.state,
                # This server's gateway: requests running and waiting for a slot.
                "in_flight": loads[m.name][0],
                "queued": loads[m.name][1],
            }
            for m in models
        ],
    }


async def _daily_totals(
    session: AsyncSession, everyone: bool, user_id: int, start: Any
) -> list[dict[str, Any]]:
    query = (
        sa_select(
            col(UsageDaily.day),
            func.sum(UsageDaily.request_count),
            func.sum(UsageDaily.prompt_tokens),
            func.sum(UsageDaily.completion_tokens),
        )
        .where(col(UsageDaily.day) >= start)
        .group_by(col(UsageDaily.day))
        .order_by(col(UsageDaily.day))
    )
    if not everyone:
        query = query.where(col(UsageDaily.user_id) == user_id)
    return [
        {
            "date": day.isoformat(),
            "requests": requests,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
        }
        for day, requests, prompt, completion in (await session.execute(query)).all()
    ]


async def _top_users(session: AsyncSession, start: Any, limit: int = 10) -> list[dict[str, Any]]:
    tokens = func.sum(UsageDaily.total_tokens)
    query = (
        sa_select(
            col(User.username),
            func.sum(UsageDaily.request_count),
            func.sum(UsageDaily.prompt_tokens),
            func.sum(UsageDaily.completion_tokens),
        )
        .join(User, col(User.id) == UsageDaily.user_id)
        .where(col(UsageDaily.day) >= start)
        .group_by(User.username)
        .order_by(tokens.desc())
        .limit(limit)
    )
    return [
        {
            "username": name,
            "requests": requests,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
        }
        for name, requests, prompt, completion in (await session.execute(query)).all()
    ]


def _top_models(rows: list[dict[str, Any]], limit: int = 10) -> list[dict[str, Any]]:
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = totals.setdefault(
            row["model_name"], {"model_name": row["model_name"], "requests": 0, "total_tokens": 0}
        )
        entry["requests"] += row["requests"]
        entry["total_tokens"] += row["total_tokens"]
    return sorted(totals.values(), key=lambda e: -e["total_tokens"])[:limit]
