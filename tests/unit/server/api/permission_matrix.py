"""Who may call what: the expected access of every route of the server and the worker API.

`test_permission_matrix.py` builds the route list from the running app (its OpenAPI paths,
the gateway's operations, the worker API's router), so a route added without an entry here
fails that test until someone decides who may call it.
"""

from __future__ import annotations

from enum import StrEnum


class Access(StrEnum):
    """Who a route admits; the identities' expected answers follow from it."""

    PUBLIC = "public"  # anyone, no credential
    PERSON = "person"  # a signed-in user or a key with management scope
    ADMIN = "admin"  # a person with the admin role
    READER = "reader"  # a person, or a registered worker (it reads what it runs)
    WORKER = "worker"  # a registered worker's own token
    WORKER_OR_ADMIN = "worker_or_admin"
    CLUSTER = "cluster"  # the cluster token (a worker joining), or an admin
    METRICS = "metrics"  # loopback, the metrics token, or an admin
    INFERENCE = "inference"  # the gateway: a key with inference scope, or a session


# (method, path) → access; paths as the app declares them.
SERVER_ROUTES: dict[tuple[str, str], Access] = {
    ("GET", "/healthz"): Access.PUBLIC,
    ("GET", "/readyz"): Access.PUBLIC,
    ("GET", "/version"): Access.PUBLIC,
    ("GET", "/metrics"): Access.METRICS,
    ("POST", "/auth/login"): Access.PUBLIC,
    ("POST", "/auth/logout"): Access.PUBLIC,
    ("POST", "/auth/update-password"): Access.PERSON,
    ("GET", "/auth/providers"): Access.PUBLIC,
    ("GET", "/auth/oidc/login"): Access.PUBLIC,
    ("GET", "/auth/oidc/callback"): Access.PUBLIC,
    ("GET", "/v2/users/me"): Access.PERSON,
    ("GET", "/v2/users"): Access.ADMIN,
    ("POST", "/v2/users"): Access.ADMIN,
    ("GET", "/v2/users/{user_id}"): Access.ADMIN,
    ("PUT", "/v2/users/{user_id}"): Access.ADMIN,
    ("DELETE", "/v2/users/{user_id}"): Access.ADMIN,
    ("GET", "/v2/api-keys"): Access.PERSON,
    ("POST", "/v2/api-keys"): Access.PERSON,
    ("GET", "/v2/api-keys/{key_id}"): Access.PERSON,
    ("PUT", "/v2/api-keys/{key_id}"): Access.PERSON,
    ("PATCH", "/v2/api-keys/{key_id}"): Access.PERSON,
    ("DELETE", "/v2/api-keys/{key_id}"): Access.PERSON,
    # Groups: members read theirs, group admins manage their own group's members (that is
    # tested in tests/e2e/test_teams.py); the ids here are no group's, so only admins pass.
    ("GET", "/v2/groups"): Access.PERSON,
    ("POST", "/v2/groups"): Access.ADMIN,
    ("GET", "/v2/groups/{group_id}"): Access.PERSON,
    ("PUT", "/v2/groups/{group_id}"): Access.ADMIN,
    ("DELETE", "/v2/groups/{group_id}"): Access.ADMIN,
    ("GET", "/v2/groups/{group_id}/members"): Access.ADMIN,
    ("POST", "/v2/groups/{group_id}/members"): Access.PERSON,
    ("PUT", "/v2/groups/{group_id}/members/{user_id}"): Access.ADMIN,
    ("DELETE", "/v2/groups/{group_id}/members/{user_id}"): Access.ADMIN,
    ("GET", "/v2/models"): Access.PERSON,
    ("POST", "/v2/models"): Access.ADMIN,
    ("GET", "/v2/models/{model_id}"): Access.READER,
    ("PUT", "/v2/models/{model_id}"): Access.ADMIN,
    ("DELETE", "/v2/models/{model_id}"): Access.ADMIN,
    ("GET", "/v2/models/{model_id}/instances"): Access.ADMIN,
    ("POST", "/v2/models/{model_id}/restart"): Access.ADMIN,
    ("GET", "/v2/model-instances"): Access.WORKER_OR_ADMIN,
    ("GET", "/v2/model-instances/{instance_id}"): Access.ADMIN,
    ("DELETE", "/v2/model-instances/{instance_id}"): Access.ADMIN,
    ("PUT", "/v2/model-instances/{instance_id}/status"): Access.WORKER,
    ("PUT", "/v2/model-instances/{instance_id}/subordinates/status"): Access.WORKER,
    ("GET", "/v2/model-instances/{instance_id}/logs"): Access.ADMIN,
    ("POST", "/v2/model-evaluations"): Access.PERSON,
    ("GET", "/v2/model-files"): Access.READER,
    ("POST", "/v2/model-files"): Access.WORKER_OR_ADMIN,
    ("GET", "/v2/model-files/{file_id}"): Access.READER,
    ("DELETE", "/v2/model-files/{file_id}"): Access.ADMIN,
    ("POST", "/v2/model-files/{file_id}/retry"): Access.ADMIN,
    ("PUT", "/v2/model-files/{file_id}/status"): Access.WORKER,
    ("GET", "/v2/model-sets"): Access.PERSON,
    ("GET", "/v2/workers"): Access.PERSON,
    ("GET", "/v2/workers/registration"): Access.ADMIN,
    ("POST", "/v2/workers/register"): Access.CLUSTER,
    ("POST", "/v2/workers/{worker_id}/heartbeat"): Access.WORKER,
    ("PUT", "/v2/workers/{worker_id}/status"): Access.WORKER,
    ("GET", "/v2/workers/{worker_id}"): Access.PERSON,
    ("PUT", "/v2/workers/{worker_id}"): Access.ADMIN,
    ("DELETE", "/v2/workers/{worker_id}"): Access.ADMIN,
    ("GET", "/v2/gpu-devices"): Access.PERSON,
    ("GET", "/v2/usage"): Access.PERSON,
    ("GET", "/v2/dashboard"): Access.PERSON,
    ("GET", "/v2/audit-logs"): Access.ADMIN,
    ("GET", "/v2/inference-backends"): Access.PERSON,
    ("POST", "/v2/inference-backends/{backend}/versions"): Access.ADMIN,
    ("GET", "/v2/inference-backends/{backend}/versions/{version}"): Access.READER,
    ("DELETE", "/v2/inference-backends/{backend}/versions/{version}"): Access.ADMIN,
    ("GET", "/v2/providers"): Access.ADMIN,
    ("POST", "/v2/providers"): Access.ADMIN,
    ("GET", "/v2/providers/{provider_id}"): Access.ADMIN,
    ("PUT", "/v2/providers/{provider_id}"): Access.ADMIN,
    ("DELETE", "/v2/providers/{provider_id}"): Access.ADMIN,
    ("GET", "/v2/model-routes"): Access.ADMIN,
    ("POST", "/v2/model-routes"): Access.ADMIN,
    ("GET", "/v2/model-routes/{route_id}"): Access.ADMIN,
    ("PUT", "/v2/model-routes/{route_id}"): Access.ADMIN,
    ("DELETE", "/v2/model-routes/{route_id}"): Access.ADMIN,
    ("GET", "/v2/request-logs"): Access.ADMIN,
    ("POST", "/v2/models/{model_id}/integration-check"): Access.ADMIN,
}

# The gateway's paths (below both /v1 and /v1-openai), all POST, plus the model list.
GATEWAY_ROUTES: dict[tuple[str, str], Access] = {
    ("GET", "/models"): Access.INFERENCE,
    ("POST", "/chat/completions"): Access.INFERENCE,
    ("POST", "/completions"): Access.INFERENCE,
    ("POST", "/messages"): Access.INFERENCE,
    ("POST", "/messages/count_tokens"): Access.INFERENCE,
    ("POST", "/responses"): Access.INFERENCE,
    ("POST", "/embeddings"): Access.INFERENCE,
    ("POST", "/rerank"): Access.INFERENCE,
    ("POST", "/images/generations"): Access.INFERENCE,
    ("POST", "/images/edits"): Access.INFERENCE,
    ("POST", "/audio/speech"): Access.INFERENCE,
    ("POST", "/audio/transcriptions"): Access.INFERENCE,
    ("POST", "/audio/translations"): Access.INFERENCE,
}

# The worker API (aiohttp): the server's per-worker credential only; /healthz is open.
WORKER_API_ROUTES: dict[tuple[str, str], Access] = {
    ("GET", "/healthz"): Access.PUBLIC,
    ("GET", "/instances/{id}/logs"): Access.WORKER,
    ("*", "/proxy/instances/{id}/{path}"): Access.WORKER,
    ("DELETE", "/model-files/{id}"): Access.WORKER,
}
