"""The data folder holds secrets (tokens, the session key, the database): owner-only access."""

from __future__ import annotations

import os
from pathlib import Path

# Files and folders this process creates are readable by its owner only.
PRIVATE_UMASK = 0o077


def restrict_new_files() -> None:
    """Make every file the process (and its children, the engines) creates private."""
    os.umask(PRIVATE_UMASK)


def prepare_data_dir(path: Path) -> Path:
    """Create `path` as 0700 and tighten what is already in it (data dirs of older versions).

    Top-level files become 0600; SQLite then creates its `-wal` and `-shm` files with the
    database file's own permissions.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    for entry in os.scandir(path):
        if entry.is_file(follow_symlinks=False):
            os.chmod(entry.path, 0o600)
    return path
