"""An edit that would take more than is left, through the real processes (issue 16's
"same validations as submit"; docs/adr/0011): balances refuses it, requests puts the
request back with its old dates, price and approval, and the balance holds what it did;
an admin's edit of approved leave likewise. An edit that fits is booked."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

YEAR = date.today().year + 1  # ahead: the leave has not started


def weekdays(start: date, n: int) -> list[date]:
    out: list[date] = []
    day = start
    while len(out) < n:
        if day.isoweekday() <= 5:
            out.append(day)
        day += timedelta(days=1)
    return out


class Office:
    """Pat, with 10 days of Vacation, in Sales, which Lee approves."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        office = tenant.location("Office")
        self.vacation = tenant.leave_type(allowance=10, location_ids=[office])
        self.lee, self.lee_token = tenant.employee("Lee", role="approver", location_id=office)
        with tenant.client("requests") as http:
            r = http.post("/v1/departments", json={"name": "Sales", "approver_ids": [self.lee]})
        assert r.status_code == 201, r.text
        self.pat, self.pat_token = tenant.employee(
            "Pat", location_id=office, department_id=r.json()["id"]
        )

    def call(self, token: str, method: str, path: str, **kw: Any) -> Any:
        with self.tenant.client("requests") as http:
            http.headers["authorization"] = f"Bearer {token}"
            return http.request(method, path, **kw)

    def ok(self, token: str, method: str, path: str, **kw: Any) -> dict[str, Any]:
        r = self.call(token, method, path, **kw)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return dict(r.json())

    def pending_request(self, first: date, last: date) -> str:
        body = {
            "leave_type_id": self.vacation,
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
        }
        request_id = str(self.ok(self.pat_token, "POST", "/v1/leave-requests", json=body)["id"])
        eventually(lambda: self.read(request_id)["status"] == "pending", timeout=20, what="pending")
        return request_id

    def read(self, request_id: str) -> dict[str, Any]:
        return self.ok(self.tenant.token, "GET", f"/v1/leave-requests/{request_id}")

    def balance(self) -> dict[str, Any]:
        with self.tenant.client("balances") as http:
            r = http.get(f"/v1/balances/{self.pat}", params={"as_of": f"{YEAR}-01-01"})
        assert r.status_code == 200, r.text
        (only,) = r.json()["balances"]
        return dict(only)

    def figures(self) -> tuple[float, float, float]:
        b = self.balance()
        return float(b["pending"]), float(b["used"]), float(b["available"])

    def undone(self, request_id: str, end: date) -> dict[str, Any]:
        def back() -> dict[str, Any] | None:
            found = self.read(request_id)
            return found if found["end_date"] == end.isoformat() else None

        return dict(eventually(back, timeout=20, what="the edit undone"))


def test_a_pending_edit_over_the_balance_is_undone_and_one_that_fits_is_booked(
    stack: Stack, tenant: Tenant
) -> None:
    office = Office(tenant)
    days = weekdays(date(YEAR, 3, 2), 12)
    other = office.pending_request(days[0], days[5])  # 6 days
    request_id = office.pending_request(days[6], days[7])  # 2 days: 8 of 10 reserved
    eventually(lambda: office.figures() == (8, 0, 2), timeout=20, what="8 days pending")
    url = f"/v1/leave-requests/{request_id}"
    edited = office.ok(office.pat_token, "PATCH", url, json={"end_date": days[10].isoformat()})
    assert edited["amount"] == 5.0  # answered at once, like a submission
    back = office.undone(request_id, days[7])
    assert (back["amount"], back["status"], back["start_date"]) == (
        2.0,
        "pending",
        days[6].isoformat(),
    )
    assert back["history"][-1]["note"].endswith("refused: insufficient_balance")
    assert back["history"][-1]["by"] == "system"
    assert office.figures() == (8, 0, 2), "nothing was booked for the refused days"
    # Four days fit exactly (6 + 4 = 10): booked.
    fits = office.ok(office.pat_token, "PATCH", url, json={"end_date": days[9].isoformat()})
    assert fits["amount"] == 4.0
    eventually(lambda: office.figures() == (10, 0, 0), timeout=20, what="10 days pending")
    assert office.read(request_id)["end_date"] == days[9].isoformat()
    assert office.read(other)["amount"] == 6.0


def test_an_admins_edit_of_approved_leave_over_the_balance_is_undone(
    stack: Stack, tenant: Tenant
) -> None:
    office = Office(tenant)
    days = weekdays(date(YEAR, 5, 4), 12)
    request_id = office.pending_request(days[0], days[8])  # 9 days
    decided = office.call(
        office.lee_token, "POST", f"/v1/leave-requests/{request_id}/approve", json={}
    )
    assert decided.status_code == 200, decided.text
    eventually(lambda: office.figures() == (0, 9, 1), timeout=20, what="9 days used")
    url = f"/v1/leave-requests/{request_id}"
    office.ok(tenant.token, "PATCH", url, json={"end_date": days[10].isoformat()})  # 11 days
    back = office.undone(request_id, days[8])
    assert (back["status"], back["amount"]) == ("approved", 9.0)
    assert office.figures() == (0, 9, 1)
