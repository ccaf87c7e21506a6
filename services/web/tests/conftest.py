"""Fake services for the web's in-process tests: dev login, the pages' reads, and
notifications' approve/deny link API (``/v1/actions/{token}``) as docs/api.md describes it.

The fake decides as the real services do in the one respect these tests are about: a link
answers only the bearer whose employee it was signed for (404 to anyone else), 410 once
expired, 409 once decided; any call with a refused token answers 401.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_web.bootstrap import create_app
from leaveflow_web.config import Settings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
WEB = "http://web.test"


def bearer_for(employee_id: str, role: str = "user", tenant_id: str = "t1") -> str:
    claims = json.dumps({"sub": employee_id, "tid": tenant_id, "role": role}).encode()
    return f"h.{base64.urlsafe_b64encode(claims).rstrip(b'=').decode()}.s"


def employee_of(request: httpx.Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme != "Bearer" or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["sub"])


@dataclass
class Link:
    approver_id: str
    decision: str = "approve"
    expired: bool = False
    status: str = "pending"
    employee_name: str = "Eve Example"
    leave_type_name: str = "Vacation"
    start: date = field(default_factory=lambda: date.today() + timedelta(days=14))
    days: int = 3


SECRET = "s3cret-shared-with-the-services"


@dataclass
class Membership:
    """An active employee of another company, for people in several companies."""

    tenant_id: str
    company: str
    employee_id: str
    role: str = "user"


@dataclass
class FakeSso:
    tenant_id: str
    company: str
    issuer: str
    client_id: str = "leaveflow"
    client_secret: str = "sso-secret"
    email_domains: tuple[str, ...] = ()
    enforce: bool = False


@dataclass
class FakeLink:
    email: str
    nonce_hash: str
    purpose: str
    signup: dict[str, Any] | None = None
    used: bool = False
    expired: bool = False


@dataclass
class FakeServices:
    """Callable as an ``httpx.MockTransport`` handler.

    The people of ``t1`` ("Acme") by email; ``others`` adds memberships in other companies.
    The identity routes answer only the web's ``Service`` secret, as the real ones do.
    """

    people: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {
            "paula@acme.test": ("paula", "approver"),
            "sam@acme.test": ("sam", "approver"),
            "eve@acme.test": ("eve", "user"),
        }
    )
    others: dict[str, list[Membership]] = field(default_factory=dict)
    sso: dict[str, FakeSso] = field(default_factory=dict)  # by tenant id
    links: dict[str, Link] = field(default_factory=dict)
    magic: dict[str, FakeLink] = field(default_factory=dict)  # by token
    mails: list[dict[str, Any]] = field(default_factory=list)
    sessions: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> its record
    slack_team: dict[str, str] = field(default_factory=dict)  # tenant id -> team id
    decided: list[tuple[str, str, Any]] = field(default_factory=list)  # token, by, body
    refused: set[str] = field(default_factory=set)  # employees whose tokens now answer 401
    forbid_reads: bool = False  # every read answers 403 (a role taken away)
    retry_after: int | None = None  # sign-in and signup answer 429 with this
    signup_token: str | None = None  # what POST /v1/tenants returns as the admin's token
    email_in_use: bool = False  # POST /v1/tenants answers 409 /email-in-use
    vias: frozenset[str] = frozenset(  # what POST /v1/auth/sessions accepts as `via`
        {"sso", "google", "microsoft", "slack", "magic_link", "passkey", "dev", "signup"}
    )
    calls: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        path = request.url.path
        if path == "/v1/tenants":
            return self._signup(request)
        if path.startswith("/v1/auth/"):
            if request.headers.get("authorization") != f"Service {SECRET}":
                return problem(401, "Unauthorized", "not a Leaveflow service")
            if self.retry_after is not None:
                return self._slow_down()
            return self._identity(path.removeprefix("/v1/auth/"), json.loads(request.content))
        who = employee_of(request)
        if who is None or who in self.refused:
            return problem(401, "Unauthorized", "the token is no longer valid")
        if path.startswith("/v1/actions/"):
            return self._action(request, who, path.removeprefix("/v1/actions/"))
        if self.forbid_reads:
            return problem(403, "Forbidden", "approvers only")
        if path.startswith("/v1/employees/"):
            return self._employee(path.removeprefix("/v1/employees/"))
        return httpx.Response(200, json={"items": []})

    def memberships(self, email: str) -> list[Membership]:
        found = [Membership("t1", "Acme", *self.people[email])] if email in self.people else []
        return found + self.others.get(email, [])

    def _member(self, tenant_id: str, employee_id: str) -> Membership | None:
        for email in {*self.people, *self.others}:
            for m in self.memberships(email):
                if (m.tenant_id, m.employee_id) == (tenant_id, employee_id):
                    return m
        return None

    def _companies(self, email: str) -> list[dict[str, Any]]:
        return [
            {
                "tenant_id": m.tenant_id,
                "company": m.company,
                "employee_id": m.employee_id,
                "role": m.role,
                "enforce_sso": bool(self.sso.get(m.tenant_id) and self.sso[m.tenant_id].enforce),
            }
            for m in self.memberships(email.lower())
        ]

    def _identity(self, route: str, body: dict[str, Any]) -> httpx.Response:
        if route == "lookup":
            domain = body["email"].rpartition("@")[2].lower()
            domain_sso = [
                {"tenant_id": c.tenant_id, "company": c.company, "enforce": c.enforce}
                for c in self.sso.values()
                if domain in c.email_domains
            ]
            companies = self._companies(body["email"])
            return httpx.Response(200, json={"domain_sso": domain_sso, "companies": companies})
        if route == "sso":
            config = self.sso.get(body["tenant_id"])
            if config is None:
                return problem(404, "Not Found", "no single sign-on")
            view = {**config.__dict__, "email_domains": [*config.email_domains]}
            return httpx.Response(200, json=view)
        if route == "sessions":
            return self._open(body)
        if route == "sessions/refresh":
            record = self.sessions.get(body["session_id"])
            if record is None or record["refresh_token"] != body["refresh_token"]:
                return problem(401, "Unauthorized", "no such session")
            member = self._member(record["tenant_id"], record["employee_id"])
            if member is None or member.employee_id in self.refused:
                return problem(401, "Unauthorized", "the person has left")
            token = bearer_for(member.employee_id, member.role, member.tenant_id)
            return httpx.Response(
                200,
                json={
                    "token": token,
                    "expires_in": 300,
                    "employee_id": member.employee_id,
                    "role": member.role,
                },
            )
        if route == "magic-links":
            return self._link(body)
        if route == "magic-links/redeem":
            return self._redeem(body)
        if route == "mail":
            self.mails.append(body)
            return httpx.Response(202, json={"sent": True})
        if route == "workspace":
            team = self.slack_team.get(body["tenant_id"])
            return httpx.Response(200, json={"slack_team_id": team, "teams_tenant_id": None})
        return problem(404, "Not Found", "Not Found")

    def _open(self, body: dict[str, Any]) -> httpx.Response:
        if body["via"] not in self.vias:
            return problem(422, "Unprocessable content", "via: not one of the ways")
        member = self._member(body["tenant_id"], body["employee_id"])
        if member is None or member.employee_id in self.refused:
            return problem(404, "Not Found", "no such employee")
        config = self.sso.get(member.tenant_id)
        enforced = config is not None and config.enforce and body["via"] != "sso"
        if enforced and not (member.role == "admin" and body["via"] == "magic_link"):
            return problem(403, "Forbidden", "the company requires its single sign-on")
        session_id = f"s{len(self.sessions) + 1}"
        self.sessions[session_id] = {
            "tenant_id": member.tenant_id,
            "employee_id": member.employee_id,
            "refresh_token": f"r-{session_id}",
            "via": body["via"],
            "label": body["label"],
        }
        return httpx.Response(
            201,
            json={
                "session_id": session_id,
                "refresh_token": f"r-{session_id}",
                "token": bearer_for(member.employee_id, member.role, member.tenant_id),
                "expires_in": 300,
                "employee_id": member.employee_id,
                "role": member.role,
            },
        )

    def _link(self, body: dict[str, Any]) -> httpx.Response:
        email = body["email"].lower()
        if body["purpose"] == "sign_in" and not self.memberships(email):
            return httpx.Response(200, json={"token": None, "tenant_ids": []})
        token = f"link{len(self.magic) + 1}"
        self.magic[token] = FakeLink(email, body["nonce_hash"], body["purpose"], body.get("signup"))
        tenants = [m.tenant_id for m in self.memberships(email)]
        return httpx.Response(200, json={"token": token, "tenant_ids": tenants})

    def _redeem(self, body: dict[str, Any]) -> httpx.Response:
        link = self.magic.get(body["token"])
        if link is None:
            return problem(404, "Not Found", "no such link")
        if link.used or link.expired:
            return problem(410, "Gone", "the link was used or has expired")
        if hashlib.sha256(body["nonce"].encode()).hexdigest() != link.nonce_hash:
            return problem(401, "Unauthorized", "another browser")
        link.used = True
        if link.purpose == "signup":
            assert link.signup is not None
            made = Membership("t-new", str(link.signup["name"]), "admin2", "admin")
            self.others.setdefault(link.email, []).append(made)
            created = {
                "tenant_id": made.tenant_id,
                "admin_id": made.employee_id,
                "token": bearer_for(made.employee_id, "admin", made.tenant_id),
            }
            return httpx.Response(
                200, json={"purpose": "signup", "email": link.email, "created": created}
            )
        companies = [
            c for c in self._companies(link.email) if not c["enforce_sso"] or c["role"] == "admin"
        ]
        return httpx.Response(
            200, json={"purpose": "sign_in", "email": link.email, "companies": companies}
        )

    def _employee(self, employee_id: str) -> httpx.Response:
        for email, (known, role) in self.people.items():
            if known == employee_id:
                return httpx.Response(200, json={"id": known, "email": email, "role": role})
        return problem(404, "Not Found", "no such employee")

    def _slow_down(self) -> httpx.Response:
        return httpx.Response(
            429,
            json={"title": "Too Many Requests", "status": 429},
            headers={"retry-after": str(self.retry_after)},
        )

    def _signup(self, request: httpx.Request) -> httpx.Response:
        if self.retry_after is not None:
            return self._slow_down()
        if self.email_in_use:
            return httpx.Response(
                409,
                json={
                    "type": "https://leaveflow.dev/problems/email-in-use",
                    "title": "Conflict",
                    "status": 409,
                    "detail": "this email already administers a company: confirm by link",
                },
            )
        token = self.signup_token or bearer_for("admin", "admin", "t-new")
        body = json.loads(request.content)
        self.others.setdefault(body["admin_email"].lower(), []).append(
            Membership("t-new", body["name"], "admin", "admin")
        )
        return httpx.Response(201, json={"tenant_id": "t-new", "admin_id": "admin", "token": token})

    def _action(self, request: httpx.Request, who: str, token: str) -> httpx.Response:
        link = self.links.get(token)
        if link is None or link.approver_id != who:
            return problem(404, "Not Found", "no such link")
        if link.expired:
            return problem(410, "Gone", "the link has expired")
        if request.method == "GET":
            end = link.start + timedelta(days=link.days - 1)
            return httpx.Response(
                200,
                json={
                    "request_id": f"req-{token}",
                    "decision": link.decision,
                    "employee_name": link.employee_name,
                    "leave_type_name": link.leave_type_name,
                    "start_date": link.start.isoformat(),
                    "end_date": end.isoformat(),
                    "start_part": "full",
                    "end_part": "full",
                    "status": link.status,
                },
            )
        if link.status != "pending":
            return problem(409, "Conflict", "already decided")
        body = json.loads(request.content)
        self.decided.append((token, who, body))
        link.status = "approved" if link.decision == "approve" else "denied"
        return httpx.Response(200, json={"request_id": f"req-{token}", "status": link.status})


def problem(status: int, title: str, detail: str) -> httpx.Response:
    return httpx.Response(status, json={"title": title, "status": status, "detail": detail})


def masked(page: httpx.Response, email: str) -> str:
    """The page with what must differ between two browsers taken out: the session's CSRF
    token (in forms and the HTMX header) and the email the person typed."""
    text = re.sub(r'"x-csrf-token": "[^"]+"', '"x-csrf-token": ""', page.text)
    return CSRF.sub('name="csrf_token" value=""', text).replace(email, "EMAIL")


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, f"no CSRF token on {page.url}"
    return found.group(1)


def settings(**values: Any) -> Settings:
    """The web's settings in these tests: the shared secret the fake services expect."""
    return Settings(service_secret=SECRET, **values)


async def sign_in(client: httpx.AsyncClient, email: str, next_path: str = "") -> httpx.Response:
    """The dev sign-in of the embedded stack, as a person fills it in (email only)."""
    page = await client.get("/signin", params={"next": next_path} if next_path else None)
    data = {"csrf_token": csrf_of(page), "email": email}
    if next_path:
        data["next"] = next_path
    return await client.post("/signin/dev", data=data)


@pytest.fixture
def fake() -> FakeServices:
    return FakeServices()


@pytest.fixture
async def dashboard(fake: FakeServices) -> AsyncIterator[httpx.AsyncClient]:
    """The web app in process, its calls to the services going to ``fake``; nobody signed in."""
    app = create_app(settings(), transport=httpx.MockTransport(fake))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        yield client
