"""Reading the user's backend flags in both `--flag value` and `--flag=value` forms."""

from __future__ import annotations

import pytest

from gpustack.engines.backend_parameters import flag_value, int_flag, without_flag


def test_both_forms_and_last_one_wins() -> None:
    params = ["--ctx-size", "1024", "--jinja", "--ctx-size=4096"]

    assert flag_value(params, "--ctx-size", "-c") == "4096"
    assert int_flag(["-c", "2048"], "--ctx-size", "-c") == 2048
    assert flag_value(params, "--parallel") is None


def test_not_a_number_names_the_flag() -> None:
    with pytest.raises(ValueError, match="--ctx-size expects an integer"):
        int_flag(["--ctx-size", "big"], "--ctx-size")


def test_without_flag_drops_the_value_too() -> None:
    params = ["--a", "1", "--llama-server-path", "/bin/x", "--b=2", "--llama-server-path=/y"]

    assert without_flag(params, "--llama-server-path") == ["--a", "1", "--b=2"]
