"""How each engine's answers differ from the contract, looked up by the backend on a route."""

from __future__ import annotations

from collections.abc import Mapping

from gpustack.engines.base import Engine, ResponseQuirks

# A route whose backend is left to automatic choice ("") may run any engine: its streams ask
# for `Connection: close`, which is always safe (it only costs a new connection).
AUTOMATIC = ResponseQuirks(closes_after_stream=True)
# A backend no engine is registered under: answers are taken as the contract says.
UNKNOWN = ResponseQuirks()


class QuirksByBackend:
    """Backend name → the quirks its engine declares (one dict lookup per request)."""

    __slots__ = ("_quirks",)

    def __init__(self, engines: Mapping[str, Engine]) -> None:
        self._quirks = {"": AUTOMATIC} | {name: engine.quirks for name, engine in engines.items()}

    def __call__(self, backend: str) -> ResponseQuirks:
        return self._quirks.get(backend, UNKNOWN)
