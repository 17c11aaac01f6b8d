"""Hub repository ids (`owner/name`), checked before any of them becomes a cache path."""

from __future__ import annotations

import re

# Both hubs allow letters, digits, `_`, `-` and `.` in each part; a part made only of dots, or
# one with `..`, would walk out of the cache folder once joined to it.
_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,95}")


def check_repo_id(value: str, field: str = "repo_id", example: str = "Qwen/Qwen3-8B") -> str:
    """`value` if it is `owner/name` with safe parts; ValueError saying what is wrong."""
    owner, sep, name = value.partition("/")
    parts_ok = all(_PART.fullmatch(part) and ".." not in part for part in (owner, name))
    if not sep or not parts_ok:
        raise ValueError(
            f"{field} must look like 'owner/name' (letters, digits, '_', '-', '.'), "
            f"e.g. {example!r}, got {value!r}"
        )
    return value
