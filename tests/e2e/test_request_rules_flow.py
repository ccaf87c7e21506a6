"""Request rules and blackouts through the real processes (issue 17): the rules set on the
balances policy reach the requests service by `PolicyUpserted` and refuse or price a
submission; the sandwiched days are reserved in balances; blackouts block or warn."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def friday_after(days: int) -> date:
    """A Friday at least `days` ahead whose Monday after is in the same leave year."""
    day = date.today() + timedelta(days=days)
    while day.isoweekday() != 5 or (day + timedelta(days=3)).year != day.year:
        day += timedelta(days=1)
    return day


class Office:
    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.location = tenant.location("Linz")
        self.vacation = tenant.leave_type(allowance=20, location_ids=[self.location])
        self.pat, self.pat_token = tenant.employee("Pat", location_id=self.location)

    def call(self, token: str, method: str, path: str, **kw: Any) -> Any:
        with self.tenant.client("requests") as http:
            http.headers["authorization"] = f"Bearer {token}"
            return http.request(method, path, **kw)

    def submit(self, first: date, last: date) -> Any:
        body = {
            "leave_type_id": self.vacation,
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
        }
        return self.call(self.pat_token, "POST", "/v1/leave-requests", json=body)

    def preview(self, first: date, last: date) -> dict[str, Any]:
        params = {
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
            "leave_type_id": self.vacation,
        }
        r = self.call(self.pat_token, "GET", "/v1/working-days", params=params)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def pending_days(self, year: int) -> float:
        with self.tenant.client("balances") as http:
            r = http.get(f"/v1/balances/{self.pat}", params={"as_of": f"{year}-01-01"})
        assert r.status_code == 200, r.text
        (only,) = r.json()["balances"]
        return float(only["pending"])


def test_rules_from_the_policy_refuse_and_price_submissions(stack: Stack, tenant: Tenant) -> None:
    office = Office(tenant)
    rules = {"annual_allowance": 20, "accrual": "upfront", "sandwich": "weekends"}
    with tenant.client("balances") as admin:
        r = admin.put(
            f"/v1/policies/{office.location}/{office.vacation}",
            json={**rules, "min_notice_days": 14},
        )
    assert r.status_code == 200, r.text
    friday = friday_after(21)
    monday = friday + timedelta(days=3)
    # The preview shows the weekend once requests has the policy's rules (one event).
    preview = eventually(
        lambda: (p := office.preview(friday, monday))["sandwiched_days"] and p,
        timeout=20,
        what="the sandwich rule reached requests",
    )
    assert preview["sandwiched_days"] == [
        (friday + timedelta(days=1)).isoformat(),
        (friday + timedelta(days=2)).isoformat(),
    ]
    assert preview["amount"] == 4
    soon = date.today() + timedelta(days=3)
    while soon.weekday() >= 5:  # a working day, or "no working day" is the refusal
        soon += timedelta(days=1)
    too_soon = office.submit(soon, soon)
    assert too_soon.status_code == 422, too_soon.text
    (error,) = too_soon.json()["errors"]
    assert error["field"] == "start_date"
    assert "min_notice_days" in error["message"]
    answer = office.submit(friday, monday)
    assert answer.status_code == 202, answer.text
    assert answer.json()["amount"] == 4
    # Balances reserves the sandwiched days too (booked day by day in their leave year).
    eventually(
        lambda: office.pending_days(friday.year) == 4,
        timeout=20,
        what="4 days pending in balances",
    )


def test_blackouts_block_or_warn(stack: Stack, tenant: Tenant) -> None:
    office = Office(tenant)
    friday = friday_after(28)
    monday = friday + timedelta(days=3)
    block = {
        "name": "Inventory",
        "start_date": monday.isoformat(),
        "end_date": (monday + timedelta(days=4)).isoformat(),
    }
    with tenant.client("requests") as admin:
        r = admin.post("/v1/blackouts", json=block)
        assert r.status_code == 201, r.text
        warn = {**block, "name": "Busy Friday", "mode": "warn"}
        warn.update(start_date=friday.isoformat(), end_date=friday.isoformat())
        assert admin.post("/v1/blackouts", json=warn).status_code == 201
    refused = office.submit(friday, monday)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["message"].startswith("Inventory (")
    warned = office.submit(friday, friday)
    assert warned.status_code == 202, warned.text
    request = warned.json()
    assert request["warnings"] == [f"Busy Friday ({friday.isoformat()}) is a blackout period."]

    def pending() -> dict[str, Any] | None:
        r = office.call(tenant.token, "GET", f"/v1/leave-requests/{request['id']}")
        body = dict(r.json())
        return body if body["status"] == "pending" else None

    settled = eventually(pending, timeout=20, what="the warned request pending")
    assert settled["warnings"] == request["warnings"]
