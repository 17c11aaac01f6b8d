"""CTranslate2 whisper models as speech-to-text on the built-in faster-whisper server."""

from __future__ import annotations

from gpustack.engines.base import Category, ModelFormat
from gpustack.engines.builtin.launch import MIB, BuiltinEngine


class FasterWhisperEngine(BuiltinEngine):
    """`/v1/audio/transcriptions` and `/v1/audio/translations` with faster-whisper (int8, CPU)."""

    name = "faster-whisper"
    module = "gpustack.engines.builtin.whisper_stt"
    formats = frozenset({ModelFormat.CTRANSLATE2})
    categories = frozenset({Category.SPEECH_TO_TEXT})
    # Measured: whisper tiny.en (75 MB) peaks at ~250 MB RSS including decoding buffers.
    weights_factor = 1.5
    overhead_bytes = 192 * MIB

    def accepts_architecture(self, architecture: str) -> bool:
        return architecture == "whisper"
