"""`gpustack start` keeps the cluster token off command lines and out of redirected output."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from gpustack.cli import build_parser, config_from_args
from gpustack.config import Config
from gpustack.embedded_worker import embedded_worker_args, embedded_worker_env
from gpustack.launcher import announce
from gpustack.server.bootstrap import read_or_create_secret
from gpustack.worker.main import read_local_cluster_token


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(data_dir=tmp_path, port=8123, bootstrap_password="Admin-pass-123")


@pytest.fixture
def token(config: Config) -> str:
    return read_or_create_secret(config.data_dir / "token", 16)


def test_the_embedded_worker_command_line_holds_no_token(config: Config, token: str) -> None:
    args = embedded_worker_args(config)

    # `ps` shows this to every user of the machine.
    assert token not in " ".join(args) and "--token" not in args
    # The worker still gets its token: from the data dir it shares with its server.
    worker = config_from_args(build_parser().parse_args(["start", *args]))
    assert worker.is_worker_only and worker.data_dir == config.data_dir
    assert read_local_cluster_token(worker) == token


def test_the_embedded_worker_ignores_a_token_in_the_servers_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GPUSTACK_TOKEN", "stale")
    monkeypatch.setenv("GPUSTACK_DEBUG", "true")

    env = embedded_worker_env()

    assert "GPUSTACK_TOKEN" not in env and env["GPUSTACK_DEBUG"] == "true"


def test_the_embedded_worker_gets_none_of_the_servers_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GPUSTACK_BOOTSTRAP_PASSWORD", "Admin-pass-9")
    monkeypatch.setenv("GPUSTACK_METRICS_TOKEN", "scrape-0123456789abc")
    monkeypatch.setenv("GPUSTACK_DATABASE_URL", "postgresql://u:secret@db/gpustack")

    env = embedded_worker_env()

    assert not {"GPUSTACK_BOOTSTRAP_PASSWORD", "GPUSTACK_METRICS_TOKEN"} & env.keys()
    assert "GPUSTACK_DATABASE_URL" not in env


def test_a_worker_without_a_token_or_a_token_file_is_refused(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        ["start", "--server-url", "http://10.0.0.1", "--data-dir", str(tmp_path)]
    )
    with pytest.raises(ValueError, match="--token"):
        config_from_args(args)


def test_the_banner_in_a_log_says_where_the_token_is_without_printing_it(
    config: Config, token: str
) -> None:
    log = io.StringIO()

    announce(config, token, log)

    text = log.getvalue()
    assert token not in text
    assert str(config.data_dir / "token") in text
    assert "gpustack start --server-url http://127.0.0.1:8123 --token" in text


def test_the_banner_on_a_terminal_shows_the_whole_command(config: Config, token: str) -> None:
    terminal = Terminal()

    announce(config, token, terminal)

    assert f"--server-url http://127.0.0.1:8123 --token {token}" in terminal.getvalue()
