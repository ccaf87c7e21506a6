"""The Blackouts page in process: admins add and remove any blackout, approvers only their
departments' (and are offered only those), everyone else reads the ones that concern them,
each with what its mode does in words; refusals are sentences at the field."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date, timedelta

import httpx
import pytest

from leaveflow_web.bootstrap import create_app
from leaveflow_web.entrypoints.blackouts import concerns
from leaveflow_web.wording import date_range

from .blackout_fakes import BlackoutServices
from .conftest import WEB, csrf_of, settings, sign_in

Client = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def services() -> BlackoutServices:
    services = BlackoutServices()
    directory = services.admin
    berlin = directory.add("locations", name="Berlin", timezone="UTC", workweek=[1, 2, 3, 4, 5])
    lisbon = directory.add("locations", name="Lisbon", timezone="UTC", workweek=[1, 2, 3, 4, 5])
    sales = directory.add("departments", name="Sales", approver_ids=["paula"])
    finance = directory.add("departments", name="Finance", approver_ids=["ada"])
    directory.add("leave-types", name="Vacation", unit="days")
    directory.records["employees"]["eve"].update(location_id=berlin, department_id=sales)
    directory.records["employees"]["paula"].update(location_id=lisbon, department_id=sales)
    assert (berlin, lisbon, sales, finance) == ("loc1", "loc2", "dep3", "dep4")
    return services


@pytest.fixture
def client(services: BlackoutServices) -> Client:
    @asynccontextmanager
    async def signed_in(email: str) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings(), transport=httpx.MockTransport(services))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=WEB) as c:
            signed = await sign_in(c, email)
            assert signed.status_code in (200, 303), signed.text
            yield c

    return signed_in


def soon(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def text_of(page: httpx.Response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page.text).split())


def row_text(page: httpx.Response, blackout_id: str) -> str:
    found = re.search(rf'<tr data-blackout="{blackout_id}">(.*?)</tr>', page.text, re.S)
    assert found is not None, blackout_id
    return " ".join(re.sub(r"<[^>]+>", " ", found[1]).split())


def listed(page: httpx.Response) -> list[str]:
    return re.findall(r'<tr data-blackout="([^"]+)">', page.text)


async def add(c: httpx.AsyncClient, **data: str | list[str]) -> httpx.Response:
    token = csrf_of(await c.get("/blackouts"))
    return await c.post("/blackouts", data={"csrf_token": token, **data})


async def test_an_admin_adds_a_blocking_blackout_for_the_whole_company(
    client: Client, services: BlackoutServices
) -> None:
    async with client("ada@acme.test") as ada:
        page = await add(
            ada, name="Year-end close", start_date=soon(20), end_date=soon(24), mode="block"
        )
        assert page.status_code == 200, page.text
        assert "Blackout Year-end close added." in page.text
        assert services.admin.writes[-1] == (
            "POST", "/v1/blackouts",
            {"name": "Year-end close", "start_date": soon(20), "end_date": soon(24),
             "mode": "block"},
        )  # fmt: skip
        (bid,) = services.blackouts
        assert row_text(page, bid) == (
            f"Year-end close {date_range(soon(20), soon(24))} Blocked : Leave touching these "
            "days is refused. every location; every department; every leave type Remove"
        )


async def test_a_warning_blackout_names_its_departments_and_types(
    client: Client, services: BlackoutServices
) -> None:
    async with client("ada@acme.test") as ada:
        page = await add(
            ada, name="Trade fair", start_date=soon(30), end_date=soon(31), mode="warn",
            department_ids=["dep3"], leave_type_ids=["lea5"],
        )  # fmt: skip
        assert page.status_code == 200, page.text
        body = services.admin.writes[-1][2]
        assert body["department_ids"] == ["dep3"]
        assert body["leave_type_ids"] == ["lea5"]
        (bid,) = services.blackouts
        assert "Warning : Leave can be asked for; approvers see a warning." in row_text(page, bid)
        assert "every location; Sales; Vacation" in row_text(page, bid)


async def test_a_last_day_before_the_first_is_refused_at_the_field_with_what_was_typed(
    client: Client,
) -> None:
    async with client("ada@acme.test") as ada:
        page = await add(ada, name="Audit", start_date=soon(10), end_date=soon(5), mode="warn")
        assert page.status_code == 422
        error = re.search(r'<small class="error" id="e-end_date">([^<]+)</small>', page.text)
        assert error is not None
        assert error[1] == "The last day is before the first day. Pick a last day on or after it."
        assert 'value="Audit"' in page.text
        assert re.search(r'id="f-mode-warn" name="mode" value="warn" checked', page.text)


async def test_an_approver_is_offered_only_their_departments_and_removes_only_those(
    client: Client, services: BlackoutServices
) -> None:
    company = services.add(name="Inventory", start_date=soon(3), end_date=soon(3))
    finance = services.add(name="Closing", start_date=soon(4), end_date=soon(4),
                           department_ids=["dep4"])  # fmt: skip
    ours = services.add(name="Launch", start_date=soon(5), end_date=soon(6),
                        department_ids=["dep3"])  # fmt: skip
    async with client("paula@acme.test") as paula:
        page = await paula.get("/blackouts")
        assert listed(page) == [company, finance, ours]  # they plan around all of them
        picker = page.text[page.text.index('id="pick-department_ids"') :]
        picker = picker[: picker.index("</fieldset>")]
        assert "Sales" in picker
        assert "Finance" not in picker
        assert "Tick at least one of the departments you approve for." in picker
        removable = re.findall(r'action="/blackouts/([^/]+)/remove"', page.text)
        assert removable == [ours]
        token = csrf_of(page)
        gone = await paula.post(f"/blackouts/{ours}/remove", data={"csrf_token": token,
                                                                   "name": "Launch"})  # fmt: skip
        assert "Blackout Launch removed: leave can be asked for again." in gone.text
        assert set(services.blackouts) == {company, finance}


async def test_an_approver_asking_for_a_company_wide_blackout_is_told_to_pick_a_department(
    client: Client, services: BlackoutServices
) -> None:
    async with client("paula@acme.test") as paula:
        page = await add(paula, name="Launch", start_date=soon(5), end_date=soon(6))
        assert page.status_code == 422
        assert services.blackouts == {}
        error = re.search(r'<small class="error" id="e-department_ids">([^<]+)</small>', page.text)
        assert error is not None
        assert "only for the departments you approve for" in error[1]


async def test_everyone_else_reads_only_the_blackouts_that_concern_them_and_cannot_add(
    client: Client, services: BlackoutServices
) -> None:
    everyone = services.add(name="Inventory", start_date=soon(3), end_date=soon(3))
    ours = services.add(name="Launch", start_date=soon(5), end_date=soon(6),
                        department_ids=["dep3"], mode="warn")  # fmt: skip
    services.add(name="Closing", start_date=soon(4), end_date=soon(4), department_ids=["dep4"])
    services.add(name="Lisbon fair", start_date=soon(7), end_date=soon(7), location_ids=["loc2"])
    async with client("eve@acme.test") as eve:
        page = await eve.get("/blackouts")
        assert page.status_code == 200
        assert listed(page) == [everyone, ours]
        assert 'id="blackout-form"' not in page.text
        assert "/remove" not in page.text
        assert 'href="/blackouts" aria-current="page"' in page.text


async def test_a_person_with_no_blackout_for_them_is_told_they_can_ask_any_day(
    client: Client, services: BlackoutServices
) -> None:
    services.add(name="Closing", start_date=soon(4), end_date=soon(4), department_ids=["dep4"])
    async with client("eve@acme.test") as eve:
        page = await eve.get("/blackouts")
        assert listed(page) == []
        assert "No blackouts concern you: you can ask for leave on any day." in page.text


@pytest.mark.parametrize(
    ("blackout", "applies"),
    [
        ({}, True),
        ({"location_ids": ["berlin"]}, True),
        ({"location_ids": ["lisbon"]}, False),
        ({"department_ids": ["sales", "ops"]}, True),
        ({"department_ids": ["ops"]}, False),
        ({"location_ids": ["berlin"], "department_ids": ["ops"]}, False),
    ],
)
def test_a_blackout_concerns_the_people_of_its_locations_and_departments(
    blackout: dict[str, list[str]], applies: bool
) -> None:
    assert concerns(blackout, {"location_id": "berlin", "department_id": "sales"}) is applies
