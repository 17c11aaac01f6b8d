"""Prometheus metrics of the gateway, in a registry the gateway owns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
_TTFT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60)
_QUEUE_WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)


@dataclass(frozen=True, slots=True)
class QueueMetrics:
    """One model's admission metrics, looked up once per model."""

    length: Gauge
    wait: Histogram
    full: Counter
    timeout: Counter


class GatewayMetrics:
    """Counters and histograms for `/metrics`; `render()` gives the Prometheus text."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "gpustack_gateway_requests",
            "Inference requests answered, by model, operation and HTTP status.",
            ("model", "operation", "code"),
            registry=r,
        )
        self.errors = Counter(
            "gpustack_gateway_errors",
            "Inference requests answered with an error status, by model and status.",
            ("model", "code"),
            registry=r,
        )
        self.latency = Histogram(
            "gpustack_gateway_request_duration_seconds",
            "Time from request to the end of the answer.",
            ("model", "operation"),
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.ttft = Histogram(
            "gpustack_gateway_time_to_first_token_seconds",
            "Time from request to the first generated token of a stream.",
            ("model",),
            buckets=_TTFT_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            "gpustack_gateway_tokens",
            "Tokens processed, by model and kind (prompt or completion).",
            ("model", "kind"),
            registry=r,
        )
        self.in_flight = Gauge(
            "gpustack_gateway_in_flight_requests",
            "Requests in flight per model instance.",
            ("model", "instance"),
            registry=r,
        )

        self.queue_length = Gauge(
            "gpustack_gateway_queue_length",
            "Requests waiting for a free slot of a model.",
            ("model",),
            registry=r,
        )
        self.queue_wait = Histogram(
            "gpustack_gateway_queue_wait_seconds",
            "Time a request waited for a free slot (only requests that found none free).",
            ("model",),
            buckets=_QUEUE_WAIT_BUCKETS,
            registry=r,
        )
        self.rejected = Counter(
            "gpustack_gateway_queue_rejected",
            "Requests answered 429 by admission, by model and reason (queue_full, queue_timeout).",
            ("model", "reason"),
            registry=r,
        )

        # Child lookups by label values cost a lock and a hash per call: keep them.
        self._children: dict[tuple[object, ...], Any] = {}

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def in_flight_gauge(self, model: str, instance_id: int) -> Gauge:
        gauge: Gauge = self._child(self.in_flight, model, str(instance_id))
        return gauge

    def queue(self, model: str) -> QueueMetrics:
        return QueueMetrics(
            length=self.queue_length.labels(model),
            wait=self.queue_wait.labels(model),
            full=self.rejected.labels(model, "queue_full"),
            timeout=self.rejected.labels(model, "queue_timeout"),
        )

    def observe(
        self,
        model: str,
        operation: str,
        code: int,
        duration_s: float,
        ttft_s: float | None,
        prompt_tokens: int,
        completion_tokens: int,
    ) -> None:
        status = str(code)
        self._child(self.requests, model, operation, status).inc()
        if code >= 400:
            self._child(self.errors, model, status).inc()
        self._child(self.latency, model, operation).observe(duration_s)
        if ttft_s is not None:
            self._child(self.ttft, model).observe(ttft_s)
        if prompt_tokens:
            self._child(self.tokens, model, "prompt").inc(prompt_tokens)
        if completion_tokens:
            self._child(self.tokens, model, "completion").inc(completion_tokens)

    def render(self) -> bytes:
        return generate_latest(self.registry)
