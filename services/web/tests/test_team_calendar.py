"""The team calendar page in process, over fake services: every active person of the filter
gets a row, each row its own location's week and holidays, paging for big teams, the
types' colours as a stylesheet (the CSP allows no inline style)."""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_web.bootstrap import create_app
from leaveflow_web.entrypoints.team import PAGE_SIZE
from leaveflow_web.month_grid import type_class

from .conftest import WEB, bearer_for, csrf_of, settings

TODAY = datetime.now(UTC).date()
# A Monday two weeks ahead, inside one month: the week view of it is asked explicitly.
MONDAY = TODAY + timedelta(days=14 - TODAY.weekday())
WEEK = {"view": "week", "date": MONDAY.isoformat()}
FRIDAY, SUNDAY = MONDAY + timedelta(days=4), MONDAY + timedelta(days=6)


def person(i: str, name: str, location: str, **more: Any) -> dict[str, Any]:
    return {
        "id": i,
        "name": name,
        "location_id": location,
        "department_id": more.pop("department_id", "eng"),
        "start_date": None,
        "end_date": None,
        "work_pattern": None,
        **more,
    }


@dataclass
class Directory:
    """The requests and calendar services as the page reads them."""

    employees: list[dict[str, Any]] = field(
        default_factory=lambda: [
            person("ana", "Ana Berlin", "ber"),
            person("noa", "Noa Tel Aviv", "tlv"),
            person("ole", "Ole Left", "ber", end_date=(MONDAY - timedelta(days=30)).isoformat()),
            person("sal", "Sal Sales", "ber", department_id="sales"),
        ]
    )
    absences: list[dict[str, Any]] = field(default_factory=list)
    holidays: dict[str, list[dict[str, str]]] = field(
        default_factory=lambda: {"tlv": [{"date": MONDAY.isoformat(), "name": "Purim"}]}
    )
    fail: set[str] = field(default_factory=set)
    calls: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        path = request.url.path
        if path == "/v1/auth/lookup":
            company = {"tenant_id": "t1", "company": "Acme", "employee_id": "ana", "role": "user"}
            return httpx.Response(200, json={"domain_sso": [], "companies": [company]})
        if path == "/v1/auth/sessions":
            token = bearer_for("ana")
            body = {"session_id": "s1", "refresh_token": "r1", "token": token}
            return httpx.Response(201, json={**body, "employee_id": "ana", "role": "user"})
        if path in self.fail:
            return httpx.Response(503, json={"title": "Unavailable", "status": 503})
        listed: dict[str, list[dict[str, Any]]] = {
            "/v1/employees": self.employees,
            "/v1/whos-off": self.absences,
            "/v1/departments": [
                {"id": "eng", "name": "Engineering"},
                {"id": "sales", "name": "Sales"},
            ],
            "/v1/locations": [
                {"id": "ber", "name": "Berlin", "workweek": [1, 2, 3, 4, 5]},
                {"id": "tlv", "name": "Tel Aviv", "workweek": [7, 1, 2, 3, 4]},
            ],
            "/v1/leave-types": [
                {"id": "vac", "name": "Vacation", "color": "#1f77b4"},
                {"id": "odd", "name": "Odd", "color": "url(javascript:x)"},
            ],
        }
        if path == "/v1/employees":
            # The list's own filters, as the requests service applies them.
            wanted = {k: request.url.params.get(k) for k in ("department_id", "location_id")}
            listed[path] = [
                e for e in self.employees if all(not v or e.get(k) == v for k, v in wanted.items())
            ]
        if path in listed:
            return httpx.Response(200, json={"items": listed[path], "next_cursor": None})
        one = next((e for e in self.employees if path == f"/v1/employees/{e['id']}"), None)
        if one is not None:
            return httpx.Response(200, json=one)
        found = re.fullmatch(r"/v1/locations/(\w+)/holidays", path)
        if found:
            return httpx.Response(200, json={"items": self.holidays.get(found.group(1), [])})
        return httpx.Response(404, json={"title": "Not Found", "status": 404})


@pytest.fixture
def directory() -> Directory:
    return Directory()


@pytest.fixture
async def web(directory: Directory) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(), transport=httpx.MockTransport(directory))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        page = await client.get("/signin")
        signed = await client.post(
            "/signin/dev", data={"csrf_token": csrf_of(page), "email": "ana@acme.test"}
        )
        assert signed.status_code == 303
        yield client


def rows(page: httpx.Response) -> dict[str, str]:
    """Each person's row: their name -> the row's HTML."""
    found = re.findall(r'<tr><th scope="row" class="person">([^<]+)(.*?)</tr>', page.text, re.S)
    return dict(found)


def cell_titles(row_html: str) -> list[str]:
    """What each day's cell says, in day order ("" for an ordinary working day)."""
    titles = []
    for cell in re.findall(r"<td([^>]*)>", row_html):
        found = re.search(r'title="([^"]*)"', cell)
        titles.append(found.group(1) if found else "")
    return titles


async def test_every_active_person_of_the_filter_has_a_row_with_or_without_leave(
    web: httpx.AsyncClient, directory: Directory
) -> None:
    page = await web.get("/team", params=WEEK)
    assert page.status_code == 200
    assert list(rows(page)) == ["Ana Berlin", "Noa Tel Aviv", "Sal Sales"]  # not Ole: gone
    sales = await web.get("/team", params={**WEEK, "department_id": "sales"})
    assert list(rows(sales)) == ["Sal Sales"]
    tel_aviv = await web.get("/team", params={**WEEK, "location_id": "tlv"})
    assert list(rows(tel_aviv)) == ["Noa Tel Aviv"]
    asked = [c for c in directory.calls if c.url.path == "/v1/whos-off"][-1]
    assert asked.url.params["location_id"] == "tlv"
    assert asked.url.params["include_pending"] == "true"
    assert (asked.url.params["from"], asked.url.params["to"]) == (
        MONDAY.isoformat(),
        SUNDAY.isoformat(),
    )


async def test_a_filtered_calendar_reads_only_the_filter_s_people_from_the_directory(
    web: httpx.AsyncClient, directory: Directory
) -> None:
    directory.employees += [
        person(f"x{i}", f"Other {i}", "tlv", department_id="ops") for i in range(3)
    ]
    sales = await web.get("/team", params={**WEEK, "department_id": "sales"})
    assert list(rows(sales)) == ["Sal Sales"]
    asked = [c.url.params for c in directory.calls if c.url.path == "/v1/employees"][-1]
    assert (asked["department_id"], asked.get("location_id", "")) == ("sales", "")
    both = await web.get("/team", params={**WEEK, "department_id": "ops", "location_id": "tlv"})
    assert list(rows(both)) == ["Other 0", "Other 1", "Other 2"]
    asked = [c.url.params for c in directory.calls if c.url.path == "/v1/employees"][-1]
    assert (asked["department_id"], asked["location_id"]) == ("ops", "tlv")


async def test_each_row_has_its_own_work_week_and_holidays(web: httpx.AsyncClient) -> None:
    page = await web.get("/team", params=WEEK)
    ana, noa = (cell_titles(rows(page)[n]) for n in ("Ana Berlin", "Noa Tel Aviv"))
    # Monday: Purim in Tel Aviv only (no merged header of every location's holidays).
    assert (ana[0], noa[0]) == ("", "Public holiday: Purim")
    # Friday: Berlin works, Tel Aviv does not; Sunday the other way round.
    assert (ana[4], noa[4]) == ("", "Not a working day")
    assert (ana[6], noa[6]) == ("Not a working day", "")
    assert "Purim" not in rows(page)["Ana Berlin"]


async def test_leave_shows_by_type_in_halves_with_words_and_codes(
    web: httpx.AsyncClient, directory: Directory
) -> None:
    directory.absences = [
        {
            "employee_id": "ana",
            "employee_name": "Ana Berlin",
            "leave_type_id": "vac",
            "leave_type_name": "Vacation",
            "leave_type_color": "#1f77b4",
            "private": False,
            "start_date": (MONDAY + timedelta(days=1)).isoformat(),
            "end_date": (MONDAY + timedelta(days=2)).isoformat(),
            "start_part": "pm",
            "end_part": "full",
            "status": "pending",
        },
        {
            "employee_id": "noa",
            "employee_name": "Noa Tel Aviv",
            "leave_type_id": None,
            "leave_type_name": "Away",
            "leave_type_color": None,
            "private": True,
            "start_date": (MONDAY + timedelta(days=2)).isoformat(),
            "end_date": (MONDAY + timedelta(days=2)).isoformat(),
            "start_part": "full",
            "end_part": "full",
            "status": "approved",
        },
    ]
    page = await web.get("/team", params=WEEK)
    ana, noa = (cell_titles(rows(page)[n]) for n in ("Ana Berlin", "Noa Tel Aviv"))
    waiting = "Vacation, waiting for approval"
    assert ana[1:3] == [f"Afternoon: {waiting}", waiting]
    assert noa[2] == "Away, approved"
    assert f"half pm {type_class('vac')} pending" in rows(page)["Ana Berlin"]
    assert "lt-away" in rows(page)["Noa Tel Aviv"]
    legend = page.text[page.text.index('id="legend-title"') :]
    assert "Vacation" in legend
    assert "Away" in legend
    assert "waiting for approval" in legend


async def test_big_teams_are_paged(web: httpx.AsyncClient, directory: Directory) -> None:
    directory.employees = [person(f"p{i:03}", f"Person {i:03}", "ber") for i in range(95)]
    first = await web.get("/team", params=WEEK)
    assert len(rows(first)) == PAGE_SIZE
    assert f"People 1–{PAGE_SIZE} of 95" in first.text
    last = await web.get("/team", params={**WEEK, "page": "3"})
    assert next(iter(rows(last))) == f"Person {2 * PAGE_SIZE:03}"
    assert len(rows(last)) == 95 - 2 * PAGE_SIZE
    assert "Next people" not in last.text
    # Holidays are asked once per location and year shown, not per person.
    holiday_calls = [c for c in directory.calls if c.url.path.endswith("/holidays")]
    assert len(holiday_calls) == 2 * len({MONDAY.year, SUNDAY.year})


async def test_the_month_view_has_every_day_weekday_letters_and_today(
    web: httpx.AsyncClient,
) -> None:
    page = await web.get("/team")
    days_in_month = calendar.monthrange(TODAY.year, TODAY.month)[1]
    assert page.text.count('<th scope="col" class="day') == days_in_month
    assert page.text.count('aria-current="date"') == 1
    assert "Today" in page.text
    letters = re.findall(r'<span class="letter">(\w)</span>', page.text)
    assert letters[TODAY.day - 1] == "MTWTFSS"[TODAY.weekday()]
    assert TODAY.strftime("%B %Y") in page.text


async def test_old_month_links_and_nonsense_still_show_a_calendar(web: httpx.AsyncClient) -> None:
    month = (TODAY.replace(day=1) + timedelta(days=40)).strftime("%Y-%m")
    page = await web.get("/team", params={"month": month})
    assert date.fromisoformat(month + "-01").strftime("%B %Y") in page.text
    odd = await web.get("/team", params={"view": "fortnight", "date": "x", "page": "-3"})
    assert odd.status_code == 200
    assert TODAY.strftime("%B %Y") in odd.text


async def test_when_the_directory_fails_those_off_still_show_and_a_sentence_says_why(
    web: httpx.AsyncClient, directory: Directory
) -> None:
    directory.fail = {"/v1/employees"}
    directory.absences = [
        {
            "employee_id": "ana",
            "employee_name": "Ana Berlin",
            "location_id": "ber",
            "leave_type_id": "vac",
            "leave_type_name": "Vacation",
            "start_date": MONDAY.isoformat(),
            "end_date": MONDAY.isoformat(),
            "status": "approved",
        }
    ]
    page = await web.get("/team", params=WEEK)
    assert list(rows(page)) == ["Ana Berlin"]
    assert "only people who are off are shown" in page.text
    assert "HTTP" not in page.text
    directory.fail = {"/v1/whos-off"}
    broken = await web.get("/team", params=WEEK)
    assert "could not be loaded just now" in broken.text
    assert "Unavailable" not in broken.text


async def test_the_types_colours_come_as_a_stylesheet_without_anything_unsafe(
    web: httpx.AsyncClient,
) -> None:
    page = await web.get("/team", params=WEEK)
    href = re.search(r'href="(/team/leave-types\.css\?v=\w+)"', page.text)
    assert href
    sheet = await web.get(href.group(1))
    assert sheet.status_code == 200
    assert sheet.headers["content-type"].startswith("text/css")
    assert f".{type_class('vac')}{{background-color:#1f77b4;color:#ffffff}}" in sheet.text
    assert "javascript" not in sheet.text
    assert f".{type_class('odd')}{{" in sheet.text  # a colour of its own instead


async def test_strangers_get_no_calendar_or_colours() -> None:
    app = create_app(settings(), transport=httpx.MockTransport(Directory()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        for path in ("/team", "/team/leave-types.css", "/partials/team"):
            answer = await client.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/signin")


async def test_the_live_partial_redraws_the_same_view(web: httpx.AsyncClient) -> None:
    page = await web.get("/team", params={**WEEK, "location_id": "tlv"})
    partial_url = re.search(r'hx-get="(/partials/team\?[^"]+)"', page.text)
    assert partial_url
    url = partial_url.group(1).replace("&amp;", "&")
    partial = await web.get(url)
    assert partial.status_code == 200
    assert list(rows(partial)) == ["Noa Tel Aviv"]
    assert "<html" not in partial.text
    assert json.dumps(MONDAY.isoformat()).strip('"') in url


def test_a_period_named_by_its_link_does_not_wait_for_today() -> None:
    from leaveflow_web.entrypoints.team import _anchored
    from leaveflow_web.month_grid import period_of

    month = MONDAY.strftime("%Y-%m")
    assert _anchored("month", month) == period_of("month", month, TODAY)
    assert _anchored("month", MONDAY.isoformat()) == period_of("month", month, TODAY)
    assert _anchored("week", MONDAY.isoformat()) == period_of("week", MONDAY.isoformat(), TODAY)
    assert _anchored("week", month) == period_of("week", month, TODAY)
    # Without an anchor, or with nonsense, the viewer's today decides.
    for view, anchor in (("month", ""), ("week", ""), ("month", "soon"), ("week", "2026-13")):
        assert _anchored(view, anchor) is None


async def test_who_is_off_is_asked_once_per_page_for_the_period_shown(
    web: httpx.AsyncClient, directory: Directory
) -> None:
    first = last_day = None
    for params in (WEEK, {"month": MONDAY.strftime("%Y-%m")}, {}):
        before = len(directory.calls)
        page = await web.get("/team", params=params)
        assert page.status_code == 200
        asked = [c.url.params for c in directory.calls[before:] if c.url.path == "/v1/whos-off"]
        assert len(asked) == 1
        first, last_day = asked[0]["from"], asked[0]["to"]
    assert first == TODAY.replace(day=1).isoformat()
    last = calendar.monthrange(TODAY.year, TODAY.month)[1]
    assert last_day == TODAY.replace(day=last).isoformat()
