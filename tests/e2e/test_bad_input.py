"""Bad input through the real services: 422 with the field, 401, 404 across tenants."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from leaveflow_devstack.stack import Stack
from leaveflow_devstack.testing import coming_monday
from leaveflow_kit.validation import MAX_DATE

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"

# Requests go in a coming week, from today (these tenants' locations have no holidays).
MONDAY = coming_monday()


def day(offset: int) -> str:
    return (MONDAY + timedelta(days=offset)).isoformat()


@pytest.fixture(scope="module")
def tenants(stack: Stack) -> dict[str, dict[str, str]]:
    out = {}
    for name in ("alpha", "beta"):
        r = httpx.post(
            f"{stack.urls['requests']}/v1/tenants",
            json={"name": name, "admin_name": "Admin", "admin_email": f"admin@{name}.test"},
        )
        assert r.status_code == 201, r.text
        out[name] = r.json()
    return out


def test_malformed_json_is_a_422_problem(stack: Stack, tenants: dict[str, dict[str, str]]) -> None:
    r = httpx.post(
        f"{stack.urls['requests']}/v1/leave-requests",
        content=b'{"leave_type_id": "x", "start_date": ',
        headers={
            "Authorization": f"Bearer {tenants['alpha']['token']}",
            "Content-Type": "application/json",
        },
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == 422
    assert body["title"]
    assert body["detail"]
    assert body["errors"][0]["message"].startswith("malformed JSON")


def test_wrong_types_name_the_field(stack: Stack, tenants: dict[str, dict[str, str]]) -> None:
    r = httpx.post(
        f"{stack.urls['requests']}/v1/leave-requests",
        json={"leave_type_id": "x", "start_date": "not-a-date", "end_date": 42},
        headers={"Authorization": f"Bearer {tenants['alpha']['token']}"},
    )
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"start_date", "end_date"} <= fields


def test_end_before_start_is_a_422_on_end_date(
    stack: Stack, tenants: dict[str, dict[str, str]]
) -> None:
    token = tenants["alpha"]["token"]
    lt = httpx.post(
        f"{stack.urls['requests']}/v1/leave-types",
        json={"name": "Vacation", "annual_allowance": 10},
        headers={"Authorization": f"Bearer {token}"},
    ).json()["id"]
    r = httpx.post(
        f"{stack.urls['requests']}/v1/leave-requests",
        json={"leave_type_id": lt, "start_date": day(2), "end_date": day(1)},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": "end_date", "message": "end_date is before start_date"}]


@pytest.mark.parametrize("service", ["requests", "balances", "notifications", "calendar"])
def test_missing_token_is_401_everywhere(stack: Stack, service: str) -> None:
    path = {
        "requests": "/v1/leave-requests",
        "balances": "/v1/balances/x",
        "notifications": "/v1/integrations",
        "calendar": "/v1/whos-off",
    }[service]
    r = httpx.get(stack.urls[service] + path)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith(PROBLEM)


def forged_token(tenant_id: str, employee_id: str, *, exp_offset: int = 3600) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {
        "iss": "leaveflow",
        "aud": "leaveflow-api",
        "sub": employee_id,
        "tid": tenant_id,
        "role": "admin",
        "iat": now,
        "exp": now + exp_offset,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "forged"})


def test_forged_and_garbage_tokens_are_401(
    stack: Stack, tenants: dict[str, dict[str, str]]
) -> None:
    alpha = tenants["alpha"]
    for service, path in (("requests", "/v1/employees"), ("balances", "/v1/balances/x")):
        for token in (forged_token(alpha["tenant_id"], alpha["admin_id"]), "garbage"):
            r = httpx.get(stack.urls[service] + path, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 401, (service, r.text)


def test_expired_token_is_401(
    stack: Stack, tenants: dict[str, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Sign with the stack's real key, but already expired.
    from leaveflow_kit.auth import Principal, TokenIssuer

    issuer = TokenIssuer(stack.data_dir / "requests-jwt-key.pem")
    alpha = tenants["alpha"]
    token = issuer.issue(Principal(alpha["tenant_id"], alpha["admin_id"], "admin"), ttl_seconds=-10)
    for service in ("requests", "calendar"):
        path = "/v1/employees" if service == "requests" else "/v1/whos-off"
        r = httpx.get(stack.urls[service] + path, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
        assert "expired" in r.json()["detail"]


def test_another_tenants_request_is_404(stack: Stack, tenants: dict[str, dict[str, str]]) -> None:
    alpha, beta = tenants["alpha"], tenants["beta"]
    headers = {"Authorization": f"Bearer {alpha['token']}"}
    lt = httpx.post(
        f"{stack.urls['requests']}/v1/leave-types",
        json={"name": "Sick", "annual_allowance": 10},
        headers=headers,
    ).json()["id"]
    r = httpx.post(
        f"{stack.urls['requests']}/v1/leave-requests",
        json={"leave_type_id": lt, "start_date": day(1), "end_date": day(1)},
        headers=headers,
    )
    assert r.status_code == 202, r.text
    request_id = r.json()["id"]
    other = {"Authorization": f"Bearer {beta['token']}"}
    r = httpx.get(f"{stack.urls['requests']}/v1/leave-requests/{request_id}", headers=other)
    assert r.status_code == 404
    r = httpx.post(
        f"{stack.urls['requests']}/v1/leave-requests/{request_id}/approve", json={}, headers=other
    )
    assert r.status_code == 404
    r = httpx.get(f"{stack.urls['balances']}/v1/balances/{alpha['admin_id']}", headers=other)
    assert r.status_code == 404


def test_dates_at_the_edge_of_the_calendar_are_not_a_500(
    stack: Stack, tenants: dict[str, dict[str, str]]
) -> None:
    headers = {"Authorization": f"Bearer {tenants['alpha']['token']}"}
    # Past the supported range (1900..9000, every service): a 422 naming the day, not a 500.
    r = httpx.get(f"{stack.urls['calendar']}/v1/whos-off?from=9999-12-30", headers=headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "from"
    r = httpx.get(f"{stack.urls['calendar']}/v1/whos-off?from={MAX_DATE}", headers=headers)
    assert r.status_code == 200
    r = httpx.post(
        f"{stack.urls['requests']}/v1/employees",
        json={
            "name": "X",
            "email": "x@alpha.test",
            "start_date": "2026-05-01",
            "end_date": "2026-04-01",
        },
        headers=headers,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "end_date"
