"""Speech-to-text with faster-whisper: `python -m gpustack.engines.builtin.whisper_stt`.

Serves `/v1/audio/transcriptions` and `/v1/audio/translations` (multipart, as OpenAI). The
audio format is read from the bytes, never from the file name or part type: Dify uploads
WAV, M4A or WebM under a `.mp3` name with no content type.
"""

from __future__ import annotations

import functools
import io
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from aiohttp import web
from faster_whisper import WhisperModel, decode_audio

from gpustack.engines.builtin.http_app import (
    LoadedModel,
    ServerOptions,
    choice_field,
    number_field,
    run_server,
)
from gpustack.engines.builtin.openai_errors import invalid
from gpustack.engines.builtin.transcript_formats import (
    RESPONSE_FORMATS,
    Segment,
    Transcript,
    render,
)

SAMPLE_RATE = 16_000


@dataclass(frozen=True, slots=True)
class Recogniser:
    """The loaded whisper model and how it decodes."""

    model: WhisperModel
    # 1 is greedy decoding: several times faster on CPU, and what OpenAI's API does at
    # temperature 0 for short audio.
    beam_size: int = 1


MODEL: web.AppKey[LoadedModel[Recogniser]] = web.AppKey("model", LoadedModel)


def load(options: ServerOptions, beam_size: int = 1) -> tuple[Recogniser, Mapping[str, Any]]:
    compute_type = "int8" if options.device == "cpu" else "default"
    model = WhisperModel(
        str(options.model_path),
        device=options.device,
        compute_type=compute_type,
        cpu_threads=options.threads,
        local_files_only=True,
    )
    meta = {
        "engine": "faster-whisper",
        "multilingual": model.model.is_multilingual,
        "beam_size": beam_size,
    }
    return Recogniser(model, beam_size), meta


def decode(data: bytes) -> npt.NDArray[np.float32]:
    """16 kHz mono samples from any container/codec FFmpeg knows, or a 400."""
    try:
        audio = decode_audio(io.BytesIO(data), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # PyAV raises many error types for undecodable input
        raise invalid(f"'file' is not audio that can be decoded: {exc}", "file") from exc
    if audio.size == 0:
        raise invalid("'file' holds no audio samples", "file")
    return np.asarray(audio, dtype=np.float32)


def transcribe(
    recogniser: Recogniser,
    data: bytes,
    task: str,
    language: str | None,
    prompt: str | None,
    temperature: float,
) -> Transcript:
    audio = decode(data)
    model = recogniser.model
    segments, info = model.transcribe(
        audio,
        task=task,
        language=language if model.model.is_multilingual else None,
        initial_prompt=prompt,
        temperature=temperature,
        beam_size=recogniser.beam_size,
        # Carrying text between windows makes long transcripts drift into repetition.
        condition_on_previous_text=False,
    )
    heard = [
        Segment(
            start=s.start,
            end=s.end,
            text=s.text,
            tokens=tuple(s.tokens),
            avg_logprob=s.avg_logprob,
            compression_ratio=s.compression_ratio,
            no_speech_prob=s.no_speech_prob,
            temperature=s.temperature or 0.0,
        )
        for s in segments
    ]
    return Transcript(task=task, language=info.language, duration=info.duration, segments=heard)


async def _read_form(request: web.Request) -> tuple[bytes, Mapping[str, Any]]:
    if not request.content_type.startswith("multipart/"):
        raise invalid("send the audio as multipart/form-data with a 'file' part", "file")
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        raise invalid("'file' is required", "file")
    data = upload.file.read()
    if not data:
        raise invalid("'file' is empty", "file")
    return data, form


def _handler(task: str) -> Any:
    async def handle(request: web.Request) -> web.Response:
        state = request.app[MODEL]
        data, form = await _read_form(request)
        response_format = choice_field(form, "response_format", "json", RESPONSE_FORMATS)
        # 0 makes transcripts deterministic; OpenAI's default picks its own fallback.
        temperature = number_field(form, "temperature", 0.0, 0.0, 1.0)
        language = str(form.get("language") or "") or None
        prompt = str(form.get("prompt") or "") or None
        transcript = await state.run_blocking(
            transcribe, state.model, data, task, language, prompt, temperature
        )
        body, content_type = render(transcript, response_format)
        if isinstance(body, dict):
            return web.json_response(body)
        return web.Response(text=body, content_type=content_type)

    return handle


ROUTES = (
    web.post("/v1/audio/transcriptions", _handler("transcribe")),
    web.post("/v1/audio/translations", _handler("translate")),
)


def main(argv: Sequence[str] | None = None) -> None:
    run_server(
        "gpustack.engines.builtin.whisper_stt",
        "Serve a CTranslate2 whisper model as OpenAI-compatible /v1/audio/transcriptions.",
        MODEL,
        load,
        ROUTES,
        argv,
        add_flags=lambda parser: parser.add_argument(
            "--beam-size", type=int, default=1, help="1 decodes greedily"
        ),
        bind=lambda args: functools.partial(load, beam_size=args.beam_size),
    )


if __name__ == "__main__":
    main(sys.argv[1:])
