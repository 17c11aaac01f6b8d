"""NVIDIA GPUs through NVML (the ``pynvml`` module of the ``nvidia-ml-py`` package)."""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from gpustack.schemas.worker_status import (
    GPUCoreInfo,
    GPUDevice,
    GPUMemoryInfo,
    GPUVendor,
    percent_of,
)

logger = logging.getLogger(__name__)

# NVML's constant for the GPU die sensor; copied so the seam needs nothing from pynvml.
NVML_TEMPERATURE_GPU = 0


class NvmlMemory(Protocol):
    """What ``nvmlDeviceGetMemoryInfo`` returns (bytes)."""

    @property
    def total(self) -> int: ...

    @property
    def used(self) -> int: ...


class NvmlUtilization(Protocol):
    """What ``nvmlDeviceGetUtilizationRates`` returns (percent over the last sample period)."""

    @property
    def gpu(self) -> int: ...


class NvmlLibrary(Protocol):
    """The few NVML calls used here, named as in pynvml so the module itself fits.

    Tests plug in recorded snapshots through this seam. Calls raise ``pynvml.NVMLError``.
    """

    def nvmlInit(self) -> None: ...

    def nvmlShutdown(self) -> None: ...

    def nvmlDeviceGetCount(self) -> int: ...

    def nvmlDeviceGetHandleByIndex(self, index: int) -> Any: ...

    def nvmlDeviceGetName(self, handle: Any) -> str | bytes: ...

    def nvmlDeviceGetUUID(self, handle: Any) -> str | bytes: ...

    def nvmlDeviceGetMemoryInfo(self, handle: Any) -> NvmlMemory: ...

    def nvmlDeviceGetUtilizationRates(self, handle: Any) -> NvmlUtilization: ...

    def nvmlDeviceGetTemperature(self, handle: Any, sensor: int) -> int: ...


def load_pynvml() -> NvmlLibrary | None:
    """The real NVML binding, or None when the Python package is not installed."""
    try:
        import pynvml
    except ImportError:
        return None
    library: NvmlLibrary = pynvml
    return library


def _text(value: str | bytes) -> str:
    # Older bindings return bytes, newer ones str.
    return value.decode(errors="replace") if isinstance(value, bytes) else value


class NvidiaDetector:
    """Reads name, uuid, memory, utilisation and temperature of every NVIDIA GPU.

    NVML is initialised on first use and kept until ``close``. When the library or driver is
    missing, ``detect`` returns ``[]`` and does not try again: drivers do not appear at runtime.
    """

    vendor = GPUVendor.NVIDIA

    def __init__(self, nvml: NvmlLibrary | None = None) -> None:
        self._nvml = nvml
        self._lock = threading.Lock()
        self._initialised = False
        self._unavailable = False

    def detect(self) -> list[GPUDevice]:
        with self._lock:
            nvml = self._ensure_initialised()
            if nvml is None:
                return []
            try:
                count = nvml.nvmlDeviceGetCount()
            except Exception as exc:  # NVMLError; the driver can fail at any call
                logger.warning("NVML could not count GPUs: %s", exc)
                return []
            devices: list[GPUDevice] = []
            for index in range(count):
                try:
                    devices.append(self._read_device(nvml, index))
                except Exception as exc:  # a lost GPU must not hide the others
                    logger.warning("NVML could not read GPU %d: %s", index, exc)
            return devices

    def close(self) -> None:
        with self._lock:
            if self._initialised and self._nvml is not None:
                try:
                    self._nvml.nvmlShutdown()
                except Exception as exc:
                    logger.debug("NVML shutdown failed: %s", exc)
            self._initialised = False

    def _ensure_initialised(self) -> NvmlLibrary | None:
        if self._unavailable:
            return None
        if self._nvml is None:
            self._nvml = load_pynvml()
            if self._nvml is None:
                self._unavailable = True
                return None
        if not self._initialised:
            try:
                self._nvml.nvmlInit()
            except Exception as exc:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...
                logger.info("No NVIDIA GPUs: NVML is not available (%s)", exc)
                self._unavailable = True
                return None
            self._initialised = True
        return self._nvml

    @staticmethod
    def _read_device(nvml: NvmlLibrary, index: int) -> GPUDevice:
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        memory = nvml.nvmlDeviceGetMemoryInfo(handle)
        return GPUDevice(
            vendor=GPUVendor.NVIDIA,
            name=_text(nvml.nvmlDeviceGetName(handle)),
            index=index,
            uuid=_text(nvml.nvmlDeviceGetUUID(handle)),
            memory=GPUMemoryInfo(
                total=memory.total,
                used=memory.used,
                utilization_rate=percent_of(memory.used, memory.total),
            ),
            core=GPUCoreInfo(utilization_rate=_read_utilization(nvml, handle)),
            temperature=_read_temperature(nvml, handle),
        )


def _read_utilization(nvml: NvmlLibrary, handle: Any) -> float:
    # Not supported on MIG instances and some virtual GPUs: report 0 rather than drop the GPU.
    try:
        return float(min(max(nvml.nvmlDeviceGetUtilizationRates(handle).gpu, 0), 100))
    except Exception:
        return 0.0


def _read_temperature(nvml: NvmlLibrary, handle: Any) -> float | None:
    try:
        return float(nvml.nvmlDeviceGetTemperature(handle, NVML_TEMPERATURE_GPU))
    except Exception:
        return None
