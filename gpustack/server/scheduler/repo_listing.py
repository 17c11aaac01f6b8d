"""What a model hub says about a repository (file sizes, config), and a profile built from it.

The server never downloads weights: a hub repository is priced from the sizes its listing
reports. The listing calls block on the network; run them in a thread.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpustack.engines.base import ModelFormat, ModelProfile
from gpustack.engines.profiles.hf_categories import hf_capabilities, hf_categories
from gpustack.schemas.models import SourceKind
from gpustack.sources.errors import NoMatchingFileError
from gpustack.sources.file_selection import RepoFile, is_gguf, select_files

# No such folder exists: `hf_categories` then decides from the config alone.
_NO_LOCAL_DIR = Path("/nonexistent-model-dir")


@dataclass(frozen=True, slots=True)
class RepoListing:
    """Files of a hub repository with their sizes, plus its config.json when the hub has it."""

    files: tuple[RepoFile, ...]
    config: dict[str, Any] = field(default_factory=dict)


class RepoListingError(Exception):
    """The hub cannot be asked, or the repository has nothing we can serve."""


def list_repository(kind: SourceKind, repo_id: str) -> RepoListing:
    """The listing of a Hugging Face or ModelScope repository (blocking network call)."""
    if kind is SourceKind.HUGGINGFACE:
        return _list_huggingface(repo_id)
    if kind is SourceKind.MODEL_SCOPE:
        return _list_model_scope(repo_id)
    raise RepoListingError(f"{kind.value} is not a hub source")


def _list_huggingface(repo_id: str) -> RepoListing:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    endpoint = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    try:
        info = HfApi(endpoint=endpoint).model_info(repo_id, files_metadata=True)
    except RepositoryNotFoundError as exc:
        raise RepoListingError(
            f"repository {repo_id} not found on {endpoint} (check the name, or HF_TOKEN for a "
            "private or gated repository)"
        ) from exc
    except Exception as exc:  # the hub client raises many unrelated types
        raise RepoListingError(f"Hugging Face cannot list {repo_id}: {exc}") from exc
    files = tuple(RepoFile(s.rfilename, s.size) for s in info.siblings or ())
    config = info.config if isinstance(info.config, dict) else {}
    return RepoListing(files, config)


def _list_model_scope(model_id: str) -> RepoListing:
    try:
        api_module = importlib.import_module("modelscope.hub.api")
    except ImportError as exc:
        raise RepoListingError("the modelscope package is not installed on the server") from exc
    try:
        entries: list[dict[str, Any]] = api_module.HubApi().get_model_files(
            model_id, recursive=True
        )
    except Exception as exc:  # the ModelScope client raises many unrelated types
        raise RepoListingError(f"ModelScope cannot list {model_id}: {exc}") from exc
    files = tuple(
        RepoFile(str(e["Path"]), int(e.get("Size") or 0))
        for e in entries
        if e.get("Type", "blob") != "tree"
    )
    return RepoListing(files)


def profile_from_listing(listing: RepoListing, pattern: str | None, label: str) -> ModelProfile:
    """A size-only profile: the files a worker would fetch, summed.

    GGUF layer sizes are unknown from a listing, so the whole model is priced as non-layer
    bytes: an engine then places it fully on GPU or fully on CPU, never part-offloaded.
    """
    try:
        selection = select_files(listing.files, pattern, include_mmproj=True, repo_label=label)
    except NoMatchingFileError as exc:
        raise RepoListingError(str(exc)) from exc
    if selection.primary is not None:
        model_bytes = sum(f.size or 0 for f in selection.files if _is_model_part(f.path))
        return ModelProfile(
            format=ModelFormat.GGUF,
            weights_bytes=model_bytes,
            non_layer_bytes=model_bytes,
            extra_bytes=selection.total_size - model_bytes,
        )
    weights = [f for f in selection.files if f.path.endswith(".safetensors")]
    if not weights:
        return ModelProfile(format=ModelFormat.UNKNOWN, weights_bytes=selection.total_size)
    return ModelProfile(
        format=ModelFormat.SAFETENSORS,
        architecture=next(iter(listing.config.get("architectures") or []), ""),
        weights_bytes=sum(f.size or 0 for f in weights),
        categories=hf_categories(_NO_LOCAL_DIR, listing.config),
        capabilities=hf_capabilities(listing.config),
    )


def _is_model_part(path: str) -> bool:
    return is_gguf(path) and "mmproj" not in path.rsplit("/", 1)[-1].lower()
