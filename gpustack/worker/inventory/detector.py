"""The interface every accelerator detector implements (NVIDIA, AMD, Apple, Intel, Ascend)."""

from __future__ import annotations

from typing import Protocol

from gpustack.schemas.worker_status import GPUDevice, GPUVendor


class GPUDetector(Protocol):
    """Lists one vendor's accelerators on this machine.

    ``detect`` blocks (driver calls) and runs in a thread. It returns ``[]`` when the vendor's
    driver or library is absent, and never raises for that: a worker without GPUs is normal.
    """

    @property
    def vendor(self) -> GPUVendor: ...

    def detect(self) -> list[GPUDevice]: ...

    def close(self) -> None:
        """Release driver handles; the detector may be used again afterwards."""
        ...
