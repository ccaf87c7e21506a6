"""The service-only identity routes the web calls (``authorization: Service <secret>``).

The web proves who someone is (an email link, OpenID Connect, a passkey, the dev sign-in);
the requests service owns the directory, the sign-in sessions and the magic links, and
issues the bearer tokens the other services accept (SPEC: "Identity state lives in the
requests service"). Notifications sends the sign-in mails and knows each company's chat
workspace. Nothing here is reachable with a person's token.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Literal

from .api import ApiError, ServiceApis

Via = Literal["sso", "google", "microsoft", "slack", "magic_link", "passkey", "dev", "signup"]
MailPurpose = Literal["sign_in", "confirm_signup", "invite"]


@dataclass(frozen=True)
class Company:
    """A company where an active employee has the email (only shown once it is proven)."""

    tenant_id: str
    name: str
    employee_id: str
    role: str
    enforce_sso: bool


@dataclass(frozen=True)
class DomainSso:
    """A company whose single sign-on claims the email's domain (safe before proof)."""

    tenant_id: str
    name: str
    enforce: bool


@dataclass(frozen=True)
class Lookup:
    domain_sso: tuple[DomainSso, ...]
    companies: tuple[Company, ...]


@dataclass(frozen=True)
class SsoConfig:
    tenant_id: str
    company: str
    issuer: str
    client_id: str
    client_secret: str
    email_domains: tuple[str, ...]
    enforce: bool


@dataclass(frozen=True)
class Session:
    session_id: str
    refresh_token: str
    token: str
    employee_id: str
    role: str


@dataclass(frozen=True)
class Refreshed:
    token: str
    employee_id: str
    role: str


@dataclass(frozen=True)
class Created:
    """The company a confirmed signup created, and its first admin's token."""

    tenant_id: str
    admin_id: str
    token: str


@dataclass(frozen=True)
class Redeemed:
    purpose: Literal["sign_in", "signup"]
    email: str
    companies: tuple[Company, ...] = ()
    created: Created | None = None


@dataclass(frozen=True)
class Workspace:
    slack_team_id: str | None
    teams_tenant_id: str | None


@dataclass(frozen=True)
class TeamsPerson:
    tenant_id: str
    employee_id: str
    email: str


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


def _company(item: dict[str, Any]) -> Company:
    return Company(
        tenant_id=str(item["tenant_id"]),
        name=str(item.get("company") or ""),
        employee_id=str(item["employee_id"]),
        role=str(item.get("role") or "user"),
        enforce_sso=bool(item.get("enforce_sso")),
    )


def _companies(body: dict[str, Any]) -> tuple[Company, ...]:
    return tuple(_company(item) for item in body.get("companies") or [])


def _malformed(exc: Exception) -> ApiError:
    return ApiError(502, "a Leaveflow service answered in an unexpected shape", type(exc).__name__)


class IdentityApi:
    """Typed calls to the identity routes; every refusal is an ``ApiError`` with the
    service's status (the callers turn them into sentences)."""

    def __init__(self, apis: ServiceApis, secret: str) -> None:
        self.apis = apis
        self.secret = secret

    async def _post(
        self, path: str, body: dict[str, Any], service: Literal["requests", "notifications"]
    ) -> Any:
        if not self.secret:
            # The routes answer 404 without a configured secret; say what is missing instead.
            raise ApiError(503, "sign-in is not set up", "LEAVEFLOW_SERVICE_SECRET is not set")
        return await self.apis.call(
            "POST", service, path, token=self.secret, json=body, scheme="Service"
        )

    async def lookup(self, email: str) -> Lookup:
        body = await self._post("/v1/auth/lookup", {"email": email}, "requests")
        try:
            return Lookup(
                domain_sso=tuple(
                    DomainSso(str(i["tenant_id"]), str(i.get("company") or ""), bool(i["enforce"]))
                    for i in body.get("domain_sso") or []
                ),
                companies=_companies(body),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise _malformed(exc) from exc

    async def sso(self, tenant_id: str) -> SsoConfig | None:
        try:
            body = await self._post("/v1/auth/sso", {"tenant_id": tenant_id}, "requests")
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        try:
            return SsoConfig(
                tenant_id=str(body["tenant_id"]),
                company=str(body.get("company") or ""),
                issuer=str(body["issuer"]),
                client_id=str(body["client_id"]),
                client_secret=str(body.get("client_secret") or ""),
                email_domains=tuple(str(d).lower() for d in body.get("email_domains") or []),
                enforce=bool(body.get("enforce")),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise _malformed(exc) from exc

    async def open_session(self, tenant_id: str, employee_id: str, via: Via, label: str) -> Session:
        body = {"tenant_id": tenant_id, "employee_id": employee_id, "via": via, "label": label}
        answer = await self._post("/v1/auth/sessions", body, "requests")
        try:
            return Session(
                session_id=str(answer["session_id"]),
                refresh_token=str(answer["refresh_token"]),
                token=str(answer["token"]),
                employee_id=str(answer.get("employee_id") or employee_id),
                role=str(answer.get("role") or "user"),
            )
        except (KeyError, TypeError) as exc:
            raise _malformed(exc) from exc

    async def refresh(self, session_id: str, refresh_token: str) -> Refreshed:
        body = {"session_id": session_id, "refresh_token": refresh_token}
        answer = await self._post("/v1/auth/sessions/refresh", body, "requests")
        try:
            return Refreshed(
                token=str(answer["token"]),
                employee_id=str(answer["employee_id"]),
                role=str(answer.get("role") or "user"),
            )
        except (KeyError, TypeError) as exc:
            raise _malformed(exc) from exc

    async def magic_link(
        self,
        email: str,
        nonce_hash: str,
        purpose: Literal["sign_in", "signup"],
        signup: dict[str, Any] | None = None,
    ) -> tuple[str | None, tuple[str, ...]]:
        """The link's token (None: nobody to send it to) and the companies whose mail
        server may carry it."""
        body: dict[str, Any] = {"email": email, "nonce_hash": nonce_hash, "purpose": purpose}
        if signup is not None:
            body["signup"] = signup
        answer = await self._post("/v1/auth/magic-links", body, "requests")
        token = answer.get("token")
        return (str(token) if token else None), tuple(
            str(t) for t in answer.get("tenant_ids") or []
        )

    async def redeem(self, token: str, nonce: str) -> Redeemed:
        body = await self._post(
            "/v1/auth/magic-links/redeem", {"token": token, "nonce": nonce}, "requests"
        )
        try:
            email = str(body["email"]).lower()
            if body.get("purpose") == "signup":
                made = body["created"]
                created = Created(str(made["tenant_id"]), str(made["admin_id"]), str(made["token"]))
                return Redeemed("signup", email, created=created)
            return Redeemed("sign_in", email, companies=_companies(body))
        except (KeyError, TypeError, AttributeError) as exc:
            raise _malformed(exc) from exc

    async def send_mail(
        self,
        to: str,
        purpose: MailPurpose,
        link: str,
        tenant_ids: tuple[str, ...],
        company: str | None = None,
    ) -> None:
        body: dict[str, Any] = {
            "to": to,
            "purpose": purpose,
            "link": link,
            "tenant_ids": list(tenant_ids),
        }
        if company:
            body["company"] = company
        await self._post("/v1/auth/mail", body, "notifications")

    async def workspace(self, tenant_id: str) -> Workspace:
        body = await self._post("/v1/auth/workspace", {"tenant_id": tenant_id}, "notifications")
        team, teams = body.get("slack_team_id"), body.get("teams_tenant_id")
        return Workspace(str(team) if team else None, str(teams) if teams else None)

    async def teams_person(self, aad_tenant_id: str, aad_object_id: str) -> TeamsPerson:
        """The company and employee a checked Teams SSO token is for (notifications maps
        them as its bot does); ``ApiError`` 404 whose ``type`` ends in
        ``/teams-directory-unknown`` or ``/teams-person-unknown`` when there is none."""
        body = {"aad_tenant_id": aad_tenant_id, "aad_object_id": aad_object_id}
        answer = await self._post("/v1/auth/teams-person", body, "notifications")
        try:
            return TeamsPerson(
                str(answer["tenant_id"]), str(answer["employee_id"]), str(answer.get("email") or "")
            )
        except (KeyError, TypeError) as exc:
            raise _malformed(exc) from exc
