"""A partial hub file left by a killed worker is continued, and a corrupt one is redone."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from gpustack.worker.downloads import DownloadError
from gpustack.worker.downloads.resumable_blob import PARTIAL_SUFFIX, fetch_blob
from tests.fixtures.fake_hub import FakeHub

REPO, FILE = "acme/Tiny-GGUF", "tiny-Q8_0.gguf"


def _setup(hub: FakeHub, tmp_path: Path) -> tuple[bytes, Path, str]:
    content = b"GGUF" + os.urandom(300 * 1024)
    repo = hub.add_repo(REPO, {FILE: content})
    blob = tmp_path / "blobs" / hashlib.sha256(content).hexdigest()
    return content, blob, repo.sha


def _fetch(hub: FakeHub, tmp_path: Path, commit: str, counted: list[int]) -> None:
    fetch_blob(
        REPO,
        FILE,
        commit,
        tmp_path,
        endpoint=hub.url,
        token=None,
        add_bytes=counted.append,
        cancel=threading.Event(),
    )


def test_a_partial_file_is_continued_from_where_it_stopped(hub: FakeHub, tmp_path: Path) -> None:
    content, blob, commit = _setup(hub, tmp_path)
    blob.parent.mkdir(parents=True)
    blob.with_name(blob.name + PARTIAL_SUFFIX).write_bytes(content[:100_000])
    counted: list[int] = []

    _fetch(hub, tmp_path, commit, counted)

    assert blob.read_bytes() == content
    assert [r.range for r in hub.requests if r.method == "GET" and r.range] == ["bytes=100000-"]
    # Progress starts at what was already there and ends at the whole file.
    assert counted[0] == 100_000 and sum(counted) == len(content)


def test_a_corrupt_partial_file_fails_the_check_and_the_next_try_starts_over(
    hub: FakeHub, tmp_path: Path
) -> None:
    content, blob, commit = _setup(hub, tmp_path)
    blob.parent.mkdir(parents=True)
    partial = blob.with_name(blob.name + PARTIAL_SUFFIX)
    partial.write_bytes(b"X" * 100_000)

    with pytest.raises(DownloadError, match="checksum mismatch"):
        _fetch(hub, tmp_path, commit, [])
    assert not partial.exists() and not blob.exists()

    _fetch(hub, tmp_path, commit, [])
    assert blob.read_bytes() == content
