"""Picks the instance for a request: least outstanding requests, or prefix affinity.

Prefix affinity is consistent hashing with bounded load over the start of the prompt: requests
sharing a long system prompt land on the same instance (whose KV cache already holds it) unless
that instance carries more than `load_factor` x the mean load, in which case the walk around
the ring moves on to the next instance.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
from collections.abc import Collection, Sequence

from .routes import Endpoint

_VIRTUAL_NODES = 64
_RING_CACHE_SIZE = 1024


def _hash(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


class Balancer:
    """Tracks requests in flight per instance and picks the next instance for a model."""

    def __init__(self, load_factor: float = 1.25, rng: random.Random | None = None) -> None:
        self._outstanding: dict[int, int] = {}
        self._load_factor = load_factor
        self._rng = rng or random.Random()
        self._rings: dict[tuple[int, ...], tuple[list[int], list[int]]] = {}

    def outstanding(self, instance_id: int) -> int:
        return self._outstanding.get(instance_id, 0)

    def acquire(self, endpoint: Endpoint) -> None:
        iid = endpoint.instance_id
        self._outstanding[iid] = self._outstanding.get(iid, 0) + 1

    def release(self, endpoint: Endpoint) -> None:
        iid = endpoint.instance_id
        left = self._outstanding.get(iid, 0) - 1
        if left > 0:
            self._outstanding[iid] = left
        else:
            self._outstanding.pop(iid, None)

    def pick(
        self,
        endpoints: Sequence[Endpoint],
        exclude: Collection[int] = (),
        affinity_key: bytes | None = None,
    ) -> Endpoint | None:
        """The instance to use, or None when every instance is excluded."""
        candidates = (
            [e for e in endpoints if e.instance_id not in exclude] if exclude else endpoints
        )
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        if affinity_key is not None:
            return self._pick_by_prefix(candidates, affinity_key)
        return self._pick_least_outstanding(candidates)

    def _pick_least_outstanding(self, candidates: Sequence[Endpoint]) -> Endpoint:
        load = self._outstanding
        best = min(load.get(e.instance_id, 0) for e in candidates)
        ties = [e for e in candidates if load.get(e.instance_id, 0) == best]
        return ties[0] if len(ties) == 1 else self._rng.choice(ties)

    def _pick_by_prefix(self, candidates: Sequence[Endpoint], key: bytes) -> Endpoint:
        points, owners = self._ring(candidates)
        load = self._outstanding
        total = sum(load.get(e.instance_id, 0) for e in candidates)
        capacity = math.ceil(self._load_factor * (total + 1) / len(candidates))
        start = bisect.bisect(points, _hash(key))
        for step in range(len(points)):
            endpoint = candidates[owners[(start + step) % len(points)]]
            if load.get(endpoint.instance_id, 0) + 1 <= capacity:
                return endpoint
        return self._pick_least_outstanding(candidates)  # unreachable with load_factor ≥ 1

    def _ring(self, candidates: Sequence[Endpoint]) -> tuple[list[int], list[int]]:
        ids = tuple(e.instance_id for e in candidates)
        ring = self._rings.get(ids)
        if ring is None:
            nodes = sorted(
                (_hash(f"{iid}:{v}".encode()), index)
                for index, iid in enumerate(ids)
                for v in range(_VIRTUAL_NODES)
            )
            ring = ([h for h, _ in nodes], [i for _, i in nodes])
            if len(self._rings) >= _RING_CACHE_SIZE:
                self._rings.clear()
            self._rings[ids] = ring
        return ring
