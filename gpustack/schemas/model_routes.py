"""Model routes: a public model name → weighted targets and an ordered fallback chain."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import JSON, Column
from sqlmodel import Field as SQLField

from gpustack.schemas.common import TimestampColumns, TimestampFields

NAME_PATTERN = r"^[^\x00-\x1f/]{1,128}$"


class FailureKind(StrEnum):
    """What makes the gateway take the next fallback (each switchable per fallback)."""

    CONNECTION = "connection"  # not reachable, no running instance, answer broke off
    RATE_LIMITED = "429"
    SERVER_ERROR = "5xx"
    TIMEOUT = "timeout"
    CONTEXT_LENGTH = "context_length"


class ModelRouteRow(TimestampColumns, table=True):
    __tablename__ = "model_routes"

    id: int | None = SQLField(default=None, primary_key=True)
    name: str = SQLField(index=True, unique=True, max_length=128)
    description: str = SQLField(default="", max_length=1024)
    # Lists of RouteTarget / RouteFallback as JSON.
    targets: list[dict[str, Any]] = SQLField(default_factory=list, sa_column=Column(JSON))
    fallbacks: list[dict[str, Any]] = SQLField(default_factory=list, sa_column=Column(JSON))
    cooldown_failures: int = 3
    cooldown_seconds: float = 30.0


class ProviderModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str = Field(min_length=1, max_length=64)
    model: str = Field(min_length=1, max_length=256)


class _Destination(BaseModel):
    """Exactly one of a deployment (`model`) or a provider's model (`provider_model`)."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(default=None, min_length=1, max_length=128)
    provider_model: ProviderModel | None = None

    @model_validator(mode="after")
    def _one_destination(self) -> _Destination:
        if (self.model is None) == (self.provider_model is None):
            raise ValueError("give exactly one of 'model' (a deployment) or 'provider_model'")
        return self


class RouteTarget(_Destination):
    weight: int = Field(default=1, ge=0, le=1000)


ALL_FAILURES = [kind for kind in FailureKind]


class RouteFallback(_Destination):
    on: list[FailureKind] = Field(default_factory=lambda: list(ALL_FAILURES), max_length=5)


class ModelRouteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    description: str = Field(default="", max_length=1024, pattern=r"^[^\x00]*$")
    targets: list[RouteTarget] = Field(min_length=1, max_length=32)
    fallbacks: list[RouteFallback] = Field(default_factory=list, max_length=16)
    # A target (or fallback) that failed this many times in a row is left out this long.
    cooldown_failures: int = Field(default=3, ge=1, le=1000)
    cooldown_seconds: float = Field(default=30.0, ge=0, le=86400)

    @model_validator(mode="after")
    def _some_weight(self) -> ModelRouteCreate:
        if not any(t.weight > 0 for t in self.targets):
            raise ValueError("at least one target needs a weight above 0")
        return self


class ModelRouteUpdate(BaseModel):
    """Only the fields sent change; the name stays."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=1024, pattern=r"^[^\x00]*$")
    targets: list[RouteTarget] | None = Field(default=None, min_length=1, max_length=32)
    fallbacks: list[RouteFallback] | None = Field(default=None, max_length=16)
    cooldown_failures: int | None = Field(default=None, ge=1, le=1000)
    cooldown_seconds: float | None = Field(default=None, ge=0, le=86400)

    @model_validator(mode="after")
    def _some_weight(self) -> ModelRouteUpdate:
        if self.targets is not None and not any(t.weight > 0 for t in self.targets):
            raise ValueError("at least one target needs a weight above 0")
        return self


class ModelRoutePublic(TimestampFields):
    id: int
    name: str
    description: str
    targets: list[RouteTarget]
    fallbacks: list[RouteFallback]
    cooldown_failures: int
    cooldown_seconds: float
