"""Built-in engine servers, each started once per session as a real process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.builtin_models import minilm_onnx_dir, piper_voice_dir, whisper_tiny_en_dir
from tests.fixtures.builtin_servers import start_builtin_server


@pytest.fixture(scope="session")
def builtin_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("builtin-logs")


@pytest.fixture(scope="session")
def minilm_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return minilm_onnx_dir(tmp_path_factory.mktemp("minilm") / "minilm-onnx")


@pytest.fixture(scope="session")
def embeddings_url(minilm_onnx: Path, builtin_logs: Path) -> Iterator[str]:
    server = start_builtin_server("onnx_embeddings", minilm_onnx, builtin_logs / "emb.log")
    yield server.base_url
    server.stop()


@pytest.fixture(scope="session")
def speech_url(builtin_logs: Path) -> Iterator[str]:
    server = start_builtin_server("piper_tts", piper_voice_dir(), builtin_logs / "tts.log")
    yield server.base_url
    server.stop()


@pytest.fixture(scope="session")
def transcription_url(builtin_logs: Path) -> Iterator[str]:
    server = start_builtin_server("whisper_stt", whisper_tiny_en_dir(), builtin_logs / "stt.log")
    yield server.base_url
    server.stop()


@pytest.fixture(scope="session")
def cross_encoder_url(
    tmp_path_factory: pytest.TempPathFactory, builtin_logs: Path
) -> Iterator[str]:
    pytest.importorskip("onnx")
    from tests.fixtures.onnx_cross_encoder import write_minilm_cross_encoder

    model = write_minilm_cross_encoder(tmp_path_factory.mktemp("cross") / "minilm-cross")
    server = start_builtin_server("onnx_embeddings", model, builtin_logs / "cross.log")
    yield server.base_url
    server.stop()
