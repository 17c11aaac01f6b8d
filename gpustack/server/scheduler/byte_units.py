"""Byte counts for people: GiB above one GiB, MiB below."""

from __future__ import annotations

MIB = 1024**2
GIB = 1024**3


def format_bytes(count: int) -> str:
    """`9663676416` → `"9.0 GiB"`; `536870912` → `"512 MiB"`."""
    if abs(count) >= GIB:
        return f"{count / GIB:.1f} GiB"
    return f"{count / MIB:.0f} MiB"
