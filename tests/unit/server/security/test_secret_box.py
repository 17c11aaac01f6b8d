"""Provider keys sealed at rest: round trip, the key file, and a wrong key failing clearly."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from gpustack.server.security.secret_box import SecretBox, SecretKeyError, secret_box


def test_a_secret_round_trips_and_is_not_stored_in_clear(tmp_path: Path) -> None:
    box = secret_box(tmp_path, None)
    sealed = box.seal("sk-live-abcdef123456")
    assert "sk-live" not in sealed and "123456" not in sealed
    assert box.open(sealed) == "sk-live-abcdef123456"


def test_the_key_is_created_once_owner_only_and_reused(tmp_path: Path) -> None:
    sealed = secret_box(tmp_path, None).seal("k")
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert secret_box(tmp_path, None).open(sealed) == "k"


def test_another_key_fails_clearly(tmp_path: Path) -> None:
    sealed = secret_box(tmp_path / "a", None).seal("k")
    with pytest.raises(SecretKeyError, match="encrypted with another secret key"):
        secret_box(tmp_path / "b", None).open(sealed)


def test_a_secret_key_file_is_used_instead_of_the_data_dir(tmp_path: Path) -> None:
    key_file = tmp_path / "mounted"
    key_file.write_bytes(Fernet.generate_key())
    sealed = secret_box(tmp_path / "data", key_file).seal("k")
    assert SecretBox(key_file.read_bytes().strip()).open(sealed) == "k"
    assert not (tmp_path / "data" / "secret_key").exists()


def test_an_unusable_key_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.write_text("not a key")
    with pytest.raises(SecretKeyError, match="Fernet key"):
        secret_box(tmp_path, bad)
    with pytest.raises(SecretKeyError, match="cannot read"):
        secret_box(tmp_path, tmp_path / "missing")
