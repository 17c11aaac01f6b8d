"""External providers: OpenAI-compatible or Anthropic endpoints whose models routes may target."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import JSON, Column, Text
from sqlmodel import Field as SQLField

from gpustack.schemas.common import TimestampColumns, TimestampFields

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
URL_PATTERN = r"^https?://[^\s]+$"
# A header name as HTTP allows it; values are checked for line breaks below.
HEADER_NAME_PATTERN = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$"


class ProviderKind(StrEnum):
    OPENAI = "openai"  # any OpenAI-compatible API: OpenAI, DeepSeek, Azure OpenAI, a vLLM
    ANTHROPIC = "anthropic"  # Anthropic's OpenAI-compatible chat completions


class Provider(TimestampColumns, table=True):
    __tablename__ = "providers"

    id: int | None = SQLField(default=None, primary_key=True)
    name: str = SQLField(index=True, unique=True, max_length=64)
    kind: str = SQLField(default=ProviderKind.OPENAI.value, max_length=16)
    base_url: str = SQLField(max_length=2048)
    # Fernet token of the API key (never the key itself); None: the provider needs none.
    api_key_encrypted: str | None = SQLField(default=None, sa_column=Column(Text))
    api_key_last4: str = SQLField(default="", max_length=4)
    timeout: float = 120.0
    headers: dict[str, str] = SQLField(default_factory=dict, sa_column=Column(JSON))


HeaderMap = dict[str, str]


def _check_headers(headers: HeaderMap) -> HeaderMap:
    for name, value in headers.items():
        if not re.match(HEADER_NAME_PATTERN, name):
            raise ValueError(f"{name!r} is not a valid header name")
        if name.lower() in ("authorization", "x-api-key", "host", "content-length"):
            raise ValueError(f"header {name!r} is set by the gateway")
        if "\r" in value or "\n" in value or len(value) > 4096:
            raise ValueError(f"header {name!r} has a value that cannot be sent")
    return headers


class ProviderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    kind: ProviderKind = ProviderKind.OPENAI
    base_url: str = Field(pattern=URL_PATTERN, max_length=2048)
    api_key: str | None = Field(default=None, min_length=1, max_length=4096)
    timeout: float = Field(default=120.0, gt=0, le=3600)
    headers: HeaderMap = Field(default_factory=dict, max_length=32)

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: HeaderMap) -> HeaderMap:
        return _check_headers(value)


class ProviderUpdate(BaseModel):
    """Only the fields sent change; `api_key: null` removes the key."""

    model_config = ConfigDict(extra="forbid")

    kind: ProviderKind | None = None
    base_url: str | None = Field(default=None, pattern=URL_PATTERN, max_length=2048)
    api_key: str | None = Field(default=None, min_length=1, max_length=4096)
    timeout: float | None = Field(default=None, gt=0, le=3600)
    headers: HeaderMap | None = Field(default=None, max_length=32)

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: HeaderMap | None) -> HeaderMap | None:
        return None if value is None else _check_headers(value)


class ProviderPublic(TimestampFields):
    """A provider as the API shows it: whether a key is set and its last characters, never
    the key."""

    id: int
    name: str
    kind: ProviderKind
    base_url: str
    api_key_set: bool
    api_key_last4: str
    timeout: float
    headers: HeaderMap
