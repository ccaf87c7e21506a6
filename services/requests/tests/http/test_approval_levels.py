"""Approval levels through the API: departments' levels, who decides which level, the
events each decision records, substitutes, approvers on leave, and edits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from leaveflow_contracts import LeaveReserved
from leaveflow_kit.storage import Store
from leaveflow_kit.testing import FakeClock, deliver
from leaveflow_requests.bootstrap import event_handlers

from .conftest import NEXT_MONDAY, NOW, Api, Company, day, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def events_of(store: Store, request_id: str) -> list[dict[str, Any]]:
    """The request's events in the outbox, in order: type plus the data."""
    return [
        {"type": r.envelope.type, **r.envelope.data}
        for r in await store.fetch_unpublished(10_000)
        if r.envelope.data.get("request_id") == request_id
    ]


async def with_two_levels(api: Api) -> Company:
    """Sales: Bob decides level 1; Cleo (an approver outside Sales) decides level 2, for
    requests of at least 2 days."""
    company = await sign_up(api)
    ids = company.ids
    cleo = {"name": "Cleo", "email": f"cleo.{company.tenant_id}@acme.test", "role": "approver"}
    ids["cleo"] = (await company.ok("ada", "POST", "/v1/employees", cleo))["id"]
    login = {"tenant_id": company.tenant_id, "email": cleo["email"]}
    company.tokens["cleo"] = (await api.ok(None, "POST", "/v1/auth/dev-login", login))["token"]
    levels = [
        {"approver_ids": [ids["bob"]]},
        {"approver_ids": [ids["cleo"]], "min_amount": 2},
    ]
    await company.ok("ada", "PATCH", f"/v1/departments/{ids['sales']}", {"approval_levels": levels})
    return company


async def pending(
    company: Company, who: str = "ana", at: FakeClock | None = None, **body: Any
) -> dict[str, Any]:
    """A request of `who` that balances reserved (at the time of `at`, else the app's)."""
    request = (await company.submit(who, **body)).json()
    if at is None:
        await company.reserve(request)
    else:
        reserved = LeaveReserved(
            request_id=request["id"],
            employee_id=request["employee_id"],
            leave_type_id=request["leave_type_id"],
            amount=str(request["amount"]),
        )
        await deliver(company.api.store, event_handlers(at), reserved, tenant_id=company.tenant_id)
    found: dict[str, Any] = await company.ok(who, "GET", f"/v1/leave-requests/{request['id']}")
    assert found["status"] == "pending"
    return found


async def test_department_levels_are_echoed_and_announced(api: Api) -> None:
    company = await with_two_levels(api)
    ids = company.ids
    sales = await company.ok("ana", "GET", f"/v1/departments/{ids['sales']}")
    assert sales["approver_ids"] == [ids["bob"]]
    assert sales["approval_levels"] == [
        {"approver_ids": [ids["bob"]], "min_amount": None, "leave_type_ids": None},
        {"approver_ids": [ids["cleo"]], "min_amount": 2.0, "leave_type_ids": None},
    ]
    announced = [
        r.envelope.data
        for r in await api.store.fetch_unpublished(10_000)
        if r.envelope.type == "DepartmentUpserted"
        and r.envelope.data["department_id"] == ids["sales"]
    ][-1]
    assert announced["approver_ids"] == [ids["bob"]]
    assert [level["approver_ids"] for level in announced["approval_levels"]] == [
        [ids["bob"]],
        [ids["cleo"]],
    ]
    assert announced["approval_levels"][1]["min_amount"] == "2.00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"approval_levels": [{"approver_ids": []}]}, "approval_levels"),
        ({"approval_levels": [{"approver_ids": ["nobody"]}]}, "approval_levels"),
        ({"approval_levels": [{"approver_ids": ["@ana"]}]}, "approval_levels"),
        ({"approval_levels": [{"approver_ids": ["@bob"], "min_amount": -1}]}, "approval_levels"),
        (
            {"approval_levels": [{"approver_ids": ["@bob"], "leave_type_ids": ["nope"]}]},
            "approval_levels",
        ),
        (
            {"approver_ids": ["@ada"], "approval_levels": [{"approver_ids": ["@bob"]}]},
            "approver_ids",
        ),
    ],
)
async def test_invalid_levels_are_refused(
    company: Company, body: dict[str, Any], field: str
) -> None:
    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("@"):
            return company.ids[value[1:]]
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    response = await company.call(
        "ada", "PATCH", f"/v1/departments/{company.ids['sales']}", resolve(body)
    )
    assert response.status_code == 422, response.text
    assert field in response.text


async def test_both_forms_agreeing_are_accepted_and_the_shorthand_keeps_later_levels(
    api: Api,
) -> None:
    company = await with_two_levels(api)
    ids = company.ids
    url = f"/v1/departments/{ids['sales']}"
    same = {"approver_ids": [ids["bob"]], "approval_levels": [{"approver_ids": [ids["bob"]]}]}
    assert len((await company.ok("ada", "PATCH", url, same))["approval_levels"]) == 1
    levels = [{"approver_ids": [ids["bob"]]}, {"approver_ids": [ids["cleo"]]}]
    await company.ok("ada", "PATCH", url, {"approval_levels": levels})
    changed = await company.ok("ada", "PATCH", url, {"approver_ids": [ids["ada"]]})
    assert [level["approver_ids"] for level in changed["approval_levels"]] == [
        [ids["ada"]],
        [ids["cleo"]],
    ]
    assert changed["approver_ids"] == [ids["ada"]]


async def test_a_two_level_flow(api: Api) -> None:
    company = await with_two_levels(api)
    ids = company.ids
    request = await pending(company)  # two days: both levels apply
    assert request["approval"]["current_level"] == 1
    assert [
        (lv["level"], lv["approver_ids"], lv["status"]) for lv in request["approval"]["levels"]
    ] == [
        (1, [ids["bob"]], "pending"),
        (2, [ids["cleo"]], "waiting"),
    ]
    url = f"/v1/leave-requests/{request['id']}"
    # level 2's approver may not decide level 1, nor the requester
    assert (await company.call("cleo", "POST", f"{url}/approve")).status_code == 403
    assert (await company.call("ana", "POST", f"{url}/approve")).status_code == 403
    after_one = await company.ok("bob", "POST", f"{url}/approve", {"note": "fine by me"})
    assert after_one["status"] == "pending"
    assert after_one["approval"]["current_level"] == 2
    first = after_one["approval"]["levels"][0]
    assert (first["status"], first["decided_by"], first["note"]) == (
        "approved",
        ids["bob"],
        "fine by me",
    )
    assert (await company.call("bob", "POST", f"{url}/approve")).status_code == 403
    done = await company.ok("cleo", "POST", f"{url}/approve")
    assert done["status"] == "approved"
    assert done["approval"]["current_level"] is None
    events = await events_of(api.store, request["id"])
    types = [e["type"] for e in events]
    assert types == ["LeaveRequested", "LeavePending", "LeaveLevelApproved", "LeaveApproved"]
    pending_event, level_event, approved = events[1], events[2], events[3]
    assert pending_event["approval"]["deciders"] == [ids["bob"]]
    assert (level_event["level"], level_event["approver_id"]) == (1, ids["bob"])
    assert level_event["approval"]["current_level"] == 2
    assert level_event["approval"]["deciders"] == [ids["cleo"]]
    assert (approved["level"], approved["approver_id"]) == (2, ids["cleo"])
    assert approved["approval"]["deciders"] == []


async def test_a_short_request_skips_the_conditional_level(api: Api) -> None:
    company = await with_two_levels(api)
    request = await pending(company, end_date=day(0))  # one day: under min_amount 2
    assert len(request["approval"]["levels"]) == 1
    done = await company.ok("bob", "POST", f"/v1/leave-requests/{request['id']}/approve")
    assert done["status"] == "approved"


async def test_deny_at_level_two_denies_and_skips_nothing_after_it(api: Api) -> None:
    company = await with_two_levels(api)
    request = await pending(company)
    url = f"/v1/leave-requests/{request['id']}"
    await company.ok("bob", "POST", f"{url}/approve")
    denied = await company.ok("cleo", "POST", f"{url}/deny", {"note": "team offsite"})
    assert denied["status"] == "denied"
    assert [lv["status"] for lv in denied["approval"]["levels"]] == ["approved", "denied"]
    last = (await events_of(company.api.store, request["id"]))[-1]
    assert (last["type"], last["level"], last["note"]) == ("LeaveDenied", 2, "team offsite")


async def test_an_admin_decides_any_level(api: Api) -> None:
    company = await with_two_levels(api)
    request = await pending(company)
    url = f"/v1/leave-requests/{request['id']}"
    assert (await company.ok("ada", "POST", f"{url}/approve"))["approval"]["current_level"] == 2
    assert (await company.ok("ada", "POST", f"{url}/approve"))["status"] == "approved"


async def test_an_approver_of_a_later_level_sees_the_request(api: Api) -> None:
    company = await with_two_levels(api)
    request = await pending(company)
    seen = await company.ok("cleo", "GET", f"/v1/leave-requests/{request['id']}")
    assert seen["id"] == request["id"]
    listed = await company.ok("cleo", "GET", "/v1/leave-requests?status=pending")
    assert request["id"] in [r["id"] for r in listed["items"]]


async def test_the_requester_among_the_approvers_falls_to_the_others_then_the_admins(
    api: Api,
) -> None:
    company = await with_two_levels(api)
    ids = company.ids
    # Bob is in Sales himself: his own level 1 falls to the admins
    await company.ok("ada", "PATCH", f"/v1/employees/{ids['bob']}", {"department_id": ids["sales"]})
    request = await pending(company, who="bob")
    assert [lv["approver_ids"] for lv in request["approval"]["levels"]] == [
        [ids["ada"]],
        [ids["cleo"]],
    ]
    url = f"/v1/leave-requests/{request['id']}"
    assert (await company.call("bob", "POST", f"{url}/approve")).status_code == 403


async def test_a_removed_approver_can_no_longer_decide(api: Api) -> None:
    company = await with_two_levels(api)
    ids = company.ids
    request = await pending(company)
    levels = [{"approver_ids": [ids["ada"]]}, {"approver_ids": [ids["cleo"]], "min_amount": 2}]
    await company.ok("ada", "PATCH", f"/v1/departments/{ids['sales']}", {"approval_levels": levels})
    url = f"/v1/leave-requests/{request['id']}"
    assert (await company.call("bob", "POST", f"{url}/approve")).status_code == 403
    # the request keeps its levels (fixed when it became pending)
    kept = await company.ok("ada", "GET", url)
    assert kept["approval"]["levels"][0]["approver_ids"] == [ids["bob"]]


async def substitution(company: Company, who: str, **body: Any) -> Any:
    payload = {
        "approver_id": company.ids["bob"],
        "substitute_id": company.ids["cleo"],
        "start_date": NOW.date().isoformat(),
        "end_date": (NOW.date() + timedelta(days=3)).isoformat(),
    }
    payload.update(body)
    return await company.call(who, "POST", "/v1/substitutions", payload)


async def test_a_substitute_decides_while_the_substitution_holds(api: Api) -> None:
    company = await with_two_levels(api)
    ids = company.ids
    request = await pending(company, end_date=day(0))
    url = f"/v1/leave-requests/{request['id']}"
    assert (await company.call("cleo", "POST", f"{url}/approve")).status_code == 403
    created = await substitution(company, "bob")
    assert created.status_code == 201, created.text
    sub = created.json()
    assert (sub["approver_id"], sub["substitute_id"], sub["created_by"]) == (
        ids["bob"],
        ids["cleo"],
        ids["bob"],
    )
    assert (await company.ok("cleo", "GET", f"/v1/substitutions/{sub['id']}"))["id"] == sub["id"]
    listed = await company.ok("bob", "GET", "/v1/substitutions")
    assert [s["id"] for s in listed["items"]] == [sub["id"]]
    assert (await company.ok("ana", "GET", "/v1/substitutions"))["items"] == []
    assert (await company.call("ana", "GET", f"/v1/substitutions/{sub['id']}")).status_code == 404
    assert (await company.ok("cleo", "POST", f"{url}/approve"))["status"] == "approved"
    assert (await events_of(api.store, request["id"]))[-1]["approver_id"] == ids["cleo"]


async def test_a_substitute_is_among_the_deciders_only_while_it_holds(api: Api) -> None:
    company = await with_two_levels(api)
    later = {
        "start_date": (NOW.date() + timedelta(days=5)).isoformat(),
        "end_date": (NOW.date() + timedelta(days=6)).isoformat(),
    }
    assert (await substitution(company, "ada", **later)).status_code == 201
    request = await pending(company, end_date=day(0))
    pending_event = (await events_of(api.store, request["id"]))[1]
    assert pending_event["approval"]["deciders"] == [company.ids["bob"]]
    url = f"/v1/leave-requests/{request['id']}"
    assert (await company.call("cleo", "POST", f"{url}/approve")).status_code == 403


async def test_substitutions_are_named_by_the_approver_or_an_admin_and_removed_by_them(
    api: Api,
) -> None:
    company = await with_two_levels(api)
    assert (await substitution(company, "cleo")).status_code == 403
    assert (await substitution(company, "ana", approver_id=company.ids["ana"])).status_code == 422
    refused = await substitution(company, "bob", substitute_id=company.ids["ana"])
    assert refused.status_code == 422
    assert "substitute_id" in refused.text
    past = (NOW.date() - timedelta(days=2)).isoformat()
    over = await substitution(company, "bob", start_date=past, end_date=past)
    assert over.status_code == 422
    backwards = await substitution(company, "bob", start_date=day(3), end_date=day(1))
    assert backwards.status_code == 422
    sub = (await substitution(company, "ada")).json()
    url = f"/v1/substitutions/{sub['id']}"
    assert (await company.call("cleo", "DELETE", url)).status_code == 403
    assert (await company.call("bob", "DELETE", url)).status_code == 204
    assert (await company.call("bob", "GET", url)).status_code == 404


async def test_an_approver_on_leave_hands_their_decisions_to_the_others(
    make_api: Callable[..., Any],
) -> None:
    # Today is next Monday here, so that Bob's leave today is on a working day.
    monday = FakeClock(NOW + timedelta(days=(NEXT_MONDAY - NOW.date()).days))
    api = await make_api(app_clock=monday)
    company = await with_two_levels(api)
    ids = company.ids
    both = [{"approver_ids": [ids["bob"], ids["ada"]]}, {"approver_ids": [ids["cleo"]]}]
    url = f"/v1/departments/{ids['sales']}"
    await company.ok("ada", "PATCH", url, {"approval_levels": both})
    changed = await company.ok(
        "ada", "PATCH", f"/v1/employees/{ids['bob']}", {"when_on_leave": True}
    )
    assert changed["when_on_leave"] is True
    upserted = [
        r.envelope.data
        for r in await api.store.fetch_unpublished(10_000)
        if r.envelope.type == "EmployeeUpserted" and r.envelope.data["employee_id"] == ids["bob"]
    ][-1]
    assert upserted["when_on_leave"] is True
    before = await pending(company, at=monday, start_date=day(1), end_date=day(1))
    asked = (await events_of(api.store, before["id"]))[1]["approval"]["deciders"]
    assert set(asked) == {ids["bob"], ids["ada"]}
    # Bob's own leave today (he is in no department: the admins approve it)
    own = await pending(company, who="bob", at=monday, start_date=day(0), end_date=day(0))
    await company.ok("ada", "POST", f"/v1/leave-requests/{own['id']}/approve")
    # Now Cleo, the department's other approver, is asked in Bob's stead (with Ada)
    request = await pending(company, who="ben", at=monday, start_date=day(1), end_date=day(1))
    asked = (await events_of(api.store, request["id"]))[1]["approval"]["deciders"]
    assert set(asked) == {ids["cleo"], ids["ada"]}
    req_url = f"/v1/leave-requests/{request['id']}"
    moved = await company.ok("cleo", "POST", f"{req_url}/approve")
    assert moved["approval"]["current_level"] == 2
    # Bob is not asked while away, but may still decide his level
    bobs = await company.ok("bob", "POST", f"/v1/leave-requests/{before['id']}/approve")
    assert bobs["approval"]["current_level"] == 2


async def test_an_edit_of_a_pending_request_reprices_and_restarts_the_approval(api: Api) -> None:
    company = await with_two_levels(api)
    ids = company.ids
    request = await pending(company)
    url = f"/v1/leave-requests/{request['id']}"
    await company.ok("bob", "POST", f"{url}/approve")
    edited = await company.ok("ana", "PATCH", url, {"end_date": day(4), "reason": "longer"})
    # day(2) is the Office's extra holiday: Monday, Tuesday, Thursday, Friday
    assert (edited["amount"], edited["status"], edited["reason"]) == (4.0, "pending", "longer")
    assert edited["approval"]["current_level"] == 1
    assert [lv["status"] for lv in edited["approval"]["levels"]] == ["pending", "waiting"]
    repriced = (await events_of(api.store, request["id"]))[-1]
    assert repriced["type"] == "LeaveRepriced"
    assert (repriced["edited_by"], repriced["old_start_date"], repriced["old_end_date"]) == (
        ids["ana"],
        day(0),
        day(1),
    )
    assert (repriced["old_amount"], repriced["amount"], repriced["end_date"]) == (
        "2.00",
        "4.00",
        day(4),
    )
    assert repriced["status"] == "pending"
    assert repriced["approval"]["deciders"] == [ids["bob"]]
    # shrink to one day: the conditional level no longer applies
    shorter = await company.ok("ana", "PATCH", url, {"end_date": day(0)})
    assert len(shorter["approval"]["levels"]) == 1


async def test_edits_follow_the_rules_of_a_submission(company: Company) -> None:
    first = await pending(company)
    other = await pending(company, start_date=day(7), end_date=day(8))
    url = f"/v1/leave-requests/{other['id']}"
    # moving over its own days is no overlap; over another request's is
    moved = await company.ok("ana", "PATCH", url, {"start_date": day(8)})
    assert moved["amount"] == 1.0
    overlap = await company.call("ana", "PATCH", url, {"start_date": day(1)})
    assert overlap.status_code == 409, overlap.text
    assert (await company.call("ana", "PATCH", url, {"end_date": day(6)})).status_code == 422
    weekend = await company.call("ana", "PATCH", url, {"start_date": day(5), "end_date": day(6)})
    assert weekend.status_code == 422
    assert (await company.call("ana", "PATCH", url, {"start_date": None})).status_code == 422
    assert (await company.call("ben", "PATCH", url, {"end_date": day(9)})).status_code == 403
    assert (await company.call("bob", "PATCH", url, {"end_date": day(9)})).status_code == 403
    assert first["status"] == "pending"


async def test_an_admin_edits_an_approved_request_and_it_stays_approved(company: Company) -> None:
    request = await pending(company)
    url = f"/v1/leave-requests/{request['id']}"
    await company.ok("bob", "POST", f"{url}/approve")
    assert (await company.call("ana", "PATCH", url, {"end_date": day(0)})).status_code == 403
    edited = await company.ok("ada", "PATCH", url, {"end_date": day(0)})
    assert (edited["status"], edited["amount"]) == ("approved", 1.0)
    last = (await events_of(company.api.store, request["id"]))[-1]
    assert (last["type"], last["status"], last["edited_by"]) == (
        "LeaveRepriced",
        "approved",
        company.ids["ada"],
    )


async def test_a_decided_or_waiting_request_cannot_be_edited(company: Company) -> None:
    submitted = (await company.submit("ana")).json()
    url = f"/v1/leave-requests/{submitted['id']}"
    assert (await company.call("ana", "PATCH", url, {"end_date": day(0)})).status_code == 409
    await company.reserve(submitted)
    await company.ok("bob", "POST", f"{url}/deny", {"note": "no"})
    assert (await company.call("ada", "PATCH", url, {"end_date": day(0)})).status_code == 409
