"""The faster-whisper server as a real process, fed with piper's speech (a round trip)."""

from __future__ import annotations

import re

import httpx
import pytest

SENTENCE = "Hello world, the quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="module")
def spoken_wav(speech_url: str) -> bytes:
    body = {"model": "tts", "input": SENTENCE, "response_format": "wav"}
    return httpx.post(speech_url + "/v1/audio/speech", json=body, timeout=60).content


@pytest.fixture(scope="module")
def spoken_mp3(speech_url: str) -> bytes:
    body = {"model": "tts", "input": SENTENCE, "voice": "English Male"}
    return httpx.post(speech_url + "/v1/audio/speech", json=body, timeout=60).content


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def _transcribe(
    url: str, audio: bytes, route: str = "transcriptions", **form: str
) -> httpx.Response:
    files = {"file": ("audio.mp3", audio)}
    return httpx.post(
        f"{url}/v1/audio/{route}", data={"model": "stt", **form}, files=files, timeout=60
    )


def test_piper_speech_comes_back_word_for_word(transcription_url: str, spoken_mp3: bytes) -> None:
    answer = _transcribe(transcription_url, spoken_mp3)

    assert answer.status_code == 200
    assert _words(answer.json()["text"]) == _words(SENTENCE)


def _dify_upload(audio: bytes) -> tuple[bytes, str]:
    """Multipart as Dify sends it: a `.mp3` temp name and no Content-Type on the file part
    (httpx would add one guessed from the name, so the body is written by hand)."""
    boundary = "dify-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nstt\r\n'
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="tmpab12cd34.mp3"\r\n\r\n'
    ).encode()
    body += audio + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_wav_under_an_mp3_name_is_sniffed_from_its_bytes(
    transcription_url: str, spoken_wav: bytes
) -> None:
    body, content_type = _dify_upload(spoken_wav)

    answer = httpx.post(
        transcription_url + "/v1/audio/transcriptions",
        content=body,
        headers={"Content-Type": content_type},
        timeout=60,
    )

    assert answer.status_code == 200
    assert "quick brown fox" in answer.json()["text"].lower()


def test_subtitle_formats_carry_timings(transcription_url: str, spoken_wav: bytes) -> None:
    srt = _transcribe(transcription_url, spoken_wav, response_format="srt").text
    vtt = _transcribe(transcription_url, spoken_wav, response_format="vtt").text

    assert srt.startswith("1\n00:00:00,000 --> 00:00:0")
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> ")
    assert "lazy dog" in srt and "lazy dog" in vtt


def test_verbose_json_and_translation_route(transcription_url: str, spoken_wav: bytes) -> None:
    answer = _transcribe(
        transcription_url, spoken_wav, route="translations", response_format="verbose_json"
    )

    body = answer.json()
    assert body["task"] == "translate"
    assert body["language"] == "en"
    assert 2.0 < body["duration"] < 6.0
    assert body["segments"][0]["end"] > body["segments"][0]["start"]
    assert "fox" in body["text"].lower()


def test_plain_text_format(transcription_url: str, spoken_wav: bytes) -> None:
    answer = _transcribe(transcription_url, spoken_wav, response_format="text")

    assert answer.headers["content-type"].startswith("text/plain")
    assert "lazy dog" in answer.text.lower()


@pytest.mark.parametrize(
    ("audio", "form", "param"),
    [
        (b"", {}, "file"),
        (b"this is not audio at all", {}, "file"),
        (None, {"response_format": "docx"}, "response_format"),
    ],
)
def test_bad_uploads_get_openai_errors(
    transcription_url: str,
    spoken_wav: bytes,
    audio: bytes | None,
    form: dict[str, str],
    param: str,
) -> None:
    answer = _transcribe(transcription_url, spoken_wav if audio is None else audio, **form)

    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == param


def test_missing_file_is_a_400(transcription_url: str) -> None:
    answer = httpx.post(
        transcription_url + "/v1/audio/transcriptions", data={"model": "stt"}, timeout=10
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "file"
