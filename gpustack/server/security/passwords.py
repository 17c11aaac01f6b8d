"""Password hashing (argon2), the password policy and bootstrap password generation."""

from __future__ import annotations

import asyncio
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 8


class PasswordPolicyError(ValueError):
    """The new password does not meet the policy; the message tells the person why."""


def check_password_policy(password: str) -> None:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"at least {MIN_PASSWORD_LENGTH} characters")
    if not any(c.isalpha() for c in password):
        problems.append("a letter")
    if not any(c.isdigit() for c in password):
        problems.append("a digit")
    if problems:
        raise PasswordPolicyError("password must contain " + ", ".join(problems))


def generate_password(length: int = 12) -> str:
    """A random password with every character class (lower, upper, digit, symbol)."""
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "!@#$%^&*-_=+"]
    alphabet = "".join(classes)
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if all(any(c in cls for c in candidate) for cls in classes):
            return candidate


def default_hasher() -> PasswordHasher:
    """argon2id with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane).

    argon2-cffi's own default (64 MiB, 4 lanes) costs close to a second per login on a busy
    2-core server; these parameters keep logins fast and stay memory-hard. Hashes carry their
    parameters, so stored hashes made with other settings still verify.
    """
    return PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


class PasswordHashing:
    """argon2id hashing, run in a thread so the event loop never waits on it."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or default_hasher()
        self._dummy_hash: str | None = None

    def hash_sync(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify_sync(self, hashed: str, password: str) -> bool:
        try:
            return self._hasher.verify(hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hash_sync, password)

    async def verify(self, hashed: str, password: str) -> bool:
        return await asyncio.to_thread(self.verify_sync, hashed, password)

    async def verify_login(self, hashed: str | None, password: str) -> bool:
        """Like `verify`; without a hash (no such user) it spends the same time, then fails.

        An unknown user name must not answer faster than a known one with a wrong password.
        """
        if hashed is not None:
            return await self.verify(hashed, password)
        await asyncio.to_thread(self._verify_dummy, password)
        return False

    def _verify_dummy(self, password: str) -> None:
        if self._dummy_hash is None:
            # Same hasher, so the same parameters (and cost) as real hashes.
            self._dummy_hash = self._hasher.hash(generate_password())
        self.verify_sync(self._dummy_hash, password)
