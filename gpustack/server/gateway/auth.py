"""Who is calling: the seam to the server's key store, and what a caller may do here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from gpustack.server.security.principal import Principal

from .errors import forbidden_scope, unauthorized


class Authenticator(Protocol):
    """Resolves a request's credentials to a Principal.

    Reads `Authorization: Bearer <key>`, `X-API-Key: <key>` and the `gpustack_session` cookie;
    returns None when none is present or valid (the gateway answers 401).
    """

    async def authenticate(self, headers: Mapping[str, str]) -> Principal | None: ...


async def authenticate_for_inference(
    authenticator: Authenticator, headers: Mapping[str, str]
) -> Principal:
    principal = await authenticator.authenticate(headers)
    if principal is None:
        raise unauthorized()
    if not principal.may_infer:
        raise forbidden_scope()
    return principal
