"""The time-off-in-lieu page in process: the claim form offers only the TOIL types of my
location and sends what docs/api.md takes; my claims say where they stand level by level;
approvers decide the claims of their level, sending it, and a stale page is told so."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_web.bootstrap import create_app
from leaveflow_web.toil_views import i_decide, standing
from leaveflow_web.wording import day

from .conftest import WEB, csrf_of, settings, sign_in
from .toil_fakes import ToilServices

Client = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]
YESTERDAY = date.today() - timedelta(days=1)


@pytest.fixture
def services() -> ToilServices:
    services = ToilServices()
    directory = services.admin
    berlin = directory.add("locations", name="Berlin", timezone="UTC", workweek=[1, 2, 3, 4, 5])
    overtime = directory.add("leave-types", name="Overtime", unit="hours")
    vacation = directory.add("leave-types", name="Vacation", unit="days")
    directory.policies[f"{berlin}/{overtime}"] = {
        "location_id": berlin, "leave_type_id": overtime, "toil": {"expiry_months": 3},
    }  # fmt: skip
    directory.policies[f"{berlin}/{vacation}"] = {
        "location_id": berlin, "leave_type_id": vacation, "toil": None,
    }  # fmt: skip
    for person in ("eve", "paula", "ada"):
        directory.records["employees"][person]["location_id"] = berlin
    assert (berlin, overtime, vacation) == ("loc1", "lea2", "lea3")
    return services


@pytest.fixture
def client(services: ToilServices) -> Client:
    @asynccontextmanager
    async def signed_in(email: str) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings(), transport=httpx.MockTransport(services))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=WEB) as c:
            signed = await sign_in(c, email)
            assert signed.status_code in (200, 303), signed.text
            yield c

    return signed_in


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def row(page: httpx.Response, claim_id: str) -> str:
    found = re.search(rf'<(tr|li)[^>]* data-claim="{claim_id}">(.*?)</\1>', page.text, re.S)
    assert found is not None, claim_id
    return text_of(found[2])


async def post(c: httpx.AsyncClient, url: str, **data: str) -> httpx.Response:
    token = csrf_of(await c.get("/toil"))
    return await c.post(url, data={"csrf_token": token, **data})


async def test_the_claim_form_offers_only_the_toil_types_of_my_location(client: Client) -> None:
    async with client("eve@acme.test") as eve:
        page = await eve.get("/toil")
        assert page.status_code == 200
        options = re.findall(r'<option value="([^"]+)"', page.text.split('id="toil-form"')[1])
        assert options == ["lea2"]
        assert "Overtime (in hours)" in page.text
        assert 'href="/toil" aria-current="page"' in page.text


async def test_without_a_toil_type_the_page_says_an_admin_sets_one_up(
    client: Client, services: ToilServices
) -> None:
    services.admin.policies["loc1/lea2"]["toil"] = None
    async with client("eve@acme.test") as eve:
        page = await eve.get("/toil")
        assert 'id="toil-form"' not in page.text
        assert "an admin marks one in its policy" in page.text


async def test_a_claim_is_sent_and_then_listed_as_waiting_for_its_first_level(
    client: Client, services: ToilServices
) -> None:
    async with client("eve@acme.test") as eve:
        page = await post(eve, "/toil", leave_type_id="lea2", date=YESTERDAY.isoformat(),
                          amount="2.5", note="covered the Saturday release")  # fmt: skip
        assert page.status_code == 200, page.text
        assert services.admin.writes[-1] == (
            "POST", "/v1/toil",
            {"leave_type_id": "lea2", "date": YESTERDAY.isoformat(), "amount": 2.5,
             "note": "covered the Saturday release"},
        )  # fmt: skip
        assert (
            f"Claim sent: 2.5 hours worked on {day(YESTERDAY)}. You will see here when it is "
            "decided." in text_of(page.text)
        )
        (cid,) = services.claims
        assert row(page, cid) == (
            f"{day(YESTERDAY)} 2.5 hours Overtime covered the Saturday release "
            "Waiting for level 1 of 2: Paula Approver Withdraw"
        )


async def test_a_claim_without_a_note_is_refused_at_the_note_with_what_was_typed(
    client: Client, services: ToilServices
) -> None:
    async with client("eve@acme.test") as eve:
        page = await post(eve, "/toil", leave_type_id="lea2", date=YESTERDAY.isoformat(),
                          amount="3", note="")  # fmt: skip
        assert page.status_code == 422
        assert services.claims == {}
        error = re.search(r'<small class="error" id="e-note">([^<]+)</small>', page.text)
        assert error is not None
        assert error[1].startswith("Fill in the note")
        assert 'name="amount" type="number" value="3"' in page.text


async def test_the_approver_of_the_level_decides_it_and_it_moves_to_the_next(
    client: Client, services: ToilServices
) -> None:
    cid = services.add("eve", "lea2", date=YESTERDAY.isoformat(), amount=4, note="on call")
    async with client("paula@acme.test") as paula:
        page = await paula.get("/toil")
        card = row(page, cid)
        assert card.startswith(f"Eve Example: 4 hours worked on {day(YESTERDAY)}")
        assert re.search(rf'action="/toil/{cid}/approve"[^>]*>\s*<input type="hidden" name='
                         r'"csrf_token" value="[^"]+"><input type="hidden" name="level" '
                         r'value="1">', page.text)  # fmt: skip
        done = await post(paula, f"/toil/{cid}/approve", level="1", note="thanks")
        assert services.admin.writes[-1] == (
            "POST", f"/v1/toil/{cid}/approve", {"note": "thanks", "level": 1}
        )  # fmt: skip
        assert "goes to its next level" in text_of(done.text)
        assert f'data-claim="{cid}"' not in done.text  # level 2 is not hers
    async with client("eve@acme.test") as eve:
        assert "Waiting for level 2 of 2: Ada Admin" in row(await eve.get("/toil"), cid)


async def test_a_stale_level_is_answered_with_a_sentence(
    client: Client, services: ToilServices
) -> None:
    cid = services.add("eve", "lea2", date=YESTERDAY.isoformat(), amount=4, note="on call")
    async with client("ada@acme.test") as ada:
        first = await post(ada, f"/toil/{cid}/approve", level="1")
        assert first.status_code == 200
        again = await post(ada, f"/toil/{cid}/approve", level="1")
        assert again.status_code == 409
        assert "decided or moved to its next level in the meantime" in again.text
        assert services.claims[cid]["approval"]["current_level"] == 2


async def test_a_denial_needs_a_note_and_then_shows_it_to_the_claimant(
    client: Client, services: ToilServices
) -> None:
    cid = services.add("eve", "lea2", date=YESTERDAY.isoformat(), amount=4, note="on call")
    async with client("paula@acme.test") as paula:
        bare = await post(paula, f"/toil/{cid}/deny", level="1")
        assert bare.status_code == 422
        assert "Say why in the note: the person reads it." in bare.text
        assert services.claims[cid]["status"] == "pending"
        await post(paula, f"/toil/{cid}/deny", level="1", note="not agreed beforehand")
    async with client("eve@acme.test") as eve:
        shown = row(await eve.get("/toil"), cid)
        assert "Denied at level 1 by Paula Approver: “not agreed beforehand”" in shown
        assert "Withdraw" not in shown


async def test_my_own_claim_is_never_mine_to_decide(client: Client, services: ToilServices) -> None:
    cid = services.add("paula", "lea2", date=YESTERDAY.isoformat(), amount=1, note="late")
    async with client("paula@acme.test") as paula:
        page = await paula.get("/toil")
        assert 'id="toil-to-decide"' not in page.text
        assert f'data-claim="{cid}"' in page.text  # in my claims


async def test_a_substitute_decides_the_claims_of_the_approver_they_stand_in_for(
    client: Client, services: ToilServices
) -> None:
    until = date.today() + timedelta(days=5)
    services.admin.base.people["sam@acme.test"] = ("sam", "approver")
    services.admin.records["employees"]["sam"] = {
        "id": "sam", "name": "Sam Stand-in", "email": "sam@acme.test", "role": "approver",
        "location_id": "loc1", "department_id": None, "start_date": None, "end_date": None,
        "active": True,
    }  # fmt: skip
    cid = services.add("eve", "lea2", date=YESTERDAY.isoformat(), amount=4, note="on call")
    async with client("sam@acme.test") as sam:
        assert f'data-claim="{cid}"' not in (await sam.get("/toil")).text
        services.substitutions = [
            {"id": "sub1", "approver_id": "paula", "substitute_id": "sam",
             "start_date": YESTERDAY.isoformat(), "end_date": until.isoformat()},
        ]  # fmt: skip
        page = await sam.get("/toil")
        assert f"For Paula Approver, while you substitute until {day(until, year=False)}" in row(
            page, cid
        )
        done = await post(sam, f"/toil/{cid}/approve", level="1")
        assert "goes to its next level" in text_of(done.text)
        over = [{**services.substitutions[0], "end_date": YESTERDAY.isoformat()}]
        services.substitutions = over
    second = services.add("eve", "lea2", date=YESTERDAY.isoformat(), amount=1, note="late")
    async with client("sam@acme.test") as sam:
        assert f'data-claim="{second}"' not in (await sam.get("/toil")).text


def claim(**fields: Any) -> dict[str, Any]:
    levels = [
        {"level": 1, "approver_ids": ["ana"], "status": "approved", "decided_by": "ana",
         "note": None},
        {"level": 2, "approver_ids": ["ben"], "status": "pending", "decided_by": None,
         "note": None},
    ]  # fmt: skip
    return {"employee_id": "eve", "status": "pending",
            "approval": {"current_level": 2, "levels": levels}, **fields}  # fmt: skip


PEOPLE = {"ana": {"name": "Ana"}, "ben": {"name": "Ben"}}


def test_where_a_claim_stands_level_by_level() -> None:
    assert standing(claim(), PEOPLE) == "Waiting for level 2 of 2: Ben"
    done = claim(status="approved")
    done["approval"]["levels"][1].update(status="approved", decided_by="ben")
    assert standing(done, PEOPLE) == "Approved by Ana and Ben"
    no = claim(status="denied")
    no["approval"]["levels"][1].update(status="denied", decided_by="ben", note="too late")
    assert standing(no, PEOPLE) == "Denied at level 2 by Ben: “too late”"
    assert standing({"status": "approved", "approval": None}, PEOPLE) == "Approved"
    nobody = claim()
    nobody["approval"]["levels"][1]["approver_ids"] = []
    assert standing(nobody, PEOPLE) == "Waiting for level 2 of 2: the admins"


def test_only_the_current_levels_approvers_and_admins_decide() -> None:
    assert i_decide(claim(), "ben", admin=False)
    assert not i_decide(claim(), "ana", admin=False)  # level 1 is done
    assert i_decide(claim(), "zoe", admin=True)
    assert not i_decide(claim(), "eve", admin=True)  # never one's own
    assert not i_decide(claim(status="approved"), "ben", admin=False)
