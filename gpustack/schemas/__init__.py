"""Tables and public models, one module per resource.

Importing this package registers every table on SQLModel.metadata (Alembic reads it).
"""

from gpustack.schemas.api_keys import ApiKey
from gpustack.schemas.engine_versions import EngineVersion
from gpustack.schemas.model_files import ModelFile
from gpustack.schemas.model_instances import ModelInstance
from gpustack.schemas.models import Model
from gpustack.schemas.usage import UsageDaily, UsageRecordRow
from gpustack.schemas.users import User
from gpustack.schemas.workers import Worker

__all__ = [
    "ApiKey",
    "EngineVersion",
    "Model",
    "ModelFile",
    "ModelInstance",
    "UsageDaily",
    "UsageRecordRow",
    "User",
    "Worker",
]
