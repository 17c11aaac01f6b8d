"""How the server reaches a worker's API: its address, that worker's credential, the calls.

The credential is the one derived for that worker alone (`worker_api_token`): no caller's
cookie or key is ever passed on, and what one worker receives opens nothing elsewhere. The
API's routes get a `WorkerApi` through the `worker_api` dependency, so a test can put a
fake worker behind them with `app.dependency_overrides[worker_api]`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Protocol

import aiohttp
from fastapi import Depends

from gpustack.schemas.model_files import ModelFile
from gpustack.schemas.workers import Worker
from gpustack.server.dependencies import Ctx
from gpustack.server.security.worker_credentials import worker_api_token

_CONNECT_TIMEOUT_S = 5.0
# Removing a large cache may take a while on a slow disk.
_CLEANUP_TIMEOUT_S = 120.0


class WorkerCallError(Exception):
    """The worker could not be reached (`status` None) or answered with an error status."""

    def __init__(self, status: int | None, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def worker_base_url(worker: Worker) -> str:
    return f"http://{worker.ip}:{worker.port}"


def worker_auth_headers(worker: Worker, cluster_token: str) -> dict[str, str]:
    """The header that opens this worker's API, and neither another worker's nor the server's."""
    return {"Authorization": f"Bearer {worker_api_token(cluster_token, worker)}"}


def proxy_url(worker: Worker, instance_id: int) -> str:
    """Where the worker's proxy serves one of its instances (the OpenAI paths go below)."""
    return f"{worker_base_url(worker)}/proxy/instances/{instance_id}"


class WorkerApi(Protocol):
    """The calls the server's API makes to a worker."""

    def instance_logs(
        self, worker: Worker, instance_id: int, *, tail: int, follow: bool
    ) -> AsyncGenerator[bytes, None]:
        """The instance's log, chunk by chunk; raises `WorkerCallError`, also midway.

        Closing the generator (the reader hung up) closes the connection to the worker,
        which ends a followed log there.
        """
        ...

    async def remove_model_files(self, worker: Worker, row: ModelFile) -> None:
        """Ask the worker to remove a model file's download from its cache."""
        ...


class WorkerClient:
    """`WorkerApi` over HTTP.

    Each call opens its own connection: the server calls a worker rarely (a log read, a
    clean-up), so no pooled connection idles where the worker could close it under us.
    """

    def __init__(self, cluster_token: str) -> None:
        self._cluster_token = cluster_token

    async def instance_logs(
        self, worker: Worker, instance_id: int, *, tail: int, follow: bool
    ) -> AsyncGenerator[bytes, None]:
        url = f"{worker_base_url(worker)}/instances/{instance_id}/logs"
        params = {"tail": str(tail), "follow": "true" if follow else "false"}
        # No total timeout: a followed log lasts as long as the reader wants it.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=_CONNECT_TIMEOUT_S)
        headers = worker_auth_headers(worker, self._cluster_token)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as client,
                client.get(url, params=params, headers=headers) as resp,
            ):
                if resp.status != 200:
                    raise WorkerCallError(resp.status, await resp.text())
                async for chunk in resp.content.iter_any():
                    yield chunk
        except aiohttp.ClientError as exc:
            raise WorkerCallError(None, str(exc)) from exc

    async def remove_model_files(self, worker: Worker, row: ModelFile) -> None:
        url = f"{worker_base_url(worker)}/model-files/{row.id}"
        repo_id = row.huggingface_repo_id or row.model_scope_model_id or ""
        filename = row.huggingface_filename or row.model_scope_file_path
        params = {"source": row.source, "repo_id": repo_id}
        if filename:
            params["filename"] = filename
        timeout = aiohttp.ClientTimeout(total=_CLEANUP_TIMEOUT_S, sock_connect=_CONNECT_TIMEOUT_S)
        headers = worker_auth_headers(worker, self._cluster_token)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as client,
                client.delete(url, params=params, headers=headers) as resp,
            ):
                if resp.status < 400:
                    return
                raise WorkerCallError(resp.status, await resp.text())
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise WorkerCallError(None, str(exc) or type(exc).__name__) from exc


def worker_api(ctx: Ctx) -> WorkerApi:
    return WorkerClient(ctx.cluster_token)


WorkerApiDep = Annotated[WorkerApi, Depends(worker_api)]
