"""Where each model can be reached: the route table the server's controller keeps in sync."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One running instance of a model.

    `base_url` is where the OpenAI paths live: the engine on loopback
    (`http://127.0.0.1:40001`) or the worker's proxy (`http://10.0.0.5:10150/proxy/instances/7`);
    the upstream URL is `base_url + "/v1/chat/completions"`. `headers` are added to every
    upstream request (e.g. the worker proxy's credentials). `max_concurrent` is how many
    requests the gateway lets it run at once (None: no bound).
    """

    instance_id: int
    base_url: str
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    max_concurrent: int | None = None


@dataclass(frozen=True, slots=True)
class ModelRoute:
    """A deployment as the gateway sees it. Empty `endpoints` means no instance is running.

    `max_queue_length` and `max_queue_wait_s` bound the requests waiting for a free slot;
    None takes the gateway's defaults. A `wakeable` deployment (one that may sleep) holds
    requests while it has no endpoint, up to `wake_timeout_s`; a `sleeping` one is woken by
    the first of them. `load_balancing` (None: the gateway's own) picks the balancer.
    """

    model_id: int
    name: str
    categories: tuple[str, ...] = ()
    backend: str = ""
    endpoints: tuple[Endpoint, ...] = ()
    capabilities: tuple[str, ...] = ()
    context_length: int | None = None
    created_at: int = 0
    max_queue_length: int | None = None
    max_queue_wait_s: float | None = None
    wakeable: bool = False
    sleeping: bool = False
    wake_timeout_s: float = 600.0
    load_balancing: str | None = None

    def capacity(self) -> int | None:
        """Requests the running instances take at once; None when any of them is unbounded."""
        total = 0
        for endpoint in self.endpoints:
            if endpoint.max_concurrent is None:
                return None
            total += endpoint.max_concurrent
        return total


class RouteTable:
    """Model name → route, replaced wholesale by the server's controller.

    Reads are a single dict lookup; a write swaps in a new dict, so a reader never sees a
    half-applied update. Listeners hear of every write (the gateway adapts its admission).
    """

    def __init__(self, routes: Iterable[ModelRoute] = ()) -> None:
        self._routes: dict[str, ModelRoute] = {r.name: r for r in routes}
        self._listeners: list[Callable[[Mapping[str, ModelRoute]], None]] = []

    def add_listener(self, listener: Callable[[Mapping[str, ModelRoute]], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Mapping[str, ModelRoute]], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def get(self, name: str) -> ModelRoute | None:
        return self._routes.get(name)

    def all(self) -> list[ModelRoute]:
        return list(self._routes.values())

    def replace_all(self, routes: Iterable[ModelRoute]) -> None:
        self._routes = {r.name: r for r in routes}
        for listener in list(self._listeners):
            listener(MappingProxyType(self._routes))
