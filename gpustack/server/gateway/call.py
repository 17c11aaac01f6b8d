"""One inference request: its values once read (`Call`), and what became of it (`Outcome`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpustack.engines.base import ResponseQuirks
from gpustack.server.security.principal import Principal

from .routes import ModelRoute
from .usage import UsageRecord


@dataclass(frozen=True, slots=True)
class Call:
    """A request the gateway accepted: who asked, for which model, with what body.

    `doc` is the body as JSON (None for multipart bodies, forwarded as they are); an operation
    may rewrite it in place while preparing the upstream request. `quirks` are those of the
    engine that serves the model. `public_name` is the model route the client named when
    `route` is one of its targets (empty: the client named the deployment itself).
    """

    principal: Principal
    route: ModelRoute
    quirks: ResponseQuirks
    body: bytes
    content_type: str
    doc: dict[str, Any] | None
    public_name: str = ""

    @property
    def model_name(self) -> str:
        """The name the client called: in usage records and metrics."""
        return self.public_name or self.route.name


@dataclass(slots=True)
class Outcome:
    """Per-request accounting, filled in on the way: for metrics, usage records and limits."""

    started: float  # perf_counter
    arrived: float  # wall clock
    stream: bool = False
    instance_id: int | None = None
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

    def usage_record(self, operation: str, call: Call, duration_s: float) -> UsageRecord:
        return UsageRecord(
            timestamp=self.arrived,
            user_id=call.principal.user_id,
            api_key_id=call.principal.api_key_id,
            model_id=call.route.model_id or None,
            model_name=call.model_name,
            operation=operation,
            instance_id=self.instance_id if self.instance_id and self.instance_id > 0 else None,
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
