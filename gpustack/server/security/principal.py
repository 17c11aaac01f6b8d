"""Who is calling: the result of authenticating a request, shared by /v2 and the gateway."""

from __future__ import annotations

from dataclasses import dataclass

from gpustack.schemas.api_keys import KeyScope


@dataclass(frozen=True, slots=True)
class KeyLimits:
    """Limits of a key or of a group; None means unlimited."""

    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    tokens_per_day: int | None = None
    requests_per_day: int | None = None


@dataclass(frozen=True, slots=True)
class GroupLimits:
    """A group's limits, shared by every key of every member."""

    group_id: int
    limits: KeyLimits


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a user, optionally through one API key, or a worker."""

    user_id: int
    username: str
    is_admin: bool
    scope: KeyScope = KeyScope.ALL
    api_key_id: int | None = None
    # None allows every model; otherwise the exact deployment names this key may call.
    allowed_model_names: frozenset[str] | None = None
    limits: KeyLimits = KeyLimits()
    # Set for worker tokens: such principals may call only worker endpoints.
    worker_id: int | None = None
    # A session of a user whose generated password must be changed before anything else.
    must_change_password: bool = False
    # This key's inference calls go to the request log.
    request_log: bool = False
    # The groups the user belongs to, and those of them that have limits.
    group_ids: frozenset[int] = frozenset()
    group_limits: tuple[GroupLimits, ...] = ()

    def may_use_model(self, model_name: str) -> bool:
        return self.allowed_model_names is None or model_name in self.allowed_model_names

    def may_call(self, model_name: str, access_groups: frozenset[int]) -> bool:
        """This key may use the model, and the user is in one of its groups (if it has any;
        administrators may call every deployment)."""
        if self.allowed_model_names is not None and model_name not in self.allowed_model_names:
            return False
        return not access_groups or self.is_admin or not access_groups.isdisjoint(self.group_ids)

    @property
    def may_infer(self) -> bool:
        return self.worker_id is None and self.scope in (KeyScope.ALL, KeyScope.INFERENCE)

    @property
    def may_manage(self) -> bool:
        return self.worker_id is None and self.scope in (KeyScope.ALL, KeyScope.MANAGEMENT)
