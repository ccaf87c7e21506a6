"""Feed URLs are handed to people: they carry the public address, not the internal one."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from leaveflow_calendar.bootstrap import Overrides, create_app
from leaveflow_calendar.config import Settings
from leaveflow_kit.auth import Principal
from leaveflow_kit.storage import Store


class AdminVerifier:
    async def verify(self, token: str) -> Principal:
        return Principal(tenant_id="tenant-1", employee_id="admin", role="admin")


@pytest.mark.parametrize(
    ("public_url", "expected_base"),
    [
        ("https://leave.example.test/cal/", "https://leave.example.test/cal"),
        (None, "http://calendar:8004"),  # unset: the one address there is
    ],
)
async def test_feed_url_is_built_from_the_public_url(
    store: Store,
    directory: Any,
    auth: Any,
    public_url: str | None,
    expected_base: str,
) -> None:
    settings = Settings(calendar_url="http://calendar:8004", public_url=public_url)
    app = create_app(
        settings,
        overrides=Overrides(
            store=store, verifier=AdminVerifier(), directory_for=directory.for_caller
        ),
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://internal") as client:
        response = await client.post("/v1/feeds", json={"scope": "tenant"}, headers=auth())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["url"] == f"{expected_base}/ical/{body['token']}.ics"
