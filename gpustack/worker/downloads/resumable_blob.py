"""Hub files fetched into the cache's blob store so that a killed download resumes.

huggingface_hub (2.x) writes each download to a temporary file unique to its process and
deletes it on failure, so a worker killed halfway through a 40 GB file starts over. Here the
file goes to `blobs/<etag>.partial` instead, continued with an HTTP range request after a
restart, checked against the hub's size (and SHA-256 for LFS files) and renamed to
`blobs/<etag>`; `hf_hub_download` then finds the blob and only links it into the snapshot.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock
from huggingface_hub import HfFileMetadata, get_hf_file_metadata, get_session, hf_hub_url
from huggingface_hub.utils._headers import build_hf_headers

from gpustack.worker.downloads.errors import DownloadCancelledError, DownloadError

CHUNK_BYTES = 1024 * 1024
PARTIAL_SUFFIX = ".partial"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def fetch_blob(
    repo_id: str,
    filename: str,
    commit: str,
    storage: Path,
    *,
    endpoint: str,
    token: str | None,
    add_bytes: Callable[[int], None],
    cancel: threading.Event,
) -> None:
    """Put `filename` of `repo_id` at `commit` into `storage/blobs`, resuming a partial one.

    Xet-stored files and answers without an ETag are left to huggingface_hub.
    """
    url = hf_hub_url(repo_id, filename, revision=commit, endpoint=endpoint)
    meta = get_hf_file_metadata(url, token=token, endpoint=endpoint)
    if meta.etag is None or meta.xet_file_data is not None:
        return
    blob = storage / "blobs" / meta.etag
    if blob.exists():
        return
    blob.parent.mkdir(parents=True, exist_ok=True)
    # Two files of one repository may share content, hence a blob: one fetch at a time.
    with FileLock(blob.with_name(blob.name + ".lock")):
        if not blob.exists():
            _fetch(meta, blob, f"{filename} of {repo_id}", token, add_bytes, cancel)


def _fetch(
    meta: HfFileMetadata,
    blob: Path,
    label: str,
    token: str | None,
    add_bytes: Callable[[int], None],
    cancel: threading.Event,
) -> None:
    size, etag = meta.size, meta.etag or blob.name
    partial = blob.with_name(blob.name + PARTIAL_SUFFIX)
    offset = partial.stat().st_size if partial.exists() else 0
    if size is not None and offset > size:
        offset = 0
    headers = build_hf_headers(token=token)
    if offset:
        headers["Range"] = f"bytes={offset}-"
    with get_session().stream("GET", meta.location, headers=headers) as resp:
        if resp.status_code == 416 and offset == size:
            pass  # every byte arrived before the restart
        elif resp.status_code == 200:
            offset = 0  # the server ignored the range: start over
        elif resp.status_code != 206:
            raise DownloadError(f"downloading {label}: HTTP {resp.status_code}")
        add_bytes(offset)
        with partial.open("r+b" if offset else "wb") as out:
            out.truncate(offset)
            out.seek(offset)
            if resp.status_code in (200, 206):
                for chunk in resp.iter_bytes(CHUNK_BYTES):
                    if cancel.is_set():
                        raise DownloadCancelledError(f"download of {label} cancelled")
                    # Straight to the OS: what was written survives a kill of this process.
                    out.write(chunk)
                    out.flush()
                    add_bytes(len(chunk))
    _check(partial, size, etag, label)
    os.replace(partial, blob)


def _check(path: Path, size: int | None, etag: str, filename: str) -> None:
    got = path.stat().st_size
    if size is not None and got != size:
        path.unlink(missing_ok=True)
        raise DownloadError(f"{filename}: got {got} bytes of {size}; the download will restart")
    if _SHA256.fullmatch(etag):
        # LFS files are named by their SHA-256: a resumed file must hash to it.
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(CHUNK_BYTES), b""):
                digest.update(block)
        if digest.hexdigest() != etag:
            path.unlink(missing_ok=True)
            raise DownloadError(f"{filename}: checksum mismatch; the download will restart")
