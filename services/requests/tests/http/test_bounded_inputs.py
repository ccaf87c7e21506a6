"""Inputs bounded at the edge (issue 13): far dates, long zones, long ids and explicit nulls
are 422s naming the field, never a 500 nor a request that poisons another service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from leaveflow_kit.validation import MAX_DATE

from .conftest import NEXT_MONDAY, NOW, Api, Company, day

pytestmark = pytest.mark.asyncio(loop_scope="module")

LONG_ZONE = "Europe/" + "x" * 300


def fields(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    return [e["field"] for e in response.json()["errors"]]


def years_from_today(years: int, days: int = 0) -> str:
    today = NOW.date()
    return (
        today.replace(year=today.year + years, day=min(today.day, 28)) + timedelta(days)
    ).isoformat()


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("9999-12-30", "9999-12-31", "start_date"),  # the poison request of the issue
        (years_from_today(5, 40), years_from_today(5, 41), "start_date"),
        (years_from_today(-5, -40), years_from_today(-5, -40), "start_date"),
        (day(0), "9999-12-31", "end_date"),
        ("0001-01-01", day(0), "start_date"),
    ],
)
async def test_leave_far_from_today_is_refused_naming_the_date(
    company: Company, start: str, end: str, field: str
) -> None:
    assert field in fields(await company.submit("ana", start_date=start, end_date=end))


async def test_leave_years_ahead_but_within_five_is_accepted(company: Company) -> None:
    monday = NEXT_MONDAY + timedelta(weeks=4 * 52)  # about four years ahead, a Monday
    ahead = await company.submit("ben", start_date=monday.isoformat(), end_date=monday.isoformat())
    assert ahead.status_code == 202, ahead.text
    too_far = NEXT_MONDAY + timedelta(weeks=6 * 52)
    refused = await company.submit(
        "ben", start_date=too_far.isoformat(), end_date=too_far.isoformat()
    )
    assert "start_date" in fields(refused)


async def test_working_days_take_dates_the_service_can_count(company: Company) -> None:
    after = (MAX_DATE + timedelta(days=1)).isoformat()
    far = f"/v1/working-days?start_date={after}&end_date={after}"
    assert fields(await company.call("ada", "GET", far)) == ["start_date", "end_date"]


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("POST", "/v1/tenants", {"name": "Z", "admin_name": "Zed", "admin_email": "z@z.test"}),
        ("POST", "/v1/locations", {"name": "Far"}),
        ("PATCH", "/v1/locations/{office}", {}),
    ],
)
async def test_a_very_long_time_zone_is_a_422(
    company: Company, method: str, url: str, body: dict[str, Any]
) -> None:
    token = None if url == "/v1/tenants" else company.tokens["ada"]
    call = await company.api.call(
        token, method, url.format(**company.ids), {**body, "timezone": LONG_ZONE}
    )
    assert fields(call) == ["timezone"]
    assert LONG_ZONE not in call.text  # the detail does not echo all of it


@pytest.mark.parametrize("field", ["name", "timezone", "workweek", "leave_year_start"])
async def test_patching_a_location_with_null_names_the_field(company: Company, field: str) -> None:
    call = await company.call(
        "ada", "PATCH", f"/v1/locations/{company.ids['office']}", {field: None}
    )
    assert fields(call) == [field]


async def test_null_extra_holidays_and_holidays_clear_them(company: Company) -> None:
    url = f"/v1/locations/{company.ids['office']}"
    before = await company.ok("ada", "GET", url)
    assert before["extra_holidays"] != []
    after = await company.ok("ada", "PATCH", url, {"extra_holidays": None, "holidays": None})
    assert (after["extra_holidays"], after["holidays"]) == ([], None)
    assert after["name"] == before["name"]


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        (
            "POST",
            "/v1/employees",
            {"name": "E", "email": "e@a.test", "start_date": "0999-01-01"},
            "start_date",
        ),
        (
            "POST",
            "/v1/employees",
            {"name": "E", "email": "e@a.test", "slack_user_id": "U" * 101},
            "slack_user_id",
        ),
        ("POST", "/v1/locations", {"name": "N" * 201}, "name"),
        (
            "POST",
            "/v1/locations",
            {"name": "X", "extra_holidays": [{"date": "9999-01-01", "name": "x"}]},
            "extra_holidays.0.date",
        ),
        ("POST", "/v1/auth/dev-login", {"tenant_id": "t" * 101, "email": "a@a.test"}, "tenant_id"),
    ],
)
async def test_strings_and_dates_have_maxima(
    api: Api, company: Company, method: str, url: str, body: dict[str, Any], field: str
) -> None:
    assert fields(await company.call("ada", method, url, body)) == [field]


async def test_list_queries_are_bounded(company: Company) -> None:
    long_id = await company.call("ada", "GET", "/v1/leave-requests?employee_id=" + "e" * 101)
    assert fields(long_id) == ["employee_id"]
    far = await company.call("ada", "GET", "/v1/leave-requests?from=9999-01-01")
    assert fields(far) == ["from"]
