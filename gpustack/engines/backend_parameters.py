"""Reading and editing `backend_parameters`, the user's extra command-line flags.

Flags come as a list of strings in either form `--flag value` or `--flag=value`.
"""

from __future__ import annotations

from collections.abc import Sequence


def flag_value(params: Sequence[str], *names: str) -> str | None:
    """The value of the last occurrence of any of `names`, or None when absent."""
    found: str | None = None
    for i, item in enumerate(params):
        flag, sep, value = item.partition("=")
        if flag not in names:
            continue
        if sep:
            found = value
        elif i + 1 < len(params):
            found = params[i + 1]
    return found


def has_flag(params: Sequence[str], *names: str) -> bool:
    """Whether any of `names` appears, as a switch or with a value."""
    return any(item.partition("=")[0] in names for item in params)


def int_flag(params: Sequence[str], *names: str) -> int | None:
    """An integer flag's value; ValueError names the flag when it is not a number."""
    value = flag_value(params, *names)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{names[0]} expects an integer, got {value!r}") from None


def positive_int_flag(params: Sequence[str], *names: str) -> int | None:
    """An integer flag's value when it is a positive number; None when it is absent,
    malformed (launching the engine reports that) or automatic (0 or -1)."""
    try:
        value = int_flag(params, *names)
    except ValueError:
        return None
    return value if value is not None and value > 0 else None


def float_flag(params: Sequence[str], *names: str) -> float | None:
    """A float flag's value; ValueError names the flag when it is not a number."""
    value = flag_value(params, *names)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{names[0]} expects a number, got {value!r}") from None


def without_flag(params: Sequence[str], *names: str) -> list[str]:
    """`params` with every occurrence of a valued flag (and its value) removed."""
    kept: list[str] = []
    skip_next = False
    for item in params:
        if skip_next:
            skip_next = False
            continue
        flag, sep, _ = item.partition("=")
        if flag in names:
            skip_next = not sep
            continue
        kept.append(item)
    return kept
