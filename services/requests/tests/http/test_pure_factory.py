"""Building the app does no I/O; its lifespan makes the signing key and connects."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from leaveflow_requests.bootstrap import create_app
from leaveflow_requests.config import Settings


async def test_create_app_writes_nothing_and_starts_nothing(tmp_path: Path) -> None:
    before = asyncio.all_tasks()
    app = create_app(
        Settings(data_dir=tmp_path / "data", nats_url="nats://127.0.0.1:1")  # nothing there
    )
    assert not (tmp_path / "data").exists()  # no key file, no database file
    assert asyncio.all_tasks() == before
    assert app.state.runtime.consumers  # subscribed, but not started
    assert not hasattr(app.state, "issuer")  # made in the lifespan


@pytest.mark.integration
async def test_the_lifespan_makes_the_key_serves_tokens_and_stops(
    tmp_path: Path, nats_url: str
) -> None:
    settings = Settings(data_dir=tmp_path, nats_url=nats_url)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert settings.signing_key_path.exists()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://rq") as client:
            body = {"name": "Acme", "admin_name": "Ada", "admin_email": "ada@acme.test"}
            created = await client.post("/v1/tenants", json=body)
            assert created.status_code == 201, created.text
            token = created.json()["token"]
            me = await client.get(
                f"/v1/employees/{created.json()['admin_id']}",
                headers={"authorization": f"Bearer {token}"},
            )
            assert me.status_code == 200, me.text
    # A second app on the same data dir signs with the same key.
    again = create_app(settings)
    async with again.router.lifespan_context(again):
        assert again.state.issuer.jwks() == app.state.issuer.jwks()
