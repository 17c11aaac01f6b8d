"""Model files: weights materialised in a worker's cache, with download progress."""

from __future__ import annotations

from enum import StrEnum

from pydantic import ConfigDict
from sqlmodel import Field as SQLField

from gpustack.schemas.common import DbId, TimestampColumns, TimestampFields
from gpustack.schemas.models import ModelSource


class ModelFileState(StrEnum):
    DOWNLOADING = "downloading"
    READY = "ready"
    ERROR = "error"


class ModelFile(TimestampColumns, table=True):
    __tablename__ = "model_files"

    id: int | None = SQLField(default=None, primary_key=True)
    source: str = SQLField(max_length=32)
    source_key: str = SQLField(index=True, max_length=1024)
    huggingface_repo_id: str | None = None
    huggingface_filename: str | None = None
    model_scope_model_id: str | None = None
    model_scope_file_path: str | None = None
    local_path: str | None = None
    worker_id: int = SQLField(foreign_key="workers.id", index=True, ondelete="CASCADE")
    worker_name: str = ""
    state: str = ModelFileState.DOWNLOADING.value
    state_message: str = ""
    download_progress: float = 0.0
    size: int = 0
    local_dir: str | None = None


class ModelFileCreate(ModelSource):
    model_config = ConfigDict(extra="forbid")

    worker_id: DbId


class ModelFilePublic(ModelSource, TimestampFields):
    model_config = ConfigDict(extra="ignore")

    id: int
    worker_id: int
    worker_name: str
    state: ModelFileState
    state_message: str
    download_progress: float
    size: int
    local_dir: str | None
