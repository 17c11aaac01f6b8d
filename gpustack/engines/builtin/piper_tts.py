"""Text-to-speech with piper: `python -m gpustack.engines.builtin.piper_tts`.

Serves `/v1/audio/speech` (OpenAI's JSON request; MP3 unless `response_format` says otherwise).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from gpustack.engines.builtin.audio_encoding import FORMATS, encode_pcm16
from gpustack.engines.builtin.http_app import (
    LoadedModel,
    ServerOptions,
    choice_field,
    number_field,
    read_json_object,
    run_server,
)
from gpustack.engines.builtin.openai_errors import invalid
from gpustack.engines.builtin.piper_voices import PiperVoices, voice_files

MODEL: web.AppKey[LoadedModel[PiperVoices]] = web.AppKey("model", LoadedModel)
MAX_INPUT_CHARS = 4096


def load(options: ServerOptions) -> tuple[PiperVoices, Mapping[str, Any]]:
    voices = PiperVoices(voice_files(options.model_path))
    return voices, voices.describe()


def _speak(voices: PiperVoices, text: str, voice: str, speed: float, response_format: str) -> bytes:
    speech = voices.synthesize(text, voice, speed)
    return encode_pcm16(speech.samples, speech.sample_rate, response_format)


async def speech(request: web.Request) -> web.Response:
    state = request.app[MODEL]
    body = await read_json_object(request)
    text = body.get("input")
    if not isinstance(text, str) or not text.strip():
        raise invalid("'input' must be a non-empty string", "input")
    if len(text) > MAX_INPUT_CHARS:
        raise invalid(f"'input' is longer than {MAX_INPUT_CHARS} characters", "input")
    voice = body.get("voice")
    voice_name = voice if isinstance(voice, str) else ""
    response_format = choice_field(body, "response_format", "mp3", tuple(FORMATS))
    speed = number_field(body, "speed", 1.0, 0.25, 4.0)
    audio = await state.run_blocking(_speak, state.model, text, voice_name, speed, response_format)
    return web.Response(body=audio, content_type=FORMATS[response_format].content_type)


ROUTES = (web.post("/v1/audio/speech", speech),)


def main(argv: Sequence[str] | None = None) -> None:
    run_server(
        "gpustack.engines.builtin.piper_tts",
        "Serve a piper voice as OpenAI-compatible /v1/audio/speech.",
        MODEL,
        load,
        ROUTES,
        argv,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
