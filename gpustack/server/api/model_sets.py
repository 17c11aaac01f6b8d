"""/v2/model-sets: the catalog of ready-made deployments shown under Deploy Model → Catalog."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Query

from gpustack.server.api.responses import AUTHENTICATED
from gpustack.server.dependencies import UserPrincipal

router = APIRouter(prefix="/v2/model-sets", tags=["model-sets"], responses=AUTHENTICATED)
CATALOG = Path(__file__).resolve().parent.parent / "catalog" / "model_sets.json"


@cache
def load_catalog(path: Path = CATALOG) -> tuple[dict[str, Any], ...]:
    """Read once per process: the file ships with the package and never changes at run time."""
    return tuple(json.loads(path.read_text(encoding="utf-8")))


@router.get("")
async def list_model_sets(
    _: UserPrincipal,
    search: str = Query("", max_length=256),
    category: str | None = Query(None),
) -> dict[str, Any]:
    needle = search.lower()
    items = [
        item
        for item in load_catalog()
        if (needle in item["name"].lower() or needle in item["description"].lower())
        and (category is None or category in item["categories"])
    ]
    pagination = {"page": 1, "perPage": len(items), "total": len(items), "totalPage": 1}
    return {"items": items, "pagination": pagination}
