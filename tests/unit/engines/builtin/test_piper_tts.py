"""The piper speech server as a real process: formats, voices and errors."""

from __future__ import annotations

import io
import wave

import av
import httpx
import pytest

from gpustack.engines.builtin.audio_encoding import FORMATS

# The joe voice speaks at 22.05 kHz, and MP3 keeps the voice's rate.
VOICE_RATE = 22_050


def _speak(url: str, **body: object) -> httpx.Response:
    return httpx.post(url + "/v1/audio/speech", json={"model": "test-model", **body}, timeout=60)


def _is_mpeg_frame(data: bytes) -> bool:
    # 11 set sync bits, then a layer III header: what players and concatenation rely on.
    return len(data) > 4 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0 and data[1] & 0x06 == 0x02


def test_mp3_by_default_for_any_voice_name(speech_url: str) -> None:
    answer = _speak(speech_url, input="Test.", voice="Chinese Female")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "audio/mpeg"
    # Bare frames with no ID3 tag, so pieces can be joined end to end.
    assert _is_mpeg_frame(answer.content)


def _mp3_seconds(data: bytes) -> float:
    with av.open(io.BytesIO(data), "r", format="mp3") as container:
        return float(sum(frame.samples for frame in container.decode(audio=0)) / VOICE_RATE)


def test_mp3_answers_concatenate_into_one_stream(speech_url: str) -> None:
    # Dify splits long text into sentences and joins the MP3 bytes it gets back.
    first = _speak(speech_url, input="The first sentence.").content
    second = _speak(speech_url, input="And here is the second one.").content

    joined = _mp3_seconds(first + second)

    assert joined == pytest.approx(_mp3_seconds(first) + _mp3_seconds(second), abs=0.1)
    assert joined > 2.0


def test_wav_holds_the_spoken_duration(speech_url: str) -> None:
    answer = _speak(speech_url, input="Hello world, how are you today?", response_format="wav")

    assert answer.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(answer.content)) as audio:
        seconds = audio.getnframes() / audio.getframerate()
        assert audio.getnchannels() == 1
    assert 1.0 < seconds < 5.0


def test_speed_shortens_the_speech(speech_url: str) -> None:
    text = "The quick brown fox jumps over the lazy dog."
    normal = _speak(speech_url, input=text, response_format="pcm").content
    fast = _speak(speech_url, input=text, response_format="pcm", speed=2.0).content

    assert len(fast) < 0.7 * len(normal)


@pytest.mark.parametrize(("response_format", "magic"), [("flac", b"fLaC"), ("opus", b"OggS")])
def test_other_formats_carry_their_container(
    speech_url: str, response_format: str, magic: bytes
) -> None:
    answer = _speak(speech_url, input="Hello.", response_format=response_format)

    assert answer.status_code == 200
    assert answer.content.startswith(magic)
    assert answer.headers["content-type"] == FORMATS[response_format].content_type


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"voice": "alloy"}, "input"),
        ({"input": "  "}, "input"),
        ({"input": "Hi.", "response_format": "ogg"}, "response_format"),
        ({"input": "Hi.", "speed": 10}, "speed"),
    ],
)
def test_bad_requests_get_openai_errors(
    speech_url: str, body: dict[str, object], param: str
) -> None:
    answer = _speak(speech_url, **body)

    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == param
