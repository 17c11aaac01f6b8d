"""Model analysis: hub listings priced by file size, local headers, what is remembered."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gpustack.engines.base import Category, ModelFormat
from gpustack.schemas.models import ModelSpec, SourceKind
from gpustack.server.scheduler.analysis import ModelAnalysisError, ModelAnalyzer
from gpustack.server.scheduler.repo_listing import RepoListing, RepoListingError
from gpustack.sources.file_selection import RepoFile

GIB = 1024**3


class FakeHub:
    """Listings by repo id; counts calls so caching is visible."""

    def __init__(self, **repos: RepoListing) -> None:
        self.repos = {k.replace("__", "/"): v for k, v in repos.items()}
        self.calls = 0

    def __call__(self, kind: SourceKind, repo: str) -> RepoListing:
        self.calls += 1
        if repo not in self.repos:
            raise RepoListingError(f"Hugging Face cannot list {repo}: 404")
        return self.repos[repo]


def hf(repo: str, filename: str | None = None) -> ModelSpec:
    return ModelSpec(
        name="m", source="huggingface", huggingface_repo_id=repo, huggingface_filename=filename
    )


SPLIT = RepoListing(
    (
        RepoFile("Q4/big-Q4_K_M-00001-of-00002.gguf", 30 * GIB),
        RepoFile("Q4/big-Q4_K_M-00002-of-00002.gguf", 20 * GIB),
        RepoFile("big-Q8_0.gguf", 90 * GIB),
        RepoFile("mmproj-big-f16.gguf", GIB),
    )
)
QWEN = RepoListing(
    (
        RepoFile("model-00001-of-00002.safetensors", 4 * GIB),
        RepoFile("model-00002-of-00002.safetensors", 3 * GIB),
        RepoFile("pytorch_model.bin", 7 * GIB),
        RepoFile("config.json", 1000),
    ),
    {"architectures": ["Qwen2ForCausalLM"]},
)


async def test_gguf_glob_sums_every_part_of_a_split_file_plus_its_projector() -> None:
    analyzer = ModelAnalyzer(list_repo=FakeHub(acme__big=SPLIT))
    analysis = await analyzer.analyze(hf("acme/big", "*Q4_K_M*.gguf"))
    profile = analysis.profile
    assert profile.format == ModelFormat.GGUF
    assert profile.weights_bytes == 50 * GIB
    assert profile.extra_bytes == GIB
    assert analysis.caveat == ""


async def test_safetensors_repo_counts_only_safetensors_and_reads_its_category() -> None:
    analyzer = ModelAnalyzer(list_repo=FakeHub(qwen__q=QWEN))
    profile = (await analyzer.analyze(hf("qwen/q"))).profile
    assert profile.format == ModelFormat.SAFETENSORS
    assert profile.weights_bytes == 7 * GIB
    assert profile.categories == (Category.LLM,)


async def test_profiles_are_remembered_but_failures_are_retried() -> None:
    hub = FakeHub(qwen__q=QWEN)
    analyzer = ModelAnalyzer(list_repo=hub)
    await analyzer.analyze(hf("qwen/q"))
    await analyzer.analyze(hf("qwen/q"))
    assert hub.calls == 1

    with pytest.raises(ModelAnalysisError, match=r"cannot read model: .*404"):
        await analyzer.analyze(hf("qwen/missing"))
    hub.repos["qwen/missing"] = QWEN
    assert (await analyzer.analyze(hf("qwen/missing"))).profile.weights_bytes == 7 * GIB

    analyzer.retain([])
    await analyzer.analyze(hf("qwen/q"))
    assert hub.calls == 4, "a forgotten source is listed again"


async def test_glob_matching_nothing_names_what_the_repo_has() -> None:
    analyzer = ModelAnalyzer(list_repo=FakeHub(acme__big=SPLIT))
    with pytest.raises(ModelAnalysisError, match=r"no file matches.*big-Q8_0\.gguf"):
        await analyzer.analyze(hf("acme/big", "*IQ2*.gguf"))


async def test_local_gguf_is_profiled_from_its_header(
    tiny_llama_gguf: Path, tmp_path: Path
) -> None:
    path = tmp_path / "copy.gguf"
    shutil.copyfile(tiny_llama_gguf, path)
    spec = ModelSpec(name="m", source="local_path", local_path=str(path))
    analysis = await ModelAnalyzer().analyze(spec)
    assert analysis.profile.format == ModelFormat.GGUF
    assert analysis.profile.layer_count == 2
    assert analysis.profile.weights_bytes > 0


async def test_custom_backend_needs_no_readable_model_file(tmp_path: Path) -> None:
    script = tmp_path / "serve.py"
    script.write_text("print('any OpenAI-compatible server')\n")
    spec = ModelSpec(
        name="stand-in", source="local_path", local_path=str(script), backend="custom",
        backend_command="python {{model_path}} --port {{port}}", categories=["llm"],
    )  # fmt: skip
    analysis = await ModelAnalyzer().analyze(spec)
    assert analysis.profile.categories == ("llm",) and not analysis.caveat
