import asyncio
import os
from pathlib import Path

import pytest

from gpustack.worker.downloads import (
    DownloadError,
    DownloadSource,
    HubSettings,
    NoMatchingFileError,
    RepositoryNotFoundError,
    download_progress,
    ensure_model,
)
from tests.fixtures.fake_hub import FakeHub

KIB = 1024


def gguf(tag: str, size: int = 200 * KIB) -> bytes:
    return b"GGUF" + tag.encode().ljust(16, b".") + os.urandom(size)


def cached_copies(cache_dir: Path, name: str) -> list[Path]:
    return list(cache_dir.rglob(name))


def add_gguf_repo(hub: FakeHub) -> dict[str, bytes]:
    files = {
        "README.md": b"# Tiny GGUF\n",
        "tiny-Q4_K_M.gguf": gguf("q4"),
        "tiny-Q8_0.gguf": gguf("q8"),
        "big-Q4_K_M-00001-of-00003.gguf": gguf("p1"),
        "big-Q4_K_M-00002-of-00003.gguf": gguf("p2"),
        "big-Q4_K_M-00003-of-00003.gguf": gguf("p3"),
        "mmproj-tiny-f16.gguf": gguf("mm16", 30 * KIB),
        "mmproj-tiny-f32.gguf": gguf("mm32", 60 * KIB),
    }
    hub.add_repo("acme/Tiny-GGUF", files)
    return files


async def test_gguf_glob_downloads_only_that_file(
    hub: FakeHub, settings: HubSettings, tmp_path: Path
) -> None:
    files = add_gguf_repo(hub)

    path = await ensure_model(
        DownloadSource.huggingface("acme/Tiny-GGUF", "*Q4_K_M.gguf"), tmp_path, hub=settings
    )

    assert path.name == "tiny-Q4_K_M.gguf"
    assert path.read_bytes() == files["tiny-Q4_K_M.gguf"]
    assert hub.file_gets("acme/Tiny-GGUF", "tiny-Q8_0.gguf") == 0
    assert not (path.parent / "big-Q4_K_M-00001-of-00003.gguf").exists()


async def test_split_gguf_fetches_every_part_and_returns_the_first(
    hub: FakeHub, settings: HubSettings, tmp_path: Path
) -> None:
    files = add_gguf_repo(hub)

    path = await ensure_model(
        DownloadSource.huggingface("acme/Tiny-GGUF", "big-*-00001-of-00003.gguf"),
        tmp_path,
        hub=settings,
    )

    assert path.name == "big-Q4_K_M-00001-of-00003.gguf"
    for part in (1, 2, 3):
        name = f"big-Q4_K_M-0000{part}-of-00003.gguf"
        assert (path.parent / name).read_bytes() == files[name]


async def test_mmproj_is_fetched_on_request_preferring_f16(
    hub: FakeHub, settings: HubSettings, tmp_path: Path
) -> None:
    add_gguf_repo(hub)

    path = await ensure_model(
        DownloadSource.huggingface("acme/Tiny-GGUF", "tiny-Q8_0.gguf", include_mmproj=True),
        tmp_path,
        hub=settings,
    )

    assert (path.parent / "mmproj-tiny-f16.gguf").is_file()
    assert not (path.parent / "mmproj-tiny-f32.gguf").exists()


async def test_progress_reaches_100_percent_with_the_total_size(
    hub: FakeHub, settings: HubSettings, tmp_path: Path
) -> None:
    files = add_gguf_repo(hub)
    reports: list[tuple[int, int]] = []

    await ensure_model(
        DownloadSource.huggingface("acme/Tiny-GGUF", "big-Q4_K_M-*.gguf"),
        tmp_path,
        lambda done, total: reports.append((done, total)),
        hub=settings,
    )

    expected_total = sum(len(v) for k, v in files.items() if k.startswith("big-"))
    assert reports, "no progress was reported"
    assert reports[-1] == (expected_total, expected_total)
    assert download_progress(*reports[-1]) == 100.0
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)


async def test_unknown_repo_names_repo_and_endpoint(
    hub: FakeHub, settings: HubSettings, tmp_path: Path
) -> None:
    with pytest.raises(RepositoryNotFoundError) as caught:
        await ensure_model(DownloadSource.huggingface("Qwen/Foo", "*.gguf"), tmp_path, hub=settings)

    assert f"repository Qwen/Foo on {hub.url} not found" in str(caught.value)


async def test_unmatched_glob_lists_what_is_available(
    hub: FakeHub, settings: HubSettings, tmp_path: Path
) -> None:
    add_gguf_repo(hub)

    with pytest.raises(NoMatchingFileError) as caught:
        await ensure_model(
            DownloadSource.huggingface("acme/Tiny-GGUF", "*.Q5_K_M.gguf"), tmp_path, hub=settings
        )

    message = str(caught.value)
    assert message.startswith("no file matches '*.Q5_K_M.gguf' in repo acme/Tiny-GGUF")
    assert "available: " in message and "tiny-Q8_0.gguf" in message
    assert "README.md" not in message


async def test_gguf_repo_without_glob_asks_for_one(
    hub: FakeHub, settings: HubSettings, tmp_path: Path
) -> None:
    add_gguf_repo(hub)

    with pytest.raises(NoMatchingFileError, match="choose one with a file name glob"):
        await ensure_model(DownloadSource.huggingface("acme/Tiny-GGUF"), tmp_path, hub=settings)


async def test_whole_repo_skips_pickled_duplicates_of_safetensors(
    hub: FakeHub, settings: HubSettings, tmp_path: Path
) -> None:
    hub.add_repo(
        "acme/mini-bert",
        {
            "config.json": b"{}",
            "tokenizer.json": b"{}",
            "model.safetensors": os.urandom(50 * KIB),
            "pytorch_model.bin": os.urandom(50 * KIB),
            "1_Pooling/config.json": b"{}",
        },
    )

    path = await ensure_model(DownloadSource.huggingface("acme/mini-bert"), tmp_path, hub=settings)

    assert path.is_dir()
    assert sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()) == [
        "1_Pooling/config.json",
        "config.json",
        "model.safetensors",
        "tokenizer.json",
    ]


async def test_concurrent_downloads_of_one_repo_fetch_each_file_once(
    hub: FakeHub, settings: HubSettings, tmp_path: Path
) -> None:
    add_gguf_repo(hub)
    hub.chunk_delay = 0.01  # keep the first download busy while the second arrives
    source = DownloadSource.huggingface("acme/Tiny-GGUF", "big-Q4_K_M-*.gguf")

    first, second = await asyncio.gather(
        ensure_model(source, tmp_path, hub=settings),
        ensure_model(source, tmp_path, hub=settings),
    )

    assert first == second
    for part in (1, 2, 3):
        assert hub.file_gets("acme/Tiny-GGUF", f"big-Q4_K_M-0000{part}-of-00003.gguf") == 1


async def test_token_and_endpoint_are_read_from_the_environment_at_call_time(
    hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_gguf_repo(hub)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")

    path = await ensure_model(
        DownloadSource.huggingface("acme/Tiny-GGUF", "tiny-Q8_0.gguf"), tmp_path
    )

    assert path.is_file()
    assert hub.requests
    assert {r.authorization for r in hub.requests} == {"Bearer hf_test_token"}


async def test_cached_model_is_served_offline_and_when_the_hub_is_down(
    hub: FakeHub, settings: HubSettings, tmp_path: Path
) -> None:
    add_gguf_repo(hub)
    source = DownloadSource.huggingface("acme/Tiny-GGUF", "*Q4_K_M.gguf")
    online = await ensure_model(source, tmp_path, hub=settings)
    requests_before = len(hub.requests)

    offline = await ensure_model(source, tmp_path, hub=HubSettings(hub.url, offline=True))
    down = await ensure_model(source, tmp_path, hub=HubSettings("http://127.0.0.1:9"))

    assert offline == down == online
    assert len(hub.requests) == requests_before


async def test_uncached_model_with_hub_down_says_so(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="not in the model cache and cannot reach it"):
        await ensure_model(
            DownloadSource.huggingface("acme/Tiny-GGUF", "*.gguf"),
            tmp_path,
            hub=HubSettings("http://127.0.0.1:9"),
        )


async def test_cancelling_stops_the_download_and_releases_the_repo(
    hub: FakeHub, settings: HubSettings, tmp_path: Path
) -> None:
    files = add_gguf_repo(hub)
    hub.chunk_delay = 0.02  # 200 KiB in 64 KiB chunks: the file takes about 0.1 s
    source = DownloadSource.huggingface("acme/Tiny-GGUF", "tiny-Q8_0.gguf")
    task = asyncio.create_task(ensure_model(source, tmp_path, hub=settings))
    assert await asyncio.to_thread(hub.body_started.wait, 10)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert not cached_copies(tmp_path, "tiny-Q8_0.gguf")
    hub.chunk_delay = 0.0
    path = await asyncio.wait_for(ensure_model(source, tmp_path, hub=settings), timeout=10)
    assert path.read_bytes() == files["tiny-Q8_0.gguf"]
