"""Closing a leave year on the real stack: twice is once, and at the expiry only the
carried days that leave before it did not use go away."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_devstack.testing import Tenant, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

CLOSED = date.today().year - 1  # a leave year that has ended wherever the suite runs
NEXT = CLOSED + 1


def close(tenant: Tenant, year: int) -> httpx.Response:
    with tenant.client("balances") as http:
        return http.post("/v1/year-end", json={"year": year})


def jobs(tenant: Tenant, year: int) -> list[dict[str, Any]]:
    with tenant.client("balances") as http:
        return list(http.get(f"/v1/year-end/{year}").json()["jobs"])


def test_year_end_twice_is_once_and_expiry_takes_only_unused_carried_days(
    tenant: Tenant,
) -> None:
    location = tenant.location("Lisbon", timezone="Europe/Lisbon")
    vacation = tenant.leave_type(
        allowance=20,
        location_ids=[location],
        policy={"carryover_max": 5, "carryover_expiry_months": 3},
    )
    pat_id, _ = tenant.employee("Pat", location_id=location)

    # Two days in February of the new year, approved: they use carried days first.
    february = date(NEXT, 2, 2)
    while february.isoweekday() != 1:
        february += timedelta(days=1)
    with tenant.client("requests") as http:
        r = http.post(
            "/v1/leave-requests",
            json={
                "employee_id": pat_id,
                "leave_type_id": vacation,
                "start_date": february.isoformat(),
                "end_date": (february + timedelta(days=1)).isoformat(),
            },
        )
        assert r.status_code == 202, r.text
        request_id = r.json()["id"]
        eventually(
            lambda: http.get(f"/v1/leave-requests/{request_id}").json()["status"] == "pending",
            timeout=20,
            what="pending",
        )
        assert http.post(f"/v1/leave-requests/{request_id}/approve", json={}).status_code == 200

    with tenant.client("balances") as http:

        def balance(as_of: date) -> dict[str, Any]:
            r = http.get(f"/v1/balances/{pat_id}", params={"as_of": as_of.isoformat()})
            assert r.status_code == 200, r.text
            (only,) = r.json()["balances"]
            return dict(only)

        eventually(lambda: balance(february)["used"] == 2, timeout=20, what="deducted")
        assert close(tenant, NEXT + 5).status_code == 422  # not ended anywhere

        first = close(tenant, CLOSED)
        assert first.status_code == 202, first.text
        eventually(lambda: jobs(tenant, CLOSED)[0]["state"] == "done", timeout=30, what="closed")
        second = close(tenant, CLOSED)
        assert second.status_code == 202, second.text
        (job,) = jobs(tenant, CLOSED)
        assert (job["state"], job["carried"]) == ("done", 1)

        # 20 unused in the closed year, capped at 5, expiring three months in.
        before = balance(date(NEXT, 3, 31))
        assert (before["carried_over"], before["carryover_expires_on"]) == (
            5,
            f"{NEXT}-04-01",
        )
        after = balance(date(NEXT, 4, 1))
        assert (after["carried_over"], after["used"], after["remaining"]) == (2, 2, 20)

        ledger = http.get(f"/v1/ledger/{pat_id}", params={"to": f"{NEXT}-12-31"}).json()["items"]
        carried = [e for e in ledger if e["kind"] == "carryover"]
        assert [(e["amount"], e["effective_date"]) for e in carried] == [(5, f"{NEXT}-01-01")]
        (expiry,) = [e for e in ledger if e["kind"] == "carryover_expiry"]
        assert (expiry["amount"], expiry["effective_date"]) == (-3, f"{NEXT}-04-01")
        assert expiry["source_event_id"] == carried[0]["source_event_id"]
