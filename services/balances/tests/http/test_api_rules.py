"""The balances API's rules, in-process (milliseconds per call): what balances answer and
how the ledger explains them, lists and their pages, policies, overrides, adjustments and
the year end (test_api_refusals.py has the table of refusals).

The e2e suite keeps the cross-service paths; these exercise one app on the memory store,
with the requests service's events delivered straight to its handlers.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from leaveflow_contracts import LeaveRequested, new_id

from ..harness import weekdays
from .conftest import MARCH, NOW, THIS_YEAR, Api, Company, set_up, until

pytestmark = pytest.mark.asyncio(loop_scope="module")

BALANCE_FIELDS = [
    "leave_type_id",
    "unit",
    "allowance",
    "accrued",
    "carried_over",
    "carryover_expires_on",
    "adjustments",
    "used",
    "pending",
    "remaining",
    "available",
    "unlimited",
    "seniority",
    "label_extra",
    "toil_earned",
    "toil_expires_on",
]
ENTRY_FIELDS = [
    "id",
    "leave_type_id",
    "kind",
    "amount",
    "effective_date",
    "source_event_id",
    "request_id",
    "reason",
    "expires_on",
]


async def walk(company: Company, who: str, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, page by page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await company.ok(
            who, "GET", path, **params, **({"cursor": cursor} if cursor else {})
        )
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_a_balance_adds_up_as_the_api_defines_it(company: Company) -> None:
    ids = company.ids
    await company.take("ana", MARCH)
    await company.take("ana", weekdays(date(THIS_YEAR, 9, 1), 1), approve=False)
    adjustment = {
        "employee_id": ids["ana"],
        "leave_type_id": ids["vacation"],
        "amount": 1.5,
        "reason": "overtime",
        "effective_date": f"{THIS_YEAR}-04-01",
    }
    await company.ok("ada", "POST", "/v1/adjustments", adjustment)
    body = await company.ok("ana", "GET", f"/v1/balances/{ids['ana']}")
    assert (body["employee_id"], body["name"], body["as_of"]) == (
        ids["ana"],
        "Ana",
        NOW.date().isoformat(),
    )
    assert body["leave_year"] == {
        "label": THIS_YEAR,
        "start": f"{THIS_YEAR}-01-01",
        "end": f"{THIS_YEAR}-12-31",
    }
    (vacation,) = body["balances"]
    assert list(vacation) == BALANCE_FIELDS
    assert vacation == {
        "leave_type_id": ids["vacation"],
        "unit": "days",
        "allowance": 20.0,
        "accrued": 20.0,
        "carried_over": 0.0,
        "carryover_expires_on": None,
        "adjustments": 1.5,
        "used": 2.0,
        "pending": 1.0,
        "remaining": 19.5,
        "available": 18.5,
        "unlimited": False,
        "seniority": 0.0,
        "label_extra": 0.0,
        "toil_earned": 0.0,
        "toil_expires_on": None,
    }
    # remaining = accrued + carried_over + adjustments - used; available = remaining - pending
    assert vacation["remaining"] == 20 + 0 + 1.5 - 2
    assert vacation["available"] == vacation["remaining"] - vacation["pending"]


async def test_a_balance_as_of_another_day_and_where_nothing_is_offered(company: Company) -> None:
    ids = company.ids
    await company.take("ben", MARCH)
    assert (await company.balance("ben"))["used"] == 2.0
    # Last year's balance is last year's leave year: March of this year is not in it.
    last_year = await company.ok(
        "ada", "GET", f"/v1/balances/{ids['ben']}", as_of=f"{THIS_YEAR - 1}-12-31"
    )
    assert last_year["leave_year"]["label"] == THIS_YEAR - 1
    (vacation,) = last_year["balances"]
    assert (vacation["used"], vacation["remaining"]) == (0.0, 20.0)
    # Lisbon offers nothing: no balances, and its own leave year (from 1 July).
    lisbon = await company.ok("lu", "GET", f"/v1/balances/{ids['lu']}")
    assert lisbon["balances"] == []
    assert lisbon["leave_year"]["start"] == f"{THIS_YEAR - 1}-07-01"


async def test_the_ledger_explains_every_figure_of_the_balance(company: Company) -> None:
    ids = company.ids
    await company.take("ana", MARCH)
    pending = await company.take("ana", weekdays(date(THIS_YEAR, 9, 1), 1), approve=False)
    adjustment = {
        "employee_id": ids["ana"],
        "leave_type_id": ids["vacation"],
        "amount": -0.5,
        "reason": "correction",
        "effective_date": f"{THIS_YEAR}-05-04",
    }
    await company.ok("ada", "POST", "/v1/adjustments", adjustment)
    entries = await company.ok(
        "ana", "GET", f"/v1/ledger/{ids['ana']}", **{"from": f"{THIS_YEAR}-01-01"}
    )
    items = entries["items"]
    assert all(list(e) == ENTRY_FIELDS for e in items)
    assert all(e["source_event_id"] for e in items)
    assert [e["effective_date"] for e in items] == sorted(e["effective_date"] for e in items)
    by_kind: dict[str, Decimal] = defaultdict(Decimal)
    for entry in items:
        by_kind[entry["kind"]] += Decimal(str(entry["amount"]))
    balance = await company.balance("ana")
    assert by_kind["accrual"] == Decimal(str(balance["accrued"]))
    assert by_kind["adjustment"] == Decimal(str(balance["adjustments"]))
    assert by_kind["deduction"] - by_kind["restoration"] == Decimal(str(balance["used"]))
    reserved = by_kind["reservation"] - by_kind["reservation_release"]
    assert reserved == Decimal(str(balance["pending"])) == 1
    assert {e["request_id"] for e in items if e["kind"] == "reservation"} >= {pending}
    # A window and a leave type narrow it; pages walk it whole, in the same order.
    march = await company.ok(
        "ana",
        "GET",
        f"/v1/ledger/{ids['ana']}",
        leave_type_id=ids["vacation"],
        **{"from": MARCH[0].isoformat(), "to": MARCH[-1].isoformat()},
    )
    assert {e["kind"] for e in march["items"]} == {
        "reservation",
        "reservation_release",
        "deduction",
    }
    paged = await walk(
        company, "ana", f"/v1/ledger/{ids['ana']}", limit=2, **{"from": f"{THIS_YEAR}-01-01"}
    )
    assert paged == items
    other_type = await company.ok(
        "ana", "GET", f"/v1/ledger/{ids['ana']}", leave_type_id=ids["sick"]
    )
    assert other_type["items"] == []


async def test_lists_show_the_tenant_page_by_page_and_only_what_the_caller_may_see(
    api: Api, company: Company
) -> None:
    ids = company.ids
    await set_up(api)  # another company: never in this one's lists
    everyone = await walk(company, "ada", "/v1/balances", limit=2)
    assert sorted(b["employee_id"] for b in everyone) == sorted(
        ids[w] for w in ("ada", "bob", "ana", "ben", "cy", "lu")
    )
    first = await company.ok("ada", "GET", "/v1/balances", limit=2)
    assert len(first["items"]) == 2
    assert first["next_cursor"] is not None
    at_lisbon = await company.ok("ada", "GET", "/v1/balances", location_id=ids["lisbon"])
    assert [b["employee_id"] for b in at_lisbon["items"]] == [ids["lu"]]
    assert at_lisbon["next_cursor"] is None
    # Bob sees the people of the department he approves for, and asks for it by name.
    seen = await walk(company, "bob", "/v1/balances", limit=1)
    assert sorted(b["employee_id"] for b in seen) == sorted([ids["ana"], ids["ben"]])
    sales = await company.ok("bob", "GET", "/v1/balances", department_id=ids["sales"])
    assert sorted(b["employee_id"] for b in sales["items"]) == sorted([ids["ana"], ids["ben"]])
    as_of = await company.ok("ada", "GET", "/v1/balances", as_of=f"{THIS_YEAR - 1}-12-31", limit=1)
    assert as_of["items"][0]["as_of"] == f"{THIS_YEAR - 1}-12-31"


async def test_a_policy_is_set_announced_listed_and_withdrawn(company: Company) -> None:
    ids = company.ids
    path = f"/v1/policies/{ids['lisbon']}/{ids['vacation']}"
    body = {
        "annual_allowance": 24,
        "accrual": "monthly",
        "carryover_max": None,
        "carryover_expiry_months": 3,
        "negative_allowance": 2,
    }
    saved = await company.ok("ada", "PUT", path, body)
    assert saved == {
        "location_id": ids["lisbon"],
        "leave_type_id": ids["vacation"],
        "unit": "days",
        "annual_allowance": 24.0,
        "accrual": "monthly",
        "semimonthly_days": [1, 15],
        "biweekly_anchor": None,
        "accrue_at": "period_start",
        "prorate_first_year": True,
        "rounding": "half_day",
        "carryover_max": None,
        "carryover_expiry_months": 3,
        "negative_allowance": 2.0,
        "unlimited": False,
        "active": True,
        # Issue 17's rules and entitlements, absent: today's behaviour.
        "min_notice_days": None,
        "max_days_ahead": None,
        "max_consecutive": None,
        "probation_days": None,
        "sandwich": "off",
        "accrual_cap": None,
        "seniority": [],
        "seniority_from": "anniversary",
        "label_extra": [],
        "toil": None,
    }
    announced = [
        e for e in await company.api.outbox(company.tenant_id) if e.type == "PolicyUpserted"
    ]
    assert announced[-1].data["location_id"] == ids["lisbon"]
    assert announced[-1].data["active"] is True
    # Everyone in the tenant may read the policies; filters and pages narrow them.
    listed = await walk(company, "lu", "/v1/policies", limit=1)
    assert [(p["location_id"], p["leave_type_id"]) for p in listed] == sorted(
        [(ids["office"], ids["vacation"]), (ids["lisbon"], ids["vacation"])],
        key=lambda pair: f"{company.tenant_id}:{pair[0]}:{pair[1]}",
    )
    only = await company.ok("lu", "GET", "/v1/policies", location_id=ids["lisbon"])
    assert [p["annual_allowance"] for p in only["items"]] == [24.0]
    assert (await company.ok("lu", "GET", "/v1/policies", leave_type_id=ids["sick"]))["items"] == []
    # Lu now has a balance; once withdrawn the policy is gone from lists and balances.
    assert [
        b["leave_type_id"]
        for b in (await company.ok("lu", "GET", f"/v1/balances/{ids['lu']}"))["balances"]
    ] == [ids["vacation"]]
    assert (await company.call("ada", "DELETE", path)).status_code == 204
    assert (await company.call("ada", "DELETE", path)).status_code == 404
    withdrawn = [
        e for e in await company.api.outbox(company.tenant_id) if e.type == "PolicyUpserted"
    ]
    assert withdrawn[-1].data["active"] is False
    after = await company.ok("lu", "GET", "/v1/policies", location_id=ids["lisbon"])
    assert after["items"] == []
    assert (await company.ok("lu", "GET", f"/v1/balances/{ids['lu']}"))["balances"] == []


async def test_an_override_changes_one_persons_allowance_for_one_year(company: Company) -> None:
    ids = company.ids
    path = f"/v1/allowance-overrides/{ids['ana']}/{ids['vacation']}/{THIS_YEAR}"
    answer = await company.ok("ada", "PUT", path, {"annual_allowance": 25.5})
    assert answer == {
        "employee_id": ids["ana"],
        "leave_type_id": ids["vacation"],
        "year": THIS_YEAR,
        "annual_allowance": 25.5,
    }
    assert (await company.balance("ana"))["allowance"] == 25.5
    assert (await company.balance("ben"))["allowance"] == 20.0
    last_year = await company.balance("ana", as_of=f"{THIS_YEAR - 1}-06-01")
    assert last_year["allowance"] == 20.0


async def test_an_adjustment_is_booked_announced_and_shown(company: Company) -> None:
    ids = company.ids
    body = {
        "employee_id": ids["ana"],
        "leave_type_id": ids["vacation"],
        "amount": -2.25,
        "reason": "unrecorded days off",
        "effective_date": f"{THIS_YEAR}-02-03",
    }
    response = await company.call("ada", "POST", "/v1/adjustments", body)
    assert response.status_code == 201
    entry = response.json()
    assert list(entry) == ENTRY_FIELDS
    assert (entry["kind"], entry["amount"], entry["effective_date"]) == (
        "adjustment",
        -2.25,
        f"{THIS_YEAR}-02-03",
    )
    assert entry["reason"] == f"unrecorded days off (by {ids['ada']})"
    (event,) = [
        e for e in await company.api.outbox(company.tenant_id) if e.type == "BalanceAdjusted"
    ]
    assert event.event_id == entry["source_event_id"]
    assert (event.actor, event.data["entry_id"], event.data["amount"]) == (
        ids["ada"],
        entry["id"],
        "-2.25",
    )
    assert (await company.balance("ana"))["adjustments"] == -2.25
    ledger = await company.ok("ana", "GET", f"/v1/ledger/{ids['ana']}")
    assert entry in ledger["items"]


async def test_a_year_end_carries_days_where_the_year_has_ended_once(company: Company) -> None:
    ids = company.ids
    last_year = THIS_YEAR - 1
    # Ana took 3 days last year (17 left, 5 carried); the others took nothing (5 carried).
    await company.take("ana", weekdays(date(last_year, 10, 5), 3))
    started = await company.call("ada", "POST", "/v1/year-end", {"year": last_year})
    assert started.status_code == 202
    body = started.json()
    assert body["year"] == last_year
    assert [j["location_id"] for j in body["jobs"]] == [ids["office"]]
    # Lisbon's leave year (from 1 July) has not turned yet.
    assert body["skipped"] == [{"location_id": ids["lisbon"], "reason": "leave year not ended"}]
    status_path = f"/v1/year-end/{last_year}"

    async def done() -> bool:
        jobs = (await company.ok("ada", "GET", status_path))["jobs"]
        return bool(jobs) and jobs[0]["state"] == "done"

    await until(done)
    (job,) = (await company.ok("ada", "GET", status_path))["jobs"]
    assert job == {
        "location_id": ids["office"],
        "year": last_year,
        "state": "done",
        "processed": 5,  # everyone at the office
        "carried": 5,  # one Vacation carry-over each, capped at 5 days
    }
    ana = await company.balance("ana")
    assert ana["carried_over"] == 5.0
    (carried,) = [
        e
        for e in (await company.ok("ana", "GET", f"/v1/ledger/{ids['ana']}"))["items"]
        if e["kind"] == "carryover"
    ]
    assert (carried["amount"], carried["effective_date"]) == (5.0, f"{THIS_YEAR}-01-01")
    # Twice is the same as once.
    again = await company.ok("ada", "POST", "/v1/year-end", {"year": last_year})
    assert again["jobs"] == [job]
    assert (await company.balance("ana"))["carried_over"] == 5.0
    assert (await company.ok("ada", "GET", f"/v1/year-end/{last_year - 1}"))["jobs"] == []


async def test_year_ends_are_per_tenant(api: Api, company: Company) -> None:
    other = await set_up(api)
    last_year = THIS_YEAR - 1
    await company.ok("ada", "POST", "/v1/year-end", {"year": last_year})
    assert (await other.ok("ada", "GET", f"/v1/year-end/{last_year}"))["jobs"] == []


async def test_a_reservation_of_another_tenant_does_not_touch_this_ones_balance(
    api: Api, company: Company
) -> None:
    other = await set_up(api)
    request = company.facts("ana", new_id(), MARCH)
    await other.deliver(LeaveRequested(**request))  # an event of the other tenant
    assert (await company.balance("ana"))["pending"] == 0.0
