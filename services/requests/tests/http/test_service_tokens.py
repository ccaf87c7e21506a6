"""The service-token endpoint: only a caller with the shared secret gets a token, and the
token is the employee's own (their role), short-lived, and marked as issued for chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jwt
import pytest

from leaveflow_kit.auth import TokenIssuer
from leaveflow_kit.storage import open_store
from leaveflow_requests.adapters.repository import INDEXES
from leaveflow_requests.bootstrap import Overrides, create_app
from leaveflow_requests.config import Settings

SECRET = "s3cret-for-tests-only"


@pytest.fixture
async def client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, issuer: TokenIssuer
) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setenv("LEAVEFLOW_SERVICE_SECRET", SECRET)
    async for c in _client(tmp_path, issuer):
        yield c


@pytest.fixture
async def strict_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, issuer: TokenIssuer
) -> AsyncIterator[httpx.AsyncClient]:
    """A sign-in figure of 3 a minute (the app reads it when built)."""
    monkeypatch.setenv("LEAVEFLOW_SERVICE_SECRET", SECRET)
    monkeypatch.setenv("LEAVEFLOW_RATE_LIMITS", "signin=3/60")
    async for c in _client(tmp_path, issuer):
        yield c


async def _client(tmp_path: Path, issuer: TokenIssuer) -> AsyncIterator[httpx.AsyncClient]:
    store = open_store("memory://", INDEXES)
    await store.start()
    app = create_app(Settings(data_dir=tmp_path), overrides=Overrides(store=store, issuer=issuer))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://requests") as c:
        yield c
    await store.close()


async def _tenant(client: httpx.AsyncClient) -> dict[str, str]:
    body = {"name": "Acme", "admin_name": "Ada", "admin_email": "ada@acme.test"}
    response = await client.post("/v1/tenants", json=body)
    assert response.status_code == 201
    return dict(response.json())


async def test_right_secret_gets_the_employees_token(client: httpx.AsyncClient) -> None:
    tenant = await _tenant(client)
    response = await client.post(
        "/v1/auth/service-token",
        json={"tenant_id": tenant["tenant_id"], "employee_id": tenant["admin_id"], "via": "slack"},
        headers={"authorization": f"Service {SECRET}"},
    )
    assert response.status_code == 200, response.text
    claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
    assert claims["sub"] == tenant["admin_id"]
    assert claims["role"] == "admin"
    assert claims["via"] == "slack"
    assert claims["exp"] - claims["iat"] <= 300
    me = await client.get(
        "/v1/employees", headers={"authorization": f"Bearer {response.json()['token']}"}
    )
    assert me.status_code == 200


@pytest.mark.parametrize("header", [None, "Service wrong", f"Bearer {SECRET}", "Service "])
async def test_wrong_or_missing_secret_is_401(
    client: httpx.AsyncClient, header: str | None
) -> None:
    tenant = await _tenant(client)
    headers = {"authorization": header} if header is not None else {}
    response = await client.post(
        "/v1/auth/service-token",
        json={"tenant_id": tenant["tenant_id"], "employee_id": tenant["admin_id"]},
        headers=headers,
    )
    assert response.status_code == 401
    assert SECRET not in response.text


async def test_unknown_employee_or_other_tenant_is_404(client: httpx.AsyncClient) -> None:
    tenant = await _tenant(client)
    for body in (
        {"tenant_id": tenant["tenant_id"], "employee_id": "nobody"},
        {"tenant_id": "other-tenant", "employee_id": tenant["admin_id"]},
    ):
        response = await client.post(
            "/v1/auth/service-token", json=body, headers={"authorization": f"Service {SECRET}"}
        )
        assert response.status_code == 404


async def test_without_a_configured_secret_the_endpoint_is_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, issuer: TokenIssuer
) -> None:
    monkeypatch.delenv("LEAVEFLOW_SERVICE_SECRET", raising=False)
    store = open_store("memory://", INDEXES)
    await store.start()
    app = create_app(Settings(data_dir=tmp_path), overrides=Overrides(store=store, issuer=issuer))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://requests"
    ) as c:
        response = await c.post(
            "/v1/auth/service-token",
            json={"tenant_id": "t", "employee_id": "e"},
            headers={"authorization": "Service "},
        )
    await store.close()
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ({"email": "ADA@acme.test"}, 200),  # single sign-on knows the (verified) email
        ({"email": "nobody@acme.test"}, 404),
        ({"email": "ada@acme.test", "employee_id": "x"}, 422),
        ({}, 422),
    ],
)
async def test_a_token_by_email_for_single_sign_on(
    client: httpx.AsyncClient, key: dict[str, str], status: int
) -> None:
    tenant = await _tenant(client)
    response = await client.post(
        "/v1/auth/service-token",
        json={"tenant_id": tenant["tenant_id"], "via": "web", **key},
        headers={"authorization": f"Service {SECRET}"},
    )
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json()["employee_id"] == tenant["admin_id"]


async def test_only_wrong_secrets_count_against_the_sign_in_limit(
    strict_client: httpx.AsyncClient,
) -> None:
    client = strict_client
    tenant = await _tenant(client)
    body = {"tenant_id": tenant["tenant_id"], "employee_id": tenant["admin_id"]}

    async def ask(secret: str) -> httpx.Response:
        return await client.post(
            "/v1/auth/service-token", json=body, headers={"authorization": f"Service {secret}"}
        )

    # The web and the bots sign everyone in from one address: far past the figure, no 429.
    for _ in range(10):
        assert (await ask(SECRET)).status_code == 200
    assert [(await ask("guess")).status_code for _ in range(3)] == [401, 401, 401]
    refused = await ask("guess")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    # Spent on failures, the address is refused before a guess is compared, right or not:
    # a guesser learns nothing from its answers.
    assert (await ask(SECRET)).status_code == 429
