"""Approval levels through the real processes (issue 16): a two-level flow through the
public API, a deny at level 2 giving the reservation back in balances, a substitute deciding
while the approver is away, and an edit of a pending request re-reserving the new amount."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
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


class Team:
    """Sales: Lee approves level 1, Max level 2 (requests of 3 days or more); Pat works in
    Sales at the Office with 10 days of Vacation."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.office = tenant.location("Office")
        self.vacation = tenant.leave_type(allowance=10, location_ids=[self.office])
        self.lee, self.lee_token = tenant.employee("Lee", role="approver", location_id=self.office)
        self.max, self.max_token = tenant.employee("Max", role="approver", location_id=self.office)
        self.sue, self.sue_token = tenant.employee("Sue", role="approver", location_id=self.office)
        levels = [
            {"approver_ids": [self.lee]},
            {"approver_ids": [self.max], "min_amount": 3},
        ]
        with tenant.client("requests") as http:
            r = http.post("/v1/departments", json={"name": "Sales", "approval_levels": levels})
        assert r.status_code == 201, r.text
        self.sales = r.json()["id"]
        self.pat, self.pat_token = tenant.employee(
            "Pat", location_id=self.office, department_id=self.sales
        )

    def call(self, token: str, method: str, path: str, **kw: Any) -> Any:
        with self.tenant.client("requests") as http:
            http.headers["authorization"] = f"Bearer {token}"
            return http.request(method, path, **kw)

    def ok(self, token: str, method: str, path: str, **kw: Any) -> dict[str, Any]:
        r = self.call(token, method, path, **kw)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return dict(r.json())

    def request(self, token: str, employee_id: str, first: date, last: date) -> str:
        body = {
            "employee_id": employee_id,
            "leave_type_id": self.vacation,
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
        }
        return str(self.ok(token, "POST", "/v1/leave-requests", json=body)["id"])

    def settled(self, request_id: str) -> dict[str, Any]:
        def status() -> dict[str, Any] | None:
            body = self.ok(self.tenant.token, "GET", f"/v1/leave-requests/{request_id}")
            return body if body["status"] != "submitted" else None

        return eventually(status, timeout=20, what=f"request {request_id} settled")

    def decide(self, token: str, request_id: str, action: str) -> Any:
        return self.call(
            token, "POST", f"/v1/leave-requests/{request_id}/{action}", json={"note": "e2e"}
        )

    def pending_days(self) -> float:
        with self.tenant.client("balances") as http:
            r = http.get(f"/v1/balances/{self.pat}", params={"as_of": f"{YEAR}-01-01"})
        assert r.status_code == 200, r.text
        (only,) = r.json()["balances"]
        return float(only["pending"])

    def pending_becomes(self, days: float) -> None:
        eventually(
            lambda: self.pending_days() == days, timeout=20, what=f"{days} days pending in balances"
        )


def test_two_levels_then_approved(stack: Stack, tenant: Tenant) -> None:
    team = Team(tenant)
    days = weekdays(date(YEAR, 3, 2), 3)
    request_id = team.request(team.pat_token, team.pat, days[0], days[-1])
    pending = team.settled(request_id)
    assert pending["status"] == "pending"
    assert pending["approval"]["current_level"] == 1
    assert [lv["approver_ids"] for lv in pending["approval"]["levels"]] == [[team.lee], [team.max]]
    assert team.decide(team.max_token, request_id, "approve").status_code == 403
    after_one = team.decide(team.lee_token, request_id, "approve")
    assert after_one.status_code == 200, after_one.text
    assert (after_one.json()["status"], after_one.json()["approval"]["current_level"]) == (
        "pending",
        2,
    )
    team.pending_becomes(3)  # still reserved while level 2 decides
    done = team.decide(team.max_token, request_id, "approve")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "approved"
    assert [lv["status"] for lv in done.json()["approval"]["levels"]] == ["approved", "approved"]
    team.pending_becomes(0)  # deducted now, no longer pending


def test_a_deny_at_level_two_releases_the_reservation(stack: Stack, tenant: Tenant) -> None:
    team = Team(tenant)
    days = weekdays(date(YEAR, 4, 6), 4)
    request_id = team.request(team.pat_token, team.pat, days[0], days[-1])
    assert team.settled(request_id)["status"] == "pending"
    team.pending_becomes(4)
    assert team.decide(team.lee_token, request_id, "approve").status_code == 200
    denied = team.decide(team.max_token, request_id, "deny")
    assert denied.status_code == 200, denied.text
    assert denied.json()["status"] == "denied"
    team.pending_becomes(0)


def test_a_substitute_decides_while_the_approver_is_away(stack: Stack, tenant: Tenant) -> None:
    team = Team(tenant)
    today = datetime.now(UTC).date()  # the tenant's zone (UTC)
    week = (today.isoformat(), (today + timedelta(days=6)).isoformat())
    # Lee's own leave this week (Lee is in no department: the admin approves it) ...
    lee_leave = team.request(tenant.token, team.lee, today, today + timedelta(days=6))
    assert team.settled(lee_leave)["status"] == "pending"
    assert team.decide(tenant.token, lee_leave, "approve").json()["status"] == "approved"
    # ... and Sue decides for Lee meanwhile, named by Lee.
    substitution = {
        "approver_id": team.lee,
        "substitute_id": team.sue,
        "start_date": week[0],
        "end_date": week[1],
    }
    created = team.ok(team.lee_token, "POST", "/v1/substitutions", json=substitution)
    assert created["substitute_id"] == team.sue
    days = weekdays(date(YEAR, 5, 4), 1)
    request_id = team.request(team.pat_token, team.pat, days[0], days[0])
    assert team.settled(request_id)["status"] == "pending"
    seen = team.ok(team.sue_token, "GET", f"/v1/leave-requests/{request_id}")
    assert seen["approval"]["levels"][0]["approver_ids"] == [team.lee]
    decided = team.decide(team.sue_token, request_id, "approve")
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"
    assert decided.json()["approval"]["levels"][0]["decided_by"] == team.sue


def test_an_edit_of_a_pending_request_reserves_the_new_amount(stack: Stack, tenant: Tenant) -> None:
    team = Team(tenant)
    days = weekdays(date(YEAR, 6, 1), 5)
    request_id = team.request(team.pat_token, team.pat, days[0], days[1])
    assert team.settled(request_id)["status"] == "pending"
    team.pending_becomes(2)
    edited = team.ok(
        team.pat_token,
        "PATCH",
        f"/v1/leave-requests/{request_id}",
        json={"end_date": days[4].isoformat()},
    )
    assert (edited["amount"], edited["status"]) == (5.0, "pending")
    # five days: level 2 now applies too, and the approval starts again at level 1
    assert edited["approval"]["current_level"] == 1
    assert len(edited["approval"]["levels"]) == 2
    team.pending_becomes(5)
    shorter = team.ok(
        team.pat_token,
        "PATCH",
        f"/v1/leave-requests/{request_id}",
        json={"start_date": days[3].isoformat()},
    )
    assert shorter["amount"] == 2.0
    team.pending_becomes(2)
