"""Credentials between the server and one worker: its own token, and the server's key to it.

A worker proves who it is with its per-worker token (`gpustack_worker_<id>_<secret>`); the
cluster token only lets a new machine join under a free name. The other way round, the
server calls a worker's API with a credential derived for that worker alone, so a worker
that receives it cannot replay it against another worker or against the server.
"""

from __future__ import annotations

import hashlib
import hmac

from gpustack.schemas.workers import Worker
from gpustack.server.security.authenticator import WORKER_TOKEN_PREFIX
from gpustack.server.security.key_material import digest_matches

WORKER_API_TOKEN_PREFIX = "gpustack_wapi_"


def format_worker_token(worker_id: int, secret: str) -> str:
    return f"{WORKER_TOKEN_PREFIX}{worker_id}_{secret}"


def parse_worker_token(value: str) -> tuple[int, str] | None:
    """`(worker id, secret)` of a per-worker token, or None when it is not one."""
    if not value.startswith(WORKER_TOKEN_PREFIX):
        return None
    id_text, _, secret = value.removeprefix(WORKER_TOKEN_PREFIX).partition("_")
    if not id_text.isdigit() or not secret:
        return None
    return int(id_text), secret


def proven_secret(worker: Worker, token: str) -> str | None:
    """The secret of `token` when it is this worker's current token, else None."""
    parts = parse_worker_token(token)
    if parts is None or worker.id is None or not worker.token_digest:
        return None
    worker_id, secret = parts
    if worker_id != worker.id or not digest_matches(secret, worker.token_salt, worker.token_digest):
        return None
    return secret


def worker_api_token(cluster_token: str, worker: Worker) -> str:
    """What the server sends to this worker's API, and only to it.

    Keyed by the cluster token and bound to the worker's id and token digest: every server
    of the cluster derives the same value from the database, it differs for every worker
    and every new registration, and neither a worker (which does not know another
    worker's digest) nor a reader of the database alone (which lacks the cluster token) can
    derive it for another worker. The server's own authenticator accepts no such token.
    """
    assert worker.id is not None
    message = f"worker-api:{worker.id}:{worker.token_digest}".encode()
    mac = hmac.new(cluster_token.encode(), message, hashlib.sha256).hexdigest()
    return f"{WORKER_API_TOKEN_PREFIX}{mac}"
