"""The operations guide (English and 简体中文) tells the truth: the same code in both languages,
only flags `gpustack start` has, a SQLite backup that restores, systemd units that systemd accepts.

Placeholder convention of the guide (the only text the test replaces in `bash` blocks):
- `/var/lib/gpustack`  the data folder; the backup block gets the running server's, the restore
  block a fresh one.
- `/backup`            the backup folder; here a temporary one.
In the `ini` (systemd) blocks `/usr/local/bin/gpustack` becomes the installed `gpustack` script,
because `systemd-analyze verify` refuses a unit whose program does not exist. That check is
skipped where `systemd-analyze` is not installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.doc_snippets import Snippet, snippets
from tests.support.processes import cluster

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDE = DOCS / "operations.md"
GUIDE_ZH = DOCS / "operations.zh.md"
DATA_DIR = "/var/lib/gpustack"
BACKUP_DIR = "/backup"
PROGRAM = "/usr/local/bin/gpustack"
READING_ONLY = frozenset({"ini", "nginx", "console"})
SNIPPET_TIMEOUT = 60


def start_help() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "gpustack", "start", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def flags_after_gpustack_start(code: str) -> set[str]:
    """Every `--flag` written after `gpustack start` on one (continued) command line."""
    flags: set[str] = set()
    for line in code.replace("\\\n", " ").splitlines():
        _, found, rest = line.partition("gpustack start")
        if found:
            flags.update(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", rest))
    return flags


def bash_block(marker: str) -> Snippet:
    """The one `bash` block of the guide that contains `marker`."""
    found = [s for s in snippets(GUIDE) if s.lang == "bash" and marker in s.code]
    assert len(found) == 1, f"expected one bash block with {marker!r}, found {len(found)}"
    return found[0]


def run_bash(snippet: Snippet, data_dir: Path, backup_dir: Path) -> None:
    code = snippet.substituted({DATA_DIR: str(data_dir), BACKUP_DIR: str(backup_dir)})
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", code],
        capture_output=True,
        text=True,
        timeout=SNIPPET_TIMEOUT,
    )
    assert done.returncode == 0, (
        f"{snippet.where} failed (exit {done.returncode}):\n{code}\n"
        f"--- stdout\n{done.stdout[-2000:]}\n--- stderr\n{done.stderr[-2000:]}"
    )


def test_chinese_guide_has_the_same_code() -> None:
    english = [(s.lang, s.code) for s in snippets(GUIDE)]
    translated = [(s.lang, s.code) for s in snippets(GUIDE_ZH)]
    assert english, "the guide has no code blocks"
    assert translated == english


def test_code_blocks_are_tagged_runnable_or_reading_only() -> None:
    langs = {s.lang for s in snippets(GUIDE)}
    assert langs <= READING_ONLY | {"bash"}, langs


def test_every_flag_after_gpustack_start_exists() -> None:
    known = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", start_help()))
    used: dict[str, str] = {}
    for snippet in snippets(GUIDE):
        for flag in flags_after_gpustack_start(snippet.code):
            used.setdefault(flag, snippet.where)
    # The guide shows at least the flags its sections are about.
    assert set(used) >= {
        "--server-url",
        "--trusted-proxies",
        "--ssl-certfile",
        "--ssl-keyfile",
        "--database-url",
        "--secret-key-file",
    }
    unknown = {flag: where for flag, where in used.items() if flag not in known}
    assert not unknown, f"flags not in `gpustack start --help`: {unknown}"


def test_sqlite_backup_restores_into_a_fresh_data_dir(tmp_path: Path) -> None:
    if shutil.which("sqlite3") is None:
        pytest.skip("the guide's backup uses the sqlite3 command, which is not installed")
    backup_dir = tmp_path / "backup"
    for name in ("original", "restored"):
        (tmp_path / name).mkdir()
    with cluster(tmp_path / "original") as original:
        original.start_server(with_worker=False)
        client = original.client()
        resp = client.post(
            "/v2/users", json={"username": "restored-alice", "password": "Alice-pass-12345"}
        )
        client.close()
        assert resp.status_code == 201, resp.text
        # The backup runs while the server is up, as the guide says it may.
        run_bash(bash_block(".backup"), tmp_path / "original" / "server", backup_dir)
    assert (backup_dir / "gpustack.db").is_file()

    fresh = tmp_path / "restored" / "server"
    run_bash(bash_block(f"cp {BACKUP_DIR}/gpustack.db"), fresh, backup_dir)
    original_dir = tmp_path / "original" / "server"
    for name in ("token", "secret_key"):
        assert (fresh / name).read_bytes() == (original_dir / name).read_bytes(), name

    with cluster(tmp_path / "restored") as restored:
        restored.start_server(with_worker=False)
        # The admin signs in with the password of the backed-up database.
        client = restored.client()
        names = [u["username"] for u in client.get("/v2/users").json()["items"]]
        client.close()
        assert "restored-alice" in names
        login = httpx.post(
            f"{restored.url}/auth/login",
            data={"username": "restored-alice", "password": "Alice-pass-12345"},
            timeout=30,
        )
        assert login.status_code == 200, login.text


def test_systemd_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    units = [s for s in snippets(GUIDE) if s.lang == "ini"]
    assert len(units) == 2, "the guide shows a server unit and a worker unit"
    verify = shutil.which("systemd-analyze")
    if verify is None:
        pytest.skip("systemd-analyze is not installed: the units are not verified here")
    program = shutil.which("gpustack") or str(Path(sys.executable).parent / "gpustack")
    if not Path(program).is_file():
        program = str(tmp_path / "gpustack")
        Path(program).write_text("#!/bin/sh\nexit 0\n")
        Path(program).chmod(0o755)
    paths = []
    for unit in units:
        first = unit.code.splitlines()[0]
        assert first.startswith("# /etc/systemd/system/"), first
        path = tmp_path / first.rsplit("/", 1)[1]
        path.write_text(unit.code.replace(PROGRAM, program))
        paths.append(path)
    done = subprocess.run(
        [verify, "verify", *map(str, paths)], capture_output=True, text=True, timeout=60
    )
    complaints = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if any(p.name in line for p in paths)
    ]
    assert done.returncode == 0 and not complaints, done.stdout + done.stderr
