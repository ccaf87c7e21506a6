"""Approve / Deny links open in the dashboard and act only for the approver they name.

Against a fake notifications service (conftest) that answers ``/v1/actions/{token}`` as
docs/api.md says: the request's summary to its approver, 404 to anyone else, 410, 409.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote

import httpx
import pytest

from leaveflow_web.entrypoints.decide import dates_in_words
from leaveflow_web.local_paths import local_path

from .conftest import FakeServices, Link, csrf_of, sign_in

TOKEN = "gAAAAABn-link_token.part2="


@pytest.fixture
def link(fake: FakeServices) -> Link:
    fake.links[TOKEN] = Link(approver_id="paula", employee_name="Eve Example")
    return fake.links[TOKEN]


def action_calls(fake: FakeServices) -> list[httpx.Request]:
    return [call for call in fake.calls if call.url.path.startswith("/v1/actions/")]


async def test_a_stranger_signs_in_first_and_comes_back_to_the_link(
    dashboard: httpx.AsyncClient, fake: FakeServices, link: Link
) -> None:
    opened = await dashboard.get(f"/decide/{TOKEN}")
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/signin?next={quote(f'/decide/{TOKEN}', safe='')}"
    assert action_calls(fake) == []  # nothing asked about the link before sign-in
    page = await dashboard.get(opened.headers["location"])
    assert f'name="next" value="/decide/{TOKEN}"' in page.text
    signed = await sign_in(dashboard, "paula@acme.test", next_path=f"/decide/{TOKEN}")
    assert signed.status_code == 303
    assert signed.headers["location"] == f"/decide/{TOKEN}"


async def test_the_approver_sees_the_request_and_its_decision_button(
    dashboard: httpx.AsyncClient, fake: FakeServices, link: Link
) -> None:
    await sign_in(dashboard, "paula@acme.test")
    page = await dashboard.get(f"/decide/{TOKEN}")
    assert page.status_code == 200
    assert "Eve Example" in page.text
    assert "Vacation" in page.text
    assert (
        dates_in_words(
            {
                "start_date": link.start.isoformat(),
                "end_date": (link.start + timedelta(days=2)).isoformat(),
            }
        )
        in page.text
    )
    assert "Approve this request" in page.text
    assert f'action="/decide/{TOKEN}"' in page.text
    assert 'name="csrf_token"' in page.text
    (asked,) = action_calls(fake)
    assert asked.method == "GET"
    assert asked.url.path == f"/v1/actions/{TOKEN}"
    assert asked.headers["authorization"].startswith("Bearer ")
    assert page.headers["referrer-policy"] == "no-referrer"  # the token stays in this tab
    assert page.headers["cache-control"] == "no-store"
    assert fake.decided == []  # opening the link decides nothing


async def test_someone_else_sees_nothing_about_the_request(
    dashboard: httpx.AsyncClient, fake: FakeServices, link: Link
) -> None:
    await sign_in(dashboard, "sam@acme.test")  # an approver too, but not this link's
    page = await dashboard.get(f"/decide/{TOKEN}")
    assert page.status_code == 404
    assert "not for the person signed in" in page.text
    assert "sign in as the approver named in the email" in page.text
    for secret in ("Eve Example", "Vacation", link.start.isoformat(), f"req-{TOKEN}"):
        assert secret not in page.text
    assert "Approve this request" not in page.text
    decided = await dashboard.post(f"/decide/{TOKEN}", data={"csrf_token": csrf_of(page)})
    assert decided.status_code == 404
    assert "Eve Example" not in decided.text
    assert fake.decided == []
    assert link.status == "pending"


async def test_sign_in_as_someone_else_returns_to_the_link(
    dashboard: httpx.AsyncClient, fake: FakeServices, link: Link
) -> None:
    await sign_in(dashboard, "sam@acme.test")
    page = await dashboard.get(f"/decide/{TOKEN}")
    out = await dashboard.post(
        "/signout", data={"csrf_token": csrf_of(page), "next": f"/decide/{TOKEN}"}
    )
    assert out.status_code == 303
    assert out.headers["location"] == f"/signin?next={quote(f'/decide/{TOKEN}', safe='')}"
    assert (await dashboard.get(f"/decide/{TOKEN}")).status_code == 303  # signed out


async def test_the_approver_approves_with_the_form(
    dashboard: httpx.AsyncClient, fake: FakeServices, link: Link
) -> None:
    await sign_in(dashboard, "paula@acme.test")
    page = await dashboard.get(f"/decide/{TOKEN}")
    done = await dashboard.post(f"/decide/{TOKEN}", data={"csrf_token": csrf_of(page)})
    assert done.status_code == 200
    assert "The request is now approved." in done.text
    assert fake.decided == [(TOKEN, "paula", {"note": None})]


async def test_a_deny_link_takes_an_optional_note(
    dashboard: httpx.AsyncClient, fake: FakeServices, link: Link
) -> None:
    link.decision = "deny"
    await sign_in(dashboard, "paula@acme.test")
    page = await dashboard.get(f"/decide/{TOKEN}")
    assert "Deny this request" in page.text
    assert 'for="decide-note"' in page.text
    done = await dashboard.post(
        f"/decide/{TOKEN}", data={"csrf_token": csrf_of(page), "note": "  release week "}
    )
    assert done.status_code == 200
    assert "The request is now denied." in done.text
    assert fake.decided == [(TOKEN, "paula", {"note": "release week"})]


async def test_a_note_too_long_is_refused_next_to_the_field(
    dashboard: httpx.AsyncClient, fake: FakeServices, link: Link
) -> None:
    link.decision = "deny"
    await sign_in(dashboard, "paula@acme.test")
    page = await dashboard.get(f"/decide/{TOKEN}")
    refused = await dashboard.post(
        f"/decide/{TOKEN}", data={"csrf_token": csrf_of(page), "note": "x" * 2001}
    )
    assert refused.status_code == 422
    assert "The note can be at most 2000 characters long." in refused.text
    assert fake.decided == []


async def test_a_decision_without_the_sessions_csrf_token_is_refused(
    dashboard: httpx.AsyncClient, fake: FakeServices, link: Link
) -> None:
    await sign_in(dashboard, "paula@acme.test")
    refused = await dashboard.post(f"/decide/{TOKEN}", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert fake.decided == []


async def test_an_expired_link_says_so_and_points_to_the_dashboard(
    dashboard: httpx.AsyncClient, fake: FakeServices, link: Link
) -> None:
    link.expired = True
    await sign_in(dashboard, "paula@acme.test")
    page = await dashboard.get(f"/decide/{TOKEN}")
    assert page.status_code == 410
    assert "This link has expired" in page.text
    assert "Open the request in the dashboard" in page.text
    assert 'href="/approvals"' in page.text
    assert "Eve Example" not in page.text


async def test_a_decided_request_says_already_decided(
    dashboard: httpx.AsyncClient, fake: FakeServices, link: Link
) -> None:
    await sign_in(dashboard, "paula@acme.test")
    page = await dashboard.get(f"/decide/{TOKEN}")
    first = await dashboard.post(f"/decide/{TOKEN}", data={"csrf_token": csrf_of(page)})
    assert first.status_code == 200
    again = await dashboard.post(f"/decide/{TOKEN}", data={"csrf_token": csrf_of(page)})
    assert again.status_code == 409
    assert "Already decided" in again.text
    reopened = await dashboard.get(f"/decide/{TOKEN}")
    assert "already approved" in reopened.text
    assert "Approve this request" not in reopened.text
    assert len(fake.decided) == 1


@pytest.mark.parametrize("token", ["has space", "a/b", "x" * 4097, "<script>"])
async def test_something_that_is_no_link_is_not_sent_anywhere(
    dashboard: httpx.AsyncClient, fake: FakeServices, token: str
) -> None:
    await sign_in(dashboard, "paula@acme.test")
    page = await dashboard.get(f"/decide/{quote(token, safe='')}")
    assert page.status_code == 404
    assert "<script>" not in page.text
    assert action_calls(fake) == []


@pytest.mark.parametrize(
    "unsafe",
    [
        "https://evil.test/x",
        "//evil.test/x",
        "/\\evil.test",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: a=b",
        "decide/x",
        "/" + "a" * 5000,
    ],
)
async def test_sign_in_goes_on_only_to_a_local_path(
    dashboard: httpx.AsyncClient, unsafe: str
) -> None:
    assert local_path(unsafe) is None
    page = await dashboard.get("/signin", params={"next": unsafe})
    assert 'name="next"' not in page.text
    signed = await sign_in(dashboard, "paula@acme.test", next_path=unsafe)
    assert signed.status_code == 303
    assert signed.headers["location"] == "/"


@pytest.mark.parametrize("safe", ["/decide/abc", "/approvals?department_id=d1", "/"])
def test_local_paths_are_kept(safe: str) -> None:
    assert local_path(safe) == safe


def test_dates_read_as_people_say_them() -> None:
    monday = date.today() + timedelta(days=7 - date.today().weekday())
    friday = monday + timedelta(days=4)
    words = dates_in_words(
        {
            "start_date": monday.isoformat(),
            "end_date": friday.isoformat(),
            "start_part": "pm",
            "end_part": "am",
        }
    )
    assert words == (
        f"Mon {monday.day} {monday:%b %Y} (afternoon) to Fri {friday.day} {friday:%b %Y} (morning)"
    )
    one = dates_in_words(
        {"start_date": monday.isoformat(), "end_date": monday.isoformat(), "start_part": "am"}
    )
    assert one == f"Mon {monday.day} {monday:%b %Y} (morning only)"
