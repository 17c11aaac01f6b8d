"""OpenAI-compatible inference gateway, mounted at each of `PREFIXES` (`/v1`, `/v1-openai`).

The server builds a `GatewayApp`, mounts it at every prefix, calls `startup()`/`shutdown()`
in its lifespan, keeps the `RouteTable` in sync with running instances, and serves
`gateway.metrics.render()` at `/metrics`. Each API is an operation module in `operations/`.
"""

from .app import GatewayApp
from .balancer import Balancer
from .metrics import GatewayMetrics
from .operations import UpstreamRequest, default_operations
from .prefixes import PREFIXES
from .routes import Endpoint, ModelRoute, RouteTable
from .settings import GatewaySettings
from .upstream import UpstreamConnectError
from .usage import UsageRecord, UsageRecorder

__all__ = [
    "PREFIXES",
    "Balancer",
    "Endpoint",
    "GatewayApp",
    "GatewayMetrics",
    "GatewaySettings",
    "ModelRoute",
    "RouteTable",
    "UpstreamConnectError",
    "UpstreamRequest",
    "UsageRecord",
    "UsageRecorder",
    "default_operations",
]
