"""How the web obtains an API token for a person who has signed in (the token broker).

The web proves who someone is (OpenID Connect, or the dev sign-in); the requests service
issues the bearer token the other services accept. Two brokers, chosen by settings:

- ``DevLoginBroker``: ``POST /v1/auth/dev-login {tenant_id, email}`` (embedded stack only;
  the requests service answers 404 unless dev login is on).
- ``ServiceTokenBroker``: ``POST /v1/auth/service-token`` with
  ``authorization: Service <LEAVEFLOW_SERVICE_SECRET>`` (production).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Protocol

from .api import ApiError, ServiceApis


@dataclass(frozen=True)
class Grant:
    """A bearer token for one employee, and who it is for."""

    token: str
    tenant_id: str
    employee_id: str
    role: str


class UnknownPerson(Exception):
    """No active employee of the tenant has this email."""


class TokenBroker(Protocol):
    async def token_for(self, tenant_id: str, email: str) -> Grant:
        """A token for the employee of ``tenant_id`` with ``email``; UnknownPerson if none."""
        ...


def claims_of(token: str) -> dict[str, Any]:
    """The claims of a token we just received from the requests service over a direct call.

    Not a verification: the token came straight from its issuer, and every service verifies
    it again (JWKS) on each call. The web only needs to know whose it is.
    """
    try:
        payload = token.split(".")[1]
        decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as exc:
        raise ApiError(502, "the requests service returned a malformed token") from exc
    if not isinstance(decoded, dict):
        raise ApiError(502, "the requests service returned a malformed token")
    return decoded


def _grant(tenant_id: str, body: dict[str, Any]) -> Grant:
    token = str(body["token"])
    claims = claims_of(token)
    return Grant(
        token=token,
        tenant_id=str(claims.get("tid") or tenant_id),
        employee_id=str(body.get("employee_id") or claims.get("sub") or ""),
        role=str(body.get("role") or claims.get("role") or "user"),
    )


async def _ask(apis: ServiceApis, path: str, body: dict[str, str], secret: str | None) -> Any:
    try:
        # The shared secret goes as `Service <secret>`: never mistaken for a user's token.
        return await apis.call("POST", "requests", path, token=secret, json=body, scheme="Service")
    except ApiError as exc:
        # 404: no such employee (or tenant); 422: an address the directory would never hold.
        if exc.status in (404, 422):
            raise UnknownPerson(body.get("email", "")) from exc
        raise


class DevLoginBroker:
    def __init__(self, apis: ServiceApis) -> None:
        self.apis = apis

    async def token_for(self, tenant_id: str, email: str) -> Grant:
        body = {"tenant_id": tenant_id, "email": email}
        return _grant(tenant_id, await _ask(self.apis, "/v1/auth/dev-login", body, None))


class ServiceTokenBroker:
    """The requests service's service-token endpoint, authenticated by the shared secret.

    Sends the person's email with the tenant: the web knows who signed in by email only
    (the provider's verified ``email`` claim); the requests service looks the employee up.
    """

    def __init__(self, apis: ServiceApis, secret: str) -> None:
        self.apis = apis
        self.secret = secret

    async def token_for(self, tenant_id: str, email: str) -> Grant:
        body = {"tenant_id": tenant_id, "email": email, "via": "web"}
        return _grant(tenant_id, await _ask(self.apis, "/v1/auth/service-token", body, self.secret))
