"""OpenID Connect sign-in: discovery, the authorization-code flow with PKCE, ID token checks.

The pending sign-in (state, nonce, PKCE verifier) travels in a signed cookie that lives a few
minutes, so no server keeps it and any server of a cluster can finish the flow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
import jwt
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from gpustack.config import Config

PENDING_COOKIE = "gpustack_oidc_pending"
PENDING_SECONDS = 600
SCOPES = "openid profile email"
TIMEOUT_SECONDS = 10.0
# Clocks of the provider and this server may differ a little.
LEEWAY_SECONDS = 60
# Signed by the provider's published keys only: no "none", no shared-secret algorithms.
ASYMMETRIC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
_PENDING_AUDIENCE = "gpustack-oidc-pending"


class OidcError(Exception):
    """The sign-in failed; the message is safe to show the person signing in."""


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    state: str
    nonce: str
    verifier: str
    next_path: str


def encode_pending(secret: str, pending: PendingSignIn) -> str:
    now = int(time.time())
    claims = {
        "aud": _PENDING_AUDIENCE,
        "state": pending.state,
        "nonce": pending.nonce,
        "verifier": pending.verifier,
        "next": pending.next_path,
        "iat": now,
        "exp": now + PENDING_SECONDS,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def decode_pending(secret: str, token: str) -> PendingSignIn | None:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], audience=_PENDING_AUDIENCE)
        return PendingSignIn(
            str(claims["state"]), str(claims["nonce"]), str(claims["verifier"]), str(claims["next"])
        )
    except (jwt.PyJWTError, KeyError):
        return None


def safe_next_path(value: str | None) -> str:
    """Only a path on this server: an absolute or protocol-relative URL would send the
    person elsewhere after signing in."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def username_from_claims(claims: dict[str, Any], claim: str) -> str:
    """The user name: the configured claim, else the e-mail address, else the subject."""
    for name in (claim, "email", "sub"):
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    raise OidcError("the ID token names no user")


@dataclass
class OidcProvider:
    """One configured provider; discovery and its keys are fetched once, then kept."""

    issuer: str
    client_id: str
    client_secret: str | None
    name: str
    groups_claim: str
    username_claim: str
    admin_groups: tuple[str, ...]
    auto_create: bool
    redirect_uri: str | None
    _metadata: dict[str, Any] | None = field(default=None, repr=False)
    _keys: KeySet | None = field(default=None, repr=False)

    @classmethod
    def from_config(cls, config: Config) -> OidcProvider | None:
        if not config.oidc_issuer or not config.oidc_client_id:
            return None
        return cls(
            issuer=config.oidc_issuer,
            client_id=config.oidc_client_id,
            client_secret=config.resolved_oidc_client_secret,
            name=config.oidc_name,
            groups_claim=config.oidc_groups_claim,
            username_claim=config.oidc_username_claim,
            admin_groups=tuple(config.oidc_admin_groups),
            auto_create=config.oidc_auto_create,
            redirect_uri=config.oidc_redirect_uri,
        )

    async def authorization_url(
        self, redirect_uri: str, next_path: str
    ) -> tuple[str, PendingSignIn]:
        metadata = await self.metadata()
        pending = PendingSignIn(
            generate_token(32), generate_token(32), generate_token(64), next_path
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": SCOPES,
                "state": pending.state,
                "nonce": pending.nonce,
                "code_challenge": create_s256_code_challenge(pending.verifier),
                "code_challenge_method": "S256",
            }
        )
        endpoint = str(metadata["authorization_endpoint"])
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", pending

    async def finish(self, code: str, pending: PendingSignIn, redirect_uri: str) -> dict[str, Any]:
        """The verified ID token claims for the authorization code."""
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": pending.verifier,
        }
        auth = None
        methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        if self.client_secret is None:
            form["client_id"] = self.client_id
        elif "client_secret_basic" in methods:
            auth = aiohttp.BasicAuth(self.client_id, self.client_secret)
        else:
            form |= {"client_id": self.client_id, "client_secret": self.client_secret}
        body = await self._request("POST", str(metadata["token_endpoint"]), form=form, auth=auth)
        id_token = body.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the provider sent no ID token")
        return await self.verify_id_token(id_token, pending.nonce)

    async def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        """Signature (by the provider's JWKS), issuer, audience, expiry and nonce."""
        metadata = await self.metadata()
        supported = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [a for a in ASYMMETRIC_ALGORITHMS if a in supported]
        try:
            token = jose_jwt.decode(id_token, await self._key_set(), algorithms=algorithms)
        except JoseError:
            # The provider may have rotated its keys since we fetched them: fetch once more.
            try:
                token = jose_jwt.decode(
                    id_token, await self._key_set(refresh=True), algorithms=algorithms
                )
            except JoseError as exc:
                raise OidcError(f"the ID token's signature does not verify ({exc.error})") from exc
        claims: dict[str, Any] = dict(token.claims)
        registry = jose_jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            exp={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise OidcError(f"the ID token was refused ({exc.error})") from exc
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.client_id:
            raise OidcError("the ID token was issued to another client")
        return claims

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            metadata = await self._request("GET", url)
            if str(metadata.get("issuer", "")).rstrip("/") != self.issuer.rstrip("/"):
                raise OidcError("the provider's discovery document names another issuer")
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(metadata.get(key), str):
                    raise OidcError(f"the provider's discovery document has no {key}")
            self._metadata = metadata
        return self._metadata

    async def _key_set(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            metadata = await self.metadata()
            body = await self._request("GET", str(metadata["jwks_uri"]))
            try:
                self._keys = KeySet.import_key_set(body)  # type: ignore[arg-type]
            except (JoseError, KeyError, TypeError, ValueError) as exc:
                raise OidcError("the provider's key set cannot be read") from exc
        return self._keys

    async def _request(
        self,
        method: str,
        url: str,
        form: dict[str, str] | None = None,
        auth: aiohttp.BasicAuth | None = None,
    ) -> dict[str, Any]:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as client,
                client.request(
                    method, url, data=form, auth=auth, headers={"Accept": "application/json"}
                ) as res,
            ):
                body = await res.json(content_type=None)
                if res.status != 200 or not isinstance(body, dict):
                    detail = body.get("error") if isinstance(body, dict) else None
                    raise OidcError(f"the provider answered {res.status} ({detail or 'no detail'})")
                return body
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise OidcError(f"the provider cannot be reached: {exc}") from exc
