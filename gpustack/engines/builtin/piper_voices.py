"""The piper voices of one model path, and which one a request's `voice` string picks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from piper import PiperVoice, SynthesisConfig

from gpustack.engines.builtin.onnx_text_model import ModelFilesError


@dataclass(frozen=True, slots=True)
class SpeechAudio:
    """Mono 16-bit PCM and its sample rate."""

    samples: bytes
    sample_rate: int


def voice_files(model_path: Path) -> list[Path]:
    """Every .onnx voice with its .onnx.json config, the model path's own file first."""
    candidates = [model_path] if model_path.is_file() else sorted(model_path.rglob("*.onnx"))
    voices = [c for c in candidates if c.with_name(c.name + ".json").is_file()]
    if not voices:
        raise ModelFilesError(f"no piper voice (.onnx with .onnx.json) at {model_path}")
    return voices


class PiperVoices:
    """Loaded voices by name (file stem, dataset, and each speaker of multi-speaker voices).

    Any name is accepted: clients such as Dify send free-form voice names ("English Female"),
    and an unknown one gets the default voice instead of an error.
    """

    def __init__(self, files: list[Path]) -> None:
        self._voices = [PiperVoice.load(f) for f in files]
        self.default_name = files[0].stem.removesuffix(".onnx")
        self._by_name: dict[str, tuple[PiperVoice, int | None]] = {}
        for path, voice in zip(files, self._voices, strict=True):
            self._by_name[path.stem.lower()] = (voice, None)
            for speaker, speaker_id in voice.config.speaker_id_map.items():
                self._by_name[speaker.lower()] = (voice, speaker_id)

    @property
    def names(self) -> list[str]:
        return sorted(self._by_name)

    def pick(self, name: str) -> tuple[PiperVoice, int | None]:
        return self._by_name.get(name.strip().lower(), (self._voices[0], None))

    def synthesize(self, text: str, voice_name: str, speed: float) -> SpeechAudio:
        """Speak `text`; `speed` > 1 talks faster (piper's length scale shrinks)."""
        voice, speaker_id = self.pick(voice_name)
        config = SynthesisConfig(
            speaker_id=speaker_id, length_scale=voice.config.length_scale / speed
        )
        chunks = [chunk.audio_int16_array for chunk in voice.synthesize(text, config)]
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
        return SpeechAudio(
            samples=samples.astype(np.int16).tobytes(), sample_rate=voice.config.sample_rate
        )

    def describe(self) -> Mapping[str, object]:
        return {"engine": "piper", "default_voice": self.default_name, "voices": self.names}
