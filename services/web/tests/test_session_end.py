"""A token the services refuse (401: the person left, or it expired) ends the session with a
sentence on the sign-in page; a refusal (403) is a friendly page, never a 500."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter

from leaveflow_web import session
from leaveflow_web.api import ApiError
from leaveflow_web.bootstrap import create_app

from .conftest import WEB, FakeServices, Link, bearer_for, csrf_of, settings, sign_in

ENDED = "Your session ended - sign in again."


async def test_a_refused_token_ends_the_session_and_says_so(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    await sign_in(dashboard, "eve@acme.test")
    assert (await dashboard.get("/")).status_code == 200
    fake.refused.add("eve")  # she left the company
    answer = await dashboard.get("/team")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?reason=ended&next=%2Fteam"
    page = await dashboard.get(answer.headers["location"])
    assert page.status_code == 200
    assert ENDED in page.text
    assert 'name="next" value="/team"' in page.text
    before = len(fake.calls)
    home = await dashboard.get("/")  # the session is gone: no call with the old token
    assert home.headers["location"] == "/signin"
    assert len(fake.calls) == before


async def test_a_refused_token_on_a_live_part_redirects_the_whole_page(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    await sign_in(dashboard, "eve@acme.test")
    fake.refused.add("eve")
    answer = await dashboard.get("/partials/my-requests", headers={"hx-request": "true"})
    assert answer.status_code == 401
    assert answer.headers["hx-redirect"] == "/signin?reason=ended"
    assert (await dashboard.get("/")).headers["location"] == "/signin"


async def test_a_refused_token_on_a_form_ends_the_session_without_replaying_it(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.links["tok"] = Link(approver_id="paula")
    await sign_in(dashboard, "paula@acme.test")
    page = await dashboard.get("/decide/tok")
    fake.refused.add("paula")  # demoted and gone meanwhile
    answer = await dashboard.post("/decide/tok", data={"csrf_token": csrf_of(page)})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?reason=ended"
    assert fake.decided == []


async def test_a_refusal_shows_a_sentence_not_an_error(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    await sign_in(dashboard, "paula@acme.test")
    fake.forbid_reads = True  # no longer an approver
    page = await dashboard.get("/approvals")
    assert page.status_code == 200
    assert "You are not allowed to see or do this" in page.text
    assert "If your role changed recently" in page.text
    assert "Traceback" not in page.text


async def test_a_malformed_answer_from_a_service_is_a_page_not_a_500(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.signup_token = "not-a-token"
    page = await dashboard.get("/signup")
    answer = await dashboard.post(
        "/signup",
        data={
            "csrf_token": csrf_of(page),
            "name": "Acme",
            "admin_name": "Ada",
            "admin_email": "ada@acme.test",
        },
    )
    assert answer.status_code == 502
    assert "did not answer as expected" in answer.text


@pytest.fixture
async def raising(fake: FakeServices) -> AsyncIterator[httpx.AsyncClient]:
    """The app with one extra page that lets a service's error escape, as a future page
    that forgot ``attempt`` would: the app-wide handler must still answer well."""
    app = create_app(settings(), transport=httpx.MockTransport(fake))
    router = APIRouter()

    @router.get("/raises/{status}")
    async def raises(status: int) -> None:
        raise ApiError(status, "refused", retry_after=7 if status == 429 else None)

    app.include_router(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        yield client


async def test_an_escaped_refusal_is_still_a_friendly_page(raising: httpx.AsyncClient) -> None:
    await sign_in(raising, "eve@acme.test")
    forbidden = await raising.get("/raises/403")
    assert forbidden.status_code == 403
    assert "You are not allowed to do this." in forbidden.text
    slow = await raising.get("/raises/429")
    assert slow.status_code == 429
    assert "Too many attempts - try again in 7 seconds." in slow.text
    assert slow.headers["retry-after"] == "7"
    broken = await raising.get("/raises/500")
    assert broken.status_code == 502
    assert "Try again in a minute" in broken.text
    ended = await raising.get("/raises/401")
    assert ended.status_code == 303
    assert ended.headers["location"] == "/signin?reason=ended&next=%2Fraises%2F401"
    assert (await raising.get("/")).headers["location"] == "/signin"


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at = 1_000_000.0
        monkeypatch.setattr(session, "now", lambda: self.at)


async def test_a_role_change_shows_in_the_dashboard_within_the_refresh_period(
    dashboard: httpx.AsyncClient, fake: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    fake.people["ada@acme.test"] = ("ada", "admin")
    await sign_in(dashboard, "ada@acme.test")
    assert (await dashboard.get("/admin")).status_code == 200
    fake.people["ada@acme.test"] = ("ada", "user")  # demoted
    clock.at += session.REFRESH_AFTER_SECONDS - 1
    assert (await dashboard.get("/admin")).status_code == 200  # not refreshed yet
    clock.at += 2
    refused = await dashboard.get("/admin")
    assert refused.status_code == 403
    home = await dashboard.get("/")
    assert 'href="/admin"' not in home.text
    assert 'href="/approvals"' not in home.text
    asked = [c for c in fake.calls if c.url.path == "/v1/auth/sessions/refresh"]
    assert len(asked) == 1  # once per period, not once per page
    (opened,) = fake.sessions.values()
    assert json.loads(asked[0].content) == {
        "session_id": "s1",
        "refresh_token": opened["refresh_token"],
    }


async def test_the_refreshed_token_is_the_one_pages_use(
    dashboard: httpx.AsyncClient, fake: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    fake.people["ada@acme.test"] = ("ada", "admin")
    await sign_in(dashboard, "ada@acme.test")
    fake.people["ada@acme.test"] = ("ada", "approver")
    clock.at += session.REFRESH_AFTER_SECONDS + 1
    before = len(fake.calls)
    await dashboard.get("/approvals")
    later = fake.calls[before + 1 :]  # after the refresh itself
    assert later
    assert all(bearer_for("ada", "approver") in c.headers["authorization"] for c in later)


async def test_a_departure_seen_by_the_refresh_ends_the_session(
    dashboard: httpx.AsyncClient, fake: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    await sign_in(dashboard, "paula@acme.test")
    fake.refused.add("paula")
    clock.at += session.REFRESH_AFTER_SECONDS + 1
    answer = await dashboard.get("/approvals")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin?reason=ended")


async def test_a_revoked_session_ends_on_the_next_page_after_the_period(
    dashboard: httpx.AsyncClient, fake: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    await sign_in(dashboard, "eve@acme.test")
    fake.sessions.clear()  # "sign out everywhere" from another browser
    clock.at += session.REFRESH_AFTER_SECONDS + 1
    answer = await dashboard.get("/")
    assert answer.headers["location"].startswith("/signin?reason=ended")
    assert (await dashboard.get("/")).headers["location"] == "/signin"


async def test_a_busy_requests_service_keeps_the_session_and_asks_again(
    dashboard: httpx.AsyncClient, fake: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    await sign_in(dashboard, "eve@acme.test")
    fake.retry_after = 5  # the identity routes answer 429 for a while
    clock.at += session.REFRESH_AFTER_SECONDS + 1
    assert (await dashboard.get("/")).status_code == 200
    fake.retry_after = None
    assert (await dashboard.get("/")).status_code == 200
    refreshes = [c for c in fake.calls if c.url.path == "/v1/auth/sessions/refresh"]
    assert len(refreshes) == 2  # the failed one did not count as fresh
