"""The audit trail: routers call `record_write` after each management write they commit.

Generic over resources: a router passes its kind, the id and the public shape before and
after; only the changed fields are kept, and secrets (by field name, `redaction.py`) never
reach a row. Written in its own transaction after the change: a failing audit write is logged,
it does not undo what was done.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from pydantic import BaseModel

from gpustack.schemas.api_keys import ApiKey
from gpustack.schemas.audit_logs import AuditLog
from gpustack.schemas.common import utcnow
from gpustack.server.context import ServerContext
from gpustack.server.security.principal import Principal
from gpustack.server.services.client_address import client_address, parse_networks
from gpustack.server.services.redaction import REDACTED, is_secret_field, redact

logger = logging.getLogger(__name__)

# Bookkeeping that changes on every write and says nothing about what was done.
_IGNORED = frozenset({"updated_at"})

Snapshot = Mapping[str, Any] | BaseModel | None


def snapshot(value: Snapshot) -> dict[str, Any] | None:
    """A JSON-ready dict of a public model (or a dict as it is)."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return dict(value)


def changed_fields(before: Snapshot, after: Snapshot) -> dict[str, dict[str, Any]]:
    """`{field: {"before", "after"}}` for every field that differs, secrets redacted.

    A secret that changed shows as changed, never its value.
    """
    old, new = snapshot(before) or {}, snapshot(after) or {}
    changes: dict[str, dict[str, Any]] = {}
    for name in sorted(old.keys() | new.keys()):
        if name in _IGNORED:
            continue
        was, now = old.get(name), new.get(name)
        if was == now and before is not None and after is not None:
            continue
        if is_secret_field(name):
            changes[name] = {
                "before": None if was is None else REDACTED,
                "after": None if now is None else REDACTED,
            }
        else:
            changes[name] = {"before": redact(was), "after": redact(now)}
    return changes


def request_client(ctx: ServerContext, request: Request) -> str:
    peer = request.client.host if request.client is not None else ""
    trusted = parse_networks(ctx.config.trusted_proxies)
    return client_address(peer, request.headers.get("x-forwarded-for"), trusted)


async def record_write(
    ctx: ServerContext,
    request: Request,
    principal: Principal | None,
    *,
    action: str,
    kind: str,
    resource_id: int | str | None,
    before: Snapshot = None,
    after: Snapshot = None,
) -> None:
    """Store who did `action` on `kind`/`resource_id`, from where, and what changed."""
    try:
        async with ctx.sessions() as session:
            key_name = None
            if principal is not None and principal.api_key_id is not None:
                key = await session.get(ApiKey, principal.api_key_id)
                key_name = key.name if key is not None else None
            session.add(
                AuditLog(
                    created_at=utcnow(),
                    actor_user_id=principal.user_id if principal is not None else None,
                    actor_name=(principal.username if principal is not None else "")[:64],
                    api_key_id=principal.api_key_id if principal is not None else None,
                    api_key_name=key_name,
                    client_ip=request_client(ctx, request)[:64],
                    method=request.method,
                    path=request.url.path[:512],
                    action=action[:32],
                    resource_kind=str(kind)[:32],
                    resource_id=None if resource_id is None else str(resource_id)[:64],
                    changes=changed_fields(before, after),
                )
            )
            await session.commit()
    except Exception:
        logger.exception("writing the audit entry for %s %s %s failed", action, kind, resource_id)
