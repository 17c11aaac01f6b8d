"""Dry runs cannot probe the server's files: local paths are for administrators only."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from gpustack.engines.base import ModelFormat
from gpustack.schemas.models import ModelSpec, SourceKind
from gpustack.server.scheduler.analysis import ModelAnalyzer
from gpustack.server.scheduler.repo_listing import RepoFile, RepoListing


def local_spec(path: str) -> dict[str, object]:
    return {"model_specs": [{"name": "probe", "source": "local_path", "local_path": path}]}


async def test_a_user_gets_one_answer_for_every_local_path(
    client: httpx.AsyncClient, user_key: str, tmp_path: Path
) -> None:
    existing = tmp_path / "model.gguf"
    existing.write_bytes(b"GGUF")
    headers = {"Authorization": f"Bearer {user_key}"}
    answers = set()
    for path in (str(existing), str(tmp_path / "missing.gguf"), "/etc/passwd", "/", "/nope"):
        resp = await client.post("/v2/model-evaluations", json=local_spec(path), headers=headers)
        answers.add((resp.status_code, resp.text))
    assert len(answers) == 1
    status, text = answers.pop()
    assert status == 403
    assert "administrators" in text


async def test_an_admin_evaluating_the_filesystem_root_gets_a_quick_clear_answer(
    admin: httpx.AsyncClient,
) -> None:
    resp = await admin.post("/v2/model-evaluations", json=local_spec("/"))
    assert resp.status_code == 200, resp.text
    (result,) = resp.json()["results"]
    assert result["compatible"] is False
    assert "model" in result["message"]


async def test_analysis_runs_on_its_own_threads_not_the_login_pool() -> None:
    threads: list[str] = []

    def lister(kind: SourceKind, repo: str) -> RepoListing:
        threads.append(threading.current_thread().name)
        return RepoListing(files=(RepoFile("model.gguf", 1000),))

    analyzer = ModelAnalyzer(list_repo=lister)
    spec = ModelSpec(
        name="m", source="huggingface", huggingface_repo_id="o/n", huggingface_filename="*.gguf"
    )
    analysis = await analyzer.analyze(spec)
    assert analysis.profile.format is ModelFormat.GGUF
    assert threads and threads[0].startswith("model-analysis")
