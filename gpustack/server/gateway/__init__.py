"""OpenAI-compatible inference gateway, mounted at each of `PREFIXES` (`/v1`, `/v1-openai`).

The server builds a `GatewayApp`, mounts it at every prefix, calls `startup()`/`shutdown()`
in its lifespan, keeps the `RouteTable` in sync with running instances, and serves
`gateway.metrics.render()` at `/metrics`. Each API is an operation module in `operations/`.
"""

from .app import GatewayApp
from .auth import Authenticator
from .balancer import Balancer
from .errors import GatewayError
from .metrics import GatewayMetrics
from .operations import Operation, UpstreamRequest, default_operations
from .prefixes import PREFIXES
from .routes import Endpoint, ModelRoute, RouteTable
from .settings import BalancerMode, GatewaySettings
from .upstream import (
    AiohttpTransport,
    Transport,
    UpstreamBroken,
    UpstreamConnectError,
    UpstreamError,
    UpstreamResponse,
    UpstreamTimeout,
)
from .usage import UsageRecord, UsageRecorder, UsageSink

__all__ = [
    "PREFIXES",
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
    "Operation",
    "RouteTable",
    "Transport",
    "UpstreamBroken",
    "UpstreamConnectError",
    "UpstreamError",
    "UpstreamRequest",
    "UpstreamResponse",
    "UpstreamTimeout",
    "UsageRecord",
    "UsageRecorder",
    "UsageSink",
    "default_operations",
]
