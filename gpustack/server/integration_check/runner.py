"""Sends every client's calls for a deployment through our own gateway on loopback.

The calls carry a temporary inference key, limited to this one model and expiring within
minutes, that is deleted when the check ends: no stored secret is ever read or sent.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

import aiohttp

from gpustack.config import Config
from gpustack.schemas.api_keys import ApiKey, KeyScope
from gpustack.schemas.common import utcnow
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.schemas.models import Model
from gpustack.server.context import ServerContext
from gpustack.server.security.key_material import digest, new_key, new_salt

from . import dify, open_webui, openai_sdk
from .hints import hint_for
from .probe import Probe
from .report import CheckReport, CheckResult

_KEY_LIFETIME = timedelta(minutes=15)
_CALL_TIMEOUT_S = 120.0


def loopback_url(config: Config) -> str:
    scheme = "https" if config.ssl_certfile else "http"
    host = config.host if config.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{config.port}"


def probes_for(model: Model) -> list[Probe]:
    categories = set(model.categories or ["llm"])
    name = model.name
    return [
        *dify.probes(name, categories),
        *openai_sdk.probes(name, categories),
        *open_webui.probes(name, categories),
    ]


async def run_integration_check(
    ctx: ServerContext, model: Model, user_id: int, base_url: str | None = None
) -> CheckReport:
    assert model.id is not None
    key_id, value = await _temporary_key(ctx, user_id, model.name)
    try:
        headers = {"Authorization": f"Bearer {value}"}
        timeout = aiohttp.ClientTimeout(total=_CALL_TIMEOUT_S)
        # Loopback to ourselves: our own certificate need not match 127.0.0.1.
        connector = aiohttp.TCPConnector(ssl=False)
        async with aiohttp.ClientSession(
            base_url or loopback_url(ctx.config),
            headers=headers,
            timeout=timeout,
            connector=connector,
        ) as client:
            results = [await _run(client, probe) for probe in probes_for(model)]
    finally:
        await _delete_key(ctx, key_id)
    return CheckReport(
        model_id=model.id,
        model_name=model.name,
        passed=all(r.passed for r in results),
        results=results,
    )


async def _run(client: aiohttp.ClientSession, probe: Probe) -> CheckResult:
    started = time.perf_counter()
    status: int | None = None
    body = b""
    problem: str | None = None
    try:
        data, json_body = _payload(probe)
        async with client.request(probe.method, probe.path, data=data, json=json_body) as response:
            status = response.status
            content_type = response.headers.get("Content-Type", "")
            body = await response.read()
        if 200 <= status < 300:
            problem = probe.reader(status, content_type, body)
    except (aiohttp.ClientError, TimeoutError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    hint = hint_for(probe, status, body, problem)
    return CheckResult(
        client=probe.client,
        call=probe.call,
        method=probe.method,
        path=probe.path,
        passed=not hint,
        status_code=status,
        duration_ms=round((time.perf_counter() - started) * 1000.0, 1),
        hint=hint,
    )


def _payload(probe: Probe) -> tuple[aiohttp.FormData | None, dict[str, object] | None]:
    """(multipart form, JSON body): at most one of them."""
    if probe.multipart is None:
        return None, probe.json_body
    fields, file_field, filename, data = probe.multipart
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    form.add_field(file_field, data, filename=filename)
    return form, None


async def _temporary_key(ctx: ServerContext, user_id: int, model_name: str) -> tuple[int, str]:
    parts = new_key()
    salt = new_salt()
    key = ApiKey(
        user_id=user_id,
        name=f"integration-check-{secrets.token_hex(4)}",
        description=f"temporary: integration check of {model_name}",
        access_key=parts.access_key,
        hashed_secret=await ctx.passwords.hash(parts.secret),
        secret_salt=salt,
        secret_digest=digest(parts.secret, salt),
        scope=KeyScope.INFERENCE.value,
        allowed_model_names=[model_name],
        expires_at=utcnow() + _KEY_LIFETIME,
    )
    async with ctx.sessions() as session:
        session.add(key)
        await session.commit()
        assert key.id is not None
        return key.id, parts.value


async def _delete_key(ctx: ServerContext, key_id: int) -> None:
    async with ctx.sessions() as session:
        key = await session.get(ApiKey, key_id)
        if key is not None:
            await session.delete(key)
            await session.commit()
    # Caches of the key (the authenticator's) are dropped on this event.
    ctx.publish(ResourceKind.API_KEYS, EventType.DELETED, key_id, None)
