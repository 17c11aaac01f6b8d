"""The server's FastAPI application factory: /v2, /auth, /v1 gateway, probes and the UI."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from gpustack import __version__
from gpustack.config import Config
from gpustack.data_dir import prepare_data_dir
from gpustack.db.engine import create_engine, is_sqlite, session_factory
from gpustack.db.migrate import upgrade_to_head
from gpustack.server.api import (
    api_keys,
    audit_logs,
    auth,
    auth_oidc,
    dashboard,
    gpu_devices,
    groups,
    inference_backends,
    integration_check,
    metrics,
    model_evaluations,
    model_files,
    model_instances,
    model_routes,
    model_sets,
    models,
    probes,
    providers,
    request_logs,
    usage,
    users,
    workers,
)
from gpustack.server.body_limit import BodyLimitMiddleware
from gpustack.server.bootstrap import ensure_admin, read_or_create_secret
from gpustack.server.cluster_events import LeaderElection, PostgresEventBridge
from gpustack.server.context import ServerContext
from gpustack.server.controllers.manager import ControllerManager
from gpustack.server.controllers.route_sync import RouteSync
from gpustack.server.errors import install_error_handlers
from gpustack.server.events import EventBus
from gpustack.server.heartbeats import HeartbeatRecorder
from gpustack.server.inference import build_gateway, mount_gateway
from gpustack.server.load_history import LoadHistory
from gpustack.server.scheduler.analysis import ModelAnalyzer
from gpustack.server.scheduler.pass_runner import SchedulingPass
from gpustack.server.security.authenticator import Authenticator
from gpustack.server.security.ldap_auth import LdapDirectory
from gpustack.server.security.oidc import OidcProvider
from gpustack.server.security.passwords import PasswordHashing
from gpustack.server.security.secret_box import secret_box
from gpustack.server.security.sessions import SessionCodec
from gpustack.server.services.log_pruning import LogPruner
from gpustack.server.ui import mount_ui
from gpustack.server.worker_status import StatusWriter


async def build_context(config: Config) -> ServerContext:
    """Open the database (migrated to head) and create what lives for the process."""
    prepare_data_dir(config.data_dir)
    await asyncio.to_thread(upgrade_to_head, config.resolved_database_url)
    # Migrations may have just created the database file; it must not stay world-readable.
    prepare_data_dir(config.data_dir)
    engine = create_engine(config.resolved_database_url)
    sessions = session_factory(engine)
    codec = SessionCodec(
        read_or_create_secret(config.data_dir / "session_secret"),
        config.session_expire_minutes * 60,
    )
    bus = EventBus()
    authenticator = Authenticator(sessions, codec)
    bus.add_listener(authenticator.on_event)
    passwords = PasswordHashing()
    await ensure_admin(sessions, passwords, config.data_dir, config.bootstrap_password)
    return ServerContext(
        config=config,
        engine=engine,
        sessions=sessions,
        bus=bus,
        authenticator=authenticator,
        codec=codec,
        passwords=passwords,
        cluster_token=read_or_create_secret(config.data_dir / "token", 16),
        analyzer=ModelAnalyzer(),
        oidc=OidcProvider.from_config(config),
        ldap=LdapDirectory.from_config(config),
        secrets=secret_box(config.data_dir, config.secret_key_file),
    )


def create_app(config: Config) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = await build_context(config)
        app.state.ctx = ctx
        clustered = not is_sqlite(config.resolved_database_url)
        bridge = PostgresEventBridge(ctx.bus, config.resolved_database_url) if clustered else None
        if bridge is not None:
            await bridge.start()
        heartbeats = HeartbeatRecorder(ctx)
        heartbeats.start()
        ctx.heartbeats = heartbeats
        ctx.worker_status = StatusWriter(ctx.sessions)
        load_history = LoadHistory(ctx)
        load_history.start()
        ctx.load_history = load_history
        routes = RouteSync(ctx)
        await routes.start()
        gateway = build_gateway(ctx)
        await gateway.startup()
        ctx.gateway = gateway
        controllers = ControllerManager(ctx, schedule=SchedulingPass(ctx).run)
        pruner = LogPruner(ctx)

        async def lead() -> None:
            await controllers.start_async()
            await pruner.start_async()

        async def step_down() -> None:
            await pruner.stop()
            await controllers.stop()

        election = None
        if clustered:
            election = LeaderElection(config.resolved_database_url, lead, step_down)
            election.start()
        else:
            await lead()
        # Everything built so far lives as long as the process: keep it out of GC passes.
        gc.freeze()
        try:
            yield
        finally:
            if election is not None:
                await election.stop()
            await step_down()
            await gateway.shutdown()
            await routes.stop()
            await heartbeats.stop()
            await load_history.stop()
            if bridge is not None:
                await bridge.stop()
            await ctx.engine.dispose()

    app = FastAPI(
        title="GPUStack",
        version=__version__,
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=config.max_body_bytes)
    if config.enable_cors:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=config.allow_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    for module in (
        probes,
        auth,
        auth_oidc,
        users,
        groups,
        api_keys,
        models,
        model_instances,
        model_evaluations,
        model_files,
        model_sets,
        providers,
        model_routes,
        workers,
        gpu_devices,
        inference_backends,
        usage,
        dashboard,
        metrics,
        audit_logs,
        request_logs,
        integration_check,
    ):
        app.include_router(module.router)
    mount_gateway(app)
    mount_ui(app)
    return app
