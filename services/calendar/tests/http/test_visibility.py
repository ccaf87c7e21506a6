"""Who sees what in the calendar, path x role x in/out of scope, in-process: approved leave
is the tenant's team calendar (no reasons, no notes); pending leave and department feeds
follow the visibility rule (admin: all; approver: their departments' people and
themselves; user: themselves)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from leaveflow_contracts import LeaveApproved, LeavePending, LeaveRequested
from leaveflow_kit.validation import MAX_DATE

from ..conftest import Events

LAST_DAY = MAX_DATE.isoformat()
PAST_LAST_DAY = (MAX_DATE + timedelta(days=1)).isoformat()

WINDOW = {"from": "2026-03-01", "to": "2026-03-31", "include_pending": "true"}
# What a who's-off item may hold: names, ids, dates, status; never a reason or a note.
ITEM_FIELDS = {
    "request_id",
    "employee_id",
    "employee_name",
    "department_id",
    "location_id",
    "leave_type_id",
    "leave_type_name",
    "leave_type_color",
    "private",
    "start_date",
    "end_date",
    "start_part",
    "end_part",
    "status",
}
ROLES = {"admin": "admin", "boss": "approver", "sam": "approver", "e1": "user", "e2": "user"}


async def company(events: Events) -> None:
    """Engineering (d1, approved by Boss) with Ana (e1); Sales (d2, approved by Sam) with
    Bo (e2). Pending: Ana's r1, Bo's r2, Boss's own r4; approved: Bo's r3."""
    await events.standard_directory()
    await events.department("d1", "Engineering", approver_ids=["boss"])
    await events.department("d2", "Sales", approver_ids=["sam"])
    await events.employee("e2", "Bo Berg", department_id="d2")
    await events.employee("boss", "Boss", role="approver", department_id=None)
    await events.employee("sam", "Sam", role="approver", department_id="d2")
    await events.employee("admin", "Ada", role="admin", department_id=None)
    ana = events.facts("r1")
    await events.deliver(LeaveRequested(**ana, reason="dentist: root canal"))
    await events.deliver(LeavePending(**ana))
    await events.deliver(LeavePending(**events.facts("r2", employee_id="e2", department_id="d2")))
    await events.deliver(LeavePending(**events.facts("r4", employee_id="boss", department_id=None)))
    day = date(2026, 3, 20)
    bo = events.facts("r3", employee_id="e2", department_id="d2", start_date=day, end_date=day)
    await events.deliver(LeaveRequested(**bo, reason="family matters"))
    await events.deliver(LeavePending(**bo))
    await events.deliver(LeaveApproved(**bo, approver_id="sam", note="get well soon"))


@pytest.mark.parametrize(
    ("who", "seen"),
    [
        ("admin", {"r1", "r2", "r3", "r4"}),
        ("boss", {"r1", "r3", "r4"}),  # Engineering's pending and their own, not Sales'
        ("sam", {"r2", "r3"}),  # Sales' (Sam is in Sales too), not Engineering's
        ("e1", {"r1", "r3"}),  # their own pending; the approved leave of everyone
        ("e2", {"r2", "r3"}),
    ],
)
async def test_whos_off_with_pending_is_scoped(
    client: httpx.AsyncClient,
    events: Events,
    auth: Callable[..., dict[str, str]],
    who: str,
    seen: set[str],
) -> None:
    await company(events)
    response = await client.get("/v1/whos-off", params=WINDOW, headers=auth(who, ROLES[who]))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    assert {i["request_id"] for i in items} == seen
    assert all(set(i) == ITEM_FIELDS for i in items)
    for secret in ("root canal", "family matters", "get well soon"):
        assert secret not in response.text
    # Without include_pending, everyone sees the same team calendar: approved leave only.
    plain = {k: v for k, v in WINDOW.items() if k != "include_pending"}
    approved = await client.get("/v1/whos-off", params=plain, headers=auth(who, ROLES[who]))
    assert [i["request_id"] for i in approved.json()["items"]] == ["r3"]


@pytest.mark.parametrize(
    ("who", "department", "status"),
    [
        ("admin", "d1", 201),
        ("admin", "d2", 201),
        ("boss", "d1", 201),
        ("boss", "d2", 403),
        ("sam", "d2", 201),
        ("sam", "d1", 403),
        ("e1", "d1", 403),  # a user, even of that department
        ("e2", "d1", 403),
    ],
)
async def test_a_department_feed_is_for_admins_and_its_approvers(
    client: httpx.AsyncClient,
    events: Events,
    auth: Callable[..., dict[str, str]],
    who: str,
    department: str,
    status: int,
) -> None:
    await company(events)
    body = {"scope": "department", "scope_id": department}
    response = await client.post("/v1/feeds", json=body, headers=auth(who, ROLES[who]))
    assert response.status_code == status, response.text
    if status == 403:
        assert response.headers["content-type"].startswith("application/problem+json")
        listed = await client.get("/v1/feeds", headers=auth(who, ROLES[who]))
        assert listed.json()["items"] == []


async def test_an_approver_listed_but_demoted_gets_no_department_feed(
    client: httpx.AsyncClient, events: Events, auth: Callable[..., dict[str, str]]
) -> None:
    await company(events)
    token = auth("boss", "approver")  # issued while Boss was an approver
    body = {"scope": "department", "scope_id": "d1"}
    # Demoted in the directory, still listed among Engineering's approvers.
    await events.employee("boss", "Boss", role="user", department_id=None)
    response = await client.post("/v1/feeds", json=body, headers=token)
    assert response.status_code == 403
    pending = await client.get("/v1/whos-off", params=WINDOW, headers=token)
    assert {i["request_id"] for i in pending.json()["items"]} == {"r3", "r4"}


async def test_callers_are_judged_by_their_standing_not_their_token(
    client: httpx.AsyncClient, events: Events, auth: Callable[..., dict[str, str]]
) -> None:
    await company(events)
    # A user's token of someone the directory made an admin acts as an admin.
    await events.employee("e2", "Bo Berg", role="admin", department_id="d2")
    response = await client.get("/v1/whos-off", params=WINDOW, headers=auth("e2", "user"))
    assert {i["request_id"] for i in response.json()["items"]} == {"r1", "r2", "r3", "r4"}
    # Someone whose last day has passed is refused; on their last day they are not (the
    # day of their location, Munich).
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    await events.employee("e1", "Ana Lima", end_date=today)
    assert (await client.get("/v1/feeds", headers=auth("e1", "user"))).status_code == 200
    await events.employee("e1", "Ana Lima", end_date=today - timedelta(days=1))
    refused = await client.get("/v1/feeds", headers=auth("e1", "user"))
    assert refused.status_code == 401
    # Someone the replica has not heard of yet: the token as it is.
    assert (await client.get("/v1/feeds", headers=auth("newcomer", "user"))).status_code == 200


async def test_a_department_feed_stops_when_its_owner_may_no_longer_follow_it(
    client: httpx.AsyncClient, events: Events, auth: Callable[..., dict[str, str]]
) -> None:
    await company(events)
    body = {"scope": "department", "scope_id": "d1"}
    made = await client.post("/v1/feeds", json=body, headers=auth("boss", "approver"))
    assert made.status_code == 201, made.text
    url = made.json()["url"].removeprefix("http://cal.test")
    assert (await client.get(url)).status_code == 200
    # Taken off Engineering's approvers: the URL answers 404 from the next fetch on.
    await events.department("d1", "Engineering", approver_ids=["someone-else"])
    assert (await client.get(url)).status_code == 404
    # Back among them, it works again (the feed was never deleted).
    await events.department("d1", "Engineering", approver_ids=["boss"])
    assert (await client.get(url)).status_code == 200
    # Demoted to user while still listed: 404 again.
    await events.employee("boss", "Boss", role="user", department_id=None)
    assert (await client.get(url)).status_code == 404
    # An admin's department feed lasts.
    admins = await client.post("/v1/feeds", json=body, headers=auth())
    theirs = admins.json()["url"].removeprefix("http://cal.test")
    assert (await client.get(theirs)).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "1899-12-31"}, "from"),
        ({"from": PAST_LAST_DAY}, "from"),
        ({"from": "2026-03-01", "to": "9999-12-31"}, "to"),
        ({"department_id": "x" * 5000}, "department_id"),
        ({"location_id": "x" * 201}, "location_id"),
    ],
)
async def test_whos_off_inputs_are_bounded(
    client: httpx.AsyncClient,
    events: Events,
    auth: Callable[..., dict[str, str]],
    params: dict[str, str],
    field: str,
) -> None:
    await company(events)
    response = await client.get("/v1/whos-off", params=params, headers=auth())
    assert response.status_code == 422, response.text
    assert any(field in str(e.get("field")) for e in response.json()["errors"]), response.json()


async def test_the_last_day_there_is_answers(
    client: httpx.AsyncClient, events: Events, auth: Callable[..., dict[str, str]]
) -> None:
    await company(events)
    params = {"from": (MAX_DATE - timedelta(days=6)).isoformat(), "to": LAST_DAY}
    response = await client.get("/v1/whos-off", params=params, headers=auth())
    assert response.status_code == 200, response.text
    alone = await client.get("/v1/whos-off", params={"from": LAST_DAY}, headers=auth())
    assert alone.status_code == 200, alone.text


@pytest.mark.parametrize("who", sorted(ROLES))
@pytest.mark.parametrize(
    "body",
    [
        {"scope": "tenant"},
        {"scope": "location", "scope_id": "l1"},
        {"scope": "employee", "scope_id": "e1"},
    ],
    ids=["tenant", "location", "employee"],
)
async def test_tenant_location_and_person_feeds_are_for_everyone(
    client: httpx.AsyncClient,
    events: Events,
    auth: Callable[..., dict[str, str]],
    who: str,
    body: dict[str, str],
) -> None:
    # They hold approved leave and holidays only: what whos-off shows the whole tenant.
    await company(events)
    response = await client.post("/v1/feeds", json=body, headers=auth(who, ROLES[who]))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("scope_id", [".", "..", "/", "a/b", "x y", "%2F"])
async def test_a_scope_id_that_is_not_an_id_is_refused_before_any_lookup(
    client: httpx.AsyncClient, events: Events, auth: Callable[..., dict[str, str]], scope_id: str
) -> None:
    # "." once reached requests as /v1/locations (the list: 200, "exists") and "/" as a
    # redirect (503): neither names one location.
    await company(events)
    body = {"scope": "location", "scope_id": scope_id}
    response = await client.post("/v1/feeds", json=body, headers=auth())
    assert response.status_code == 422, response.text
    assert any("scope_id" in str(e.get("field")) for e in response.json()["errors"])


async def test_every_approval_levels_approvers_see_the_department(
    client: httpx.AsyncClient, events: Events, auth: Callable[..., dict[str, str]]
) -> None:
    """Engineering's requests go to Boss (level 1), then to Head (level 2): Head decides
    them too, so sees Engineering's pending leave and may follow its feed; Sales' stays
    out of their sight."""
    await company(events)
    await events.employee("head", "Head", role="approver", department_id=None)
    await events.department("d1", "Engineering", approver_ids=["boss"], levels=[["boss"], ["head"]])
    token = auth("head", "approver")
    pending = await client.get("/v1/whos-off", params=WINDOW, headers=token)
    assert {i["request_id"] for i in pending.json()["items"]} == {"r1", "r3"}
    feed = {"scope": "department", "scope_id": "d1"}
    own = await client.post("/v1/feeds", json=feed, headers=token)
    assert own.status_code == 201, own.text
    other = await client.post("/v1/feeds", json={**feed, "scope_id": "d2"}, headers=token)
    assert other.status_code == 403
    # Level 1 keeps its sight as well: the shorthand and the levels are one list of deciders.
    boss = await client.get("/v1/whos-off", params=WINDOW, headers=auth("boss", "approver"))
    assert {i["request_id"] for i in boss.json()["items"]} == {"r1", "r3", "r4"}


async def test_an_approver_dropped_from_every_level_loses_the_department(
    client: httpx.AsyncClient, events: Events, auth: Callable[..., dict[str, str]]
) -> None:
    await company(events)
    await events.employee("head", "Head", role="approver", department_id=None)
    await events.department("d1", "Engineering", levels=[["boss"], ["head"]])
    await events.department("d1", "Engineering", levels=[["boss"]])
    pending = await client.get("/v1/whos-off", params=WINDOW, headers=auth("head", "approver"))
    assert {i["request_id"] for i in pending.json()["items"]} == {"r3"}
