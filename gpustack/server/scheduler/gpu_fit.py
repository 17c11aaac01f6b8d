"""Matching an estimate's per-GPU demands to a worker's free GPUs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# (free bytes, gpu index) of one usable GPU.
FreeGpu = tuple[int, int]


def fit_demands(
    demands: Sequence[int], free_gpus: Sequence[FreeGpu], prefer_full: bool
) -> tuple[int, ...] | None:
    """GPU indexes aligned with `demands` (one distinct GPU each), or None if they do not fit.

    Demands are served largest first. `prefer_full` (binpack) gives each the fullest GPU that
    still fits it; otherwise (spread) the emptiest GPUs are used. Both find a fit whenever
    one exists, because a GPU that fits a demand also fits every smaller one.
    """
    if len(demands) > len(free_gpus):
        return None
    order = sorted(range(len(demands)), key=lambda i: -demands[i])
    chosen = [0] * len(demands)
    if prefer_full:
        pool = sorted(free_gpus)
        for pos in order:
            slot = next((n for n, (free, _) in enumerate(pool) if free >= demands[pos]), None)
            if slot is None:
                return None
            chosen[pos] = pool.pop(slot)[1]
        return tuple(chosen)
    emptiest = emptiest_first(free_gpus)
    for rank, pos in enumerate(order):
        free, index = emptiest[rank]
        if free < demands[pos]:
            return None
        chosen[pos] = index
    return tuple(chosen)


def vram_deficit(demands: Sequence[int], free_gpus: Sequence[FreeGpu]) -> int:
    """Bytes missing when the largest demands meet the emptiest GPUs."""
    emptiest = emptiest_first(free_gpus)
    wanted = sorted(demands, reverse=True)
    return sum(max(0, need - free) for need, (free, _) in zip(wanted, emptiest, strict=False))


def emptiest_first(free_gpus: Iterable[FreeGpu]) -> list[FreeGpu]:
    """Most free memory first; the lower index wins a tie so choices read naturally."""
    return sorted(free_gpus, key=lambda g: (-g[0], g[1]))
