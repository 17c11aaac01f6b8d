"""A streaming GGUF header reader: metadata and tensor sizes, never the weights.

`gguf.GGUFReader` builds numpy views of every element of every array, so a 50k-token
vocabulary takes seconds to open (minutes for a 150k one on a small CPU). A scheduler only
needs scalars and tensor sizes, so this reader skips array bodies and keeps the format's
constants from the `gguf` package.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from gguf import GGML_QUANT_SIZES, GGUF_MAGIC, GGMLQuantizationType, GGUFValueType

from gpustack.engines.profiles.errors import ModelProfileError

MetadataValue = int | float | bool | str | tuple[int | float | bool, ...]

_SCALAR_FORMATS: dict[GGUFValueType, str] = {
    GGUFValueType.UINT8: "<B",
    GGUFValueType.INT8: "<b",
    GGUFValueType.UINT16: "<H",
    GGUFValueType.INT16: "<h",
    GGUFValueType.UINT32: "<I",
    GGUFValueType.INT32: "<i",
    GGUFValueType.FLOAT32: "<f",
    GGUFValueType.BOOL: "<?",
    GGUFValueType.UINT64: "<Q",
    GGUFValueType.INT64: "<q",
    GGUFValueType.FLOAT64: "<d",
}
# Numeric arrays up to this length are kept (per-layer head counts); longer ones are skipped.
_MAX_KEPT_ARRAY = 4096
# Sanity bounds so a corrupt header fails fast instead of allocating gigabytes.
_MAX_STRING = 64 * 1024 * 1024
_MAX_COUNT = 1 << 32


@dataclass(frozen=True, slots=True)
class GGUFTensorInfo:
    name: str
    n_bytes: int


@dataclass(frozen=True, slots=True)
class GGUFHeader:
    """The metadata key/values (long arrays left out) and the tensors of one GGUF file."""

    metadata: dict[str, MetadataValue]
    tensors: tuple[GGUFTensorInfo, ...]


def read_gguf_header(path: Path) -> GGUFHeader:
    """Read a GGUF file's header; raises ModelProfileError when it is not a valid GGUF."""
    try:
        with path.open("rb") as stream:
            return _HeaderParser(stream, path).parse()
    except (struct.error, UnicodeDecodeError, ValueError, KeyError) as exc:
        raise ModelProfileError(f"{path.name}: corrupt or truncated GGUF header ({exc})") from exc
    except OSError as exc:
        raise ModelProfileError(f"{path}: cannot read ({exc.strerror or exc})") from exc


class _HeaderParser:
    def __init__(self, stream: BinaryIO, path: Path) -> None:
        self._stream = stream
        self._path = path

    def parse(self) -> GGUFHeader:
        magic, version = struct.unpack("<II", self._exact(8))
        if magic != GGUF_MAGIC:
            raise ModelProfileError(f"{self._path.name} is not a GGUF file (bad magic bytes)")
        if version not in (2, 3):
            raise ModelProfileError(f"{self._path.name}: unsupported GGUF version {version}")
        tensor_count, kv_count = struct.unpack("<QQ", self._exact(16))
        if tensor_count > _MAX_COUNT or kv_count > _MAX_COUNT:
            raise ModelProfileError(f"{self._path.name}: corrupt GGUF header (counts too large)")
        metadata: dict[str, MetadataValue] = {}
        for _ in range(kv_count):
            key = self._string()
            value = self._value(GGUFValueType(self._uint32()))
            if value is not None:
                metadata[key] = value
        tensors = tuple(self._tensor_info() for _ in range(tensor_count))
        return GGUFHeader(metadata=metadata, tensors=tensors)

    def _exact(self, size: int) -> bytes:
        data = self._stream.read(size)
        if len(data) != size:
            raise ModelProfileError(f"{self._path.name}: truncated GGUF header")
        return data

    def _scalar(self, kind: GGUFValueType) -> int | float | bool:
        fmt = _SCALAR_FORMATS[kind]
        value: int | float | bool = struct.unpack(fmt, self._exact(struct.calcsize(fmt)))[0]
        return value

    def _uint32(self) -> int:
        value: int = struct.unpack("<I", self._exact(4))[0]
        return value

    def _string(self) -> str:
        length = int(self._scalar(GGUFValueType.UINT64))
        if length > _MAX_STRING:
            raise ModelProfileError(f"{self._path.name}: corrupt GGUF header (string too long)")
        return self._exact(length).decode("utf-8")

    def _value(self, kind: GGUFValueType) -> MetadataValue | None:
        if kind == GGUFValueType.STRING:
            return self._string()
        if kind == GGUFValueType.ARRAY:
            return self._array()
        return self._scalar(kind)

    def _array(self) -> MetadataValue | None:
        kind = GGUFValueType(self._uint32())
        count = int(self._scalar(GGUFValueType.UINT64))
        if count > _MAX_COUNT:
            raise ModelProfileError(f"{self._path.name}: corrupt GGUF header (array too long)")
        if kind in _SCALAR_FORMATS:
            size = struct.calcsize(_SCALAR_FORMATS[kind]) * count
            if count > _MAX_KEPT_ARRAY:
                self._stream.seek(size, 1)
                return None
            fmt = "<" + _SCALAR_FORMATS[kind][1] * count
            return tuple(struct.unpack(fmt, self._exact(size)))
        # Strings (vocabularies, merges) and nested arrays: walk over them.
        for _ in range(count):
            if kind == GGUFValueType.STRING:
                self._stream.seek(int(self._scalar(GGUFValueType.UINT64)), 1)
            else:
                self._value(kind)
        return None

    def _tensor_info(self) -> GGUFTensorInfo:
        name = self._string()
        n_dims = int(self._scalar(GGUFValueType.UINT32))
        dims = struct.unpack(f"<{n_dims}Q", self._exact(8 * n_dims))
        tensor_type = GGMLQuantizationType(self._uint32())
        self._scalar(GGUFValueType.UINT64)  # data offset
        elements = 1
        for dim in dims:
            elements *= dim
        block_size, type_size = GGML_QUANT_SIZES[tensor_type]
        return GGUFTensorInfo(name=name, n_bytes=elements // block_size * type_size)
