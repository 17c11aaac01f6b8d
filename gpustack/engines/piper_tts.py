"""piper voices (ONNX with an .onnx.json) as text-to-speech on the built-in server, CPU only."""

from __future__ import annotations

from gpustack.engines.base import Category, ModelFormat
from gpustack.engines.builtin.launch import MIB, BuiltinEngine


class PiperEngine(BuiltinEngine):
    """`/v1/audio/speech` with piper; MP3, WAV, FLAC, Opus, AAC or raw PCM."""

    name = "piper"
    module = "gpustack.engines.builtin.piper_tts"
    formats = frozenset({ModelFormat.ONNX})
    categories = frozenset({Category.TEXT_TO_SPEECH})
    # Measured: a 63 MB medium voice runs in ~190 MB RSS.
    weights_factor = 1.5
    overhead_bytes = 128 * MIB

    def accepts_architecture(self, architecture: str) -> bool:
        return architecture == "piper"
