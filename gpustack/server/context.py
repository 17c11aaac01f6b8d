"""What lives for the server process; hangs off `app.state.ctx`, never module globals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from gpustack.config import Config
from gpustack.schemas.events import EventType, ResourceKind
from gpustack.server.events import Event, EventBus
from gpustack.server.gateway.routes import RouteTable
from gpustack.server.security.authenticator import Authenticator
from gpustack.server.security.ldap_auth import LdapDirectory
from gpustack.server.security.login_throttle import LoginThrottle
from gpustack.server.security.oidc import OidcProvider
from gpustack.server.security.passwords import PasswordHashing
from gpustack.server.security.secret_box import SecretBox
from gpustack.server.security.sessions import SessionCodec

if TYPE_CHECKING:
    from gpustack.server.gateway import GatewayApp
    from gpustack.server.heartbeats import HeartbeatRecorder
    from gpustack.server.load_history import LoadHistory
    from gpustack.server.scheduler.analysis import ModelAnalyzer
    from gpustack.server.worker_status import StatusWriter


@dataclass
class ServerContext:
    config: Config
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: EventBus
    authenticator: Authenticator
    codec: SessionCodec
    passwords: PasswordHashing
    cluster_token: str
    # One for the server, so the scheduler and dry runs share remembered profiles.
    analyzer: ModelAnalyzer
    # Seals provider API keys in the database.
    secrets: SecretBox
    routes: RouteTable = field(default_factory=RouteTable)
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)
    # Company sign-in, when configured.
    oidc: OidcProvider | None = None
    ldap: LdapDirectory | None = None
    # Built by the app's lifespan once this context exists (they need it); set before serving.
    heartbeats: HeartbeatRecorder = field(init=False, repr=False, compare=False)
    worker_status: StatusWriter = field(init=False, repr=False, compare=False)
    load_history: LoadHistory = field(init=False, repr=False, compare=False)
    gateway: GatewayApp = field(init=False, repr=False, compare=False)

    def publish(
        self,
        kind: ResourceKind,
        type_: EventType,
        ident: int,
        public: BaseModel | None,
        hint: str = "",
    ) -> None:
        data = public.model_dump(mode="json") if public is not None else {"id": ident}
        self.bus.publish(Event(kind, type_, ident, data, hint=hint))
