"""What an integration check answers: one row per replayed call."""

from __future__ import annotations

from pydantic import BaseModel


class CheckResult(BaseModel):
    client: str  # "Dify", "OpenAI SDK", "Open WebUI"
    call: str  # what the client does, e.g. "chat stream"
    method: str
    path: str
    passed: bool
    status_code: int | None
    duration_ms: float
    hint: str  # empty when passed


class CheckReport(BaseModel):
    model_id: int
    model_name: str
    passed: bool
    results: list[CheckResult]
