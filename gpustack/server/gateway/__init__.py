"""OpenAI-compatible inference gateway: `/v1` and `/v1-openai`.

The server builds a `GatewayApp`, mounts it at both prefixes, calls `startup()`/`shutdown()`
in its lifespan, keeps the `RouteTable` in sync with running instances, and serves
`gateway.metrics.render()` at `/metrics`.
"""

from .app import GatewayApp
from .auth import Authenticator
from .balancer import Balancer
from .errors import GatewayError
from .metrics import GatewayMetrics
from .routes import Endpoint, ModelRoute, RouteTable
from .settings import BalancerMode, GatewaySettings
from .upstream import (
    AiohttpTransport,
    Transport,
    UpstreamBroken,
    UpstreamConnectError,
    UpstreamResponse,
    UpstreamTimeout,
)
from .usage import UsageRecord, UsageRecorder, UsageSink

__all__ = [
    "AiohttpTransport",
    "Authenticator",
    "Balancer",
    "BalancerMode",
    "Endpoint",
    "GatewayApp",
    "GatewayError",
    "GatewayMetrics",
    "GatewaySettings",
    "ModelRoute",
    "RouteTable",
    "Transport",
    "UpstreamBroken",
    "UpstreamConnectError",
    "UpstreamResponse",
    "UpstreamTimeout",
    "UsageRecord",
    "UsageRecorder",
    "UsageSink",
]
