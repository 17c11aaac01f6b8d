"""Event vocabulary shared by server and worker: what kind of resource changed, and how."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"


class ResourceKind(StrEnum):
    """The resources whose changes are published as events (and watched with `?watch=true`)."""

    USERS = "users"
    API_KEYS = "api-keys"
    MODELS = "models"
    MODEL_INSTANCES = "model-instances"
    MODEL_FILES = "model-files"
    WORKERS = "workers"
    # Also published when a group's members change (the group's id, hint "members").
    GROUPS = "groups"
    PROVIDERS = "providers"
    MODEL_ROUTES = "model-routes"
