"""Knobs of the engine supervisor, mapped from the worker's config."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SupervisorSettings:
    """How the supervisor starts, watches, stops and restarts engine processes.

    Defaults suit production; tests shrink the intervals to keep the suite fast.
    """

    # Address engines bind to and health checks poll (the worker's own address).
    host: str = "127.0.0.1"
    health_interval_s: float = 2.0
    # While an engine starts: often, since every poll missed is time a woken deployment's
    # first request waits.
    startup_health_interval_s: float = 0.1
    health_timeout_s: float = 5.0
    # Consecutive failed checks after `running` before the instance counts as lost.
    health_failures: int = 3
    # Huge models can take many minutes to load, so the default is generous.
    startup_timeout_s: float = 1800.0
    # Time between SIGTERM and SIGKILL when stopping an engine.
    stop_timeout_s: float = 10.0
    restart_on_error: bool = True
    backoff_initial_s: float = 5.0
    backoff_max_s: float = 300.0
    # A run that stayed healthy this long resets the restart delay.
    backoff_reset_after_s: float = 300.0
    # Whether the host has GPUs; CPU-only instances then get CUDA_VISIBLE_DEVICES="".
    host_has_gpus: bool = False
    # Whose GPUs they are: picks CUDA_VISIBLE_DEVICES, HIP_VISIBLE_DEVICES, ...
    gpu_vendor: str = "nvidia"
    # Log lines quoted in the error message when an engine exits.
    error_log_lines: int = 5
