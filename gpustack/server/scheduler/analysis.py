"""Model analysis: what a deployment's weights are (format, sizes, layers) before placing it.

Local paths are profiled from their headers when the server can see them (the common case of
a worker embedded in the server); hub repositories are priced from the sizes the hub lists.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from gpustack.engines.base import ModelFormat, ModelProfile
from gpustack.engines.profiles import ModelProfileError, profile_model
from gpustack.schemas.models import ModelSpec, SourceKind
from gpustack.server.scheduler.repo_listing import (
    RepoListing,
    RepoListingError,
    list_repository,
    profile_from_listing,
)

RepoLister = Callable[[SourceKind, str], RepoListing]


@dataclass(frozen=True, slots=True)
class ModelAnalysis:
    """A deployment's profile; `caveat` says when it is a guess rather than read from files."""

    profile: ModelProfile
    caveat: str = ""


class ModelAnalysisError(Exception):
    """The model cannot be read now; the message is shown to the user and analysis retried."""


class ModelAnalyzer:
    """Profiles deployments, remembering each by its source key for the life of the server.

    Failures and guesses are not remembered, so a path that appears later or a hub that comes
    back is read on the next call.
    """

    def __init__(self, list_repo: RepoLister = list_repository, timeout: float = 60.0) -> None:
        self._list_repo = list_repo
        self._timeout = timeout
        # Its own threads: reading a slow disk or hub must never queue behind (or in front
        # of) the password hashing that logins run on the default pool.
        self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="model-analysis")
        self._cache: dict[str, ModelAnalysis] = {}

    def cached(self, spec: ModelSpec) -> ModelAnalysis | None:
        return self._cache.get(spec.source_key())

    def retain(self, source_keys: Iterable[str]) -> None:
        """Forget profiles of sources no deployment uses any more."""
        keep = set(source_keys)
        for key in [k for k in self._cache if k not in keep]:
            del self._cache[key]

    async def analyze(self, spec: ModelSpec) -> ModelAnalysis:
        """The profile of `spec`'s weights; raises ModelAnalysisError with a human reason."""
        key = spec.source_key()
        found = self._cache.get(key)
        if found is not None:
            return found
        try:
            loop = asyncio.get_running_loop()
            analysis = await asyncio.wait_for(
                loop.run_in_executor(self._threads, self._analyze_blocking, spec), self._timeout
            )
        except TimeoutError:
            raise ModelAnalysisError(
                f"cannot read model: no answer within {self._timeout:g} s"
            ) from None
        if not analysis.caveat:
            self._cache[key] = analysis
        return analysis

    def _analyze_blocking(self, spec: ModelSpec) -> ModelAnalysis:
        if spec.backend == "custom":
            # The user's command decides what the path means, and the claim is given by the
            # user: there are no weights for us to read.
            return ModelAnalysis(
                ModelProfile(format=ModelFormat.UNKNOWN, categories=tuple(spec.categories))
            )
        try:
            if spec.source is SourceKind.LOCAL_PATH:
                assert spec.local_path is not None
                return _analyze_local(Path(spec.local_path))
            if spec.source is SourceKind.HUGGINGFACE:
                assert spec.huggingface_repo_id is not None
                repo, pattern = spec.huggingface_repo_id, spec.huggingface_filename
            else:
                assert spec.model_scope_model_id is not None
                repo, pattern = spec.model_scope_model_id, spec.model_scope_file_path
            return self._analyze_hub(spec.source, repo, pattern)
        except (ModelProfileError, RepoListingError, OSError) as exc:
            raise ModelAnalysisError(f"cannot read model: {exc}") from exc

    def _analyze_hub(self, kind: SourceKind, repo: str, pattern: str | None) -> ModelAnalysis:
        try:
            listing = self._list_repo(kind, repo)
        except RepoListingError as exc:
            if kind is SourceKind.MODEL_SCOPE:
                # Workers fetch ModelScope models themselves; price-less is better than stuck.
                guess = _format_guess(pattern or "", ModelFormat.SAFETENSORS)
                return ModelAnalysis(guess, f"size unknown: {exc}")
            raise
        return ModelAnalysis(profile_from_listing(listing, pattern, repo))


def _analyze_local(path: Path) -> ModelAnalysis:
    if path.exists():
        return ModelAnalysis(profile_model(path))
    # The path may exist only on a remote worker: place by format and let that worker say
    # clearly if the file is missing there too.
    guess = _format_guess(str(path), ModelFormat.UNKNOWN)
    return ModelAnalysis(guess, f"size unknown: {path} is not on the server")


def _format_guess(name: str, otherwise: ModelFormat) -> ModelProfile:
    return ModelProfile(format=ModelFormat.GGUF if ".gguf" in name.lower() else otherwise)
