"""16-bit mono PCM → the audio formats of OpenAI's `/v1/audio/speech`, encoded with PyAV (FFmpeg).

MP3 is written as bare MPEG frames (no ID3 tag, no Xing header), so answers to consecutive
requests can be concatenated into one playable stream, which is how Dify joins long texts.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import av
import numpy as np

# OpenAI's `pcm` is raw 24 kHz signed 16-bit little-endian samples.
PCM_RATE = 24_000
SILENCE_MS = 100


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """How one `response_format` is muxed and labelled."""

    content_type: str
    container: str
    codec: str
    # None keeps the voice's own sample rate.
    rate: int | None = None
    options: dict[str, str] = field(default_factory=dict)


FORMATS: dict[str, AudioFormat] = {
    "mp3": AudioFormat(
        "audio/mpeg", "mp3", "libmp3lame", options={"id3v2_version": "0", "write_xing": "0"}
    ),
    "wav": AudioFormat("audio/wav", "wav", "pcm_s16le"),
    "flac": AudioFormat("audio/flac", "flac", "flac"),
    # Opus only takes 8/12/16/24/48 kHz.
    "opus": AudioFormat("audio/ogg", "ogg", "libopus", rate=48_000),
    "aac": AudioFormat("audio/aac", "adts", "aac"),
    "pcm": AudioFormat("audio/pcm", "s16le", "pcm_s16le", rate=PCM_RATE),
}


def encode_pcm16(samples: bytes, sample_rate: int, response_format: str) -> bytes:
    """Encode mono 16-bit PCM at `sample_rate` into `response_format` (a key of FORMATS)."""
    spec = FORMATS[response_format]
    rate = spec.rate or sample_rate
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=spec.container, options=spec.options) as container:
        stream = container.add_stream(spec.codec, rate=rate)
        assert isinstance(stream, av.AudioStream)
        stream.layout = "mono"
        # The stream resamples (rate and sample format) to what its codec takes.
        for packet in stream.encode(_frame(samples, sample_rate)):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def _frame(samples: bytes, sample_rate: int) -> av.AudioFrame:
    pcm = np.frombuffer(samples, dtype=np.int16).reshape(1, -1)
    if pcm.size == 0:
        # Text with nothing to pronounce ("...") gives no samples; a moment of silence
        # keeps every format a valid, playable (and concatenable) file.
        pcm = np.zeros((1, sample_rate * SILENCE_MS // 1000), dtype=np.int16)
    frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
    frame.sample_rate = sample_rate
    return frame
