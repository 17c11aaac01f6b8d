"""Errors raised while profiling model files."""

from __future__ import annotations


class ModelProfileError(ValueError):
    """The path is missing, unreadable or not a model format we understand."""
