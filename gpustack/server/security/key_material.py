"""API key and worker token material: generation, parsing, salted digests."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

KEY_PREFIX = "gpustack"
_KEY_RE = re.compile(r"^gpustack_([0-9a-f]{16})_([0-9a-f]{32})$")


@dataclass(frozen=True, slots=True)
class KeyParts:
    access_key: str
    secret: str

    @property
    def value(self) -> str:
        return f"{KEY_PREFIX}_{self.access_key}_{self.secret}"

    @property
    def masked(self) -> str:
        return mask(self.access_key)


def mask(access_key: str) -> str:
    return f"{KEY_PREFIX}_{access_key}_{'*' * 4}"


def new_key() -> KeyParts:
    return KeyParts(secrets.token_hex(8), secrets.token_hex(16))


def parse_key(value: str) -> KeyParts | None:
    match = _KEY_RE.match(value)
    return KeyParts(match.group(1), match.group(2)) if match else None


def new_salt() -> str:
    return secrets.token_hex(16)


def digest(secret: str, salt: str) -> str:
    """Salted SHA-256: fast enough for every request, useless to a reader of the database."""
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def digest_matches(secret: str, salt: str, expected: str) -> bool:
    return hmac.compare_digest(digest(secret, salt), expected)
