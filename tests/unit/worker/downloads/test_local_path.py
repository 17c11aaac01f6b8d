from pathlib import Path

import pytest

from gpustack.worker.downloads import DownloadSource, LocalPathNotFoundError, ensure_model


async def test_existing_local_path_is_returned_as_is(tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")

    assert await ensure_model(DownloadSource.local(model), tmp_path / "cache") == model.resolve()


async def test_missing_local_path_says_which(tmp_path: Path) -> None:
    missing = tmp_path / "x"

    with pytest.raises(LocalPathNotFoundError, match=f"local path {missing} does not exist"):
        await ensure_model(DownloadSource.local(missing), tmp_path / "cache")


def test_sources_need_what_their_kind_names() -> None:
    with pytest.raises(ValueError, match="needs repo_id"):
        DownloadSource.huggingface("")
