"""What the gateway learns about one request on its way, for usage, limits and metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpustack.server.security.principal import Principal

from .routes import ModelRoute
from .usage import UsageRecord


@dataclass(slots=True)
class Exchange:
    """Mutable per-request state, filled in as the request moves through the gateway."""

    operation: str
    started: float  # perf_counter
    arrived: float  # wall clock
    principal: Principal | None = None
    route: ModelRoute | None = None
    instance_id: int | None = None
    stream: bool = False
    status: int = 200
    response_started: bool = False
    ttft_s: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def take_usage(self, usage: Any) -> None:
        if not isinstance(usage, dict):
            return
        self.prompt_tokens = _int(usage.get("prompt_tokens"))
        self.completion_tokens = _int(usage.get("completion_tokens"))
        self.total_tokens = _int(usage.get("total_tokens")) or (
            self.prompt_tokens + self.completion_tokens
        )

    def usage_record(self, duration_s: float) -> UsageRecord | None:
        if self.principal is None or self.route is None:
            return None
        return UsageRecord(
            timestamp=self.arrived,
            user_id=self.principal.user_id,
            api_key_id=self.principal.api_key_id,
            model_id=self.route.model_id,
            model_name=self.route.name,
            operation=self.operation,
            instance_id=self.instance_id,
            status_code=self.status,
            stream=self.stream,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            total_tokens=self.total_tokens,
            duration_ms=duration_s * 1000.0,
            ttft_ms=None if self.ttft_s is None else self.ttft_s * 1000.0,
        )


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
