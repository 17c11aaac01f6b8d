"""How each engine's answers differ from the contract, looked up by the backend on a route."""

from __future__ import annotations

from collections.abc import Mapping

from gpustack.engines.base import Engine, ResponseQuirks

# A route whose backend is left to automatic choice ("") may run any engine: its streams ask
# for `Connection: close`, which is always safe (it only costs a new connection).
AUTOMATIC = ResponseQuirks(closes_after_stream=True)
# A backend no engine is registered under: answers are taken as the contract says.
UNKNOWN = ResponseQuirks()


def quirks_by_backend(engines: Mapping[str, Engine]) -> dict[str, ResponseQuirks]:
    """Backend name → the quirks its engine declares; look up with `.get(backend, UNKNOWN)`."""
    return {"": AUTOMATIC} | {name: engine.quirks for name, engine in engines.items()}
