"""Private leave types (issue 15): sick leave is "Away" to everyone but the person, their
approvers and admins, in who's-off; every feed shows it as "Away"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from icalendar import Calendar

from ..conftest import Events

SOON = date(datetime.now(UTC).year, 1, 1) + timedelta(days=200)  # inside every feed's window
WINDOW = {"from": SOON.isoformat(), "to": (SOON + timedelta(days=9)).isoformat()}


async def company(events: Events) -> None:
    """Ana (e1, Engineering, approved by Boss) is off sick; Bo (e2, Sales) is on vacation."""
    await events.standard_directory()
    await events.department("d1", "Engineering", approver_ids=["boss"])
    await events.employee("e2", "Bo Berg", department_id="d2")
    await events.employee("boss", "Boss", role="approver", department_id=None)
    await events.employee("sam", "Sam", role="approver", department_id="d2")
    await events.leave_type("vac", "Vacation", color="#1f77b4")
    await events.leave_type("sick", "Sick leave", color="#d62728", private=True)
    await events.approved(
        "r1", leave_type_id="sick", start_date=SOON, end_date=SOON + timedelta(days=1)
    )
    await events.approved(
        "r2", employee_id="e2", department_id="d2", start_date=SOON, end_date=SOON
    )


async def items_for(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], who: str, role: str
) -> dict[str, dict[str, Any]]:
    response = await client.get("/v1/whos-off", params=WINDOW, headers=auth(who, role))
    assert response.status_code == 200, response.text
    return {i["request_id"]: i for i in response.json()["items"]}


@pytest.mark.parametrize(
    ("who", "role", "sees_type"),
    [
        ("e1", "user", True),  # the person
        ("boss", "approver", True),  # approves for Engineering
        ("admin", "admin", True),
        ("e2", "user", False),  # a colleague
        ("sam", "approver", False),  # approves for another department
    ],
)
async def test_a_private_type_is_away_to_all_but_the_person_approvers_and_admins(
    client: httpx.AsyncClient,
    events: Events,
    auth: Callable[..., dict[str, str]],
    who: str,
    role: str,
    sees_type: bool,
) -> None:
    await company(events)
    items = await items_for(client, auth, who, role)
    sick, vacation = items["r1"], items["r2"]
    assert (sick["employee_name"], sick["start_date"], sick["status"]) == (
        "Ana Lima",
        SOON.isoformat(),
        "approved",
    )
    assert sick["private"] is True
    if sees_type:
        shown = (sick["leave_type_id"], sick["leave_type_name"], sick["leave_type_color"])
        assert shown == ("sick", "Sick leave", "#d62728")
    else:
        assert (sick["leave_type_id"], sick["leave_type_name"], sick["leave_type_color"]) == (
            None,
            "Away",
            None,
        )
    # A public type shows by name and colour to everyone.
    assert (vacation["leave_type_name"], vacation["leave_type_color"], vacation["private"]) == (
        "Vacation",
        "#1f77b4",
        False,
    )


async def test_a_type_made_public_again_shows_its_name(
    client: httpx.AsyncClient, events: Events, auth: Callable[..., dict[str, str]]
) -> None:
    await company(events)
    assert (await items_for(client, auth, "e2", "user"))["r1"]["leave_type_name"] == "Away"
    await events.leave_type("sick", "Sick leave", color="#d62728", private=False)
    shown = (await items_for(client, auth, "e2", "user"))["r1"]
    assert (shown["leave_type_name"], shown["private"]) == ("Sick leave", False)


def summaries(body: bytes) -> dict[str, str]:
    calendar = Calendar.from_ical(body)
    return {str(e["UID"]): str(e["SUMMARY"]) for e in calendar.walk("VEVENT")}


@pytest.mark.parametrize(("who", "role"), [("admin", "admin"), ("e1", "user")])
async def test_every_feed_shows_private_leave_as_away(
    client: httpx.AsyncClient,
    events: Events,
    auth: Callable[..., dict[str, str]],
    who: str,
    role: str,
) -> None:
    await company(events)
    made = await client.post(
        "/v1/feeds", json={"scope": "employee", "scope_id": "e1"}, headers=auth(who, role)
    )
    assert made.status_code == 201, made.text
    tenant = await client.post("/v1/feeds", json={"scope": "tenant"}, headers=auth(who, role))
    for feed in (made.json(), tenant.json()):
        response = await client.get(feed["url"].removeprefix("http://cal.test"))
        assert response.status_code == 200
        shown = summaries(response.content)
        assert shown["leave-r1@leaveflow"] == "Ana Lima — Away"
        assert b"Sick leave" not in response.content
    assert shown["leave-r2@leaveflow"] == "Bo Berg — Vacation"


async def test_making_a_type_private_changes_the_feed_event(
    client: httpx.AsyncClient, events: Events, auth: Callable[..., dict[str, str]]
) -> None:
    await company(events)
    await events.leave_type("sick", "Sick leave", private=False)
    feed = (await client.post("/v1/feeds", json={"scope": "tenant"}, headers=auth())).json()
    url = feed["url"].removeprefix("http://cal.test")
    before = await client.get(url)
    assert summaries(before.content)["leave-r1@leaveflow"] == "Ana Lima — Sick leave"
    await events.leave_type("sick", "Sick leave", private=True)
    after = await client.get(url, headers={"if-none-match": before.headers["etag"]})
    assert after.status_code == 200
    assert summaries(after.content)["leave-r1@leaveflow"] == "Ana Lima — Away"
    assert (
        sequences(after.content)["leave-r1@leaveflow"]
        > sequences(before.content)["leave-r1@leaveflow"]
    )


def sequences(body: bytes) -> dict[str, int]:
    return {str(e["UID"]): int(str(e["SEQUENCE"])) for e in Calendar.from_ical(body).walk("VEVENT")}
