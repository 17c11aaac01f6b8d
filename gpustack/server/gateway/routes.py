"""Where each model can be reached: the route table the server's controller keeps in sync.

A name is either a deployment (`ModelRoute`, its running endpoints) or a model route
(`RoutePlan`: weighted targets and an ordered fallback chain, each a deployment by name or a
provider's model). A deployment's own name is its implicit route.
"""

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
    None takes the gateway's defaults. `access_groups` are the groups whose members may call
    it (empty: everyone); a set, so the check per request is one lookup. A `wakeable`
    deployment (one that may sleep) holds requests while it has no endpoint, up to
    `wake_timeout_s`; a `sleeping` one is woken by the first of them. `load_balancing`
    (None: the gateway's own) picks the balancer.
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
    # The deployment's request log is on: the gateway keeps the bodies of its calls.
    request_log: bool = False
    access_groups: frozenset[int] = frozenset()
    # A provider's model: the `model` sent upstream, and the seconds its answer may take to
    # start (None: the gateway's timeouts). Empty for deployments.
    upstream_model: str = ""
    timeout_s: float | None = None

    @property
    def is_provider(self) -> bool:
        return bool(self.upstream_model)

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


@dataclass(frozen=True, slots=True)
class PlanTarget:
    """One destination of a route: a deployment looked up by `model` at request time, or a
    provider's model (`provider`, fixed). `key` names it for the cool-down; `on` holds the
    failure kinds (`FailureKind` values) that lead a request to it as a fallback."""

    key: str
    model: str = ""
    provider: ModelRoute | None = None
    weight: int = 1
    on: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """A model route: `targets` share the traffic by weight; `fallbacks` are tried in order."""

    route_id: int
    name: str
    targets: tuple[PlanTarget, ...]
    fallbacks: tuple[PlanTarget, ...] = ()
    cooldown_failures: int = 3
    cooldown_s: float = 30.0
    created_at: int = 0
    total_weight: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total_weight", sum(t.weight for t in self.targets))


class RouteTable:
    """Model name → route, replaced wholesale by the server's controller.

    Reads are a single dict lookup; a write swaps in a new dict, so a reader never sees a
    half-applied update. Listeners hear of every write (the gateway adapts its admission).
    """

    def __init__(self, routes: Iterable[ModelRoute] = (), plans: Iterable[RoutePlan] = ()) -> None:
        self._routes: dict[str, ModelRoute] = {r.name: r for r in routes}
        self._plans: dict[str, RoutePlan] = {p.name: p for p in plans}
        self._listeners: list[Callable[[Mapping[str, ModelRoute]], None]] = []

    def add_listener(self, listener: Callable[[Mapping[str, ModelRoute]], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Mapping[str, ModelRoute]], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def get(self, name: str) -> ModelRoute | None:
        return self._routes.get(name)

    def plan(self, name: str) -> RoutePlan | None:
        """The model route of that name; None for a deployment's name or an unknown one."""
        return self._plans.get(name)

    def all(self) -> list[ModelRoute]:
        return list(self._routes.values())

    def all_plans(self) -> list[RoutePlan]:
        return list(self._plans.values())

    def replace_all(
        self, routes: Iterable[ModelRoute], plans: Iterable[RoutePlan] | None = None
    ) -> None:
        """New deployments (and, when given, model routes); a deployment's name wins a clash."""
        new_routes = {r.name: r for r in routes}
        if plans is not None:
            self._plans = {p.name: p for p in plans if p.name not in new_routes}
        self._routes = new_routes
        for listener in list(self._listeners):
            listener(MappingProxyType(self._routes))
