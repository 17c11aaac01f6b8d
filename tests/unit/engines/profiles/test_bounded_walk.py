"""Profiling a path never walks more than a model directory's worth of files."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpustack.engines.profiles import ModelProfileError, profile_model
from gpustack.engines.profiles.bounded_walk import walk_files


def test_a_huge_tree_is_refused_with_a_hint(tmp_path: Path) -> None:
    for i in range(60):
        (tmp_path / f"dir{i}").mkdir()
        for j in range(5):
            (tmp_path / f"dir{i}" / f"f{j}.txt").write_text("x")
    with pytest.raises(ModelProfileError, match="point local_path at the model"):
        list(walk_files(tmp_path, max_entries=100))


def test_depth_is_bounded_and_symlinked_folders_are_not_followed(tmp_path: Path) -> None:
    deep = tmp_path
    for i in range(10):
        deep = deep / f"level{i}"
    deep.mkdir(parents=True)
    (deep / "deep.onnx").write_text("x")
    (tmp_path / "top.onnx").write_text("x")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    found = [p.relative_to(tmp_path).as_posix() for p in walk_files(tmp_path, max_depth=4)]
    assert found == ["top.onnx"]


def test_the_filesystem_root_is_not_a_model() -> None:
    with pytest.raises(ModelProfileError):
        profile_model(Path("/"))
