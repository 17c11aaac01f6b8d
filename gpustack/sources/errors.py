"""Failures to materialise a model that both the scheduler and the worker report."""

from __future__ import annotations


class DownloadError(Exception):
    """A model could not be materialised; ``str(error)`` is the human message."""


class NoMatchingFileError(DownloadError):
    """The file glob matched nothing in the repository."""
