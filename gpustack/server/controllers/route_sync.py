"""Keeps the gateway's route table equal to the database: model name → running endpoints,
and model routes → their targets (deployments by name, providers' models with their keys).

Each endpoint carries how many requests the gateway lets it run at once: the deployment's
`max_concurrent_requests`, else what its engine runs with those backend parameters.

Rebuilt wholesale (one query per table) shortly after any change of models, instances or
workers; reads on the request path are then a dict lookup.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Mapping

from sqlmodel import col, select

from gpustack.engines.base import Engine
from gpustack.engines.registry import default_registry
from gpustack.schemas.events import ResourceKind
from gpustack.schemas.model_instances import InstanceState, ModelInstance
from gpustack.schemas.model_routes import FailureKind, ModelRouteRow, RouteFallback, RouteTarget
from gpustack.schemas.models import DEFAULT_WAKE_TIMEOUT_S, Model
from gpustack.schemas.providers import Provider, ProviderKind
from gpustack.schemas.workers import Worker
from gpustack.server.background import BackgroundLoop
from gpustack.server.context import ServerContext
from gpustack.server.controllers.worker_changes import WorkerStateChanges
from gpustack.server.events import Event
from gpustack.server.gateway.routes import Endpoint, ModelRoute, PlanTarget, RoutePlan
from gpustack.server.security.authenticator import CREDENTIALS_CHANGED
from gpustack.server.security.secret_box import SecretBox, SecretKeyError
from gpustack.server.worker_client import proxy_url, worker_auth_headers

logger = logging.getLogger(__name__)

_WATCHED = frozenset(
    {
        ResourceKind.MODELS,
        ResourceKind.MODEL_INSTANCES,
        ResourceKind.WORKERS,
        ResourceKind.PROVIDERS,
        ResourceKind.MODEL_ROUTES,
    }
)
# The route's other targets take over from one that cannot be reached.
_TARGET_TAKES = frozenset({FailureKind.CONNECTION.value})


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def endpoint_for(
    instance: ModelInstance,
    worker: Worker,
    cluster_token: str,
    direct: bool,
    max_concurrent: int | None = None,
) -> Endpoint:
    """Engines on this machine are reached directly; others through their worker's proxy.

    The proxy gets that worker's own credential, never one another worker would accept.
    """
    assert instance.id is not None
    if direct and is_loopback(worker.ip) and instance.port:
        url = f"http://127.0.0.1:{instance.port}"
        return Endpoint(instance.id, url, max_concurrent=max_concurrent)
    headers = worker_auth_headers(worker, cluster_token)
    return Endpoint(instance.id, proxy_url(worker, instance.id), headers, max_concurrent)


def instance_concurrency(
    model: Model, instance: ModelInstance, engines: Mapping[str, Engine]
) -> int | None:
    """Requests one instance may run at once; None (no bound) for an engine not known here."""
    if model.max_concurrent_requests is not None:
        return model.max_concurrent_requests
    engine = engines.get(instance.backend or model.backend or "")
    return None if engine is None else engine.default_concurrency(model.backend_parameters)


async def build_routes(
    ctx: ServerContext, engines: Mapping[str, Engine] | None = None
) -> list[ModelRoute]:
    engines = default_registry() if engines is None else engines
    async with ctx.sessions() as session:
        models = (await session.exec(select(Model))).all()
        # A draining instance takes no new requests: it leaves the table at once.
        running = (
            await session.exec(
                select(ModelInstance).where(
                    ModelInstance.state == InstanceState.RUNNING.value,
                    col(ModelInstance.draining_since).is_(None),
                )
            )
        ).all()
        workers = {w.id: w for w in (await session.exec(select(Worker))).all()}
    models_by_id = {m.id: m for m in models}
    by_model: dict[int, list[Endpoint]] = {}
    # The engine the scheduler recorded on the running instances says whose quirks to expect.
    backends: dict[int, str] = {}
    for instance in running:
        worker = workers.get(instance.worker_id)
        model = models_by_id.get(instance.model_id)
        if model is None or worker is None or worker.state not in ("ready", "maintenance"):
            continue
        endpoint = endpoint_for(
            instance,
            worker,
            ctx.cluster_token,
            ctx.config.gateway_direct_loopback,
            instance_concurrency(model, instance, engines),
        )
        by_model.setdefault(instance.model_id, []).append(endpoint)
        backends.setdefault(instance.model_id, instance.backend or "")
    return [
        ModelRoute(
            model_id=model.id,
            name=model.name,
            categories=tuple(model.categories),
            backend=backends.get(model.id) or model.backend or "",
            endpoints=tuple(by_model.get(model.id, ())),
            capabilities=tuple((model.meta or {}).get("capabilities") or ()),
            context_length=(model.meta or {}).get("context_length"),
            created_at=int(model.created_at.timestamp()),
            max_queue_length=model.max_queue_length,
            max_queue_wait_s=model.max_queue_wait,
            request_log=bool((model.request_log or {}).get("enabled")),
            access_groups=frozenset(model.access_groups or ()),
            wakeable=not model.deleting
            and (model.asleep or (model.min_replicas == 0 and model.idle_timeout is not None)),
            sleeping=model.asleep,
            wake_timeout_s=model.wake_timeout or DEFAULT_WAKE_TIMEOUT_S,
            load_balancing=model.load_balancing,
        )
        for model in models
        if model.id is not None
    ]


def provider_headers(provider: Provider, secrets: SecretBox) -> dict[str, str]:
    """The provider's extra headers and its key; the caller's key never goes upstream."""
    headers = dict(provider.headers or {})
    if provider.api_key_encrypted:
        key = secrets.open(provider.api_key_encrypted)
        if provider.kind == ProviderKind.ANTHROPIC.value:
            headers["x-api-key"] = key
            headers.setdefault("anthropic-version", "2023-06-01")
        headers["Authorization"] = f"Bearer {key}"
    return headers


def provider_base(base_url: str) -> str:
    """Where the gateway's `/v1/...` paths go: a base URL given with its `/v1` loses it."""
    base = base_url.rstrip("/")
    return base[:-3] if base.endswith("/v1") else base


def provider_route(provider: Provider, model: str, headers: Mapping[str, str]) -> ModelRoute:
    assert provider.id is not None
    # Negative ids keep a provider's in-flight count apart from every instance's.
    endpoint = Endpoint(-provider.id, provider_base(provider.base_url), headers)
    return ModelRoute(
        model_id=0,
        name=f"provider:{provider.name}/{model}",
        endpoints=(endpoint,),
        upstream_model=model,
        timeout_s=provider.timeout,
    )


def build_plans(
    rows: list[ModelRouteRow], providers: list[Provider], secrets: SecretBox
) -> list[RoutePlan]:
    """Model routes as the gateway uses them. A provider whose key cannot be opened (another
    secret key) is left out of every route, with one log line that names no key."""
    headers: dict[str, dict[str, str]] = {}
    by_name: dict[str, Provider] = {}
    for provider in providers:
        try:
            headers[provider.name] = provider_headers(provider, secrets)
        except SecretKeyError as exc:
            logger.error("provider %s is left out of routes: %s", provider.name, exc)
            continue
        by_name[provider.name] = provider
    plans: list[RoutePlan] = []
    for row in rows:
        if row.id is None:
            continue
        targets = []
        for item in row.targets:
            target = RouteTarget.model_validate(item)
            targets.append(_target(target, by_name, headers, _TARGET_TAKES, target.weight))
        fallbacks = []
        for item in row.fallbacks:
            fallback = RouteFallback.model_validate(item)
            on = frozenset(kind.value for kind in fallback.on)
            fallbacks.append(_target(fallback, by_name, headers, on, 0))
        plans.append(
            RoutePlan(
                route_id=row.id,
                name=row.name,
                targets=tuple(targets),
                fallbacks=tuple(fallbacks),
                cooldown_failures=row.cooldown_failures,
                cooldown_s=row.cooldown_seconds,
                created_at=int(row.created_at.timestamp()),
            )
        )
    return plans


def _target(
    spec: RouteTarget | RouteFallback,
    providers: Mapping[str, Provider],
    headers: Mapping[str, Mapping[str, str]],
    on: frozenset[str],
    weight: int,
) -> PlanTarget:
    if spec.model is not None:
        return PlanTarget(key=f"model:{spec.model}", model=spec.model, weight=weight, on=on)
    assert spec.provider_model is not None
    name, model = spec.provider_model.provider, spec.provider_model.model
    key = f"provider:{name}/{model}"
    provider = providers.get(name)
    if provider is None:  # gone, or its key unusable: a target with no way to reach it
        return PlanTarget(key=key, model=key, weight=weight, on=on)
    route = provider_route(provider, model, headers[name])
    return PlanTarget(key=key, provider=route, weight=weight, on=on)


async def build_table(ctx: ServerContext) -> tuple[list[ModelRoute], list[RoutePlan]]:
    routes = await build_routes(ctx)
    async with ctx.sessions() as session:
        rows = list((await session.exec(select(ModelRouteRow))).all())
        providers = list((await session.exec(select(Provider))).all())
    return routes, build_plans(rows, providers, ctx.secrets)


class RouteSync:
    """Debounced full rebuilds of `ctx.routes` whenever a watched resource changes."""

    def __init__(self, ctx: ServerContext, debounce_seconds: float = 0.05) -> None:
        self._ctx = ctx
        self._debounce = debounce_seconds
        self._wanted = asyncio.Event()
        self._background = BackgroundLoop("route-sync", self._loop)
        self._worker_changes = WorkerStateChanges()

    async def start(self) -> None:
        self._ctx.routes.replace_all(*await build_table(self._ctx))
        self._ctx.bus.add_listener(self._on_event)
        self._background.start()

    async def stop(self) -> None:
        await self._background.stop()

    def _on_event(self, event: Event) -> None:
        # A registration may bring a new address or credential without a change of state.
        if (
            event.kind == ResourceKind.WORKERS
            and not self._worker_changes.changed(event)
            and event.hint != CREDENTIALS_CHANGED
        ):
            return
        if event.kind in _WATCHED:
            self._wanted.set()

    async def _loop(self) -> None:
        while True:
            await self._wanted.wait()
            await asyncio.sleep(self._debounce)
            self._wanted.clear()
            try:
                self._ctx.routes.replace_all(*await build_table(self._ctx))
            except Exception:
                logger.exception("rebuilding the route table failed; retrying on the next change")
                self._wanted.set()
                await asyncio.sleep(1.0)
