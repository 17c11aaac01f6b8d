"""Transcripts rendered in OpenAI's formats, timing included."""

from __future__ import annotations

from gpustack.engines.builtin.transcript_formats import Segment, Transcript, render

TRANSCRIPT = Transcript(
    task="transcribe",
    language="en",
    duration=3725.5,
    segments=[
        Segment(start=0.0, end=1.25, text=" Hello there."),
        Segment(start=3723.0, end=3725.5, text=" Goodbye."),
    ],
)


def test_srt_counts_blocks_and_uses_commas_past_the_hour() -> None:
    body, content_type = render(TRANSCRIPT, "srt")

    assert body == (
        "1\n00:00:00,000 --> 00:00:01,250\nHello there.\n\n"
        "2\n01:02:03,000 --> 01:02:05,500\nGoodbye.\n"
    )
    assert content_type == "text/plain"


def test_vtt_has_its_header_and_dotted_milliseconds() -> None:
    body, content_type = render(TRANSCRIPT, "vtt")

    assert isinstance(body, str)
    assert body.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.250\nHello there.")
    assert content_type == "text/vtt"


def test_json_and_text_join_segments_without_outer_spaces() -> None:
    assert render(TRANSCRIPT, "json") == ({"text": "Hello there. Goodbye."}, "application/json")
    assert render(TRANSCRIPT, "text")[0] == "Hello there. Goodbye."


def test_verbose_json_numbers_segments() -> None:
    body, _ = render(TRANSCRIPT, "verbose_json")

    assert isinstance(body, dict)
    assert body["duration"] == 3725.5
    assert [s["id"] for s in body["segments"]] == [0, 1]
