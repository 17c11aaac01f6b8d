"""The one list of secret field names, and redaction of any value nested under one of them."""

from __future__ import annotations

from typing import Any

REDACTED = "[redacted]"

# Exact names (lower case) whose values are secrets wherever they appear.
SECRET_FIELDS = frozenset(
    {
        "password",
        "current_password",
        "new_password",
        "hashed_password",
        "hashed_secret",
        "secret_salt",
        "secret_digest",
        "access_key",
        "api_key",
        "apikey",
        "value",  # the full API key, returned once at creation
        "token",
        "credentials",
        "authorization",
        "session_generation",
    }
)
# Name endings that mark a secret: `hf_token`, `openai_api_key`, `client_secret`, ….
SECRET_SUFFIXES = (
    "password",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "credential",
    "credentials",
    "private_key",
)


def is_secret_field(name: str) -> bool:
    lowered = name.lower().replace("-", "_")
    return lowered in SECRET_FIELDS or lowered.endswith(SECRET_SUFFIXES)


def redact(value: Any) -> Any:
    """A copy of `value` with every secret field's value replaced by `REDACTED`, at any depth
    (so `env: {"HF_TOKEN": …}` and a provider's `credentials` are covered too)."""
    if isinstance(value, dict):
        return {k: REDACTED if is_secret_field(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
