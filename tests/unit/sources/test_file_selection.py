import pytest

from gpustack.sources.errors import NoMatchingFileError
from gpustack.sources.file_selection import RepoFile, select_files


def listing(*names: str) -> list[RepoFile]:
    return [RepoFile(n, 10) for n in names]


def test_glob_finds_files_in_sub_folders() -> None:
    files = listing("README.md", "Q4_K_M/model-Q4_K_M.gguf", "Q8_0/model-Q8_0.gguf")

    selection = select_files(files, "*Q4_K_M.gguf", include_mmproj=False, repo_label="r")

    assert selection.primary == "Q4_K_M/model-Q4_K_M.gguf"
    assert [f.path for f in selection.files] == ["Q4_K_M/model-Q4_K_M.gguf"]


def test_broad_glob_picks_one_model_not_every_quantisation() -> None:
    files = listing("m-Q4_0.gguf", "m-Q8_0.gguf", "mmproj-m-f16.gguf")

    selection = select_files(files, "*.gguf", include_mmproj=False, repo_label="r")

    assert [f.path for f in selection.files] == ["m-Q4_0.gguf"]


def test_glob_naming_mmproj_selects_it() -> None:
    files = listing("m-Q4_0.gguf", "mmproj-m-f16.gguf")

    selection = select_files(files, "mmproj-*.gguf", include_mmproj=False, repo_label="r")

    assert selection.primary == "mmproj-m-f16.gguf"


def test_split_gguf_with_a_missing_part_is_reported() -> None:
    files = listing("m-00001-of-00003.gguf", "m-00003-of-00003.gguf")

    with pytest.raises(NoMatchingFileError, match="has 2 of 3 parts"):
        select_files(files, "m-00001-of-00003.gguf", include_mmproj=False, repo_label="r")


def test_non_gguf_glob_fetches_every_match() -> None:
    files = listing("onnx/model.onnx", "onnx/model_int8.onnx", "config.json")

    selection = select_files(files, "onnx/*", include_mmproj=False, repo_label="r")

    assert selection.primary is None
    assert [f.path for f in selection.files] == ["onnx/model.onnx", "onnx/model_int8.onnx"]


def test_long_availability_lists_are_cut_short() -> None:
    files = listing(*(f"m-{i:03d}.gguf" for i in range(30)))

    with pytest.raises(NoMatchingFileError, match=r"and 10 more$"):
        select_files(files, "*Q4*", include_mmproj=False, repo_label="r")
