"""Every runnable snippet of the integration guides (English and 简体中文) runs against a real
server, and each Chinese guide carries the same code as its English original.

Placeholder convention of the guides (the only text the test replaces):
- `http://HOST`   the server's base URL (here `http://127.0.0.1:<port>`; port 80 for users).
- `YOUR_API_KEY`  an API key; here a fresh key with scope `inference`, as the guides advise.
Model names are not placeholders: the test deploys the tiny offline models under the very names
the guides use (`DOC_MODELS`).

Fences tagged `bash` (curl commands) and `python` run; any other tag (`console` for docker or pip
commands, `yaml`, `json`) is for reading only. Bash runs with `set -euo pipefail` and `curl`
wrapped in `--fail-with-body`, so an HTTP error fails the snippet; Python runs in a fresh
interpreter. Each snippet runs in a shared scratch folder, so a snippet may write a file and read
it back, as the guides' speech round trip does.

docs/integrations/openai-api.md is left out: its Python block has its own test against the
in-process gateway (tests/unit/server/gateway/test_docs.py).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.gateway_support import GatewayCluster, gateway_cluster
from tests.fixtures.builtin_models import piper_voice_dir, whisper_tiny_en_dir
from tests.fixtures.models import MissingTestModelError
from tests.support.doc_snippets import Snippet, snippets

INTEGRATIONS = Path(__file__).resolve().parents[2] / "docs" / "integrations"
# Reference pages with their own tests, not guides.
NOT_GUIDES = frozenset({"openai-api.md"})
GUIDES = sorted(
    p for p in INTEGRATIONS.glob("*.md") if p.name not in NOT_GUIDES and ".zh." not in p.name
)
# curl fails on HTTP errors (and shows the body) without changing what the guides show.
BASH_PREAMBLE = 'curl() { command curl --silent --show-error --fail-with-body "$@"; }\n'
SNIPPET_TIMEOUT = 180


def chinese(guide: Path) -> Path:
    return guide.with_name(guide.stem + ".zh.md")


def runnable_snippets() -> list[Snippet]:
    """Each distinct runnable snippet of every guide in both languages, in reading order."""
    seen: set[tuple[str, str]] = set()
    out = []
    for guide in GUIDES:
        for path in (guide, chinese(guide)):
            if not path.exists():
                continue
            for snippet in snippets(path):
                if snippet.runnable and (snippet.lang, snippet.code) not in seen:
                    seen.add((snippet.lang, snippet.code))
                    out.append(snippet)
    return out


SNIPPETS = runnable_snippets()


@pytest.fixture(scope="module")
def docs_models(
    tiny_llama_gguf: Path,
    tiny_vision_model_dir: Path,
    minilm_embedding_gguf: Path,
    minilm_reranker_gguf: Path,
) -> dict[str, Path]:
    """The deployments the guides name, each backed by an offline test model."""
    try:
        voice, whisper = piper_voice_dir(), whisper_tiny_en_dir()
    except MissingTestModelError as exc:
        pytest.skip(str(exc))
    return {
        "qwen3-8b": tiny_llama_gguf,
        "qwen2.5-vl-3b": tiny_vision_model_dir,
        "bge-m3": minilm_embedding_gguf,
        "bge-reranker-v2-m3": minilm_reranker_gguf,
        "piper-en-us": voice,
        "whisper-tiny-en": whisper,
    }


@pytest.fixture(scope="module")
def docs_server(
    tmp_path_factory: pytest.TempPathFactory, docs_models: dict[str, Path]
) -> Iterator[GatewayCluster]:
    with gateway_cluster(tmp_path_factory.mktemp("docs-snippets")) as gw:
        for name, path in docs_models.items():
            gw.deploy(name, path)
        names = list(docs_models)
        gw.wait_running(names, timeout=180)
        gw.wait_routed(names)
        gw.key = gw.create_key("docs", scope="inference")
        yield gw


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("docs-scratch")


def test_guides_exist_in_both_languages() -> None:
    assert {g.name for g in GUIDES} >= {"dify.md", "openai-sdk.md", "open-webui.md"}
    for guide in GUIDES:
        assert chinese(guide).exists(), f"{guide.name} has no Chinese version"


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_chinese_guide_has_the_same_code(guide: Path) -> None:
    english = [(s.lang, s.code) for s in snippets(guide)]
    translated = [(s.lang, s.code) for s in snippets(chinese(guide))]
    assert translated == english


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.where)
def test_snippet_runs(docs_server: GatewayCluster, scratch: Path, snippet: Snippet) -> None:
    code = snippet.substituted({"http://HOST": docs_server.url, "YOUR_API_KEY": docs_server.key})
    if snippet.lang == "bash":
        command = ["bash", "-euo", "pipefail", "-c", BASH_PREAMBLE + code]
    else:
        command = [sys.executable, "-c", code]
    try:
        done = subprocess.run(
            command, cwd=scratch, capture_output=True, text=True, timeout=SNIPPET_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{snippet.where} ran over {SNIPPET_TIMEOUT} s:\n{snippet.code}")
    assert done.returncode == 0, (
        f"{snippet.where} failed (exit {done.returncode}):\n{snippet.code}\n"
        f"--- stdout\n{done.stdout[-2000:]}\n--- stderr\n{done.stderr[-2000:]}"
    )
    assert done.stdout.strip(), f"{snippet.where} printed nothing:\n{snippet.code}"
