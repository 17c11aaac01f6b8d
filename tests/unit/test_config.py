"""Configuration precedence: flags > GPUSTACK_* environment > YAML file > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpustack.cli import build_parser, config_from_args
from gpustack.db.engine import DatabaseUrlError, async_database_url


def _config(argv: list[str]):  # type: ignore[no-untyped-def]
    return config_from_args(build_parser().parse_args(["start", *argv]))


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    config = _config([])
    assert config.port == 80 and config.host == "0.0.0.0" and config.worker_port == 10150
    assert config.port_range == (40000, 40063)
    assert config.resolved_database_url.endswith("database.db")


def test_flags_beat_env_which_beats_yaml(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text("port: 1111\nworker-port: 2222\ndebug: true\n")
    monkeypatch.setenv("GPUSTACK_PORT", "3333")
    config = _config(["--config-file", str(yaml_file)])
    assert config.port == 3333 and config.worker_port == 2222 and config.debug is True
    config = _config(["--config-file", str(yaml_file), "--port", "4444"])
    assert config.port == 4444


def test_worker_labels_and_bad_values(tmp_path: Path) -> None:
    config = _config(["--worker-labels", "gpu=a100,zone=b"])
    assert config.worker_labels == {"gpu": "a100", "zone": "b"}
    with pytest.raises(ValueError, match="k=v"):
        _config(["--worker-labels", "oops"])
    with pytest.raises(ValueError, match="--token"):
        _config(["--server-url", "http://x"])
    with pytest.raises(ValueError, match="40000-40063"):
        _config(["--service-port-range", "9-1"])


def test_database_urls() -> None:
    assert async_database_url("sqlite:////tmp/x.db") == "sqlite+aiosqlite:////tmp/x.db"
    assert async_database_url("postgresql://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
    with pytest.raises(DatabaseUrlError, match="unsupported database scheme 'mysql'"):
        async_database_url("mysql://u@h/db")
