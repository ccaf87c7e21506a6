"""The request form and the policy's rules (issue 17): what the preview can know from the
policy, the blackouts and the person's start date is shown before submitting, in place of
the amount; a warn-mode blackout lets the request through with a warning; what only the
requests service knows (the longest run, the department's coverage) comes back on submit
as a sentence next to the field."""

from __future__ import annotations

import html
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from leaveflow_web.bootstrap import create_app
from leaveflow_web.request_preview import submit_rule_sentence
from leaveflow_web.wording import date_range, day

from .conftest import WEB, csrf_of, employee_of, settings, sign_in
from .test_request_form import FRIDAY, MONDAY, LeaveServices, answer, text_of

# The preview counts notice from today at the location (Berlin), which is not the UTC
# date for an hour or two around midnight.
TODAY = datetime.now(ZoneInfo("Europe/Berlin")).date()


@dataclass
class RuledServices(LeaveServices):
    """``LeaveServices`` with a Vacation policy at Berlin, blackouts, Eve in Sales since
    ``started``, and a submit refusal to answer (``refusal``) when set."""

    policy: dict[str, Any] = field(default_factory=dict)
    blackouts: list[dict[str, Any]] = field(default_factory=list)
    started: str = "2020-01-06"
    refusal: httpx.Response | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, who = request.url.path, employee_of(request)
        if who is not None and path == f"/v1/employees/{who}":
            self.calls.append(request)
            return answer(200, {"id": who, "location_id": "berlin", "department_id": "sales",
                                "start_date": self.started})  # fmt: skip
        if who is not None and path == "/v1/policies":
            q = request.url.params
            wanted = q.get("location_id") == "berlin" and q.get("leave_type_id") == "vac"
            items = [{"location_id": "berlin", "leave_type_id": "vac", **self.policy}]
            return answer(200, {"items": items if wanted else [], "next_cursor": None})
        if who is not None and path == "/v1/blackouts":
            return answer(200, {"items": self.blackouts})
        if request.method == "POST" and path == "/v1/leave-requests" and self.refusal:
            self.submitted.append(json.loads(request.content))
            return self.refusal
        return super().__call__(request)


@pytest.fixture
def ruled() -> RuledServices:
    return RuledServices()


@pytest.fixture
async def eve(ruled: RuledServices) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(), transport=httpx.MockTransport(ruled))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        await sign_in(client, "eve@acme.test")
        yield client


async def preview(client: httpx.AsyncClient, start: str, end: str = "") -> str:
    page = await client.get(
        "/partials/preview", params={"leave_type_id": "vac", "start_date": start, "end_date": end}
    )
    assert page.status_code == 200
    return " ".join(html.unescape(text_of(page)).split())


def blackout(name: str, first: str, last: str, mode: str = "block", **lists: list[str]) -> Any:
    return {"id": name, "name": name, "start_date": first, "end_date": last, "mode": mode,
            "location_ids": [], "department_ids": [], "leave_type_ids": [], **lists}  # fmt: skip


async def test_too_little_notice_is_shown_before_submitting_with_the_earliest_day(
    eve: httpx.AsyncClient, ruled: RuledServices
) -> None:
    notice = (MONDAY - TODAY).days + 1
    ruled.policy = {"min_notice_days": notice}
    shown = await preview(eve, MONDAY.isoformat(), FRIDAY.isoformat())
    earliest = day(TODAY + timedelta(days=notice))
    assert (
        f"This leave type needs {notice} days' notice: the first day can be {earliest} at the "
        "earliest." in shown
    )
    assert "Left after approval" not in shown
    ruled.policy = {"min_notice_days": notice - 1}  # exactly enough
    assert "5 days" in await preview(eve, MONDAY.isoformat(), FRIDAY.isoformat())


async def test_a_last_day_too_far_ahead_is_shown_with_the_latest_day(
    eve: httpx.AsyncClient, ruled: RuledServices
) -> None:
    ahead = (FRIDAY - TODAY).days - 1
    ruled.policy = {"max_days_ahead": ahead}
    shown = await preview(eve, MONDAY.isoformat(), FRIDAY.isoformat())
    latest = day(TODAY + timedelta(days=ahead))
    assert f"at most {ahead} days ahead: the last day can be {latest} at the latest." in shown


async def test_leave_during_probation_is_shown_with_the_first_day_allowed(
    eve: httpx.AsyncClient, ruled: RuledServices
) -> None:
    ruled.started = (TODAY - timedelta(days=10)).isoformat()
    ruled.policy = {"probation_days": 90}
    shown = await preview(eve, MONDAY.isoformat())
    allowed = day(TODAY + timedelta(days=80))
    assert f"once the probation period is over: from {allowed} on." in shown


async def test_a_blocking_blackout_touching_only_the_last_day_is_shown_by_name(
    eve: httpx.AsyncClient, ruled: RuledServices
) -> None:
    ruled.blackouts = [
        blackout("Year-end close", FRIDAY.isoformat(), (FRIDAY + timedelta(days=7)).isoformat())
    ]
    shown = await preview(eve, MONDAY.isoformat(), FRIDAY.isoformat())
    days = date_range(FRIDAY, FRIDAY + timedelta(days=7))
    assert (
        f"Year-end close ({days}) is a blackout period: leave on these days is refused. "
        "Pick other days." in shown
    )
    # the days before it are fine
    assert "4 days" in await preview(eve, MONDAY.isoformat(), (FRIDAY - timedelta(1)).isoformat())


async def test_blackouts_of_other_departments_locations_or_types_do_not_apply(
    eve: httpx.AsyncClient, ruled: RuledServices
) -> None:
    first, last = MONDAY.isoformat(), FRIDAY.isoformat()
    ruled.blackouts = [
        blackout("Finance close", first, last, department_ids=["finance"]),
        blackout("Lisbon fair", first, last, location_ids=["lisbon"]),
        blackout("Sick leave audit", first, last, leave_type_ids=["sick"]),
    ]
    shown = await preview(eve, first, last)
    assert "5 days" in shown
    assert "blackout" not in shown


async def test_a_warning_blackout_lets_the_amount_show_with_its_warning(
    eve: httpx.AsyncClient, ruled: RuledServices
) -> None:
    ruled.blackouts = [
        blackout("Trade fair", MONDAY.isoformat(), MONDAY.isoformat(), "warn",
                 department_ids=["sales"], leave_type_ids=["vac"]),
    ]  # fmt: skip
    page = await eve.get(
        "/partials/preview",
        params={"leave_type_id": "vac", "start_date": MONDAY.isoformat(),
                "end_date": FRIDAY.isoformat()},
    )  # fmt: skip
    assert "5 days" in text_of(page)
    assert (
        '<p class="warning" data-testid="preview-warning">Trade fair '
        f"({day(MONDAY)}) is a blackout period: you may ask, and your approver sees a "
        "warning.</p>" in page.text
    )


def refused(status: int, slug: str, field_name: str, message: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={"type": f"https://leaveflow.dev/problems/{slug}", "title": "Refused",
              "status": status, "detail": message,
              "errors": [{"field": field_name, "message": message}]},
    )  # fmt: skip


async def submit(client: httpx.AsyncClient) -> httpx.Response:
    form = await client.get("/")
    return await client.post(
        "/requests",
        data={"csrf_token": csrf_of(form), "leave_type_id": "vac",
              "start_date": MONDAY.isoformat(), "end_date": FRIDAY.isoformat()},
    )  # fmt: skip


def error_at(page: httpx.Response, field_name: str) -> str:
    start = page.text.index(f'<small class="error" id="e-{field_name}">')
    return page.text[start : page.text.index("</small>", start)].split(">", 1)[1]


async def test_a_run_too_long_with_the_requests_next_to_it_is_explained_at_the_last_day(
    eve: httpx.AsyncClient, ruled: RuledServices
) -> None:
    ruled.refusal = refused(
        422, "validation-error", "end_date",
        "Vacation is at most 10 days in a row (max_consecutive): with the requests next to it "
        "this would be 12 days",
    )  # fmt: skip
    page = await submit(eve)
    assert page.status_code == 422
    assert error_at(page, "end_date") == (
        "This leave type is at most 10 days in a row; with your requests next to it this "
        "would be 12 days. Ask for fewer days."
    )
    assert "max_consecutive" not in page.text


async def test_a_full_department_is_refused_on_submit_naming_the_day(
    eve: httpx.AsyncClient, ruled: RuledServices
) -> None:
    ruled.refusal = refused(
        409, "coverage-limit", "start_date",
        f"Sales would have 2 people off on {MONDAY.isoformat()} (max_off is 1)",
    )  # fmt: skip
    page = await submit(eve)
    assert page.status_code == 422
    assert error_at(page, "start_date") == (
        f"Too many people of your department would be off on {day(MONDAY)} (at most 1 at "
        "once). Pick other days, or talk to your approver."
    )


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Vacation needs 1 day's notice (min_notice_days): the first day can be 2021-03-04 "
            "at the earliest",
            "This leave type needs more notice: the first day can be 4 Mar 2021 at the earliest.",
        ),
        (
            "Vacation can be asked for at most 30 days ahead (max_days_ahead): the last day "
            "can be 2021-03-04 at the latest",
            "This is too far ahead: the last day can be 4 Mar 2021 at the latest.",
        ),
        (
            "Vacation can be taken after the probation period (probation_days): from 2021-03-04 on",
            "This leave type can be taken once the probation period is over: from 4 Mar 2021 on.",
        ),
        (
            "Year-end close (2021-12-22 to 2021-12-31) is a blackout period: leave is refused",
            "Year-end close is a blackout period: leave on these days is refused. Pick other days.",
        ),
        (
            "Doctor is at most 8 hours in a row (max_consecutive): with the requests next to "
            "it this would be 9.5 hours",
            "This leave type is at most 8 hours in a row; with your requests next to it this "
            "would be 9.5 hours. Ask for fewer days.",
        ),
        ("end_date is before start_date", ""),
    ],
)
def test_each_rule_refusal_of_the_requests_service_reads_as_a_sentence(
    message: str, expected: str
) -> None:
    assert submit_rule_sentence(message) == expected
