"""An edit that would take more than is left is refused like a submission: balances
answers the edit (`LeaveRepriced.edit_id`) with `LeaveEditRejected`, and the request goes
back to what it was, announced as a re-pricing back (docs/adr/0011)."""

from __future__ import annotations

from typing import Any

import pytest

from leaveflow_contracts import LeaveEditRejected

from .conftest import Api, Company, day
from .test_approval_levels import events_of, pending, with_two_levels

pytestmark = pytest.mark.asyncio(loop_scope="module")


def refusal(repriced: dict[str, Any]) -> LeaveEditRejected:
    """What balances answers to the edit event `repriced` (from the outbox)."""
    return LeaveEditRejected(
        request_id=repriced["request_id"],
        edit_id=repriced["edit_id"],
        employee_id=repriced["employee_id"],
        leave_type_id=repriced["leave_type_id"],
        amount=repriced["amount"],
        old_amount=repriced["old_amount"],
        reason="insufficient_balance",
        available="1",
    )


async def last_event(company: Company, request_id: str) -> dict[str, Any]:
    return (await events_of(company.api.store, request_id))[-1]


async def test_a_refused_edit_puts_the_pending_request_back_with_its_approval(api: Api) -> None:
    company = await with_two_levels(api)
    request = await pending(company)
    url = f"/v1/leave-requests/{request['id']}"
    await company.ok("bob", "POST", f"{url}/approve")  # level 1 done: Cleo decides now
    edited = await company.ok("ana", "PATCH", url, {"end_date": day(4), "reason": "longer"})
    assert (edited["amount"], edited["approval"]["current_level"]) == (4.0, 1)
    asked = await last_event(company, request["id"])
    assert asked["type"] == "LeaveRepriced"
    assert asked["edit_id"]

    await company.api.deliver(refusal(asked), company.tenant_id)
    back = await company.ok("ana", "GET", url)
    assert (back["start_date"], back["end_date"], back["amount"]) == (day(0), day(1), 2.0)
    assert back["working_days"] == request["working_days"]
    assert back["reason"] == request["reason"]
    assert back["status"] == "pending"
    # Level 1's approval of the old dates holds again: no one decided since the edit.
    assert [lv["status"] for lv in back["approval"]["levels"]] == ["approved", "pending"]
    assert back["approval"]["current_level"] == 2
    said = back["history"][-1]
    assert (said["by"], said["to"]) == ("system", "pending")
    assert said["note"] == f"change to {day(0)} - {day(4)} (4) refused: insufficient_balance"
    undone = await last_event(company, request["id"])
    assert undone["type"] == "LeaveRepriced"
    assert (undone["start_date"], undone["end_date"], undone["amount"]) == (day(0), day(1), "2.00")
    assert (undone["old_start_date"], undone["old_end_date"]) == (day(0), day(4))
    assert (undone["old_amount"], undone["edit_id"], undone["edited_by"]) == ("4.00", None, None)
    assert undone["approval"]["deciders"] == [company.ids["cleo"]]
    # The same refusal again (a redelivery) changes nothing and announces nothing.
    count = len(await events_of(company.api.store, request["id"]))
    await company.api.deliver(refusal(asked), company.tenant_id)
    assert (await company.ok("ana", "GET", url))["end_date"] == day(1)
    assert len(await events_of(company.api.store, request["id"])) == count


async def test_a_decision_after_the_edit_is_kept_when_it_is_undone(api: Api) -> None:
    company = await with_two_levels(api)
    request = await pending(company)
    url = f"/v1/leave-requests/{request['id']}"
    await company.ok("ana", "PATCH", url, {"end_date": day(3)})
    asked = await last_event(company, request["id"])
    await company.ok("bob", "POST", f"{url}/approve")  # decided on the edited request
    await company.api.deliver(refusal(asked), company.tenant_id)
    back = await company.ok("ana", "GET", url)
    assert back["end_date"] == day(1)
    assert back["approval"]["current_level"] == 2, "Bob's decision stands"


async def test_refusals_of_two_edits_in_flight_go_back_to_before_both(company: Company) -> None:
    """Balances answers in order: the first edit refused, the second was checked against
    the dates before the first; refused too, the request goes back to those."""
    request = await pending(company, start_date=day(7), end_date=day(7))
    url = f"/v1/leave-requests/{request['id']}"
    await company.ok("ana", "PATCH", url, {"end_date": day(8)})
    first = await last_event(company, request["id"])
    await company.ok("ana", "PATCH", url, {"end_date": day(9)})
    second = await last_event(company, request["id"])
    await company.api.deliver(refusal(first), company.tenant_id)
    assert (await company.ok("ana", "GET", url))["end_date"] == day(9), "the later edit stands"
    await company.api.deliver(refusal(second), company.tenant_id)
    back = await company.ok("ana", "GET", url)
    assert (back["end_date"], back["amount"]) == (day(7), 1.0)


async def test_an_admins_refused_edit_of_approved_leave_stays_approved(company: Company) -> None:
    request = await pending(company)
    url = f"/v1/leave-requests/{request['id']}"
    await company.ok("bob", "POST", f"{url}/approve")
    await company.ok("ada", "PATCH", url, {"end_date": day(4)})
    asked = await last_event(company, request["id"])
    assert (asked["status"], asked["edited_by"]) == ("approved", company.ids["ada"])
    await company.api.deliver(refusal(asked), company.tenant_id)
    back = await company.ok("ada", "GET", url)
    assert (back["status"], back["end_date"], back["amount"]) == ("approved", day(1), 2.0)


async def test_a_refusal_for_a_request_cancelled_meanwhile_changes_nothing(
    company: Company,
) -> None:
    request = await pending(company)
    url = f"/v1/leave-requests/{request['id']}"
    await company.ok("ana", "PATCH", url, {"end_date": day(3)})
    asked = await last_event(company, request["id"])
    await company.ok("ana", "POST", f"{url}/cancel")
    await company.api.deliver(refusal(asked), company.tenant_id)
    back = await company.ok("ana", "GET", url)
    assert (back["status"], back["end_date"]) == ("cancelled", day(3))
    assert (await last_event(company, request["id"]))["type"] == "LeaveCancelled"
