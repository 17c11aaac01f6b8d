"""The `gpustack` command as a person runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gpustack import __version__


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


def test_reset_admin_password_writes_a_new_private_password(tmp_path: Path) -> None:
    missing = _run("reset-admin-password", "--data-dir", str(tmp_path))
    assert missing.returncode == 1 and "start the server once" in missing.stderr
