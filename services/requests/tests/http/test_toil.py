"""Time off in lieu claims through the API (issue 17): only for a type with a TOIL policy
at the person's location, decided by the department's approval levels like leave, seen
as leave requests are, and credited in balances by `ToilApproved` on the final approval.

Sales (Ana, Ben; Bob approves) at the Office; NOW is nine today (UTC)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from leaveflow_contracts import PolicyUpserted, ToilApproved, parse_data

from .conftest import NOW, Company

pytestmark = pytest.mark.asyncio(loop_scope="module")

TODAY = NOW.date()
WORKED = (TODAY - timedelta(days=3)).isoformat()


async def in_lieu(company: Company, *, requires_approval: bool = True, unit: str = "days") -> str:
    body = {"name": f"In lieu {unit} {requires_approval}", "unit": unit}
    body["requires_approval"] = requires_approval  # type: ignore[assignment]
    created = await company.ok("ada", "POST", "/v1/leave-types", body)
    policy = PolicyUpserted(
        location_id=company.ids["office"], leave_type_id=created["id"], active=True, toil=True
    )
    await company.api.deliver(policy, company.tenant_id)
    leave_type_id: str = created["id"]
    return leave_type_id


async def claim(company: Company, who: str, leave_type_id: str, **body: Any) -> httpx.Response:
    payload = {"leave_type_id": leave_type_id, "date": WORKED, "amount": 1, "note": "release"}
    payload.update(body)
    return await company.call(who, "POST", "/v1/toil", payload)


def accepted(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


async def credits(company: Company, toil_id: str) -> list[ToilApproved]:
    found = []
    for row in await company.api.store.fetch_unpublished(10_000):
        if row.envelope.tenant_id == company.tenant_id and row.envelope.type == "ToilApproved":
            data = parse_data(row.envelope)
            assert isinstance(data, ToilApproved)
            if data.toil_id == toil_id:
                found.append(data)
    return found


async def test_a_claim_is_pending_then_approved_and_credited(company: Company) -> None:
    toil = await in_lieu(company)
    made = accepted(await claim(company, "ana", toil, amount="1.5"))
    assert (made["status"], made["amount"], made["unit"], made["date"]) == (
        "pending",
        1.5,
        "days",
        WORKED,
    )
    assert made["approval"]["current_level"] == 1
    assert made["approval"]["levels"][0]["approver_ids"] == [company.ids["bob"]]
    assert await credits(company, made["id"]) == []
    url = f"/v1/toil/{made['id']}"
    # Nobody but a decider: not Ana herself, not Ben.
    assert (await company.call("ana", "POST", f"{url}/approve")).status_code == 403
    assert (await company.call("ben", "POST", f"{url}/approve")).status_code == 404
    approved = await company.ok("bob", "POST", f"{url}/approve", {"note": "thanks"})
    assert approved["status"] == "approved"
    assert approved["approval"]["levels"][0]["decided_by"] == company.ids["bob"]
    (credit,) = await credits(company, made["id"])
    assert (credit.employee_id, credit.leave_type_id, credit.date.isoformat()) == (
        company.ids["ana"],
        toil,
        WORKED,
    )
    assert (credit.amount, credit.approver_id, credit.note) == (
        Decimal("1.5"),
        company.ids["bob"],
        "release",
    )
    # Decided: a second approval is a 409, and nothing is credited twice.
    again = await company.call("bob", "POST", f"{url}/approve")
    assert again.status_code == 409, again.text
    assert len(await credits(company, made["id"])) == 1
    assert (await company.ok("ana", "GET", url))["status"] == "approved"


async def test_two_levels_decide_in_turn_and_a_deny_ends_it(company: Company) -> None:
    toil = await in_lieu(company)
    cy = {"name": "Cy", "email": "cy@acme.test", "role": "approver"}
    cy_id = (await company.ok("ada", "POST", "/v1/employees", cy))["id"]
    levels = {
        "approval_levels": [{"approver_ids": [company.ids["bob"]]}, {"approver_ids": [cy_id]}]
    }
    await company.ok("ada", "PATCH", f"/v1/departments/{company.ids['sales']}", levels)
    first = accepted(await claim(company, "ana", toil))
    url = f"/v1/toil/{first['id']}"
    after_bob = await company.ok("bob", "POST", f"{url}/approve", {"level": 1})
    assert (after_bob["status"], after_bob["approval"]["current_level"]) == ("pending", 2)
    assert await credits(company, first["id"]) == []
    # Bob's level is decided: the level he saw is no longer the current one.
    stale = await company.call("ada", "POST", f"{url}/approve", {"level": 1})
    assert stale.status_code == 409, stale.text
    done = await company.ok("ada", "POST", f"{url}/approve", {"level": 2})
    assert done["status"] == "approved"
    assert len(await credits(company, first["id"])) == 1
    second = accepted(await claim(company, "ben", toil))
    denied = await company.ok("bob", "POST", f"/v1/toil/{second['id']}/deny", {"note": "no"})
    assert denied["status"] == "denied"
    assert [lv["status"] for lv in denied["approval"]["levels"]] == ["denied", "skipped"]
    assert await credits(company, second["id"]) == []


async def test_a_type_without_a_toil_policy_is_refused(company: Company) -> None:
    refused = await claim(company, "ana", company.ids["vacation"])
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert error["field"] == "leave_type_id"
    assert "no TOIL policy" in error["message"]
    toil = await in_lieu(company)
    # Ana works Remote: the Office's policy does not hold there.
    remote = {"location_id": company.ids["remote"]}
    await company.ok("ada", "PATCH", f"/v1/employees/{company.ids['ana']}", remote)
    elsewhere = await claim(company, "ana", toil)
    assert elsewhere.status_code == 422, elsewhere.text
    unknown = await claim(company, "ben", "nope")
    assert unknown.json()["errors"][0]["field"] == "leave_type_id"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": (TODAY + timedelta(days=1)).isoformat()}, "date"),
        ({"amount": 0}, "amount"),
        ({"amount": 32}, "amount"),
        ({"amount": "0.001"}, "amount"),
        ({"note": ""}, "note"),
        ({"note": None}, "note"),
    ],
)
async def test_bad_claims_are_a_422_naming_the_field(
    company: Company, body: dict[str, Any], field: str
) -> None:
    toil = await in_lieu(company)
    refused = await claim(company, "ana", toil, **body)
    assert refused.status_code == 422, refused.text
    assert any(field in str(e["field"]) for e in refused.json()["errors"]), refused.text


async def test_hours_are_at_most_a_day(company: Company) -> None:
    toil = await in_lieu(company, unit="hours")
    accepted(await claim(company, "ana", toil, amount=24))
    refused = await claim(company, "ana", toil, amount=25)
    assert refused.json()["errors"][0]["field"] == "amount"


async def test_a_type_needing_no_approval_is_credited_at_once(company: Company) -> None:
    toil = await in_lieu(company, requires_approval=False)
    made = accepted(await claim(company, "ana", toil))
    assert (made["status"], made["approval"]) == ("approved", None)
    (credit,) = await credits(company, made["id"])
    assert credit.approver_id is None


async def test_claims_are_seen_as_leave_requests_are(company: Company) -> None:
    toil = await in_lieu(company)
    anas = accepted(await claim(company, "ana", toil))
    bens = accepted(await claim(company, "ben", toil))
    bobs = accepted(await claim(company, "bob", toil))

    async def ids(who: str, query: str = "") -> set[str]:
        page = await company.ok(who, "GET", f"/v1/toil{query}")
        return {c["id"] for c in page["items"]}

    assert await ids("ana") == {anas["id"]}
    assert await ids("bob") == {anas["id"], bens["id"], bobs["id"]}
    assert await ids("ada") == {anas["id"], bens["id"], bobs["id"]}
    assert await ids("ana", f"?employee_id={company.ids['ben']}") == set()
    assert await ids("bob", f"?employee_id={company.ids['ben']}") == {bens["id"]}
    assert await ids("ada", "?status=approved") == set()
    assert (await company.call("ana", "GET", f"/v1/toil/{bens['id']}")).status_code == 404
    assert (await company.call("bob", "GET", f"/v1/toil/{bens['id']}")).status_code == 200
    # Bob's own claim falls to the admins: he cannot decide it.
    assert (await company.call("bob", "POST", f"/v1/toil/{bobs['id']}/approve")).status_code == 403
    assert bobs["approval"]["levels"][0]["approver_ids"] == [company.ids["ada"]]


async def test_paging_walks_every_visible_claim(company: Company) -> None:
    toil = await in_lieu(company)
    made = {accepted(await claim(company, "ana", toil))["id"] for _ in range(5)}
    accepted(await claim(company, "ben", toil))
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        query = "/v1/toil?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await company.ok("ana", "GET", query)
        seen.extend(c["id"] for c in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)


async def test_an_approver_claims_for_their_people_only(company: Company) -> None:
    toil = await in_lieu(company)
    made = accepted(await claim(company, "bob", toil, employee_id=company.ids["ana"]))
    assert made["employee_id"] == company.ids["ana"]
    assert made["history"][0]["by"] == company.ids["bob"]
    other = await claim(company, "ana", toil, employee_id=company.ids["ben"])
    assert other.status_code == 403, other.text


async def test_the_claimant_or_an_admin_cancels_while_pending(company: Company) -> None:
    toil = await in_lieu(company)
    made = accepted(await claim(company, "ana", toil))
    url = f"/v1/toil/{made['id']}"
    assert (await company.call("bob", "POST", f"{url}/cancel")).status_code == 403
    cancelled = await company.ok("ana", "POST", f"{url}/cancel", {"note": "mistake"})
    assert cancelled["status"] == "cancelled"
    assert (await company.call("bob", "POST", f"{url}/approve")).status_code == 409
    approved = accepted(await claim(company, "ben", toil))
    await company.ok("bob", "POST", f"/v1/toil/{approved['id']}/approve")
    # Balances keeps a credit leave uses: its sentence is the 409's, the claim approved.
    sentence = "approved leave already uses 1 day of this time off in lieu: cancel that leave first"
    company.api.credits.keep[approved["id"]] = sentence
    late = await company.call("ada", "POST", f"/v1/toil/{approved['id']}/cancel")
    assert late.status_code == 409, late.text
    assert late.json()["detail"] == sentence
    again = await company.ok("ada", "GET", f"/v1/toil/{approved['id']}")
    assert again["status"] == "approved"
    assert all(t[2] != approved["id"] for t in company.api.credits.taken)


async def test_an_approved_claim_is_cancelled_once_balances_took_its_credit_back(
    company: Company,
) -> None:
    toil = await in_lieu(company)
    made = accepted(await claim(company, "ana", toil))
    url = f"/v1/toil/{made['id']}"
    await company.ok("bob", "POST", f"{url}/approve")
    assert (await company.call("bob", "POST", f"{url}/cancel")).status_code == 403
    cancelled = await company.ok("ana", "POST", f"{url}/cancel", {"note": "worked from home"})
    assert cancelled["status"] == "cancelled"
    assert cancelled["history"][-1]["from"] == "approved"
    assert (company.tenant_id, company.ids["ana"], made["id"], company.ids["ana"]) in (
        company.api.credits.taken
    )
    (event,) = [
        row.envelope
        for row in await company.api.store.fetch_unpublished(10_000)
        if row.envelope.type == "ToilCancelled" and row.envelope.data["toil_id"] == made["id"]
    ]
    assert (event.data["previous_status"], event.data["cancelled_by"]) == (
        "approved",
        company.ids["ana"],
    )
    assert (event.data["amount"], event.data["note"]) == ("1.00", "worked from home")
    # Cancelled is final: a second cancel is a 409 and asks balances nothing more.
    asked = len(company.api.credits.taken)
    assert (await company.call("ana", "POST", f"{url}/cancel")).status_code == 409
    assert len(company.api.credits.taken) == asked


async def test_a_move_to_another_department_replans_a_pending_claim(company: Company) -> None:
    toil = await in_lieu(company)
    cy = {"name": "Cy", "email": "cy@acme.test", "role": "approver"}
    cy_id = (await company.ok("ada", "POST", "/v1/employees", cy))["id"]
    body = {"name": "Ops", "approver_ids": [cy_id]}
    ops = await company.ok("ada", "POST", "/v1/departments", body)
    made = accepted(await claim(company, "ana", toil))
    assert made["approval"]["levels"][0]["approver_ids"] == [company.ids["bob"]]
    move = {"department_id": ops["id"]}
    await company.ok("ada", "PATCH", f"/v1/employees/{company.ids['ana']}", move)
    moved = await company.ok("ada", "GET", f"/v1/toil/{made['id']}")
    assert moved["approval"]["levels"][0]["approver_ids"] == [cy_id]


async def toil_events(company: Company, toil_id: str) -> list[dict[str, Any]]:
    return [
        {"type": row.envelope.type, **row.envelope.data}
        for row in await company.api.store.fetch_unpublished(10_000)
        if row.envelope.type.startswith("Toil") and row.envelope.data["toil_id"] == toil_id
    ]


async def test_each_level_waiting_and_the_decision_are_announced(company: Company) -> None:
    """For notifications: a claim's deciders are asked when it waits for a level (made,
    or the level before approved); its denial reaches the claimant."""
    toil = await in_lieu(company)
    levels = [{"approver_ids": [company.ids["bob"]]}, {"approver_ids": [company.ids["ada"]]}]
    url = f"/v1/departments/{company.ids['sales']}"
    await company.ok("ada", "PATCH", url, {"approval_levels": levels})
    made = accepted(await claim(company, "ana", toil, amount=2, note="Saturday release"))
    (asked,) = await toil_events(company, made["id"])
    assert asked["type"] == "ToilPending"
    assert (asked["employee_id"], asked["amount"], asked["note"]) == (
        company.ids["ana"],
        "2.00",
        "Saturday release",
    )
    assert asked["department_id"] == company.ids["sales"]
    assert (asked["approval"]["current_level"], asked["approval"]["deciders"]) == (
        1,
        [company.ids["bob"]],
    )
    await company.ok("bob", "POST", f"/v1/toil/{made['id']}/approve")
    second = (await toil_events(company, made["id"]))[-1]
    assert second["type"] == "ToilPending"
    assert (second["approval"]["current_level"], second["approval"]["deciders"]) == (
        2,
        [company.ids["ada"]],
    )
    await company.ok("ada", "POST", f"/v1/toil/{made['id']}/deny", {"note": "not overtime"})
    denied = (await toil_events(company, made["id"]))[-1]
    assert denied["type"] == "ToilDenied"
    assert (denied["approver_id"], denied["note"]) == (company.ids["ada"], "not overtime")
    assert [lv["status"] for lv in denied["approval"]["levels"]] == ["approved", "denied"]
    assert [e["type"] for e in await toil_events(company, made["id"])] == [
        "ToilPending",
        "ToilPending",
        "ToilDenied",
    ]
