"""The Teams SSO token a tab hands us (``microsoftTeams.authentication.getAuthToken()``):
an Entra ID access token issued to the person for our app, checked before it proves anything.

The checks, all of them, on every token:

- ``tid`` is a directory id (a GUID) before it goes into any URL;
- the signature is by a key of that directory's issuer (its OpenID metadata's ``jwks_uri``;
  the keys are cached and fetched again when a token names an unknown ``kid``), RS256 only;
- ``iss`` is exactly the Entra v2 issuer of the token's own ``tid``
  (``<login>/<tid>/v2.0``), so a token of one directory cannot pose as another's;
- ``aud`` is our app: the application ID URI ``api://<dashboard host>/<app id>`` the
  manifest's ``webApplicationInfo.resource`` names, or the app id itself (Entra writes the
  client id into ``aud`` when the app registration asks for v2 access tokens);
- ``exp``, ``nbf`` and ``iat`` hold (a minute of clock skew), and ``oid`` is present.

Which company and person the token is for is decided elsewhere (``tid`` → the company whose
Teams integration names that directory, ``oid`` → the employee with that Teams user id).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt

from leaveflow_kit.tls import client_tls

from .i18n import N_

LEEWAY_SECONDS = 60
KEYS_FOR_SECONDS = 3600.0
# An unknown kid fetches the keys again, but not more often than this per directory, and
# at most this many directories' keys are kept: a stream of made-up tokens stays cheap.
REFETCH_AFTER_SECONDS = 30.0
DIRECTORIES_KEPT = 1000

NOT_A_TOKEN = N_("Microsoft Teams did not hand over a valid sign-in token.")
NOT_OURS = N_("This sign-in token was not issued for Leaveflow.")
EXPIRED = N_("The Microsoft Teams sign-in token has expired. Reload the tab.")
NO_KEYS = N_("Microsoft's sign-in keys could not be fetched. Try again in a minute.")


class TokenRefused(Exception):
    """The token proves nothing; the message (a catalog id) says why, safe to show."""


@dataclass(frozen=True)
class TeamsIdentity:
    aad_tenant_id: str
    aad_object_id: str


def app_id_uri(public_url: str, app_id: str) -> str:
    """``api://<host>/<app id>``: what the Teams manifest's ``webApplicationInfo.resource``
    and the app registration's "Application ID URI" say."""
    return f"api://{urlsplit(public_url).netloc}/{app_id}"


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise TokenRefused(NOT_A_TOKEN) from exc
    return header, claims


def _directory(claims: dict[str, Any]) -> str:
    tid = claims.get("tid")
    try:
        return str(uuid.UUID(str(tid)))
    except ValueError as exc:
        raise TokenRefused(NOT_A_TOKEN) from exc


class TeamsSso:
    """Checks Teams SSO tokens against the Entra issuer of each token's directory."""

    def __init__(
        self,
        *,
        app_id: str,
        app_id_uri: str,
        login_url: str = "https://login.microsoftonline.com",
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.app_id = app_id
        self.audiences = [app_id_uri, app_id]
        self.login_url = login_url.rstrip("/")
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport, verify=client_tls())
        self._keys: dict[str, tuple[float, dict[str, Any]]] = {}  # tid -> (fetched, {kid: jwk})

    def issuer_of(self, tid: str) -> str:
        return f"{self.login_url}/{tid}/v2.0"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def verify(self, token: str) -> TeamsIdentity:
        header, unverified = _unverified(token)
        if header.get("alg") != "RS256":
            raise TokenRefused(NOT_A_TOKEN)
        tid = _directory(unverified)
        key = await self._key(tid, str(header.get("kid") or ""))
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self.audiences,
                issuer=self.issuer_of(tid),
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "tid", "oid"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenRefused(EXPIRED) from exc
        except (jwt.InvalidAudienceError, jwt.InvalidIssuerError) as exc:
            raise TokenRefused(NOT_OURS) from exc
        except jwt.PyJWTError as exc:
            raise TokenRefused(NOT_A_TOKEN) from exc
        if claims.get("tid") != unverified.get("tid"):
            raise TokenRefused(NOT_A_TOKEN)
        return TeamsIdentity(aad_tenant_id=tid, aad_object_id=str(claims["oid"]))

    async def _key(self, tid: str, kid: str) -> Any:
        cached = self._keys.get(tid)
        age = time.monotonic() - cached[0] if cached is not None else KEYS_FOR_SECONDS
        rotated = cached is not None and kid not in cached[1] and age >= REFETCH_AFTER_SECONDS
        if cached is None or age >= KEYS_FOR_SECONDS or rotated:
            # A rotated key shows as an unknown kid: fetch the set again before refusing.
            keys = await self._fetch_keys(tid)
            if len(self._keys) >= DIRECTORIES_KEPT:
                self._keys.clear()
            self._keys[tid] = (time.monotonic(), keys)
        jwk = self._keys[tid][1].get(kid)
        if jwk is None:
            raise TokenRefused(NOT_A_TOKEN)
        try:
            return jwt.PyJWK(jwk, algorithm="RS256").key
        except jwt.PyJWTError as exc:
            raise TokenRefused(NOT_A_TOKEN) from exc

    async def _fetch_keys(self, tid: str) -> dict[str, dict[str, Any]]:
        try:
            metadata = await self._get(f"{self.issuer_of(tid)}/.well-known/openid-configuration")
            if metadata.get("issuer") != self.issuer_of(tid):
                raise TokenRefused(NOT_OURS)
            keys = await self._get(str(metadata["jwks_uri"]))
            return {str(k["kid"]): k for k in keys.get("keys", []) if "kid" in k}
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            raise TokenRefused(NO_KEYS) from exc

    async def _get(self, url: str) -> dict[str, Any]:
        response = await self._http.get(url)
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError("not a JSON object")
        return body
