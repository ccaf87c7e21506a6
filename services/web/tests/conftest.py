"""Fake services for the web's in-process tests: dev login, the pages' reads, and
notifications' approve/deny link API (``/v1/actions/{token}``) as docs/api.md describes it.

The fake decides as the real services do in the one respect these tests are about: a link
answers only the bearer whose employee it was signed for (404 to anyone else), 410 once
expired, 409 once decided; any call with a refused token answers 401.
"""

from __future__ import annotations

import base64
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


@dataclass
class FakeServices:
    """Callable as an ``httpx.MockTransport`` handler."""

    people: dict[str, tuple[str, str]] = field(
        default_factory=lambda: {
            "paula@acme.test": ("paula", "approver"),
            "sam@acme.test": ("sam", "approver"),
            "eve@acme.test": ("eve", "user"),
        }
    )
    links: dict[str, Link] = field(default_factory=dict)
    decided: list[tuple[str, str, Any]] = field(default_factory=list)  # token, by, body
    refused: set[str] = field(default_factory=set)  # employees whose tokens now answer 401
    forbid_reads: bool = False  # every read answers 403 (a role taken away)
    retry_after: int | None = None  # sign-in and signup answer 429 with this
    signup_token: str | None = None  # what POST /v1/tenants returns as the admin's token
    calls: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        path = request.url.path
        if path in ("/v1/auth/dev-login", "/v1/tenants"):
            return self._public(request)
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

    def _employee(self, employee_id: str) -> httpx.Response:
        for email, (known, role) in self.people.items():
            if known == employee_id:
                return httpx.Response(200, json={"id": known, "email": email, "role": role})
        return problem(404, "Not Found", "no such employee")

    def _public(self, request: httpx.Request) -> httpx.Response:
        if self.retry_after is not None:
            return httpx.Response(
                429,
                json={"title": "Too Many Requests", "status": 429},
                headers={"retry-after": str(self.retry_after)},
            )
        body = json.loads(request.content)
        if request.url.path == "/v1/tenants":
            token = self.signup_token or bearer_for("admin", "admin", "t-new")
            return httpx.Response(
                201, json={"tenant_id": "t-new", "admin_id": "admin", "token": token}
            )
        person = self.people.get(body.get("email", ""))
        if person is None:
            return problem(404, "Not Found", "no such employee")
        employee_id, role = person
        token = bearer_for(employee_id, role)
        return httpx.Response(200, json={"token": token, "employee_id": employee_id, "role": role})

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


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, f"no CSRF token on {page.url}"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, email: str, next_path: str = "") -> httpx.Response:
    page = await client.get("/signin", params={"next": next_path} if next_path else None)
    data = {"csrf_token": csrf_of(page), "tenant_id": "t1", "email": email}
    if next_path:
        data["next"] = next_path
    return await client.post("/signin/dev", data=data)


@pytest.fixture
def fake() -> FakeServices:
    return FakeServices()


@pytest.fixture
async def dashboard(fake: FakeServices) -> AsyncIterator[httpx.AsyncClient]:
    """The web app in process, its calls to the services going to ``fake``; nobody signed in."""
    app = create_app(Settings(), transport=httpx.MockTransport(fake))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        yield client
