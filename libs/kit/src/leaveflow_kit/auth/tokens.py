"""JWT issuing (requests service) and verification via JWKS (every service).

RS256 keys: the one algorithm every OpenID Connect client and API gateway accepts.
The private key is generated on first start and kept (mode 0600) in the data dir, so
tokens survive restarts; other services only ever see the public JWKS.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from ..keyfile import load_or_create
from ..tls import client_tls
from .token_cache import VerifiedTokens

ISSUER = "leaveflow"
AUDIENCE = "leaveflow-api"
ALGORITHM = "RS256"
DEFAULT_TTL_SECONDS = 12 * 3600


class InvalidToken(Exception):
    """Missing, malformed, forged or expired token (HTTP 401)."""


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    employee_id: str
    role: str
    # The sign-in session the token was issued for (`sid`); None for other tokens.
    session_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _new_private_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(
        load_or_create(path, _new_private_key_pem), password=None
    )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key")
    return key


class TokenIssuer:
    def __init__(self, key_path: Path) -> None:
        self._key = _load_or_create_key(key_path)
        public_jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        self.kid = jwt.PyJWK(public_jwk, ALGORITHM).key_id or _thumbprint(public_jwk)
        self._public_jwk = {**public_jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}

    def issue(
        self, principal: Principal, ttl_seconds: int = DEFAULT_TTL_SECONDS, **extra: Any
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": principal.employee_id,
            "tid": principal.tenant_id,
            "role": principal.role,
            "iat": now,
            "exp": now + ttl_seconds,
            **extra,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid})

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self._public_jwk]}


def _thumbprint(jwk: dict[str, Any]) -> str:
    import base64
    import hashlib

    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class Verifier(Protocol):
    """What the HTTP edge needs to turn a bearer token into a caller (a fake in tests)."""

    async def verify(self, token: str) -> Principal: ...


class TokenVerifier:
    """Verifies tokens against a JWKS: local (the issuer itself) or fetched over HTTP.

    Unknown key ids trigger one refetch (key rotation), at most every 30 s, so a flood
    of forged tokens cannot turn into a flood of JWKS requests. Verified tokens are
    remembered briefly by their hash (`VerifiedTokens`): the signature is checked once per
    token rather than on every call (issue 19's profile).
    """

    REFETCH_INTERVAL_SECONDS = 30.0

    def __init__(
        self,
        *,
        jwks: dict[str, Any] | None = None,
        jwks_url: str | None = None,
        cache: VerifiedTokens | None = None,
    ) -> None:
        self._url = jwks_url
        self._keys: dict[str, Any] = {}
        self._last_fetch = 0.0
        self._lock = asyncio.Lock()
        self._verified = cache if cache is not None else VerifiedTokens()
        if jwks is not None:
            self._load(jwks)

    def use(self, jwks: dict[str, Any]) -> None:
        """Verify against `jwks` from now on (the issuer's own keys, once its lifespan has
        loaded them)."""
        self._load(jwks)

    def _load(self, jwks: Any) -> None:
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise InvalidToken("the signing keys are not a JWKS document")
        keys = {}
        for jwk in jwks["keys"]:
            try:
                parsed = jwt.PyJWK(jwk, ALGORITHM)
            except (jwt.PyJWKError, jwt.InvalidKeyError, TypeError):
                continue  # a key we cannot use (other type or algorithm) verifies nothing
            if parsed.key_id:
                keys[parsed.key_id] = parsed.key
        self._keys = keys
        # A key that left the set must stop vouching for tokens at once.
        self._verified.clear()

    async def _refresh(self) -> None:
        if self._url is None:
            return
        async with self._lock:
            if time.monotonic() - self._last_fetch < self.REFETCH_INTERVAL_SECONDS:
                return
            self._last_fetch = time.monotonic()
            try:
                async with httpx.AsyncClient(timeout=5.0, verify=client_tls()) as client:
                    response = await client.get(self._url)
                    response.raise_for_status()
                    self._load(response.json())
            except (httpx.HTTPError, ValueError) as exc:
                raise InvalidToken(f"cannot fetch signing keys: {exc}") from exc

    async def verify(self, token: str) -> Principal:
        if (known := self._verified.get(token)) is not None:
            return known
        principal, expires_at = await self._verify_signed(token)
        self._verified.put(token, principal, expires_at)
        return principal

    async def _verify_signed(self, token: str) -> tuple[Principal, float]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        if not isinstance(kid, str):
            raise InvalidToken("token has no key id")
        if kid not in self._keys:
            await self._refresh()
        key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("unknown signing key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "sub", "iat"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("invalid token") from exc
        try:
            principal = Principal(
                tenant_id=str(claims["tid"]),
                employee_id=str(claims["sub"]),
                role=str(claims["role"]),
                session_id=sid if isinstance(sid := claims.get("sid"), str) else None,
            )
            return principal, float(claims["exp"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidToken(f"token lacks claim {exc}") from exc
