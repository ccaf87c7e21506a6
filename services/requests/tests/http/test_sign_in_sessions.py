"""Service-only sign-in routes (issue 14): who an email is, and sessions that trade a
refresh token for 5-minute access tokens with the person's role now."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from .conftest import NOW, Company, sign_up
from .signin import SECRET, Web, claims, web_api

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def web(make_api: Callable[..., Any]) -> Web:
    return await web_api(make_api)


@pytest_asyncio.fixture(loop_scope="module")
async def acme(web: Web) -> Company:
    return await sign_up(web.api, "Acme")


async def test_lookup_finds_the_companies_of_an_email_whatever_its_case(
    web: Web, acme: Company
) -> None:
    found = await web.ok("/v1/auth/lookup", {"email": "BOB@Acme.test"})
    mine = [c for c in found["companies"] if c["tenant_id"] == acme.tenant_id]
    assert mine == [
        {
            "tenant_id": acme.tenant_id,
            "company": "Acme",
            "employee_id": acme.ids["bob"],
            "role": "approver",
            "enforce_sso": False,
        }
    ]
    assert found["domain_sso"] == []


async def test_lookup_of_an_unknown_email_finds_nothing(web: Web, acme: Company) -> None:
    found = await web.ok("/v1/auth/lookup", {"email": "nobody@acme.test"})
    assert found == {"domain_sso": [], "companies": []}


async def test_someone_who_has_left_is_not_found(web: Web, acme: Company) -> None:
    left = {"start_date": (NOW.date() - timedelta(days=400)).isoformat()}
    left["end_date"] = (NOW.date() - timedelta(days=2)).isoformat()
    await acme.ok("ada", "PATCH", f"/v1/employees/{acme.ids['ben']}", left)
    found = await web.ok("/v1/auth/lookup", {"email": "ben@acme.test"})
    assert acme.tenant_id not in [c["tenant_id"] for c in found["companies"]]
    body = {"tenant_id": acme.tenant_id, "employee_id": acme.ids["ben"], "via": "passkey"}
    assert (await web.call("/v1/auth/sessions", body)).status_code == 404


SERVICE_ROUTES = (
    "/v1/auth/lookup",
    "/v1/auth/sso",
    "/v1/auth/sessions",
    "/v1/auth/sessions/refresh",
    "/v1/auth/magic-links",
    "/v1/auth/magic-links/redeem",
    "/v1/auth/passkeys",
    "/v1/auth/passkeys/find",
    "/v1/auth/passkeys/some-id/used",
)


@pytest.mark.parametrize("secret", [None, "wrong", "", SECRET + "x"])
@pytest.mark.parametrize("url", SERVICE_ROUTES)
async def test_sign_in_routes_need_the_service_secret(
    web: Web, acme: Company, secret: str | None, url: str
) -> None:
    # A body that would be valid for the route it fits: the secret is checked first.
    body = {"email": "bob@acme.test", "tenant_id": acme.tenant_id, "employee_id": "e"}
    response = await web.call(url, body, secret=secret)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/v1/sso"),
        ("PUT", "/v1/sso"),
        ("DELETE", "/v1/sso"),
        ("GET", "/v1/sessions"),
        ("DELETE", "/v1/sessions/x"),
        ("POST", "/v1/sessions/revoke-all"),
        ("GET", "/v1/passkeys"),
        ("DELETE", "/v1/passkeys/x"),
        ("GET", "/v1/invites"),
        ("POST", "/v1/invites"),
    ],
)
async def test_the_public_routes_need_a_token(web: Web, method: str, url: str) -> None:
    response = await web.api.call(None, method, url, {})
    assert response.status_code == 401
    # ... and the service secret is no token.
    headers = {"authorization": f"Service {SECRET}"}
    assert (await web.api.client.request(method, url, headers=headers)).status_code == 401


async def test_without_a_configured_secret_the_routes_do_not_exist(
    make_api: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEAVEFLOW_SERVICE_SECRET", raising=False)
    web = Web(await make_api())
    for url in ("/v1/auth/lookup", "/v1/auth/sessions", "/v1/auth/magic-links"):
        assert (await web.call(url, {})).status_code == 404


async def test_a_session_gives_a_five_minute_token_with_its_id(web: Web, acme: Company) -> None:
    opened = await web.session(acme.tenant_id, acme.ids["bob"])
    assert (opened["employee_id"], opened["role"], opened["expires_in"]) == (
        acme.ids["bob"],
        "approver",
        300,
    )
    token = claims(opened["token"])
    assert token["sid"] == opened["session_id"]
    assert token["exp"] - token["iat"] == 300
    assert token["via"] == "passkey"
    me = await web.api.call(opened["token"], "GET", f"/v1/employees/{acme.ids['bob']}")
    assert me.status_code == 200, me.text
    assert SECRET not in opened.values()


async def test_refresh_answers_the_role_now(web: Web, acme: Company) -> None:
    opened = await web.session(acme.tenant_id, acme.ids["bob"])
    await acme.ok("ada", "PATCH", f"/v1/employees/{acme.ids['bob']}", {"role": "user"})
    refresh = {"session_id": opened["session_id"], "refresh_token": opened["refresh_token"]}
    refreshed = await web.ok("/v1/auth/sessions/refresh", refresh)
    assert (refreshed["role"], refreshed["employee_id"], refreshed["expires_in"]) == (
        "user",
        acme.ids["bob"],
        300,
    )
    assert claims(refreshed["token"])["role"] == "user"
    assert claims(refreshed["token"])["sid"] == opened["session_id"]


@pytest.mark.parametrize("wrong", ["session_id", "refresh_token"])
async def test_refresh_with_a_wrong_session_or_token_is_401(
    web: Web, acme: Company, wrong: str
) -> None:
    opened = await web.session(acme.tenant_id, acme.ids["ana"])
    refresh = {"session_id": opened["session_id"], "refresh_token": opened["refresh_token"]}
    first = refresh[wrong][0]
    refresh[wrong] = ("y" if first == "x" else "x") + refresh[wrong][1:]  # one in 64 began with x
    response = await web.call("/v1/auth/sessions/refresh", refresh)
    assert response.status_code == 401
    assert opened["refresh_token"] not in response.text


async def test_refresh_refuses_someone_who_has_left(web: Web, acme: Company) -> None:
    opened = await web.session(acme.tenant_id, acme.ids["ana"])
    left = {"start_date": (NOW.date() - timedelta(days=400)).isoformat()}
    left["end_date"] = (NOW.date() - timedelta(days=1)).isoformat()
    await acme.ok("ada", "PATCH", f"/v1/employees/{acme.ids['ana']}", left)
    refresh = {"session_id": opened["session_id"], "refresh_token": opened["refresh_token"]}
    assert (await web.call("/v1/auth/sessions/refresh", refresh)).status_code == 401


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"employee_id": "nobody"}, 404),
        ({"tenant_id": "another-company"}, 404),
        ({"via": "password"}, 422),
        ({"label": "x" * 201}, 422),
        ({"label": "bad\x00label"}, 422),
        ({"employee_id": "e" * 65}, 422),
    ],
)
async def test_a_session_for_nobody_or_a_bad_body_is_refused(
    web: Web, acme: Company, change: dict[str, str], status: int
) -> None:
    body = {"tenant_id": acme.tenant_id, "employee_id": acme.ids["ana"], "via": "sso", **change}
    response = await web.call("/v1/auth/sessions", body)
    assert response.status_code == status, response.text


async def test_dev_sessions_exist_only_with_dev_login(make_api: Callable[..., Any]) -> None:
    web = await web_api(make_api, dev_login=False)
    signup = {"name": "Devless", "admin_name": "Ada", "admin_email": "ada@devless.test"}
    created = await web.api.ok(None, "POST", "/v1/tenants", signup)
    body = {"tenant_id": created["tenant_id"], "employee_id": created["admin_id"], "via": "dev"}
    assert (await web.call("/v1/auth/sessions", body)).status_code == 404
    assert (await web.call("/v1/auth/sessions", {**body, "via": "passkey"})).status_code == 201


async def test_a_new_companys_admin_gets_a_session_from_the_signup(
    make_api: Callable[..., Any],
) -> None:
    web = await web_api(make_api, dev_login=False)
    signup = {"name": "Fresh", "admin_name": "Ada", "admin_email": "ada@fresh.test"}
    created = await web.api.ok(None, "POST", "/v1/tenants", signup)
    body = {"tenant_id": created["tenant_id"], "employee_id": created["admin_id"], "via": "signup"}
    opened = await web.call("/v1/auth/sessions", body)
    assert opened.status_code == 201, opened.text
    listed = await web.api.ok(opened.json()["token"], "GET", "/v1/sessions")
    assert [(s["via"], s["current"]) for s in listed["items"]] == [("signup", True)]
