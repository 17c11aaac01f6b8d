"""The gateway's APIs, one module each, behind the `Operation` protocol (see `base.py`)."""

from .base import JsonOperation, Operation, UpstreamRequest
from .registry import default_operations

__all__ = [
    "JsonOperation",
    "Operation",
    "UpstreamRequest",
    "default_operations",
]
