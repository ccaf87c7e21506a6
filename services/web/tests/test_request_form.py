"""The request form, its preview and Home, in process against fake services.

The fake counts Monday to Friday as working days and answers balances per calendar leave
year, as the real services do for a location without holidays; every date is relative to
today, so the tests mean the same on any day.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_web.bootstrap import create_app
from leaveflow_web.request_preview import check_dates, split_at

from .conftest import WEB, FakeServices, csrf_of, employee_of, settings, sign_in

TODAY = date.today()


def next_weekday(after: date, weekday: int) -> date:
    ahead = (weekday - after.weekday()) % 7 or 7
    return after + timedelta(days=ahead)


MONDAY = next_weekday(TODAY + timedelta(days=7), 0)
FRIDAY = MONDAY + timedelta(days=4)

VACATION = {"id": "vac", "name": "Vacation", "unit": "days", "allow_half_days": True,
            "active": True, "location_ids": ["berlin"]}  # fmt: skip
DOCTOR = {"id": "doc", "name": "Doctor visit", "unit": "hours", "allow_half_days": False,
          "active": True, "location_ids": ["berlin"]}  # fmt: skip
ELSEWHERE = {"id": "far", "name": "Tel Aviv only", "unit": "days", "allow_half_days": True,
             "active": True, "location_ids": ["tlv"]}  # fmt: skip


def answer(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, json=body)


@dataclass
class LeaveServices(FakeServices):
    """The fake services plus the directory, working days, balances and requests."""

    locations: dict[str, str] = field(default_factory=lambda: {"eve": "berlin", "paula": ""})
    # available days of Vacation per leave year (calendar years here)
    available: dict[int, float] = field(default_factory=dict)
    submitted: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    ledger: list[dict[str, Any]] = field(default_factory=list)
    # leave types whose policy charges the weekends between days off ("sandwich")
    sandwich: set[str] = field(default_factory=set)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, who = request.url.path, employee_of(request)
        q = request.url.params
        if who is None or path.startswith("/v1/auth/") or path == "/v1/tenants":
            return super().__call__(request)
        self.calls.append(request)
        if path == f"/v1/employees/{who}":
            return answer(200, {"id": who, "location_id": self.locations.get(who) or None})
        if path.startswith("/v1/locations/"):
            return answer(200, {"id": path.rsplit("/", 1)[1], "timezone": "Europe/Berlin"})
        if path == "/v1/leave-types":
            return answer(200, {"items": [VACATION, DOCTOR, ELSEWHERE], "next_cursor": None})
        if path.startswith("/v1/leave-types/"):
            return answer(200, VACATION)
        if path == "/v1/working-days":
            return self._count(q)
        if path.startswith("/v1/balances/"):
            return self._balances(date.fromisoformat(q.get("as_of") or TODAY.isoformat()))
        if path == "/v1/leave-requests" and request.method == "POST":
            body = json.loads(request.content)
            self.submitted.append(body)
            dates = {"start_date": body["start_date"], "end_date": body["end_date"]}
            return answer(202, {"id": "new", "status": "submitted", "amount": 5, **dates})
        if path == "/v1/leave-requests":
            return answer(200, {"items": self.requests, "next_cursor": None})
        if path == "/v1/departments":
            return answer(200, {"items": [{"id": "eng", "approver_ids": ["paula"]}]})
        if path.startswith("/v1/ledger/"):
            return answer(200, {"items": self.ledger, "next_cursor": None})
        return answer(200, {"items": []})

    def _count(self, q: httpx.QueryParams) -> httpx.Response:
        start, end = date.fromisoformat(q["start_date"]), date.fromisoformat(q["end_date"])
        if end < start:
            errors = [{"field": "end_date", "message": "end_date is before start_date"}]
            return answer(422, {"title": "Unprocessable content", "status": 422, "errors": errors})
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        working = [d for d in days if d.weekday() < 5]
        sandwiched: list[date] = []
        if working and q.get("leave_type_id") in self.sandwich:
            sandwiched = [d for d in days if working[0] < d < working[-1] and d.weekday() >= 5]
        days = sorted(working + sandwiched)
        total = float(len(days))
        if days and q.get("start_part") in ("am", "pm") and days[0] == start:
            total -= 0.5
        if days and q.get("end_part") == "am" and days[-1] == end:
            total -= 0.5
        iso = [d.isoformat() for d in days]
        return answer(200, {"amount": total, "days": iso,
                            "sandwiched_days": [d.isoformat() for d in sandwiched]})  # fmt: skip

    def _balances(self, as_of: date) -> httpx.Response:
        year = as_of.year
        left = self.available.get(year, 20.0)
        line = {"leave_type_id": "vac", "unit": "days", "allowance": 25.0, "accrued": 25.0,
                "carried_over": 0.0, "carryover_expires_on": None, "adjustments": 0.0,
                "used": 25.0 - left, "pending": 0.0, "remaining": left, "available": left,
                "unlimited": False}  # fmt: skip
        return answer(200, {"employee_id": "eve", "as_of": as_of.isoformat(),
                            "leave_year": {"start": f"{year}-01-01", "end": f"{year}-12-31"},
                            "balances": [line]})  # fmt: skip


@pytest.fixture
def leave() -> LeaveServices:
    return LeaveServices()


@pytest.fixture
async def eve(leave: LeaveServices) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(), transport=httpx.MockTransport(leave))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        await sign_in(client, "eve@acme.test")
        yield client


def text_of(page: httpx.Response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))


async def preview(client: httpx.AsyncClient, **fields: str) -> str:
    page = await client.get("/partials/preview", params=fields)
    assert page.status_code == 200
    return text_of(page)


async def test_the_preview_follows_every_field_not_only_the_first_day(
    eve: httpx.AsyncClient,
) -> None:
    first = await preview(eve, leave_type_id="vac", start_date=MONDAY.isoformat())
    assert "1 day " in first
    week = await preview(
        eve, leave_type_id="vac", start_date=MONDAY.isoformat(), end_date=FRIDAY.isoformat()
    )
    assert "5 days" in week
    assert "Left after approval: 15 days" in week
    half = await preview(
        eve,
        leave_type_id="vac",
        start_date=MONDAY.isoformat(),
        end_date=FRIDAY.isoformat(),
        end_part="am",
    )
    assert "4.5 days" in half
    assert "Left after approval: 15.5 days" in half


async def test_hours_are_previewed_in_hours(eve: httpx.AsyncClient) -> None:
    shown = await preview(eve, leave_type_id="doc", start_date=MONDAY.isoformat(), hours="2")
    assert "2 hours" in shown
    assert "working day" not in shown
    missing = await preview(eve, leave_type_id="doc", start_date=MONDAY.isoformat())
    assert "Enter how many hours" in missing


async def test_a_past_first_day_is_refused_before_anything_is_sent(
    eve: httpx.AsyncClient, leave: LeaveServices
) -> None:
    past = TODAY - timedelta(days=3)
    shown = await preview(eve, leave_type_id="vac", start_date=past.isoformat())
    assert "The first day is in the past" in shown
    form = await eve.get("/")
    sent = await eve.post(
        "/requests",
        data={"csrf_token": csrf_of(form), "leave_type_id": "vac", "start_date": past.isoformat()},
    )
    assert sent.status_code == 422
    assert 'id="e-start_date"' in sent.text
    assert "in the past" in text_of(sent)
    assert leave.submitted == []


async def test_the_last_day_before_the_first_shows_once_at_its_field(
    eve: httpx.AsyncClient, leave: LeaveServices
) -> None:
    form = await eve.get("/")
    sent = await eve.post(
        "/requests",
        data={
            "csrf_token": csrf_of(form),
            "leave_type_id": "vac",
            "start_date": FRIDAY.isoformat(),
            "end_date": MONDAY.isoformat(),
        },
    )
    assert sent.status_code == 422
    assert text_of(sent).count("The last day is before the first day.") == 1
    assert 'id="e-end_date"' in sent.text
    assert "end_date" not in text_of(sent)
    assert leave.submitted == []


async def test_only_types_with_a_policy_at_my_location_are_offered(
    eve: httpx.AsyncClient, leave: LeaveServices
) -> None:
    home = await eve.get("/")
    assert "Vacation" in home.text
    assert "Tel Aviv only" not in home.text
    sent = await eve.post(
        "/requests",
        data={"csrf_token": csrf_of(home), "leave_type_id": "far", "start_date": str(MONDAY)},
    )
    assert "not offered at your location" in text_of(sent)
    assert leave.submitted == []


async def test_hours_and_parts_appear_only_for_types_that_use_them(
    eve: httpx.AsyncClient,
) -> None:
    home = await eve.get("/")
    assert 'name="hours"' not in home.text
    days = await eve.get("/partials/request-form", params={"leave_type_id": "vac"})
    assert 'name="start_part"' in days.text
    assert 'name="hours"' not in days.text
    hours = await eve.get("/partials/request-form", params={"leave_type_id": "doc"})
    assert 'name="hours"' in hours.text
    assert 'name="start_part"' not in hours.text
    assert 'name="end_date"' not in hours.text


async def test_a_request_over_new_year_shows_what_is_left_in_both_years(
    eve: httpx.AsyncClient, leave: LeaveServices
) -> None:
    year_end = date(TODAY.year + 1, 12, 31)
    start = year_end - timedelta(days=6)
    end = year_end + timedelta(days=7)
    leave.available = {year_end.year: 3.0, year_end.year + 1: 25.0}
    shown = await preview(
        eve, leave_type_id="vac", start_date=start.isoformat(), end_date=end.isoformat()
    )
    first = sum(1 for i in range(7) if (start + timedelta(days=i)).weekday() < 5)
    second = sum(1 for i in range(1, 8) if (year_end + timedelta(days=i)).weekday() < 5)
    assert f"in {year_end.year}:" in shown
    assert f"in {year_end.year + 1}:" in shown
    assert f"Left after approval in {year_end.year + 1}: {25 - second} days" in shown
    assert first == 5  # seven days in a row hold five weekdays
    assert "that is 2 days more than you have" in shown


async def test_submitting_sends_only_the_fields_of_the_type(
    eve: httpx.AsyncClient, leave: LeaveServices
) -> None:
    form = await eve.get("/")
    sent = await eve.post(
        "/requests",
        data={
            "csrf_token": csrf_of(form),
            "leave_type_id": "vac",
            "start_date": MONDAY.isoformat(),
            "end_date": FRIDAY.isoformat(),
            "start_part": "full",
            "end_part": "am",
            "hours": "3",
        },
    )
    assert sent.status_code == 200
    assert leave.submitted == [
        {
            "leave_type_id": "vac",
            "start_date": MONDAY.isoformat(),
            "end_date": FRIDAY.isoformat(),
            "end_part": "am",
        }
    ]
    assert "Requested: 5 days of Vacation" in text_of(sent)


async def test_balances_have_a_year_switch_and_say_when_overdrawn(
    eve: httpx.AsyncClient, leave: LeaveServices
) -> None:
    leave.available = {TODAY.year + 1: -2.5}
    this_year = text_of(await eve.get("/"))
    assert f"Leave year {TODAY.year}" in this_year
    assert "20 days available" in this_year
    nxt = await eve.get("/", params={"as_of": f"{TODAY.year + 1}-01-01"})
    shown = text_of(nxt)
    assert f"Leave year {TODAY.year + 1}" in shown
    assert "-2.5 days available" in shown
    assert "used 2.5 days more than you have" in shown
    assert "30.0" not in shown
    assert f'href="/?as_of={TODAY.year}-12-31"' in nxt.text


async def test_a_denial_note_reaches_my_requests(
    eve: httpx.AsyncClient, leave: LeaveServices
) -> None:
    leave.requests = [
        {"id": "r1", "leave_type_id": "vac", "start_date": MONDAY.isoformat(),
         "end_date": FRIDAY.isoformat(), "amount": 1.0, "unit": "days", "status": "denied",
         "history": [{"to": "denied", "note": "Release week"}]},
    ]  # fmt: skip
    shown = text_of(await eve.get("/"))
    assert "Denied: “Release week”" in shown
    assert "1 day" in shown
    assert "1 days" not in shown


async def test_the_ledger_reads_as_sentences(eve: httpx.AsyncClient, leave: LeaveServices) -> None:
    leave.requests = [
        {"id": "r1", "leave_type_id": "vac", "start_date": MONDAY.isoformat(),
         "end_date": FRIDAY.isoformat(), "amount": 5.0, "unit": "days", "status": "cancelled",
         "history": []},
    ]  # fmt: skip
    leave.ledger = [
        {"kind": "reservation", "amount": 5.0, "effective_date": MONDAY.isoformat(),
         "request_id": "r1", "reason": None},
        {"kind": "reservation_release", "amount": -5.0, "effective_date": MONDAY.isoformat(),
         "request_id": "r1", "reason": None},
    ]  # fmt: skip
    shown = text_of(await eve.get("/ledger/vac"))
    assert "Reserved for" in shown
    assert "Released (request cancelled)" in shown
    assert "-5 days" in shown  # taken from the balance
    assert "+5 days" in shown  # given back
    assert "reservation_release" not in shown
    assert "r1" not in shown


async def test_a_person_without_a_location_is_told_so(leave: LeaveServices) -> None:
    app = create_app(settings(), transport=httpx.MockTransport(leave))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        await sign_in(client, "paula@acme.test")
        shown = text_of(await client.get("/"))
    assert "You have no work location yet" in shown
    assert "No leave types yet" not in shown


def test_dates_are_judged_before_counting() -> None:
    values = {"start_date": MONDAY.isoformat(), "end_date": ""}
    judged = check_dates(values, TODAY, may_record_past=False, hours=False)
    assert judged.ok
    assert judged.end == MONDAY
    past = {"start_date": (TODAY - timedelta(days=1)).isoformat()}
    assert not check_dates(past, TODAY, may_record_past=False, hours=False).ok
    assert check_dates(past, TODAY, may_record_past=True, hours=False).ok


def test_a_request_splits_at_the_end_of_its_leave_year() -> None:
    year_end = date(TODAY.year, 12, 31)
    start, end = year_end - timedelta(days=2), year_end + timedelta(days=2)
    assert split_at(start, end, year_end) == [
        (start, year_end),
        (year_end + timedelta(days=1), end),
    ]
    assert split_at(start, year_end, year_end) == [(start, year_end)]


async def test_only_an_admin_may_record_past_leave_and_only_when_asked(
    leave: LeaveServices,
) -> None:
    leave.people["ada@acme.test"] = ("ada", "admin")
    leave.locations["ada"] = "berlin"
    past = next_weekday(TODAY - timedelta(days=14), 0)
    app = create_app(settings(), transport=httpx.MockTransport(leave))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        await sign_in(client, "ada@acme.test")
        home = await client.get("/")
        assert "Record past leave" in home.text
        refused = await preview(client, leave_type_id="vac", start_date=past.isoformat())
        assert "in the past" in refused
        recorded = await preview(
            client, leave_type_id="vac", start_date=past.isoformat(), record_past="on"
        )
        assert "1 day" in recorded
        assert "in the past" not in recorded


async def test_an_employee_is_not_offered_to_record_past_leave(eve: httpx.AsyncClient) -> None:
    home = await eve.get("/")
    assert "Record past leave" not in home.text
    past = (TODAY - timedelta(days=7)).isoformat()
    shown = await preview(eve, leave_type_id="vac", start_date=past, record_past="on")
    assert "in the past" in shown


async def test_an_approver_sees_what_is_left_in_the_leave_year_of_the_request(
    leave: LeaveServices,
) -> None:
    january = next_weekday(date(TODAY.year + 1, 1, 1), 0)
    leave.available = {TODAY.year: 3.0, TODAY.year + 1: 25.0}
    leave.requests = [
        {"id": "r9", "employee_id": "eve", "leave_type_id": "vac", "department_id": "eng",
         "start_date": january.isoformat(), "end_date": january.isoformat(), "amount": 1.0,
         "unit": "days", "status": "pending", "history": []},
    ]  # fmt: skip
    app = create_app(settings(), transport=httpx.MockTransport(leave))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        await sign_in(client, "paula@acme.test")
        shown = text_of(await client.get("/approvals"))
    assert "Left after approval: 24 days" in shown


async def test_the_preview_names_the_weekends_a_sandwich_rule_charges(
    eve: httpx.AsyncClient, leave: LeaveServices
) -> None:
    leave.sandwich = {"vac"}
    saturday, sunday = FRIDAY + timedelta(days=1), FRIDAY + timedelta(days=2)
    fields = {"leave_type_id": "vac", "start_date": FRIDAY.isoformat()}
    shown = await preview(eve, **fields, end_date=(FRIDAY + timedelta(days=3)).isoformat())
    assert "4 days" in shown
    named = f"{saturday:%a} {saturday.day} {saturday:%b}, {sunday:%a} {sunday.day} {sunday:%b}"
    assert f"Includes 2 non-working days your company counts as leave: {named}." in shown
    counted = [c for c in leave.calls if c.url.path == "/v1/working-days"]
    assert counted[-1].url.params["leave_type_id"] == "vac"

    german = await eve.get(
        "/partials/preview",
        params={**fields, "end_date": (FRIDAY + timedelta(days=3)).isoformat()},
        headers={"accept-language": "de"},
    )
    assert "Enthält 2 arbeitsfreie Tage, die Ihre Firma als Abwesenheit zählt" in text_of(german)

    plain = await preview(eve, **fields, end_date=FRIDAY.isoformat())
    assert "non-working" not in plain
    leave.sandwich = set()
    week = await preview(eve, **fields, end_date=(FRIDAY + timedelta(days=3)).isoformat())
    assert "2 days" in week
    assert "non-working" not in week


async def test_hours_are_counted_without_the_type_s_sandwich_rule(
    eve: httpx.AsyncClient, leave: LeaveServices
) -> None:
    leave.sandwich = {"doc"}
    shown = await preview(eve, leave_type_id="doc", start_date=MONDAY.isoformat(), hours="2")
    assert "2 hours" in shown
    counted = [c for c in leave.calls if c.url.path == "/v1/working-days"]
    assert "leave_type_id" not in counted[-1].url.params
