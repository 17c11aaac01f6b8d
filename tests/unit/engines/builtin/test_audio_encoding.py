"""PCM encoded into each speech format, including speech with no samples at all."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from gpustack.engines.builtin.audio_encoding import FORMATS, PCM_RATE, encode_pcm16

RATE = 22_050
# One second of a 440 Hz tone.
TONE = (np.sin(np.arange(RATE) * 2 * np.pi * 440 / RATE) * 8000).astype(np.int16).tobytes()


def test_pcm_is_resampled_to_openais_24_khz() -> None:
    pcm = encode_pcm16(TONE, RATE, "pcm")

    assert len(pcm) == pytest.approx(2 * PCM_RATE, rel=0.01)


def test_wav_keeps_the_voice_rate_and_length() -> None:
    with wave.open(io.BytesIO(encode_pcm16(TONE, RATE, "wav"))) as audio:
        assert audio.getframerate() == RATE
        assert audio.getnframes() == RATE


@pytest.mark.parametrize("response_format", sorted(FORMATS))
def test_no_samples_give_a_short_silence_not_an_error(response_format: str) -> None:
    assert encode_pcm16(b"", RATE, response_format)


def test_no_samples_in_wav_is_a_tenth_of_a_second_of_silence() -> None:
    with wave.open(io.BytesIO(encode_pcm16(b"", RATE, "wav"))) as audio:
        assert audio.getnframes() == RATE // 10
        assert set(audio.readframes(audio.getnframes())) == {0}
