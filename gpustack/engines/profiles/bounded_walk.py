"""Walk a model directory with limits, so a path like `/` costs milliseconds, not minutes."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

from gpustack.engines.profiles.errors import ModelProfileError

# A model directory (diffusers has the deepest: pipeline/component/file) is a few levels deep
# and holds tens of files; these limits leave room for odd layouts and still stop a walk of a
# whole filesystem quickly.
MAX_DEPTH = 6
MAX_ENTRIES = 20_000
MAX_SECONDS = 2.0


def walk_files(
    root: Path,
    *,
    max_depth: int = MAX_DEPTH,
    max_entries: int = MAX_ENTRIES,
    max_seconds: float = MAX_SECONDS,
) -> Iterator[Path]:
    """Regular files under `root`, sorted per directory, symlinked directories not followed.

    Raises ModelProfileError when the tree is deeper, larger or slower to read than a model.
    """
    deadline = time.monotonic() + max_seconds
    seen = 0
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda e: e.name, reverse=True)
        except OSError:
            continue
        seen += len(entries)
        if seen > max_entries or time.monotonic() > deadline:
            raise ModelProfileError(
                f"{root} holds more files than a model directory "
                f"(over {max_entries} entries or {max_seconds:g} s to list): "
                "point local_path at the model's own file or folder"
            )
        for entry in reversed(entries):
            if entry.is_dir(follow_symlinks=False):
                if depth + 1 < max_depth:
                    stack.append((Path(entry.path), depth + 1))
            elif entry.is_file():
                yield Path(entry.path)


def files_with_suffix(root: Path, suffix: str) -> list[Path]:
    """Every file under `root` whose name ends with `suffix`, within the walk's limits."""
    return sorted(p for p in walk_files(root) if p.name.lower().endswith(suffix))
