"""The data folder and everything in it are readable by the server's own user only."""

from __future__ import annotations

import stat
from pathlib import Path

from gpustack.data_dir import prepare_data_dir
from tests.support.app_client import login, running_app


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_server_keeps_its_secrets_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with running_app("", data) as (client, _):
        await login(client)  # writes to the database (WAL) and the session key exists
    assert mode(data) == 0o700
    files = [p for p in data.iterdir() if p.is_file()]
    assert {p.name for p in files} >= {"database.db", "session_secret"}
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}


def test_an_existing_data_dir_is_tightened(tmp_path: Path) -> None:
    data = tmp_path / "old"
    data.mkdir(mode=0o755)
    (data / "database.db").write_text("x")
    (data / "database.db").chmod(0o644)
    (data / "cache").mkdir()
    prepare_data_dir(data)
    assert mode(data) == 0o700
    assert mode(data / "database.db") == 0o600
