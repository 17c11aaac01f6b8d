"""Runs a vendor's command-line tool and hands back its output, or None when it cannot."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Callable, Sequence

logger = logging.getLogger(__name__)

# argv -> the tool's stdout, or None when it is missing or failed. Tests plug in recordings.
ToolRunner = Callable[[Sequence[str]], str | None]
TOOL_TIMEOUT_S = 10.0


def run_tool(argv: Sequence[str]) -> str | None:
    """Stdout of `argv`; None when the program is not installed, fails or hangs."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        logger.warning("%s could not run: %s", argv[0], exc)
        return None
    if done.returncode != 0:
        logger.warning("%s exited %d: %s", argv[0], done.returncode, done.stderr.strip()[:200])
        return None
    return done.stdout
