"""Tells worker events that matter for placement and routing from plain status reports.

Workers report their status every 15 s; re-scheduling or rebuilding routes for each report
would cost far more than the report itself. What matters is a worker appearing, leaving or
changing state (ready, not_ready, maintenance...).
"""

from __future__ import annotations

from gpustack.schemas.events import EventType
from gpustack.server.events import Event


class WorkerStateChanges:
    def __init__(self) -> None:
        self._states: dict[int, object] = {}

    def changed(self, event: Event) -> bool:
        if event.type == EventType.DELETED:
            self._states.pop(event.id, None)
            return True
        state = event.data.get("state")
        previous = self._states.get(event.id, None)
        self._states[event.id] = state
        return event.type == EventType.CREATED or state != previous
