"""Why nothing fit: one short reason per worker, in the order the workers were given.

Runs only when a replica cannot be placed, so it may price every GPU count on every worker;
the hot path never pays for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from gpustack.server.scheduler.byte_units import format_bytes
from gpustack.server.scheduler.candidates import SchedulingRound
from gpustack.server.scheduler.filters import Eligibility
from gpustack.server.scheduler.gpu_fit import emptiest_first, vram_deficit
from gpustack.server.scheduler.inputs import WorkerView

# (bytes missing, human reason)
_Attempt = tuple[int, str]


def explain_no_fit(
    workers: Sequence[WorkerView],
    eligible: Sequence[Eligibility],
    rejected: Sequence[Eligibility],
    rnd: SchedulingRound,
    cpu_allowed: bool,
) -> str:
    """`"no worker can run this model: worker-a lacks …; worker-b is not_ready"`."""
    reasons = {item.worker.id: item.reason or "" for item in rejected}
    for item in eligible:
        reasons[item.worker.id] = f"{item.worker.name} {shortfall(item, rnd, cpu_allowed)}"
    listed = "; ".join(reasons[w.id] for w in workers if w.id in reasons)
    return f"no worker can run this model: {listed}"


def shortfall(item: Eligibility, rnd: SchedulingRound, cpu_allowed: bool) -> str:
    """What the worker lacks for the placement that came closest to fitting."""
    attempts = [_gpu_attempt(item, rnd, n) for n in _gpu_counts(item, rnd.gpus_per_replica)]
    if cpu_allowed and (rnd.cpu_beside_gpus or not item.gpus):
        attempts.append(_cpu_attempt(item, rnd))
    if not attempts:
        if item.gpus:
            return f"has {len(item.gpus)} usable GPUs, gpu_selector wants {rnd.gpus_per_replica}"
        return "has no usable GPU and cpu_offloading is off"
    missing, reason = min(attempts, key=lambda a: a[0])
    if missing <= 0:
        # Only reachable when every fit needs a helper worker the model may not use.
        return "has room only with GPUs of other workers (distributed inference is off)"
    return reason


def _gpu_attempt(item: Eligibility, rnd: SchedulingRound, count: int) -> _Attempt:
    capacity = rnd.ledger.capacity(item.worker.id)
    free = emptiest_first((capacity.vram_free[g.index], g.index) for g in item.gpus)[:count]
    totals = {g.index: g.vram_total for g in item.gpus}
    estimate = rnd.estimates.get(tuple(totals[i] for _, i in free))
    vram_missing = vram_deficit(estimate.vram_bytes_per_gpu, free)
    ram_missing = max(0, estimate.ram_bytes - capacity.ram_free)
    parts = []
    if vram_missing > 0:
        need = sum(estimate.vram_bytes_per_gpu)
        have = format_bytes(max(0, sum(f for f, _ in free)))
        if count == 1:
            where = f"{format_bytes(need)}, {have} free on GPU {free[0][1]}"
        else:
            indexes = ",".join(str(i) for i in sorted(i for _, i in free))
            where = f"{format_bytes(need)} on {count} GPUs, {have} free on GPUs {indexes}"
        parts.append(f"lacks {format_bytes(vram_missing)} VRAM (needs {where})")
    if ram_missing > 0:
        parts.append(_ram_text(ram_missing, estimate.ram_bytes, capacity.ram_free, ""))
    return vram_missing + ram_missing, " and ".join(parts)


def _cpu_attempt(item: Eligibility, rnd: SchedulingRound) -> _Attempt:
    capacity = rnd.ledger.capacity(item.worker.id)
    estimate = rnd.estimates.get(())
    missing = max(0, estimate.ram_bytes - capacity.ram_free)
    return missing, _ram_text(missing, estimate.ram_bytes, capacity.ram_free, " to run on CPU")


def _ram_text(missing: int, need: int, free: int, purpose: str) -> str:
    return (
        f"lacks {format_bytes(missing)} RAM{purpose} "
        f"(needs {format_bytes(need)}, {format_bytes(max(0, free))} free)"
    )


def _gpu_counts(item: Eligibility, per_replica: int | None) -> range:
    if per_replica is not None:
        return range(per_replica, per_replica + 1) if per_replica <= len(item.gpus) else range(0)
    return range(1, len(item.gpus) + 1)
