"""The dashboard's security rules on the real stack: CSRF, cookie flags, departments, tenants."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, coming_monday, eventually, sign_up
from leaveflow_web.bootstrap import SESSION_COOKIE, create_app
from leaveflow_web.config import Settings

pytestmark = pytest.mark.e2e

# Every page carries the session's token: in its forms and in the HTMX headers of <body>.
CSRF = re.compile(r'(?:name="csrf_token" value="|"x-csrf-token": ")([^"]+)"')

# The pending requests' week, from today (the location has no public holidays).
MONDAY = coming_monday()


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, f"no CSRF token on {page.url}"
    return found.group(1)


@contextmanager
def signed_in(web: str, tenant_id: str, email: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web, timeout=10.0) as client:
        token = csrf_of(client.get("/signin"))
        answer = client.post(
            "/signin/dev", data={"csrf_token": token, "tenant_id": tenant_id, "email": email}
        )
        assert answer.status_code == 303, answer.text
        yield client


def day(offset: int) -> str:
    return (MONDAY + timedelta(days=offset)).isoformat()


def pending_request(tenant: Tenant, token: str, leave_type: str, day: str) -> str:
    with httpx.Client(
        base_url=tenant.urls["requests"], headers={"authorization": f"Bearer {token}"}
    ) as api:
        created = api.post(
            "/v1/leave-requests",
            json={"leave_type_id": leave_type, "start_date": day, "end_date": day},
        )
        assert created.status_code == 202, created.text
        request_id = str(created.json()["id"])
        eventually(
            lambda: api.get(f"/v1/leave-requests/{request_id}").json()["status"] == "pending",
            what="request pending",
        )
    return request_id


def status_of(tenant: Tenant, request_id: str) -> str:
    with tenant.client("requests") as api:
        return str(api.get(f"/v1/leave-requests/{request_id}").json()["status"])


@pytest.fixture
def two_departments(tenant: Tenant) -> dict[str, str]:
    """Engineering (approver Paula, requester Eve) and Sales (approver Sam, requester Sid),
    each with one pending request."""
    location = tenant.location()
    leave_type = tenant.leave_type(location_ids=[location])
    people: dict[str, str] = {}
    tokens: dict[str, str] = {}
    for name, role in (
        ("Paula", "approver"),
        ("Sam", "approver"),
        ("Eve", "user"),
        ("Sid", "user"),
    ):
        email = f"{name.lower()}-{tenant.tenant_id[-6:]}@e2e.test"
        people[name], tokens[name] = tenant.employee(name, email, role=role, location_id=location)
        people[f"{name}_email"] = email
    with tenant.client("requests") as api:
        for department, approver, member in (
            ("Engineering", "Paula", "Eve"),
            ("Sales", "Sam", "Sid"),
        ):
            made = api.post(
                "/v1/departments", json={"name": department, "approver_ids": [people[approver]]}
            )
            assert made.status_code == 201, made.text
            people[department] = made.json()["id"]
            for person in (approver, member):
                moved = api.patch(
                    f"/v1/employees/{people[person]}", json={"department_id": people[department]}
                )
                assert moved.status_code == 200, moved.text
    people["eve_request"] = pending_request(tenant, tokens["Eve"], leave_type, day(1))
    people["sid_request"] = pending_request(tenant, tokens["Sid"], leave_type, day(2))
    return people


def test_a_form_without_the_csrf_token_is_refused(stack: Stack, tenant: Tenant) -> None:
    web = stack.urls["web"]
    with httpx.Client(base_url=web) as anonymous:
        anonymous.get("/signin")
        refused = anonymous.post(
            "/signin/dev", data={"tenant_id": tenant.tenant_id, "email": tenant.admin_email}
        )
        assert refused.status_code == 403
    with signed_in(web, tenant.tenant_id, tenant.admin_email) as admin:
        body = {"name": "Forged", "timezone": "UTC", "workweek": "1"}
        assert admin.post("/admin/locations", data=body).status_code == 403
        forged = {**body, "csrf_token": "not-the-token"}
        assert admin.post("/admin/locations", data=forged).status_code == 403
        assert admin.post("/admin/locations", headers={"x-csrf-token": "nope"}).status_code == 403
        with tenant.client("requests") as api:
            assert api.get("/v1/locations").json()["items"] == []  # nothing was created
        token = csrf_of(admin.get("/admin/locations"))
        accepted = admin.post("/admin/locations", data={**body, "csrf_token": token})
        assert accepted.status_code == 200
        assert "Location Forged added." in accepted.text


def test_session_cookie_is_httponly_lax_and_never_shows_the_token(
    stack: Stack, tenant: Tenant
) -> None:
    with httpx.Client(base_url=stack.urls["web"]) as client:
        token = csrf_of(client.get("/signin"))
        answer = client.post(
            "/signin/dev",
            data={"csrf_token": token, "tenant_id": tenant.tenant_id, "email": tenant.admin_email},
        )
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "secure" not in flags  # plain http on loopback: a Secure cookie would never return
    payload = cookie.split("=", 1)[1].split(".")[0]
    decoded = base64.b64decode(payload + "=" * (-len(payload) % 4)).decode()
    bearer = tenant.login(tenant.admin_email)
    assert bearer.split(".")[0] not in decoded  # the API token is sealed, not just signed
    assert "eyJ" not in decoded


async def test_session_cookie_is_secure_behind_tls(stack: Stack, tenant: Tenant) -> None:
    # Sessions are opened by the requests service for the web, with the shared secret.
    secret = stack.service_env()["LEAVEFLOW_SERVICE_SECRET"]
    settings = Settings(
        requests_url=stack.urls["requests"], cookie_secure=True, service_secret=secret
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://web.test") as client:
        token = csrf_of(await client.get("/signin"))
        answer = await client.post(
            "/signin/dev",
            data={"csrf_token": token, "tenant_id": tenant.tenant_id, "email": tenant.admin_email},
        )
    assert answer.status_code == 303, answer.text
    flags = [part.strip().lower() for part in answer.headers["set-cookie"].split(";")]
    assert {"secure", "httponly", "samesite=lax"} <= set(flags)


async def test_dev_sign_in_is_off_unless_dev_login_is_enabled(stack: Stack, tenant: Tenant) -> None:
    app = create_app(Settings(requests_url=stack.urls["requests"], dev_login=False))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://web.test") as client:
        page = await client.get("/signin")
        assert "Dev sign-in" not in page.text
        answer = await client.post(
            "/signin/dev",
            data={
                "csrf_token": csrf_of(page),
                "tenant_id": tenant.tenant_id,
                "email": tenant.admin_email,
            },
        )
        assert answer.status_code == 404
        assert (await client.get("/")).headers["location"] == "/signin"


def test_an_approver_cannot_open_or_decide_another_departments_approvals(
    stack: Stack, tenant: Tenant, two_departments: dict[str, str]
) -> None:
    people = two_departments
    with signed_in(stack.urls["web"], tenant.tenant_id, people["Paula_email"]) as paula:
        mine = paula.get("/approvals")
        assert mine.status_code == 200
        assert "Engineering" in mine.text
        assert people["eve_request"] in mine.text
        assert "Sales" not in mine.text
        assert people["sid_request"] not in mine.text
        other = paula.get("/approvals", params={"department_id": people["Sales"]})
        assert other.status_code == 403
        assert people["sid_request"] not in other.text
        token = csrf_of(mine)
        decided = paula.post(
            f"/approvals/{people['sid_request']}/approve", data={"csrf_token": token}
        )
        assert decided.status_code == 403
    assert status_of(tenant, people["sid_request"]) == "pending"


def test_nothing_of_another_tenant_is_reachable(
    stack: Stack, tenant: Tenant, two_departments: dict[str, str]
) -> None:
    other = sign_up(stack.urls)
    with signed_in(stack.urls["web"], other.tenant_id, other.admin_email) as intruder:
        token = csrf_of(intruder.get("/"))
        for decision in ("approve", "deny"):
            answer = intruder.post(
                f"/approvals/{two_departments['eve_request']}/{decision}",
                data={"csrf_token": token, "note": "mine now"},
            )
            assert answer.status_code == 404
        assert status_of(tenant, two_departments["eve_request"]) == "pending"
        queues = intruder.get("/approvals")
        assert two_departments["eve_request"] not in queues.text
        assert "Engineering" not in queues.text
        assert (
            intruder.get(
                "/approvals", params={"department_id": two_departments["Engineering"]}
            ).status_code
            == 403
        )
        people = intruder.get("/admin/employees")
        assert two_departments["Paula_email"] not in people.text
        team = intruder.get("/team", params={"month": MONDAY.strftime("%Y-%m")})
        assert "Eve" not in team.text


def test_only_admins_open_admin_pages_and_strangers_are_sent_to_sign_in(
    stack: Stack, tenant: Tenant, two_departments: dict[str, str]
) -> None:
    web = stack.urls["web"]
    with signed_in(web, tenant.tenant_id, two_departments["Eve_email"]) as eve:
        for path in ("/admin", "/admin/employees", "/admin/integrations"):
            assert eve.get(path).status_code == 403
    with httpx.Client(base_url=web) as stranger:
        for path in ("/", "/team", "/approvals", "/admin"):
            answer = stranger.get(path)
            assert answer.status_code == 303
            assert answer.headers["location"] == "/signin"


def test_deny_needs_a_note_and_an_approver_decides_for_their_department(
    stack: Stack, tenant: Tenant, two_departments: dict[str, str]
) -> None:
    eve_request = two_departments["eve_request"]
    with signed_in(stack.urls["web"], tenant.tenant_id, two_departments["Paula_email"]) as paula:
        token = csrf_of(paula.get("/approvals"))
        silent = paula.post(f"/approvals/{eve_request}/deny", data={"csrf_token": token})
        assert silent.status_code == 422
        assert "a note is required" in silent.text
        assert status_of(tenant, eve_request) == "pending"
        denied = paula.post(
            f"/approvals/{eve_request}/deny", data={"csrf_token": token, "note": "release week"}
        )
        assert denied.status_code == 200
        assert denied.headers["hx-trigger"] == "lf-live"  # the queue and pages refresh
    assert status_of(tenant, eve_request) == "denied"


def test_integration_secrets_are_write_only(stack: Stack, tenant: Tenant) -> None:
    secret = f"signing-{tenant.tenant_id}"
    with signed_in(stack.urls["web"], tenant.tenant_id, tenant.admin_email) as admin:
        token = csrf_of(admin.get("/admin/integrations"))
        saved = admin.post(
            "/admin/integrations/slack",
            data={
                "csrf_token": token,
                "team_id": f"T{tenant.tenant_id[-8:]}",
                "signing_secret": secret,
                "webhook_url": "http://127.0.0.1:9/hook",
                "bot_token": "",
            },
        )
        assert saved.status_code == 200, saved.text
        assert "Slack integration saved." in saved.text
        assert "Configured: Slack" in saved.text
        page = admin.get("/admin/integrations")
        assert secret not in saved.text
        assert secret not in page.text
        assert "127.0.0.1:9/hook" not in page.text
