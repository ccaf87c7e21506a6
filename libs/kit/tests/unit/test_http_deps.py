"""The kit's Depends aliases read what the runtime put on app.state, and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter

from leaveflow_kit.auth import Principal, TokenIssuer, TokenVerifier
from leaveflow_kit.http.deps import ActorDep, ClockDep, SettingsDep, StoreDep
from leaveflow_kit.runtime import build_runtime
from leaveflow_kit.settings import ServiceSettings
from leaveflow_kit.storage import open_store
from leaveflow_kit.testing import FakeClock

router = APIRouter()


@router.get("/v1/probe")
async def probe(
    store: StoreDep, user: ActorDep, clock: ClockDep, settings: SettingsDep
) -> dict[str, str]:
    await store.ping()
    return {
        "tenant": user.tenant_id,
        "employee": user.employee_id,
        "now": clock.now().isoformat(),
        "service_port": str(settings.port),
    }


@pytest.fixture
async def setup(
    tmp_path: Path, issuer: TokenIssuer
) -> AsyncIterator[tuple[httpx.AsyncClient, TokenIssuer]]:
    runtime = build_runtime(
        "probe",
        ServiceSettings(data_dir=tmp_path, port=8999),
        store=open_store("memory://"),
        verifier=TokenVerifier(jwks=issuer.jwks()),
        clock=FakeClock(datetime(2026, 2, 1, 12, tzinfo=UTC)),
    )
    app = runtime.app(title="probe", routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        yield client, issuer


async def test_the_aliases_give_the_runtimes_store_clock_settings_and_caller(
    setup: tuple[httpx.AsyncClient, TokenIssuer],
) -> None:
    client, issuer = setup
    token = issuer.issue(Principal(tenant_id="t1", employee_id="e1", role="user"))
    response = await client.get("/v1/probe", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "tenant": "t1",
        "employee": "e1",
        "now": "2026-02-01T12:00:00+00:00",
        "service_port": "8999",
    }


async def test_actor_dep_refuses_a_missing_or_forged_token(
    setup: tuple[httpx.AsyncClient, TokenIssuer],
) -> None:
    client, _ = setup
    assert (await client.get("/v1/probe")).status_code == 401
    forged = {"authorization": "Bearer not-a-token"}
    assert (await client.get("/v1/probe", headers=forged)).status_code == 401
