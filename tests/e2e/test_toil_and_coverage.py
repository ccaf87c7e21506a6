"""Issue 17's remaining requests-side items through the real processes: a time off in lieu
claim approved in requests is credited in balances (`toil_earned`), a department's
coverage limit refuses the second person's overlapping request naming the day, and an
employee's labels reach balances (`label_extra`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

# The helper's locations are on UTC: their today is UTC's.
TODAY = datetime.now(UTC).date()


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


def test_an_approved_toil_claim_is_credited_in_balances(stack: Stack, tenant: Tenant) -> None:
    location = tenant.location("Graz")
    in_lieu = {"toil": {"expiry_months": 3}}
    toil = tenant.leave_type("In lieu", allowance=0, location_ids=[location], policy=in_lieu)
    pat_id, pat = tenant.employee("Pat", location_id=location)
    worked = (TODAY - timedelta(days=2)).isoformat()
    body = {"leave_type_id": toil, "date": worked, "amount": 2, "note": "Saturday release"}
    made = call(tenant, pat, "POST", "/v1/toil", json=body)
    assert made.status_code == 202, made.text
    claim = made.json()
    assert claim["status"] == "pending"
    # Not credited while pending.
    assert balance(tenant, pat_id, toil)["toil_earned"] == 0
    approved = call(tenant, tenant.token, "POST", f"/v1/toil/{claim['id']}/approve", json={})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    eventually(
        lambda: balance(tenant, pat_id, toil)["toil_earned"] == 2,
        timeout=30,
        what="the claim credited in balances",
    )
    assert balance(tenant, pat_id, toil)["available"] == 2
    with tenant.client("balances") as http:
        ledger = http.get(f"/v1/ledger/{pat_id}", params={"leave_type_id": toil}).json()
    (entry,) = ledger["items"]
    assert (entry["kind"], entry["effective_date"]) == ("toil_credit", worked)
    # A type without a TOIL policy is refused at once, naming the field.
    vacation = tenant.leave_type(allowance=20, location_ids=[location])
    refused = call(tenant, pat, "POST", "/v1/toil", json={**body, "leave_type_id": vacation})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "leave_type_id"


def test_max_off_refuses_the_second_person_naming_the_day(stack: Stack, tenant: Tenant) -> None:
    location = tenant.location("Wels")
    vacation = tenant.leave_type(allowance=20, location_ids=[location])
    with tenant.client("requests") as admin:
        r = admin.post("/v1/departments", json={"name": "Support", "max_off": 1})
    assert r.status_code == 201, r.text
    department = r.json()
    assert (department["max_off"], department["max_off_mode"]) == (1, "block")
    _, ana = tenant.employee("Ana", location_id=location, department_id=department["id"])
    _, ben = tenant.employee("Ben", location_id=location, department_id=department["id"])
    monday = TODAY + timedelta(days=14 - TODAY.weekday())
    first = {
        "leave_type_id": vacation,
        "start_date": monday.isoformat(),
        "end_date": (monday + timedelta(days=1)).isoformat(),
    }
    assert call(tenant, ana, "POST", "/v1/leave-requests", json=first).status_code == 202
    second = {**first, "start_date": (monday + timedelta(days=1)).isoformat()}
    second["end_date"] = (monday + timedelta(days=3)).isoformat()
    refused = call(tenant, ben, "POST", "/v1/leave-requests", json=second)
    assert refused.status_code == 409, refused.text
    tuesday = (monday + timedelta(days=1)).isoformat()
    said = f"Support would have 2 people off on {tuesday} (max_off is 1)"
    assert refused.json()["detail"] == said
    later = {**second, "start_date": (monday + timedelta(days=2)).isoformat()}
    assert call(tenant, ben, "POST", "/v1/leave-requests", json=later).status_code == 202


def test_labels_reach_balances(stack: Stack, tenant: Tenant) -> None:
    location = tenant.location("Enns")
    senior = {"label_extra": [{"label": "senior", "extra": 3}]}
    vacation = tenant.leave_type(allowance=20, location_ids=[location], policy=senior)
    pat_id, pat = tenant.employee("Pat", location_id=location, labels=[" senior", "nights"])
    with tenant.client("requests") as admin:
        assert admin.get(f"/v1/employees/{pat_id}").json()["labels"] == ["senior", "nights"]
    # Labelled from the first record on: the whole year's extra.
    found = eventually(
        lambda: (b := balance(tenant, pat_id, vacation))["label_extra"] > 0 and b,
        timeout=30,
        what="label_extra in balances",
    )
    assert (found["label_extra"], found["remaining"]) == (3, 23)
    with httpx.Client(base_url=tenant.urls["balances"], timeout=10) as http:
        r = http.get(f"/v1/balances/{pat_id}", headers={"authorization": f"Bearer {pat}"})
    assert r.status_code == 200, r.text
