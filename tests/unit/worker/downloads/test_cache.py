import os
from pathlib import Path

from gpustack.schemas.models import SourceKind
from gpustack.worker.downloads import (
    DownloadSource,
    HubSettings,
    delete_cached,
    ensure_model,
    list_cached,
)
from tests.fixtures.fake_hub import FakeHub

KIB = 1024


def add_repo(hub: FakeHub) -> dict[str, bytes]:
    files = {
        "m-Q4_0.gguf": os.urandom(40 * KIB),
        "m-Q8_0-00001-of-00002.gguf": os.urandom(30 * KIB),
        "m-Q8_0-00002-of-00002.gguf": os.urandom(30 * KIB),
    }
    hub.add_repo("acme/M-GGUF", files)
    return files


async def fetch_both(settings: HubSettings, cache: Path) -> Path:
    await ensure_model(DownloadSource.huggingface("acme/M-GGUF", "*Q4_0.gguf"), cache, hub=settings)
    return await ensure_model(
        DownloadSource.huggingface("acme/M-GGUF", "*Q8_0-00001-of-00002.gguf"), cache, hub=settings
    )


async def test_empty_cache_lists_nothing(tmp_path: Path) -> None:
    assert await list_cached(tmp_path) == []


async def test_listing_shows_downloaded_files_and_their_size(
    hub: FakeHub, settings: HubSettings, tmp_path: Path
) -> None:
    files = add_repo(hub)
    await fetch_both(settings, tmp_path)

    (cached,) = await list_cached(tmp_path)

    assert cached.kind is SourceKind.HUGGINGFACE
    assert cached.repo_id == "acme/M-GGUF"
    assert cached.files == tuple(sorted(files))
    assert cached.size >= sum(len(v) for v in files.values())
    assert cached.revisions == (hub.repos["acme/M-GGUF"].sha,)


async def test_deleting_one_split_model_frees_all_its_parts_and_keeps_the_rest(
    hub: FakeHub, settings: HubSettings, tmp_path: Path
) -> None:
    files = add_repo(hub)
    await fetch_both(settings, tmp_path)

    freed = await delete_cached(
        tmp_path, SourceKind.HUGGINGFACE, "acme/M-GGUF", "m-Q8_0-00001-of-00002.gguf"
    )

    assert freed == 60 * KIB
    (cached,) = await list_cached(tmp_path)
    assert cached.files == ("m-Q4_0.gguf",)
    # A later request downloads the deleted parts again.
    path = await ensure_model(
        DownloadSource.huggingface("acme/M-GGUF", "*Q8_0-00001-of-00002.gguf"),
        tmp_path,
        hub=settings,
    )
    assert path.read_bytes() == files["m-Q8_0-00001-of-00002.gguf"]


async def test_deleting_a_repo_removes_it_from_the_listing(
    hub: FakeHub, settings: HubSettings, tmp_path: Path
) -> None:
    add_repo(hub)
    await fetch_both(settings, tmp_path)

    freed = await delete_cached(tmp_path, SourceKind.HUGGINGFACE, "acme/M-GGUF")

    assert freed >= 100 * KIB
    assert await list_cached(tmp_path) == []
    assert await delete_cached(tmp_path, SourceKind.HUGGINGFACE, "acme/M-GGUF") == 0
