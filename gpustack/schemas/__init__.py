"""Tables and public models, one module per resource.

Importing this package registers every table on SQLModel.metadata (Alembic reads it).
"""

from gpustack.schemas.api_keys import ApiKey
from gpustack.schemas.audit_logs import AuditLog
from gpustack.schemas.engine_versions import EngineVersion
from gpustack.schemas.groups import Group, GroupMember
from gpustack.schemas.model_files import ModelFile
from gpustack.schemas.model_instances import ModelInstance
from gpustack.schemas.model_routes import ModelRouteRow
from gpustack.schemas.models import Model
from gpustack.schemas.providers import Provider
from gpustack.schemas.rate_counters import RateCounter
from gpustack.schemas.request_logs import RequestLog
from gpustack.schemas.usage import UsageDaily, UsageRecordRow
from gpustack.schemas.users import User
from gpustack.schemas.workers import Worker

__all__ = [
    "ApiKey",
    "AuditLog",
    "EngineVersion",
    "Group",
    "GroupMember",
    "Model",
    "ModelFile",
    "ModelInstance",
    "ModelRouteRow",
    "Provider",
    "RateCounter",
    "RequestLog",
    "UsageDaily",
    "UsageRecordRow",
    "User",
    "Worker",
]
