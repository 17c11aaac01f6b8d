"""A repository id never walks out of the model cache, wherever it comes from."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from gpustack.schemas.models import ModelSpec, SourceKind
from gpustack.worker.downloads.cache import delete_cached
from gpustack.worker.downloads.source import DownloadSource

ESCAPES = ["../..", "../victim", "owner/..", "./x", "owner/../../x", "a/b/c", "..%2F/x"]


@pytest.mark.parametrize("repo_id", ESCAPES)
def test_a_deployment_with_a_path_like_repo_id_is_refused(repo_id: str) -> None:
    with pytest.raises(ValidationError, match="owner/name"):
        ModelSpec(name="m", source="model_scope", model_scope_model_id=repo_id)
    with pytest.raises(ValidationError, match="owner/name"):
        ModelSpec(name="m", source="huggingface", huggingface_repo_id=repo_id)


@pytest.mark.parametrize("repo_id", ESCAPES)
def test_the_worker_refuses_a_path_like_repo_id(repo_id: str) -> None:
    with pytest.raises(ValueError, match="owner/name"):
        DownloadSource(SourceKind.MODEL_SCOPE, repo_id)


async def test_removing_cached_files_cannot_delete_outside_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / "modelscope").mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious")
    with pytest.raises(ValueError, match="owner/name"):
        await delete_cached(cache, SourceKind.MODEL_SCOPE, "../../victim")
    with pytest.raises(ValueError, match="owner/name"):
        await delete_cached(cache, SourceKind.HUGGINGFACE, "../victim")
    assert (victim / "keep.txt").read_text() == "precious"


def test_ordinary_repo_ids_are_accepted() -> None:
    for repo_id in (
        "Qwen/Qwen3-8B",
        "BAAI/bge-m3",
        "unsloth/Qwen2.5-VL-3B-Instruct-GGUF",
        "a_b/c.d",
    ):
        assert DownloadSource(SourceKind.HUGGINGFACE, repo_id).repo_id == repo_id
        ModelSpec(name="m", source="huggingface", huggingface_repo_id=repo_id)
