"""Which files make up a GGUF model: the weights (maybe split in shards) and a vision projector."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gpustack.engines.profiles.errors import ModelProfileError

_SPLIT_NAME = re.compile(r"^(?P<stem>.+)-(?P<index>\d{5})-of-(?P<count>\d{5})\.gguf$", re.I)


@dataclass(frozen=True, slots=True)
class GGUFModelFiles:
    """The shards of one GGUF model (first shard first) and its projector, if any."""

    shards: tuple[Path, ...]
    mmproj: Path | None

    @property
    def first(self) -> Path:
        """The file to hand to llama.cpp; it finds the other shards itself."""
        return self.shards[0]


def is_gguf(path: Path) -> bool:
    return path.suffix.lower() == ".gguf"


def is_mmproj(path: Path) -> bool:
    return "mmproj" in path.name.lower()


def locate_gguf_model(path: Path) -> GGUFModelFiles:
    """Resolve a .gguf file or a directory holding one GGUF model (plus an mmproj)."""
    if path.is_dir():
        main = _single_model_in(path)
    elif is_gguf(path):
        if is_mmproj(path):
            raise ModelProfileError(f"{path.name} is a vision projector (mmproj), not a model")
        main = path
    else:
        raise ModelProfileError(f"{path.name} is not a .gguf file")
    return GGUFModelFiles(shards=_shards_of(main), mmproj=find_mmproj(main.parent))


def find_mmproj(directory: Path) -> Path | None:
    """The vision projector beside a model, preferring the smallest (f16 over f32 copies)."""
    candidates = [p for p in directory.glob("*.gguf") if is_mmproj(p) and p.is_file()]
    if not candidates:
        return None
    return min(candidates, key=lambda p: (p.stat().st_size, p.name))


def _single_model_in(directory: Path) -> Path:
    models = sorted(p for p in directory.glob("*.gguf") if p.is_file() and not is_mmproj(p))
    firsts = {p for p in models if (m := _SPLIT_NAME.match(p.name)) is None or int(m["index"]) == 1}
    if not firsts:
        raise ModelProfileError(f"no GGUF model file in {directory}")
    if len(firsts) > 1:
        names = ", ".join(sorted(p.name for p in firsts))
        raise ModelProfileError(f"several GGUF models in {directory} ({names}); name one file")
    return firsts.pop()


def _shards_of(path: Path) -> tuple[Path, ...]:
    match = _SPLIT_NAME.match(path.name)
    if match is None:
        return (path,)
    count = int(match["count"])
    width = len(match["count"])
    shards = tuple(
        path.with_name(f"{match['stem']}-{i:0{width}d}-of-{match['count']}.gguf")
        for i in range(1, count + 1)
    )
    missing = [p.name for p in shards if not p.is_file()]
    if missing:
        raise ModelProfileError(f"split GGUF model is incomplete; missing {', '.join(missing)}")
    return shards
