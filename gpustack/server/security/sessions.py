"""UI sessions: a signed JWT in the httponly `gpustack_session` cookie."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

SESSION_COOKIE = "gpustack_session"
_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class SessionCodec:
    secret: str
    expire_seconds: int

    def issue(self, user_id: int) -> str:
        now = int(time.time())
        claims = {"sub": str(user_id), "iat": now, "exp": now + self.expire_seconds}
        return jwt.encode(claims, self.secret, algorithm=_ALGORITHM)

    def user_id_of(self, token: str) -> int | None:
        """The user id in a valid, unexpired token; None for anything else."""
        try:
            claims = jwt.decode(token, self.secret, algorithms=[_ALGORITHM])
            return int(claims["sub"])
        except (jwt.PyJWTError, KeyError, ValueError):
            return None
