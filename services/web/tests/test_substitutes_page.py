"""The My substitutes page in process against ``LevelServices``: an approver sets and
removes their own substitute and sees where they substitute; the API's refusals are said
at their field with what was typed; an admin sets one for any approver; an employee who
approves nothing is not offered the page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date, timedelta

import httpx
import pytest

from leaveflow_web.bootstrap import create_app

from .conftest import WEB, csrf_of, settings, sign_in
from .levels_fakes import LevelServices

Client = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]
TODAY = date.today()


@pytest.fixture
def services() -> LevelServices:
    return LevelServices()


@pytest.fixture
def signed_in(services: LevelServices) -> Client:
    @asynccontextmanager
    async def client(email: str) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings(), transport=httpx.MockTransport(services))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=WEB) as c:
            signed = await sign_in(c, email)
            assert signed.status_code in (200, 303), signed.text
            yield c

    return client


def text_of(page: httpx.Response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page.text).split())


async def post(client: httpx.AsyncClient, url: str, **data: str) -> httpx.Response:
    token = csrf_of(await client.get("/substitutes"))
    return await client.post(url, data={"csrf_token": token, **data})


def days(start: int, end: int) -> dict[str, str]:
    return {
        "start_date": (TODAY + timedelta(days=start)).isoformat(),
        "end_date": (TODAY + timedelta(days=end)).isoformat(),
    }


async def test_an_approver_sets_and_removes_their_substitute(
    services: LevelServices, signed_in: Client
) -> None:
    async with signed_in("paula@acme.test") as paula:
        home = await paula.get("/")
        assert 'href="/substitutes"' in home.text
        page = await paula.get("/substitutes")
        offered = page.text[page.text.index('id="s-substitute"') :].split("</select>")[0]
        assert "Sam Second" in offered
        assert "Ada Admin" in offered
        assert "Eve Example" not in offered  # an employee cannot decide leave
        assert "Paula Approver" not in offered  # nor can I substitute myself
        assert 'id="s-approver"' not in page.text  # only admins choose who is away
        saved = await post(paula, "/substitutes", substitute_id="sam", **days(0, 6))
        assert "Substitute set." in text_of(saved)
        assert services.writes[-1] == (
            "POST",
            "/v1/substitutions",
            {"approver_id": "paula", "substitute_id": "sam", **days(0, 6)},
        )
        mine = text_of(saved).split("Who decides for me")[1].split("Where I substitute")[0]
        assert "Sam Second decides for you on" in mine
        assert "now" in mine  # it holds today
        removed = await post(paula, f"/substitutes/{services.substitutions[0]['id']}/remove")
    assert "Substitution removed." in text_of(removed)
    assert services.substitutions == []
    assert "Nobody yet." in text_of(removed)


async def test_the_substitute_sees_where_they_substitute_but_cannot_remove_it(
    services: LevelServices, signed_in: Client
) -> None:
    services.substitutions = [
        {"id": "s1", "approver_id": "paula", "substitute_id": "sam", **days(2, 4),
         "created_by": "paula", "created_at": "x"},
    ]  # fmt: skip
    async with signed_in("sam@acme.test") as sam:
        page = await sam.get("/substitutes")
        there = text_of(page).split("Where I substitute")[1]
        assert "You decide for Paula Approver on" in there
        assert "/substitutes/s1/remove" not in page.text
        refused = await post(sam, "/substitutes/s1/remove")
    assert refused.status_code == 403
    assert len(services.substitutions) == 1


async def test_a_refusal_is_said_at_its_field_with_what_was_typed(
    services: LevelServices, signed_in: Client
) -> None:
    async with signed_in("paula@acme.test") as paula:
        wrong = await post(paula, "/substitutes", substitute_id="sam", **days(5, 2))
    assert wrong.status_code == 422
    field = wrong.text[wrong.text.index('id="s-end_date"') :].split("</div>")[0]
    assert "The last day is before the first day." in field
    assert f'value="{(TODAY + timedelta(days=5)).isoformat()}"' in wrong.text
    assert services.substitutions == []


async def test_an_admin_sets_one_for_any_approver_and_sees_the_company_s(
    services: LevelServices, signed_in: Client
) -> None:
    services.substitutions = [
        {"id": "s1", "approver_id": "sam", "substitute_id": "paula", **days(1, 3),
         "created_by": "sam", "created_at": "x"},
    ]  # fmt: skip
    async with signed_in("ada@acme.test") as ada:
        page = await ada.get("/substitutes")
        assert "Paula Approver decides for Sam Second on" in text_of(page)
        await post(ada, "/substitutes", approver_id="paula", substitute_id="sam", **days(7, 9))
        assert services.writes[-1][2] == {
            "approver_id": "paula", "substitute_id": "sam", **days(7, 9),
        }  # fmt: skip
        await post(ada, "/substitutes/s1/remove")
    assert [s["approver_id"] for s in services.substitutions] == ["paula"]


async def test_an_employee_is_not_offered_the_page(signed_in: Client) -> None:
    async with signed_in("eve@acme.test") as eve:
        home = await eve.get("/")
        page = await eve.get("/substitutes")
    assert 'href="/substitutes"' not in home.text
    assert page.status_code == 403
    assert "Only approvers and admins have substitutes" in text_of(page)
