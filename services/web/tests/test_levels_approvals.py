"""The Approvals page by level, in process against ``LevelServices``: each pending request
says the level I decide, who decided the earlier ones and what comes next; the buttons send
that level and a page left open answers the 409 as a sentence; requests I decide as a
substitute have their own group; a request's warnings are on its card."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date, timedelta

import httpx
import pytest

from leaveflow_web.bootstrap import create_app

from .conftest import WEB, csrf_of, settings, sign_in
from .levels_fakes import LevelServices, pending_request

Client = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


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


def card_of(page: httpx.Response, request_id: str) -> str:
    start = page.text.index(f'data-request-id="{request_id}"')
    end = page.text.find("</article>", start)
    return " ".join(re.sub(r"<[^>]+>", " ", page.text[start:end]).split())


async def decide(
    client: httpx.AsyncClient, request_id: str, decision: str, **fields: str
) -> httpx.Response:
    token = csrf_of(await client.get("/approvals"))
    return await client.post(
        f"/approvals/{request_id}/{decision}", data={"csrf_token": token, **fields}
    )


async def test_the_second_level_sees_who_decided_the_first_and_sends_its_level(
    services: LevelServices, signed_in: Client
) -> None:
    services.requests = [pending_request("r1", [["paula"], ["sam"]], current=2)]
    services.requests[0]["approval"]["levels"][0]["note"] = "fine by me"
    async with signed_in("sam@acme.test") as sam:
        page = await sam.get("/approvals")
        card = card_of(page, "r1")
        assert "Level 2 of 2" in card
        assert "Level 1 approved by Paula Approver on 30 Nov 2026, 09:15: “fine by me”" in card
        assert 'name="level" value="2"' in page.text
        answer = await decide(sam, "r1", "approve", level="2")
    assert answer.status_code == 200
    assert services.decisions == [("r1", "sam", {"level": 2})]
    assert services.requests[0]["status"] == "approved"


async def test_the_first_level_sees_the_levels_to_come_and_a_later_one_waits(
    services: LevelServices, signed_in: Client
) -> None:
    services.requests = [pending_request("r1", [["paula"], ["sam"]])]
    async with signed_in("paula@acme.test") as paula:
        page = await paula.get("/approvals")
        card = card_of(page, "r1")
        assert "Level 1 of 2" in card
        assert "Then level 2: Sam Second" in card
        answered = await decide(paula, "r1", "approve", level="1")
        assert "Level approved: the request goes on to the next level." in text_of(answered)
    async with signed_in("sam@acme.test") as sam:
        assert "Level 2 of 2" in card_of(await sam.get("/approvals"), "r1")
    services.requests.append(pending_request("r2", [["paula"], ["sam"]]))
    async with signed_in("sam@acme.test") as sam:
        page = await sam.get("/approvals")
        waiting = page.text[page.text.index('data-request-id="r2"') :].split("</article>")[0]
    assert "Not yours yet: you decide a later level." in waiting
    assert "/approvals/r2/approve" not in waiting  # no button for a level not yet reached


async def test_a_page_left_open_answers_a_passed_level_as_a_sentence(
    services: LevelServices, signed_in: Client
) -> None:
    services.requests = [pending_request("r1", [["paula"], ["sam"]])]
    async with signed_in("paula@acme.test") as paula:
        await paula.get("/approvals")
        # Meanwhile an admin approved level 1 elsewhere: the page still says level 1.
        services.requests[0]["approval"]["current_level"] = 2
        stale = await decide(paula, "r1", "deny", note="no", level="1")
    assert stale.status_code == 409
    assert (
        "Someone decided this level while the page was open. Reload the page to see where "
        "the request stands." in text_of(stale)
    )
    assert services.requests[0]["status"] == "pending"
    services.deciders_first = True
    async with signed_in("paula@acme.test") as paula:
        refused = await decide(paula, "r1", "approve", level="1")
    assert refused.status_code == 409
    assert "Someone decided this level while the page was open." in text_of(refused)
    # A refusal for any other reason is not taken for a passed level.
    services.requests[0]["approval"]["current_level"] = 1
    async with signed_in("sam@acme.test") as sam:
        not_theirs = await decide(sam, "r1", "approve", level="1")
    assert not_theirs.status_code == 403
    assert "while the page was open" not in not_theirs.text


async def test_a_substitute_decides_in_a_group_of_their_own(
    services: LevelServices, signed_in: Client
) -> None:
    services.requests = [pending_request("r1", [["paula"], ["sam"]])]
    until = date.today() + timedelta(days=5)
    services.substitutions = [
        {"id": "s1", "approver_id": "paula", "substitute_id": "sam",
         "start_date": (date.today() - timedelta(days=1)).isoformat(),
         "end_date": until.isoformat(), "created_by": "paula", "created_at": "x"},
    ]  # fmt: skip
    async with signed_in("sam@acme.test") as sam:
        page = await sam.get("/approvals")
        heading = f"For Paula Approver, while you substitute until {until.day} {until:%b}"
        assert heading in text_of(page)
        group = page.text[page.text.index(heading) : page.text.index('id="q-eng"')]
        assert 'data-request-id="r1"' in group
        assert "/approvals/r1/approve" in group
        engineering = page.text[page.text.index('id="q-eng"') :]
        assert 'data-request-id="r1"' not in engineering  # once, in the substitute's group
        await decide(sam, "r1", "approve", level="1")
    assert services.decisions == [("r1", "sam", {"level": 1})]
    # An ended substitution gives no group.
    services.substitutions[0]["end_date"] = (date.today() - timedelta(days=1)).isoformat()
    services.requests.append(pending_request("r2", [["paula"], ["sam"]]))
    async with signed_in("sam@acme.test") as sam:
        assert "while you substitute" not in (await sam.get("/approvals")).text


async def test_warnings_are_on_the_card_as_sentences(
    services: LevelServices, signed_in: Client
) -> None:
    leave = pending_request("r1", [["paula"]])
    day = date.fromisoformat(leave["start_date"])
    leave["warnings"] = [
        f"Year-end close ({day.isoformat()} to {(day + timedelta(days=3)).isoformat()}) "
        "is a blackout period.",
        f"Engineering would have 3 people off on {day.isoformat()} (max_off is 2)",
    ]
    services.requests = [leave]
    async with signed_in("paula@acme.test") as paula:
        page = await paula.get("/approvals")
        card = card_of(page, "r1")
    assert "Level 1 of 1" not in card  # a single level needs no number
    assert 'name="level" value="1"' in page.text  # but its buttons still send it
    assert "is a blackout period: the company asks for no leave then." in card
    assert "Year-end close (" in card
    assert (
        f"Engineering would have 3 people off on {day.day} {day:%b} {day.year}; it allows 2."
        in card
    )
    assert "max_off" not in card


async def test_an_approver_of_a_later_level_only_sees_the_department(
    services: LevelServices, signed_in: Client
) -> None:
    services.departments[0]["approver_ids"] = ["paula"]
    services.requests = [pending_request("r1", [["paula"], ["sam"]])]
    async with signed_in("sam@acme.test") as sam:
        page = await sam.get("/approvals")
    assert 'id="q-eng"' in page.text  # sam approves at level 2 only, and still sees it
