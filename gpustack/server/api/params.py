"""Path and query ids of the /v2 routes, bounded to what an id column holds."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from gpustack.schemas.common import DB_INT_MAX

# Larger ids fail in the database driver (a 500) instead of matching nothing: refuse them early.
PathId = Annotated[int, Path(ge=1, le=DB_INT_MAX)]
# An optional filter by the id of another resource (`?model_id=`, `?worker_id=`).
QueryId = Annotated[int | None, Query(ge=1, le=DB_INT_MAX)]
