"""Which files of a repository to fetch: GGUF globs, split GGUF parts, mmproj, whole repos.

Pure functions over a listing, shared by every hub-like source.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass

from gpustack.sources.errors import NoMatchingFileError

_SPLIT_GGUF = re.compile(r"^(?P<prefix>.+)-(?P<part>\d{5})-of-(?P<count>\d{5})\.gguf$")
# Pickled duplicates of safetensors weights, and Meta's original checkpoints: never needed
# when safetensors are present, and often as large as the model itself.
_REDUNDANT_WEIGHTS = ("*.bin", "*.pth", "*.pt", "*.ckpt", "*.h5", "*.msgpack", "original/*")
_MMPROJ_PREFERENCE = ("f16", "bf16", "f32", "q8")
_LISTED_AT_MOST = 20


@dataclass(frozen=True, slots=True)
class RepoFile:
    """One file in a repository listing; ``size`` in bytes when the hub reports it."""

    path: str
    size: int | None = None


@dataclass(frozen=True, slots=True)
class FileSelection:
    """The files to fetch and, for a GGUF model, the file an engine should load."""

    files: tuple[RepoFile, ...]
    primary: str | None = None

    @property
    def total_size(self) -> int:
        return sum(f.size or 0 for f in self.files)


def is_gguf(path: str) -> bool:
    return path.lower().endswith(".gguf")


def is_mmproj(path: str) -> bool:
    return "mmproj" in posixpath.basename(path).lower()


def split_group(path: str) -> tuple[str, str] | None:
    """``(prefix, count)`` for a part of a split GGUF, None for a whole file."""
    match = _SPLIT_GGUF.match(path)
    return (match["prefix"], match["count"]) if match else None


def _matches(path: str, pattern: str) -> bool:
    # A bare pattern like '*Q4_K_M.gguf' should also find files kept in sub-folders.
    return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(
        posixpath.basename(path), pattern
    )


def _available(files: Sequence[RepoFile]) -> str:
    names = [f.path for f in files if is_gguf(f.path)] or [f.path for f in files]
    shown = ", ".join(sorted(names)[:_LISTED_AT_MOST])
    more = len(names) - _LISTED_AT_MOST
    return shown + (f" and {more} more" if more > 0 else "") if names else "(empty repository)"


def select_files(
    files: Sequence[RepoFile],
    pattern: str | None,
    *,
    include_mmproj: bool,
    repo_label: str,
) -> FileSelection:
    """Pick what to fetch from ``files``; raises ``NoMatchingFileError`` with what is available."""
    if pattern is None:
        return _select_whole_repo(files, repo_label)
    wants_mmproj = "mmproj" in pattern.lower()
    matched = [
        f for f in files if _matches(f.path, pattern) and (wants_mmproj or not is_mmproj(f.path))
    ]
    if not matched:
        raise NoMatchingFileError(
            f"no file matches '{pattern}' in repo {repo_label}; available: {_available(files)}"
        )
    if not all(is_gguf(f.path) for f in matched):
        return FileSelection(files=tuple(sorted(matched, key=lambda f: f.path)))
    chosen = _gguf_model_files(files, matched, repo_label)
    if include_mmproj and not wants_mmproj:
        mmproj = pick_mmproj(files, near=chosen[0].path)
        if mmproj is not None:
            chosen = [*chosen, mmproj]
    return FileSelection(files=tuple(chosen), primary=chosen[0].path)


def _gguf_model_files(
    files: Sequence[RepoFile], matched: Sequence[RepoFile], repo_label: str
) -> list[RepoFile]:
    """The first matching GGUF model: one file, or every part of a split file."""
    first = min(matched, key=lambda f: f.path)
    group = split_group(first.path)
    if group is None:
        return [first]
    parts = sorted((f for f in files if split_group(f.path) == group), key=lambda f: f.path)
    count = int(group[1])
    if len(parts) != count:
        raise NoMatchingFileError(
            f"split GGUF {group[0]} in repo {repo_label} has {len(parts)} of {count} parts"
        )
    return parts


def pick_mmproj(files: Sequence[RepoFile], *, near: str) -> RepoFile | None:
    """The projector for a vision GGUF: same folder first, then by precision preference."""
    candidates = [f for f in files if is_gguf(f.path) and is_mmproj(f.path)]
    if not candidates:
        return None
    folder = posixpath.dirname(near)

    def rank(f: RepoFile) -> tuple[int, int, str]:
        name = posixpath.basename(f.path).lower()
        precision = next(
            (i for i, p in enumerate(_MMPROJ_PREFERENCE) if p in name), len(_MMPROJ_PREFERENCE)
        )
        return (0 if posixpath.dirname(f.path) == folder else 1, precision, f.path)

    return min(candidates, key=rank)


def _select_whole_repo(files: Sequence[RepoFile], repo_label: str) -> FileSelection:
    paths = {f.path for f in files}
    if any(is_gguf(p) for p in paths) and "config.json" not in paths:
        # A GGUF repo holds many quantisations of one model; fetching all is rarely intended.
        raise NoMatchingFileError(
            f"repo {repo_label} holds GGUF files: choose one with a file name glob; "
            f"available: {_available(files)}"
        )
    kept = list(files)
    if any(p.endswith(".safetensors") for p in paths):
        kept = [f for f in kept if not any(_matches(f.path, g) for g in _REDUNDANT_WEIGHTS)]
    return FileSelection(files=tuple(sorted(kept, key=lambda f: f.path)))
