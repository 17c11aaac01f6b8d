"""UI sessions: a signed JWT in the httponly `gpustack_session` cookie.

Each token carries the user's session generation; bumping the generation in the users table
(logout, password change or reset) ends every session issued before.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

SESSION_COOKIE = "gpustack_session"
_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class SessionClaims:
    user_id: int
    generation: int


@dataclass(frozen=True, slots=True)
class SessionCodec:
    secret: str
    expire_seconds: int

    def issue(self, user_id: int, generation: int) -> str:
        now = int(time.time())
        claims = {
            "sub": str(user_id),
            "gen": generation,
            "iat": now,
            "exp": now + self.expire_seconds,
        }
        return jwt.encode(claims, self.secret, algorithm=_ALGORITHM)

    def decode(self, token: str) -> SessionClaims | None:
        """The claims of a valid, unexpired token; None for anything else.

        A token without a generation (issued before generations existed) is refused: it could
        not be ended by a logout, so its holder logs in once more.
        """
        try:
            claims = jwt.decode(token, self.secret, algorithms=[_ALGORITHM])
            generation = claims["gen"]
            if not isinstance(generation, int) or isinstance(generation, bool):
                return None
            return SessionClaims(int(claims["sub"]), generation)
        except (jwt.PyJWTError, KeyError, ValueError, TypeError):
            return None
