"""`current_user` with a standing lookup: people who left are refused, roles are current."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends

from leaveflow_kit.auth import Principal, Standing, TokenIssuer, TokenVerifier, require_role
from leaveflow_kit.http.deps import ActorDep
from leaveflow_kit.runtime import build_runtime
from leaveflow_kit.settings import ServiceSettings
from leaveflow_kit.storage import open_store

router = APIRouter()


@router.get("/v1/me")
async def me(user: ActorDep) -> dict[str, str]:
    return {"employee": user.employee_id, "role": user.role}


@router.get("/v1/approvals")
async def approvals(
    user: Annotated[Principal, Depends(require_role("approver", "admin"))],
) -> dict[str, str]:
    return {"role": user.role}


class FakeDirectory:
    def __init__(self, standings: dict[tuple[str, str], Standing]) -> None:
        self.standings = standings
        self.asked: list[tuple[str, str]] = []

    async def standing(self, tenant_id: str, employee_id: str) -> Standing | None:
        self.asked.append((tenant_id, employee_id))
        return self.standings.get((tenant_id, employee_id))


Setup = tuple[httpx.AsyncClient, TokenIssuer, FakeDirectory]


@pytest.fixture
async def setup(tmp_path: Path, issuer: TokenIssuer) -> AsyncIterator[Setup]:
    directory = FakeDirectory({})
    runtime = build_runtime(
        "probe",
        ServiceSettings(data_dir=tmp_path),
        store=open_store("memory://"),
        verifier=TokenVerifier(jwks=issuer.jwks()),
        standing=directory,
    )
    app = runtime.app(title="probe", routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        yield client, issuer, directory


def bearer(
    issuer: TokenIssuer, employee_id: str, role: str, tenant_id: str = "t1"
) -> dict[str, str]:
    token = issuer.issue(Principal(tenant_id=tenant_id, employee_id=employee_id, role=role))
    return {"authorization": f"Bearer {token}"}


async def test_the_current_role_replaces_the_tokens(setup: Setup) -> None:
    client, issuer, directory = setup
    directory.standings[("t1", "e1")] = Standing(role="user", active=True)
    response = await client.get("/v1/me", headers=bearer(issuer, "e1", "approver"))
    assert response.status_code == 200
    assert response.json() == {"employee": "e1", "role": "user"}
    assert directory.asked == [("t1", "e1")]


async def test_a_demoted_approvers_token_no_longer_passes_a_role_check(setup: Setup) -> None:
    client, issuer, directory = setup
    directory.standings[("t1", "demoted")] = Standing(role="user", active=True)
    directory.standings[("t1", "promoted")] = Standing(role="approver", active=True)
    demoted = await client.get("/v1/approvals", headers=bearer(issuer, "demoted", "approver"))
    assert demoted.status_code == 403
    promoted = await client.get("/v1/approvals", headers=bearer(issuer, "promoted", "user"))
    assert promoted.status_code == 200
    assert promoted.json() == {"role": "approver"}


async def test_a_token_of_someone_who_left_is_refused_without_details(setup: Setup) -> None:
    client, issuer, directory = setup
    directory.standings[("t1", "gone")] = Standing(role="admin", active=False)
    response = await client.get("/v1/me", headers=bearer(issuer, "gone", "admin"))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["detail"] == "no longer employed"
    assert "gone" not in response.text
    assert "admin" not in response.text


async def test_an_employee_not_known_yet_keeps_the_tokens_role(setup: Setup) -> None:
    client, issuer, _ = setup
    # e.g. the admin a signup just created, before the event reached this service
    response = await client.get("/v1/me", headers=bearer(issuer, "new-admin", "admin"))
    assert response.status_code == 200
    assert response.json() == {"employee": "new-admin", "role": "admin"}


async def test_the_lookup_is_asked_per_tenant(setup: Setup) -> None:
    client, issuer, directory = setup
    directory.standings[("t1", "e1")] = Standing(role="user", active=False)
    other_tenant = await client.get("/v1/me", headers=bearer(issuer, "e1", "user", "t2"))
    assert other_tenant.status_code == 200
    assert directory.asked == [("t2", "e1")]


async def test_a_bad_token_is_refused_before_the_lookup(setup: Setup) -> None:
    client, _, directory = setup
    response = await client.get("/v1/me", headers={"authorization": "Bearer forged"})
    assert response.status_code == 401
    assert directory.asked == []


async def test_without_a_lookup_the_token_is_taken_as_it_is(
    tmp_path: Path, issuer: TokenIssuer
) -> None:
    runtime = build_runtime(
        "probe",
        ServiceSettings(data_dir=tmp_path),
        store=open_store("memory://"),
        verifier=TokenVerifier(jwks=issuer.jwks()),
    )
    app = runtime.app(title="probe", routers=[router])
    assert app.state.standing is None
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        response = await client.get("/v1/me", headers=bearer(issuer, "e1", "approver"))
    assert response.json() == {"employee": "e1", "role": "approver"}
