"""Secrets stored at rest (provider API keys): Fernet with a key kept beside the database.

The key is `<data-dir>/secret_key` (created 0600 on first start) or the file given with
`--secret-key-file`. A database copied without its key holds nothing usable.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

SECRET_KEY_FILE = "secret_key"


class SecretKeyError(Exception):
    """The key file cannot be used, or a stored secret was sealed with another key."""


class SecretBox:
    """Seals and opens short secrets; opening a token from another key raises SecretKeyError."""

    __slots__ = ("_fernet",)

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except ValueError as exc:
            raise SecretKeyError(
                "the secret key must be 32 url-safe base64-encoded bytes (a Fernet key)"
            ) from exc

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, ValueError) as exc:
            raise SecretKeyError(
                "a stored secret cannot be decrypted: it was encrypted with another secret key "
                "(was the data dir's secret_key or --secret-key-file changed?)"
            ) from exc


def load_secret_key(data_dir: Path, key_file: Path | None) -> bytes:
    """The key from `key_file` (which must exist), else `<data_dir>/secret_key`, created now
    (owner-only) when missing."""
    if key_file is not None:
        try:
            return key_file.read_bytes().strip()
        except OSError as exc:
            raise SecretKeyError(f"cannot read the secret key file {key_file}: {exc}") from exc
    path = data_dir / SECRET_KEY_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    key = Fernet.generate_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it a moment ago
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key


def secret_box(data_dir: Path, key_file: Path | None) -> SecretBox:
    return SecretBox(load_secret_key(data_dir, key_file))
