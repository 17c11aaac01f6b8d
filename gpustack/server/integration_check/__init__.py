"""Integration check: replays what real clients send, through our own gateway, with advice.

One module per client family (`dify.py`, `openai_sdk.py`, `open_webui.py`) lists its calls
for a deployment's categories; `hints.py` turns a failure into advice; `runner.py` sends
them on loopback with a temporary key that is deleted afterwards.
"""

from .report import CheckReport, CheckResult
from .runner import run_integration_check

__all__ = ["CheckReport", "CheckResult", "run_integration_check"]
