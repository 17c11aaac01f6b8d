"""The engine's price list for one model, asked once per distinct request in a round."""

from __future__ import annotations

from gpustack.engines.base import Engine, PlacementRequest, ResourceEstimate
from gpustack.server.scheduler.inputs import PlacementSpec

_Key = tuple[tuple[int, ...], int | None]


class EstimateCache:
    """Memoises `Engine.estimate` for one model during one scheduling round.

    The key is the VRAM total of each GPU asked for (its length is the GPU count; `()` means
    CPU only) plus the layers to offload, so a cluster of a few GPU types costs a handful of
    engine calls however many workers it has.
    """

    def __init__(self, engine: Engine, model: PlacementSpec) -> None:
        self._engine = engine
        self._model = model
        self._cache: dict[_Key, ResourceEstimate] = {}

    def get(
        self, gpu_totals: tuple[int, ...], offload_layers: int | None = None
    ) -> ResourceEstimate:
        key = (gpu_totals, offload_layers)
        found = self._cache.get(key)
        if found is None:
            found = self._ask(gpu_totals, offload_layers)
            self._cache[key] = found
        return found

    def _ask(self, gpu_totals: tuple[int, ...], offload_layers: int | None) -> ResourceEstimate:
        model = self._model
        request = PlacementRequest(
            gpu_count=len(gpu_totals),
            offload_layers=offload_layers,
            context_length=model.context_length,
            backend_parameters=model.backend_parameters,
            total_vram_bytes_per_gpu=gpu_totals,
            claimed_ram_bytes=model.claimed_ram_bytes,
            claimed_vram_bytes_per_gpu=model.claimed_vram_bytes_per_gpu,
        )
        estimate = self._engine.estimate(model.profile, request)
        return _one_vram_figure_per_gpu(estimate, len(gpu_totals))


def _one_vram_figure_per_gpu(estimate: ResourceEstimate, gpu_count: int) -> ResourceEstimate:
    """Pads or trims `vram_bytes_per_gpu` to one figure per GPU so claims line up with GPUs.

    An engine that answers with a single figure for several GPUs means "this much on each".
    """
    vram = estimate.vram_bytes_per_gpu
    if len(vram) == gpu_count:
        return estimate
    filler = vram[-1] if vram else 0
    padded = (*vram[:gpu_count], *([filler] * max(0, gpu_count - len(vram))))
    return ResourceEstimate(estimate.ram_bytes, padded, estimate.offload_layers, estimate.note)
