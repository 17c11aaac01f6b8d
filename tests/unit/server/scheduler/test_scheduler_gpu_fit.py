"""GPU matching and byte formatting, the pieces every placement message relies on."""

from __future__ import annotations

from gpustack.engines.base import ResourceEstimate
from gpustack.server.scheduler import format_bytes
from gpustack.server.scheduler.estimates import EstimateCache
from gpustack.server.scheduler.gpu_fit import fit_demands, vram_deficit

from .fakes import GIB, FakeEngine, model


def test_spread_takes_the_emptiest_gpus() -> None:
    free = [(10, 0), (30, 1), (20, 2)]
    assert fit_demands([15, 15], free, prefer_full=False) == (1, 2)


def test_binpack_takes_the_fullest_gpu_that_still_fits() -> None:
    free = [(10, 0), (30, 1), (20, 2)]
    assert fit_demands([15], free, prefer_full=True) == (2,)


def test_uneven_demands_are_matched_largest_first() -> None:
    # The main GPU needs more; only GPU 1 can take it.
    free = [(10, 0), (30, 1), (12, 2)]
    for prefer_full in (True, False):
        chosen = fit_demands([25, 10], free, prefer_full)
        assert chosen is not None and chosen[0] == 1


def test_no_fit_when_any_demand_is_too_big() -> None:
    assert fit_demands([15, 15], [(30, 0), (10, 1)], prefer_full=True) is None
    assert fit_demands([1, 1, 1], [(30, 0), (30, 1)], prefer_full=False) is None
    assert vram_deficit([15, 15], [(30, 0), (10, 1)]) == 5


def test_format_bytes_uses_gib_then_mib() -> None:
    assert format_bytes(9 * GIB) == "9.0 GiB"
    assert format_bytes(int(3.14 * GIB)) == "3.1 GiB"
    assert format_bytes(512 * 1024**2) == "512 MiB"


class _OneFigureEngine(FakeEngine):
    def estimate(self, profile, request):  # type: ignore[no-untyped-def]
        return ResourceEstimate(GIB, (5 * GIB,))


def test_one_vram_figure_for_several_gpus_means_that_much_on_each() -> None:
    cache = EstimateCache(_OneFigureEngine(), model())
    assert cache.get((24 * GIB,) * 3).vram_bytes_per_gpu == (5 * GIB,) * 3
    assert cache.get(()).vram_bytes_per_gpu == ()
