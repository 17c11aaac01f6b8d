"""The cluster as one scheduling pass sees it: workers plus the memory claimed on them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gpustack.server.scheduler.inputs import InstanceClaim, WorkerView
from gpustack.server.scheduler.ledger import CapacityLedger


class ClusterSnapshot:
    """Workers and claims for one pass of the scheduler or one dry run.

    Every placement `place_replicas` makes is claimed here, so the next call in the same pass
    sees it; build a fresh snapshot for the next pass (or for each dry run) from the database.
    """

    def __init__(self, workers: Sequence[WorkerView], claims: Iterable[InstanceClaim] = ()):
        self.workers = tuple(workers)
        self.ledger = CapacityLedger(self.workers, claims)
