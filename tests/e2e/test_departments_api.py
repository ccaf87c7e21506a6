"""Departments route approvals to their approvers, across requests and balances."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import coming_monday, wait_offered

pytestmark = pytest.mark.e2e

# Requests go in a coming week, from today (these tenants' locations have no holidays).
MONDAY = coming_monday()


def day(offset: int) -> str:
    return (MONDAY + timedelta(days=offset)).isoformat()


def test_the_departments_approver_decides_and_sees_the_balance(stack: Stack) -> None:
    R, B = stack.urls["requests"], stack.urls["balances"]
    signup = httpx.post(
        f"{R}/v1/tenants",
        json={"name": "dept", "admin_name": "A", "admin_email": "a@dept.test"},
    ).json()
    tenant, admin = signup["tenant_id"], {"Authorization": f"Bearer {signup['token']}"}

    def employee(
        name: str, role: str, department_id: str | None = None
    ) -> tuple[str, dict[str, str]]:
        body = {
            "name": name,
            "email": f"{name}@dept.test",
            "role": role,
            "start_date": "2020-01-01",
            "location_id": location,
        }
        if department_id:
            body["department_id"] = department_id
        r = httpx.post(f"{R}/v1/employees", json=body, headers=admin)
        assert r.status_code == 201, r.text
        token = httpx.post(
            f"{R}/v1/auth/dev-login", json={"tenant_id": tenant, "email": f"{name}@dept.test"}
        ).json()["token"]
        return r.json()["id"], {"Authorization": f"Bearer {token}"}

    location = httpx.post(
        f"{R}/v1/locations", json={"name": "HQ", "timezone": "UTC"}, headers=admin
    ).json()["id"]
    boss_id, boss = employee("boss", "approver")
    _, stranger = employee("stranger", "approver")
    sales = httpx.post(
        f"{R}/v1/departments", json={"name": "Sales", "approver_ids": [boss_id]}, headers=admin
    )
    assert sales.status_code == 201, sales.text
    ana_id, ana = employee("ana", "user", sales.json()["id"])
    lt = httpx.post(f"{R}/v1/leave-types", json={"name": "Vacation"}, headers=admin).json()["id"]
    r = httpx.put(f"{B}/v1/policies/{location}/{lt}", json={"annual_allowance": 20}, headers=admin)
    assert r.status_code == 200, r.text
    wait_offered(R, admin, lt, [location])  # requests learns the policy from an event
    req = httpx.post(
        f"{R}/v1/leave-requests",
        json={"leave_type_id": lt, "start_date": day(0), "end_date": day(1)},
        headers=ana,
    ).json()["id"]
    deadline = time.monotonic() + 20
    while httpx.get(f"{R}/v1/leave-requests/{req}", headers=ana).json()["status"] != "pending":
        assert time.monotonic() < deadline
        time.sleep(0.1)

    r = httpx.post(f"{R}/v1/leave-requests/{req}/approve", json={}, headers=stranger)
    assert r.status_code == 403
    r = httpx.post(f"{R}/v1/leave-requests/{req}/approve", json={}, headers=boss)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"

    # balances learnt the department's approvers from DepartmentUpserted
    deadline = time.monotonic() + 20
    while (r := httpx.get(f"{B}/v1/balances/{ana_id}", headers=boss)).status_code != 200:
        assert time.monotonic() < deadline, r.text
        time.sleep(0.1)
    assert httpx.get(f"{B}/v1/balances/{ana_id}", headers=stranger).status_code == 403

    r = httpx.post(
        f"{R}/v1/departments", json={"name": "Bad", "approver_ids": [ana_id]}, headers=admin
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "approver_ids"
