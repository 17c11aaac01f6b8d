"""Where a model's files come from: a typed description the worker downloads from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gpustack.schemas.models import SourceKind
from gpustack.schemas.repo_ids import check_repo_id


@dataclass(frozen=True, slots=True)
class DownloadSource:
    """A model to materialise on the worker.

    ``filename`` is a glob inside the repository (``*Q4_K_M.gguf``); when it picks one part of a
    split GGUF (``*-00001-of-00003.gguf``) every part is fetched. Without ``filename`` the whole
    repository is fetched. ``include_mmproj`` also fetches the repository's multimodal projector
    for a GGUF vision model. ``revision`` is a branch, tag or commit.
    """

    kind: SourceKind
    repo_id: str | None = None
    filename: str | None = None
    local_path: Path | None = None
    revision: str = "main"
    include_mmproj: bool = False

    def __post_init__(self) -> None:
        if self.kind is SourceKind.LOCAL_PATH:
            if self.local_path is None:
                raise ValueError("a local_path source needs local_path")
        elif not self.repo_id:
            raise ValueError(f"a {self.kind} source needs repo_id")
        else:
            # Repo ids become cache paths; the worker API takes them from its query string.
            check_repo_id(self.repo_id)

    @classmethod
    def huggingface(
        cls,
        repo_id: str,
        filename: str | None = None,
        *,
        revision: str = "main",
        include_mmproj: bool = False,
    ) -> DownloadSource:
        return cls(SourceKind.HUGGINGFACE, repo_id, filename, None, revision, include_mmproj)

    @classmethod
    def model_scope(
        cls,
        model_id: str,
        filename: str | None = None,
        *,
        revision: str = "master",
        include_mmproj: bool = False,
    ) -> DownloadSource:
        return cls(SourceKind.MODEL_SCOPE, model_id, filename, None, revision, include_mmproj)

    @classmethod
    def local(cls, path: Path | str) -> DownloadSource:
        return cls(SourceKind.LOCAL_PATH, local_path=Path(path))

    def describe(self) -> str:
        """Human text for logs and state messages."""
        if self.kind is SourceKind.LOCAL_PATH:
            return f"local path {self.local_path}"
        target = f"{self.repo_id}" + (f" ({self.filename})" if self.filename else "")
        return f"{self.kind} {target}"
