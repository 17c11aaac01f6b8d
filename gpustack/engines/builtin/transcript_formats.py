"""A transcription in OpenAI's response formats: json, text, verbose_json, srt and vtt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

RESPONSE_FORMATS = ("json", "text", "verbose_json", "srt", "vtt")


@dataclass(frozen=True, slots=True)
class Segment:
    start: float
    end: float
    text: str
    tokens: tuple[int, ...] = ()
    avg_logprob: float = 0.0
    compression_ratio: float = 0.0
    no_speech_prob: float = 0.0
    temperature: float = 0.0


@dataclass(frozen=True, slots=True)
class Transcript:
    """What the recogniser heard, with timing."""

    task: str
    language: str
    duration: float
    segments: Sequence[Segment]

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments).strip()


def render(transcript: Transcript, response_format: str) -> tuple[str | dict[str, Any], str]:
    """The body (text or a JSON object) and its content type."""
    if response_format == "json":
        return {"text": transcript.text}, "application/json"
    if response_format == "verbose_json":
        return _verbose(transcript), "application/json"
    if response_format == "srt":
        return _subtitles(transcript, ",", numbered=True), "text/plain"
    if response_format == "vtt":
        return "WEBVTT\n\n" + _subtitles(transcript, ".", numbered=False), "text/vtt"
    return transcript.text, "text/plain"


def _verbose(transcript: Transcript) -> dict[str, Any]:
    return {
        "task": transcript.task,
        "language": transcript.language,
        "duration": transcript.duration,
        "text": transcript.text,
        "segments": [
            {
                "id": i,
                "seek": 0,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "tokens": list(s.tokens),
                "temperature": s.temperature,
                "avg_logprob": s.avg_logprob,
                "compression_ratio": s.compression_ratio,
                "no_speech_prob": s.no_speech_prob,
            }
            for i, s in enumerate(transcript.segments)
        ],
    }


def _subtitles(transcript: Transcript, decimal: str, *, numbered: bool) -> str:
    blocks = []
    for i, s in enumerate(transcript.segments, start=1):
        timing = f"{_clock(s.start, decimal)} --> {_clock(s.end, decimal)}"
        lines = [str(i)] if numbered else []
        blocks.append("\n".join([*lines, timing, s.text.strip()]))
    return "\n\n".join(blocks) + "\n"


def _clock(seconds: float, decimal: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{millis:03d}"
