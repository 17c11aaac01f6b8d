"""Tunables of the gateway, with defaults that allow long generations."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BalancerMode(StrEnum):
    LEAST_OUTSTANDING = "least_outstanding"
    PREFIX_AFFINITY = "prefix_affinity"


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """Gateway configuration; the server builds it from its Config."""

    # Connecting to an engine; a failure here is retried on another instance.
    connect_timeout_s: float = 10.0
    # Whole request, first byte to last: long generations must fit.
    total_timeout_s: float = 3600.0
    # Longest silence between two chunks of a streamed answer (includes a long prefill).
    stream_idle_timeout_s: float = 600.0
    # A request that runs longer than this starts watching for the client going away (and
    # then cancels the engine's work); shorter ones finish before it matters.
    disconnect_watch_after_s: float = 0.5
    balancer: BalancerMode = BalancerMode.LEAST_OUTSTANDING
    # Prefix affinity: characters of the prompt hashed, and the bounded-load factor
    # (an instance takes a request only while its load <= factor x the mean).
    affinity_prefix_chars: int = 1024
    affinity_load_factor: float = 1.25
    # Usage records are written in batches off the request path.
    usage_batch_size: int = 200
    usage_flush_interval_s: float = 1.0
    usage_queue_size: int = 100_000
    # Admission: requests beyond a model's concurrent slots wait in a FIFO of at most this
    # many, for at most this long, unless the deployment sets its own bounds.
    max_queue_length: int = 100
    # Generous: a queued request used to wait inside the engine for as long as it took.
    max_queue_wait_s: float = 300.0
    # A streaming request held while its model wakes gets an SSE comment this often.
    wake_keepalive_s: float = 2.0
    # Largest accepted request body (audio and image uploads included).
    max_body_bytes: int = 256 * 1024 * 1024
    # Request log: bytes kept of each body (streams: of the assembled text).
    request_log_max_body: int = 16 * 1024
