"""Cancelling an approved time-off-in-lieu claim through the real processes: requests asks
balances (its service-only route) to take the unused credit back, then cancels; a credit
approved leave uses is kept, and the 409 says why in a sentence; once that leave is
cancelled, the claim may go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

TODAY = datetime.now(UTC).date()  # the helper's locations are on UTC


def call(tenant: Tenant, token: str, method: str, path: str, **kw: Any) -> httpx.Response:
    with httpx.Client(base_url=tenant.urls["requests"], timeout=10) as http:
        http.headers["authorization"] = f"Bearer {token}"
        return http.request(method, path, **kw)


def balance(tenant: Tenant, employee_id: str, leave_type_id: str) -> dict[str, Any]:
    with tenant.client("balances") as http:
        r = http.get(f"/v1/balances/{employee_id}")
    assert r.status_code == 200, r.text
    (found,) = [b for b in r.json()["balances"] if b["leave_type_id"] == leave_type_id]
    return dict(found)


def next_weekday() -> str:
    day = TODAY + timedelta(days=7)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return day.isoformat()


def test_an_approved_claim_is_cancelled_only_while_its_credit_is_unused(
    stack: Stack, tenant: Tenant
) -> None:
    location = tenant.location("Linz")
    in_lieu = {"toil": {"expiry_months": 3}}
    toil = tenant.leave_type("In lieu", allowance=0, location_ids=[location], policy=in_lieu)
    pat_id, pat = tenant.employee("Pat", location_id=location)
    worked = (TODAY - timedelta(days=2)).isoformat()

    def approved_claim(amount: int) -> str:
        body = {"leave_type_id": toil, "date": worked, "amount": amount, "note": "release"}
        made = call(tenant, pat, "POST", "/v1/toil", json=body)
        assert made.status_code == 202, made.text
        toil_id = str(made.json()["id"])
        decided = call(tenant, tenant.token, "POST", f"/v1/toil/{toil_id}/approve", json={})
        assert decided.status_code == 200, decided.text
        return toil_id

    def earned(days: float) -> None:
        eventually(
            lambda: balance(tenant, pat_id, toil)["toil_earned"] == days,
            timeout=30,
            what=f"{days} days of TOIL in balances",
        )

    first = approved_claim(1)
    earned(1)
    cancelled = call(tenant, pat, "POST", f"/v1/toil/{first}/cancel", json={"note": "no"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    found = balance(tenant, pat_id, toil)
    assert (found["toil_earned"], found["available"]) == (0, 0), "taken back at once"

    second = approved_claim(1)
    earned(1)
    leave = {"leave_type_id": toil, "start_date": next_weekday(), "end_date": next_weekday()}
    submitted = call(tenant, pat, "POST", "/v1/leave-requests", json=leave)
    assert submitted.status_code == 202, submitted.text
    request_id = submitted.json()["id"]

    def status() -> str:
        return str(call(tenant, pat, "GET", f"/v1/leave-requests/{request_id}").json()["status"])

    eventually(lambda: status() == "pending", timeout=30, what="the leave pending")
    decided = call(tenant, tenant.token, "POST", f"/v1/leave-requests/{request_id}/approve")
    assert decided.status_code == 200, decided.text
    eventually(lambda: balance(tenant, pat_id, toil)["used"] == 1, timeout=30, what="the day used")
    kept = call(tenant, pat, "POST", f"/v1/toil/{second}/cancel", json={})
    assert kept.status_code == 409, kept.text
    assert kept.json()["detail"] == (
        "approved leave already uses 1 day of this time off in lieu: cancel that leave "
        "first, then this claim"
    )
    claim = call(tenant, pat, "GET", f"/v1/toil/{second}").json()
    assert claim["status"] == "approved"

    withdrawn = call(tenant, tenant.token, "POST", f"/v1/leave-requests/{request_id}/cancel")
    assert withdrawn.status_code == 200, withdrawn.text
    eventually(
        lambda: balance(tenant, pat_id, toil)["used"] == 0, timeout=30, what="the day restored"
    )
    gone = call(tenant, pat, "POST", f"/v1/toil/{second}/cancel", json={})
    assert gone.status_code == 200, gone.text
    assert balance(tenant, pat_id, toil)["toil_earned"] == 0
    with tenant.client("balances") as http:
        items = http.get(f"/v1/ledger/{pat_id}", params={"leave_type_id": toil}).json()["items"]
    credits = sorted(float(e["amount"]) for e in items if e["kind"] == "toil_credit")
    assert credits == [-1, -1, 1, 1]
