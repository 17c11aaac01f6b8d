"""What each engine runs at once per instance: the gateway's default admission limit."""

from __future__ import annotations

import pytest

from gpustack.engines.registry import default_registry


@pytest.mark.parametrize(
    ("backend", "params", "expected"),
    [
        ("llama.cpp", [], 4),  # the --parallel the launch passes
        ("llama.cpp", ["-np", "8"], 8),
        ("llama.cpp", ["--parallel=2"], 2),
        ("llama.cpp", ["--parallel", "-1"], 4),
        ("llama.cpp", ["--parallel", "many"], 4),
        ("vllm", [], 256),
        ("vllm", ["--max-num-seqs", "64"], 64),
        ("sglang", [], None),  # sized from free memory at start
        ("sglang", ["--max-running-requests=32"], 32),
        ("custom", ["--parallel", "8"], None),
        ("onnx-embeddings", [], 4),
    ],
)
def test_default_concurrency(backend: str, params: list[str], expected: int | None) -> None:
    assert default_registry()[backend].default_concurrency(params) == expected
