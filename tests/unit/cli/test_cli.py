"""The `gpustack` command as a person runs it."""

from __future__ import annotations

import asyncio
import stat
import subprocess
import sys
from pathlib import Path

from gpustack import __version__
from tests.support.app_client import ADMIN_PASSWORD, login, running_app


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gpustack", *args], capture_output=True, text=True, timeout=120
    )


def test_version() -> None:
    result = _run("version")
    assert result.returncode == 0 and result.stdout.strip() == f"gpustack {__version__}"


def test_unknown_database_scheme_is_refused_clearly(tmp_path: Path) -> None:
    result = _run("start", "--data-dir", str(tmp_path), "--database-url", "mysql://x/y")
    assert result.returncode == 2
    assert "unsupported database scheme" in result.stderr


def test_reset_admin_password_needs_an_existing_admin(tmp_path: Path) -> None:
    missing = _run("reset-admin-password", "--data-dir", str(tmp_path))
    assert missing.returncode == 1 and "start the server once" in missing.stderr


async def test_reset_admin_password_writes_a_new_private_password(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    async with running_app(url, tmp_path):
        pass  # first start: admin created with the bootstrap password
    result = await asyncio.to_thread(
        _run, "reset-admin-password", "--data-dir", str(tmp_path), "--database-url", url
    )
    assert result.returncode == 0, result.stderr
    password_file = tmp_path / "initial_admin_password"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    new_password = password_file.read_text().strip()
    async with running_app(url, tmp_path) as (client, _):
        old = await client.post(
            "/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD}
        )
        assert old.status_code == 401
        await login(client, "admin", new_password)
        assert (await client.get("/v2/users/me")).json()["require_password_change"] is True
