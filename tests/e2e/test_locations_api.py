"""Locations through the real requests service: holidays by region, validation, tenancy."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from dateutil.easter import easter

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import coming_monday, wait_offered

pytestmark = pytest.mark.e2e

# Dates come from today. Next year's Corpus Christi (Easter Sunday + 60 days, a Thursday)
# is a Bavarian holiday in a week that holds no other one.
YEAR = date.today().year + 1
CORPUS_CHRISTI = easter(YEAR) + timedelta(days=60)
CC_MONDAY = CORPUS_CHRISTI - timedelta(days=3)
MONDAY = coming_monday()  # a plain coming week, for locations without public holidays


def day(monday: date, offset: int = 0) -> str:
    return (monday + timedelta(days=offset)).isoformat()


def signup(stack: Stack, name: str) -> dict[str, str]:
    # An admin of their own per company: signup refuses another company's admin's email.
    email = f"admin-{uuid4().hex[:8]}@{name}.test"
    r = httpx.post(
        f"{stack.urls['requests']}/v1/tenants",
        json={"name": name, "admin_name": "Admin", "admin_email": email},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def offer(
    stack: Stack, tenant: dict[str, str], location_id: str, leave_type_id: str, allowance: int = 25
) -> None:
    """A balances policy for the type at the location, once requests has learned it."""
    headers = {"Authorization": f"Bearer {tenant['token']}"}
    r = httpx.put(
        f"{stack.urls['balances']}/v1/policies/{location_id}/{leave_type_id}",
        json={"annual_allowance": allowance},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    wait_offered(stack.urls["requests"], headers, leave_type_id, [location_id])


def test_locations_price_requests_by_their_holidays(stack: Stack) -> None:
    acme = signup(stack, "loc-acme")
    api = httpx.Client(
        base_url=stack.urls["requests"], headers={"Authorization": f"Bearer {acme['token']}"}
    )
    munich = api.post(
        "/v1/locations",
        json={
            "name": "Munich",
            "timezone": "Europe/Berlin",
            "holidays": {"country": "DE", "subdivision": "BY"},
            "extra_holidays": [{"date": f"{YEAR}-12-24", "name": "Christmas Eve"}],
        },
    )
    assert munich.status_code == 201, munich.text
    location_id = munich.json()["id"]
    holidays = api.get(f"/v1/locations/{location_id}/holidays", params={"year": YEAR}).json()
    names = {h["date"]: h["name"] for h in holidays["items"]}
    assert names[CORPUS_CHRISTI.isoformat()] == "Corpus Christi"
    assert names[f"{YEAR}-12-24"] == "Christmas Eve"
    assert f"{YEAR}-08-15" in names  # Assumption Day, Bavaria

    leave_type = api.post("/v1/leave-types", json={"name": "Vacation"}).json()["id"]
    offer(stack, acme, location_id, leave_type)
    employee = api.post(
        "/v1/employees",
        json={
            "name": "Max",
            "email": "max@loc-acme.test",
            "location_id": location_id,
            "start_date": "2020-01-01",
        },
    )
    assert employee.status_code == 201, employee.text
    r = api.post(
        "/v1/leave-requests",
        json={
            "employee_id": employee.json()["id"],
            "leave_type_id": leave_type,
            "start_date": day(CC_MONDAY),
            "end_date": day(CC_MONDAY, 4),
        },
    )
    assert r.status_code == 202, r.text
    assert r.json()["amount"] == 4
    assert CORPUS_CHRISTI.isoformat() not in r.json()["working_days"]

    r = api.patch(f"/v1/locations/{location_id}", json={"workweek": [1, 2, 3, 4]})
    assert r.status_code == 200, r.text
    assert r.json()["workweek"] == [1, 2, 3, 4]
    assert r.json()["holidays"] == {"country": "DE", "subdivision": "BY"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "holidays": {"country": "XX"}}, "holidays.country"),
        ({"name": "X", "holidays": {"country": "DE", "subdivision": "ZZ"}}, "holidays.subdivision"),
        ({"name": "X", "timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "X", "workweek": [0, 8]}, "workweek.0"),
        ({"name": "X", "workweek": []}, "workweek"),
        ({"name": "X", "leave_year_start": "02-30"}, "leave_year_start"),
    ],
)
def test_bad_locations_are_422_naming_the_field(
    stack: Stack, body: dict[str, Any], field: str
) -> None:
    acme = signup(stack, "loc-bad")
    r = httpx.post(
        f"{stack.urls['requests']}/v1/locations",
        json=body,
        headers={"Authorization": f"Bearer {acme['token']}"},
    )
    assert r.status_code == 422, r.text
    assert field in {e["field"] for e in r.json()["errors"]}


def test_another_tenants_location_is_404(stack: Stack) -> None:
    alpha, beta = signup(stack, "loc-alpha"), signup(stack, "loc-beta")
    created = httpx.post(
        f"{stack.urls['requests']}/v1/locations",
        json={"name": "HQ"},
        headers={"Authorization": f"Bearer {alpha['token']}"},
    ).json()
    other = {"Authorization": f"Bearer {beta['token']}"}
    for method, suffix in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/holidays")):
        r = httpx.request(
            method,
            f"{stack.urls['requests']}/v1/locations/{created['id']}{suffix}",
            headers=other,
            json={"name": "mine"} if method == "PATCH" else None,
        )
        assert r.status_code == 404, (method, suffix, r.text)


def test_a_user_cannot_create_a_location(stack: Stack) -> None:
    acme = signup(stack, "loc-user")
    admin = {"Authorization": f"Bearer {acme['token']}"}
    r = httpx.post(
        f"{stack.urls['requests']}/v1/employees",
        json={"name": "U", "email": "u@loc-user.test"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    token = httpx.post(
        f"{stack.urls['requests']}/v1/auth/dev-login",
        json={"tenant_id": acme["tenant_id"], "email": "u@loc-user.test"},
    ).json()["token"]
    r = httpx.post(
        f"{stack.urls['requests']}/v1/locations",
        json={"name": "Mine"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 403


def test_employees_and_leave_types_can_be_patched(stack: Stack) -> None:
    acme = signup(stack, "patchy")
    api = httpx.Client(
        base_url=stack.urls["requests"], headers={"Authorization": f"Bearer {acme['token']}"}
    )
    e = api.post("/v1/employees", json={"name": "Eve", "email": "eve@patchy.test"}).json()
    api.post("/v1/employees", json={"name": "Bo", "email": "bo@patchy.test"})
    r = api.patch(f"/v1/employees/{e['id']}", json={"name": "Eve Ng", "role": "approver"})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["role"], r.json()["email"]) == (
        "Eve Ng",
        "approver",
        "eve@patchy.test",
    )
    assert (
        api.patch(f"/v1/employees/{e['id']}", json={"email": "bo@patchy.test"}).status_code == 409
    )
    r = api.patch(f"/v1/employees/{e['id']}", json={"location_id": "nowhere"})
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "location_id")
    r = api.patch(f"/v1/employees/{e['id']}", json={"name": None})
    assert r.status_code == 422

    lt = api.post("/v1/leave-types", json={"name": "Sick"}).json()
    r = api.patch(f"/v1/leave-types/{lt['id']}", json={"name": "Sick leave", "color": "#ff0000"})
    assert (r.json()["name"], r.json()["color"], r.json()["unit"]) == (
        "Sick leave",
        "#ff0000",
        "days",
    )
    assert api.delete(f"/v1/leave-types/{lt['id']}").status_code == 204
    assert api.get(f"/v1/leave-types/{lt['id']}").status_code == 404  # never used: gone
    assert api.delete(f"/v1/leave-types/{lt['id']}").status_code == 404
    r = api.post(
        "/v1/leave-requests",
        json={"leave_type_id": lt["id"], "start_date": day(MONDAY), "end_date": day(MONDAY)},
    )
    assert (r.status_code, r.json()["errors"][0]["field"]) == (422, "leave_type_id")


def test_csv_import_over_http(stack: Stack) -> None:
    acme = signup(stack, "csv")
    api = httpx.Client(
        base_url=stack.urls["requests"],
        headers={"Authorization": f"Bearer {acme['token']}"},
        # One transaction of 50 employees: 0.1 s on SQLite, 1-4 s on the mongoeco stand-in.
        timeout=30,
    )
    assert (
        api.post(
            "/v1/locations",
            json={"name": "Berlin", "holidays": {"country": "DE", "subdivision": "BE"}},
        ).status_code
        == 201
    )
    body = "name,email,location,department,role,start_date\n" + "".join(
        f"P{i},p{i}@csv.test,Berlin,,user,2024-01-01\n" for i in range(50)
    )
    r = api.post("/v1/employees/import", content=body, headers={"content-type": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 50, "updated": 0, "errors": []}
    r = api.post("/v1/employees/import", content=body, headers={"content-type": "text/csv"})
    assert r.json() == {"created": 0, "updated": 50, "errors": []}
    r = api.post(
        "/v1/employees/import", content=b"\xff\xfe\x00bad", headers={"content-type": "text/csv"}
    )
    assert r.status_code == 422


def test_a_new_holiday_reprices_a_pending_request_and_its_balance(stack: Stack) -> None:
    import time

    acme = signup(stack, "reprice")
    api = httpx.Client(
        base_url=stack.urls["requests"], headers={"Authorization": f"Bearer {acme['token']}"}
    )
    balances = httpx.Client(
        base_url=stack.urls["balances"], headers={"Authorization": f"Bearer {acme['token']}"}
    )
    location = api.post("/v1/locations", json={"name": "Office"}).json()["id"]
    lt = api.post("/v1/leave-types", json={"name": "Vacation"}).json()
    offer(stack, acme, location, lt["id"], allowance=20)
    ana = api.post(
        "/v1/employees",
        json={
            "name": "Ana",
            "email": "ana@reprice.test",
            "location_id": location,
            "start_date": "2020-01-01",
        },
    ).json()["id"]
    req = api.post(
        "/v1/leave-requests",
        json={
            "employee_id": ana,
            "leave_type_id": lt["id"],
            "start_date": day(MONDAY),
            "end_date": day(MONDAY, 4),
        },
    ).json()["id"]

    def wait(check: object) -> None:
        deadline = time.monotonic() + 20
        while not check():  # type: ignore[operator]
            assert time.monotonic() < deadline
            time.sleep(0.1)

    wait(lambda: api.get(f"/v1/leave-requests/{req}").json()["status"] == "pending")
    r = api.patch(
        f"/v1/locations/{location}",
        json={"extra_holidays": [{"date": day(MONDAY, 2), "name": "Founders' day"}]},
    )
    assert r.status_code == 200, r.text
    assert api.get(f"/v1/leave-requests/{req}").json()["amount"] == 4

    def pending() -> float:
        body = balances.get(f"/v1/balances/{ana}", params={"as_of": day(MONDAY)}).json()
        return float(body["balances"][0]["pending"])

    wait(lambda: pending() == 4)
    ledger = balances.get(f"/v1/ledger/{ana}").json()["items"]
    assert any(e["amount"] == -1 and e["kind"] == "reservation" for e in ledger)
