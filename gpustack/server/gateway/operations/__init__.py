"""The gateway's APIs, one module each, behind the `Operation` protocol (see `base.py`)."""

from .base import JsonOperation, MultipartOperation, Operation, ReshapingOperation, UpstreamRequest
from .registry import default_operations

__all__ = [
    "JsonOperation",
    "MultipartOperation",
    "Operation",
    "ReshapingOperation",
    "UpstreamRequest",
    "default_operations",
]
