"""The balances API's rules on the real stack: who may see what, policies as the admin's
tool (and the only source of balances), overrides, adjustments, lists."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any

import httpx
import nats
import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, eventually, sign_up

pytestmark = pytest.mark.e2e

TODAY = date.today()


def get(tenant: Tenant, token: str, path: str, **params: Any) -> httpx.Response:
    return httpx.get(
        f"{tenant.urls['balances']}{path}",
        params=params,
        headers={"authorization": f"Bearer {token}"},
        timeout=10,
    )


async def _policy_events(nats_url: str, location_id: str, count: int) -> list[dict[str, Any]]:
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().subscribe("lf.balances.PolicyUpserted.v1", ordered_consumer=True)
        found: list[dict[str, Any]] = []
        while len(found) < count:
            envelope = json.loads((await sub.next_msg(timeout=20)).data)
            if envelope["data"]["location_id"] == location_id:
                found.append(dict(envelope["data"]))
        return found
    finally:
        await nc.close()


def test_policies_are_admin_only_validated_listed_and_withdrawn(
    stack: Stack, tenant: Tenant
) -> None:
    location = tenant.location("Porto")
    _, user = tenant.employee("Uma", location_id=location)
    leave_type = tenant.leave_type(allowance=22, location_ids=[location])
    path = f"/v1/policies/{location}/{leave_type}"
    with tenant.client("balances") as admin:
        r = httpx.put(
            f"{tenant.urls['balances']}{path}",
            json={"annual_allowance": 5},
            headers={"authorization": f"Bearer {user}"},
        )
        assert r.status_code == 403
        r = admin.put(path, json={"annual_allowance": -1, "accrual": "weekly"})
        assert r.status_code == 422
        assert {e["field"] for e in r.json()["errors"]} == {"annual_allowance", "accrual"}
        assert admin.put(path, json={"accrual": "monthly"}).status_code == 422  # no allowance
        (listed,) = admin.get("/v1/policies", params={"location_id": location}).json()["items"]
        assert (listed["annual_allowance"], listed["accrual"], listed["rounding"]) == (
            22,
            "upfront",
            "half_day",
        )
        r = admin.put(path, json={"annual_allowance": 24, "accrual": "monthly"})
        assert r.status_code == 200, r.text
        assert r.json()["accrual"] == "monthly"
        assert admin.delete(path).status_code == 204
        assert admin.delete(path).status_code == 404
        assert admin.get("/v1/policies", params={"location_id": location}).json()["items"] == []
    # Each change went out as PolicyUpserted, for the requests service to follow.
    events = asyncio.run(_policy_events(stack.nats_url, location, 3))
    assert [(e["annual_allowance"], e["accrual"], e["active"]) for e in events] == [
        ("22.00", "upfront", True),
        ("24.00", "monthly", True),
        ("24.00", "monthly", False),
    ]


def test_balances_come_from_the_policy_with_overrides_and_adjustments(tenant: Tenant) -> None:
    location = tenant.location("Faro")
    leave_type = tenant.leave_type(allowance=20, location_ids=[location])
    pat_id, pat = tenant.employee("Pat", location_id=location)

    def mine() -> dict[str, Any]:
        r = get(tenant, pat, f"/v1/balances/{pat_id}")
        assert r.status_code == 200, r.text
        (only,) = r.json()["balances"]
        return dict(only)

    eventually(lambda: get(tenant, pat, f"/v1/balances/{pat_id}").status_code == 200)
    assert (mine()["allowance"], mine()["accrued"], mine()["available"]) == (20, 20, 20)
    with tenant.client("balances") as admin:
        r = admin.put(
            f"/v1/allowance-overrides/{pat_id}/{leave_type}/{TODAY.year}",
            json={"annual_allowance": 26},
        )
        assert r.status_code == 200, r.text
        r = admin.post(
            "/v1/adjustments",
            json={
                "employee_id": pat_id,
                "leave_type_id": leave_type,
                "amount": -1.5,
                "reason": "overpaid last year",
                "effective_date": f"{TODAY.year}-01-01",
            },
        )
        assert r.status_code == 201, r.text
    b = mine()
    assert (b["allowance"], b["accrued"], b["adjustments"], b["remaining"]) == (26, 26, -1.5, 24.5)
    ledger = get(tenant, pat, f"/v1/ledger/{pat_id}").json()["items"]
    assert sorted((e["kind"], e["amount"]) for e in ledger) == [
        ("accrual", 26),
        ("adjustment", -1.5),
    ]


def test_who_may_see_a_balance(stack: Stack, tenant: Tenant) -> None:
    location = tenant.location("Braga")
    tenant.leave_type(allowance=20, location_ids=[location])
    boss_id, boss = tenant.employee("Boss", role="approver", location_id=location)
    with tenant.client("requests") as http:
        sales = http.post("/v1/departments", json={"name": "Sales", "approver_ids": [boss_id]})
        other = http.post("/v1/departments", json={"name": "Ops", "approver_ids": []})
    ana_id, ana = tenant.employee("Ana", location_id=location, department_id=sales.json()["id"])
    bob_id, _ = tenant.employee("Bob", location_id=location, department_id=other.json()["id"])
    eventually(lambda: get(tenant, boss, f"/v1/balances/{ana_id}").status_code == 200)
    assert get(tenant, ana, f"/v1/balances/{ana_id}").status_code == 200
    assert get(tenant, ana, f"/v1/balances/{bob_id}").status_code == 403
    assert get(tenant, boss, f"/v1/balances/{bob_id}").status_code == 403
    assert get(tenant, ana, f"/v1/ledger/{bob_id}").status_code == 403
    stranger = sign_up(stack.urls)
    assert get(stranger, stranger.token, f"/v1/balances/{ana_id}").status_code == 404
    assert get(stranger, stranger.token, f"/v1/ledger/{ana_id}").status_code == 404

    for far in ("0001-01-01", "9999-12-31"):
        r = get(tenant, ana, f"/v1/balances/{ana_id}", as_of=far)
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "as_of"
    assert get(tenant, ana, "/v1/balances").status_code == 403
    seen = get(tenant, boss, "/v1/balances").json()["items"]
    assert [row["employee_id"] for row in seen] == [ana_id]
    page = get(tenant, tenant.token, "/v1/balances", location_id=location, limit=2).json()
    assert len(page["items"]) == 2
    assert page["next_cursor"] is not None
    rest = get(
        tenant, tenant.token, "/v1/balances", location_id=location, cursor=page["next_cursor"]
    ).json()
    ids = [row["employee_id"] for row in page["items"] + rest["items"]]
    assert sorted(ids) == sorted([boss_id, ana_id, bob_id])
    assert rest["next_cursor"] is None
