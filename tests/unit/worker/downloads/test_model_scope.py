import sys
import types
from pathlib import Path
from typing import Any

import pytest

from gpustack.schemas.models import SourceKind
from gpustack.worker.downloads import (
    DownloadSource,
    MissingDependencyError,
    RepositoryNotFoundError,
    delete_cached,
    ensure_model,
    list_cached,
)

REPO = {
    "Qwen/Qwen2-0.5B-GGUF": {
        "README.md": b"readme",
        "qwen2-0_5b-instruct-q4_k_m.gguf": b"GGUF-q4" * 100,
        "qwen2-0_5b-instruct-q8_0.gguf": b"GGUF-q8" * 100,
    }
}


class NotExistError(Exception):
    pass


def install_fake_modelscope(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stand-in modules with the calls the downloader makes; returns the downloaded paths."""
    downloaded: list[str] = []

    class HubApi:
        def get_model_files(self, model_id: str, revision: str, recursive: bool) -> Any:
            if model_id not in REPO:
                raise NotExistError(model_id)
            return [
                {"Path": name, "Size": len(data), "Type": "blob"}
                for name, data in REPO[model_id].items()
            ]

    def model_file_download(model_id: str, file_path: str, revision: str, local_dir: str) -> str:
        target = Path(local_dir) / file_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(REPO[model_id][file_path])
        downloaded.append(file_path)
        return str(target)

    modules = {
        "modelscope": types.ModuleType("modelscope"),
        "modelscope.hub": types.ModuleType("modelscope.hub"),
        "modelscope.hub.api": types.ModuleType("modelscope.hub.api"),
        "modelscope.hub.file_download": types.ModuleType("modelscope.hub.file_download"),
        "modelscope.hub.errors": types.ModuleType("modelscope.hub.errors"),
    }
    modules["modelscope.hub.api"].HubApi = HubApi  # type: ignore[attr-defined]
    modules["modelscope.hub.file_download"].model_file_download = model_file_download  # type: ignore[attr-defined]
    modules["modelscope.hub.errors"].NotExistError = NotExistError  # type: ignore[attr-defined]
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    return downloaded


async def test_missing_package_asks_for_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "modelscope", None)

    with pytest.raises(MissingDependencyError, match="install the modelscope extra"):
        await ensure_model(
            DownloadSource.model_scope("Qwen/Qwen2-0.5B-GGUF", "*q4_k_m.gguf"), tmp_path
        )


async def test_gguf_glob_downloads_one_file_with_progress(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    downloaded = install_fake_modelscope(monkeypatch)
    reports: list[tuple[int, int]] = []

    path = await ensure_model(
        DownloadSource.model_scope("Qwen/Qwen2-0.5B-GGUF", "*q4_k_m.gguf"),
        tmp_path,
        lambda d, t: reports.append((d, t)),
    )

    assert (
        path
        == tmp_path / "model_scope" / "Qwen/Qwen2-0.5B-GGUF" / "qwen2-0_5b-instruct-q4_k_m.gguf"
    )
    assert downloaded == ["qwen2-0_5b-instruct-q4_k_m.gguf"]
    assert reports[-1] == (700, 700)
    (cached,) = await list_cached(tmp_path)
    assert (cached.kind, cached.repo_id, cached.size) == (
        SourceKind.MODEL_SCOPE,
        "Qwen/Qwen2-0.5B-GGUF",
        700,
    )
    assert await delete_cached(tmp_path, SourceKind.MODEL_SCOPE, "Qwen/Qwen2-0.5B-GGUF") == 700


async def test_unknown_model_id_is_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    install_fake_modelscope(monkeypatch)

    with pytest.raises(RepositoryNotFoundError, match="repository Qwen/Nope on ModelScope"):
        await ensure_model(DownloadSource.model_scope("Qwen/Nope", "*.gguf"), tmp_path)
