"""CPU, memory, filesystem and OS facts from psutil and platform.

Every function here blocks briefly (it reads /proc and calls statvfs): call them from a thread.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable
from pathlib import Path

import psutil

from gpustack.schemas.worker_status import (
    CPUInfo,
    FilesystemInfo,
    MemoryInfo,
    OperatingSystemInfo,
    percent_of,
)


def read_cpu() -> CPUInfo:
    """Logical core count and the load since the previous call.

    ``cpu_percent(interval=None)`` never sleeps: it compares against the last call in this process,
    so the first reading after start-up is 0 and later heartbeats get the average in between.
    """
    return CPUInfo(
        total=psutil.cpu_count(logical=True) or 0,
        utilization_rate=round(psutil.cpu_percent(interval=None), 2),
    )


def read_memory() -> MemoryInfo:
    """System RAM; ``used`` is total minus available, which is what a new process can get."""
    memory = psutil.virtual_memory()
    used = max(memory.total - memory.available, 0)
    return MemoryInfo(
        total=memory.total, used=used, utilization_rate=percent_of(used, memory.total)
    )


def read_filesystem(path: Path) -> FilesystemInfo:
    """Usage of the filesystem holding ``path``; the nearest existing parent is used if needed."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    usage = psutil.disk_usage(str(probe))
    return FilesystemInfo(path=str(path), total=usage.total, used=usage.used, available=usage.free)


def read_filesystems(paths: Iterable[Path]) -> list[FilesystemInfo]:
    """Usage for each distinct path, in the order given."""
    seen: set[Path] = set()
    result: list[FilesystemInfo] = []
    for path in paths:
        if path in seen:
            continue
        seen.add(path)
        result.append(read_filesystem(path))
    return result


def read_os() -> OperatingSystemInfo:
    """Distribution name and version on Linux (os-release), the platform name elsewhere."""
    system = platform.system()
    if system == "Linux":
        try:
            release = platform.freedesktop_os_release()
        except OSError:
            release = {}
        name = release.get("NAME") or "Linux"
        version = release.get("VERSION_ID") or release.get("VERSION") or ""
        return OperatingSystemInfo(name=name, version=version)
    if system == "Darwin":
        return OperatingSystemInfo(name="macOS", version=platform.mac_ver()[0])
    return OperatingSystemInfo(name=system or "unknown", version=platform.version())


def read_arch() -> str:
    """Machine architecture as reported by the kernel, e.g. ``x86_64`` or ``aarch64``."""
    return platform.machine()


def read_kernel() -> str:
    """Kernel release, e.g. ``6.8.0-45-generic``."""
    return platform.release()
