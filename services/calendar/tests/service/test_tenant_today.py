"""'Today' is the company's date, not the server's: the default who's-off window and the
feed's notion of 'has the owner left' follow the tenant's time zone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_calendar.bootstrap import Overrides, create_app
from leaveflow_calendar.config import Settings
from leaveflow_contracts import LeaveApproved, TenantCreated
from leaveflow_kit.auth import Principal
from leaveflow_kit.storage import Store
from leaveflow_kit.testing import FakeClock

T = "tenant-1"
# Kiritimati is UTC+14: at 11:00 UTC it is already tomorrow there.
ZONE = "Pacific/Kiritimati"
UTC_TODAY = datetime.now(UTC).date()
CLOCK_AT = datetime.combine(UTC_TODAY, time(11, 0), tzinfo=UTC)
LOCAL_TODAY = UTC_TODAY + timedelta(days=1)


class AdminVerifier:
    async def verify(self, token: str) -> Principal:
        return Principal(tenant_id=T, employee_id="admin", role="admin")


@pytest.fixture
async def client(store: Store, directory: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        Settings(calendar_url="http://cal.test"),
        overrides=Overrides(
            store=store,
            clock=FakeClock(CLOCK_AT),
            verifier=AdminVerifier(),
            directory_for=directory.for_caller,
        ),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://cal.test") as http:
        yield http


async def setup(events: Any) -> None:
    await events.deliver(TenantCreated(tenant_id=T, name="Acme", timezone=ZONE, admin_id="admin"))
    await events.location("l1", "Tarawa")
    await events.department("d1", "Engineering")
    await events.leave_type("vac", "Vacation")
    await events.employee("e1", "Ana Lima")


async def test_the_default_window_starts_on_the_companys_today(
    client: httpx.AsyncClient, events: Any, auth: Any
) -> None:
    await setup(events)
    # Off only on the UTC "today", which has already ended in the company's zone.
    await events.deliver(
        LeaveApproved(**events.facts("past", start_date=UTC_TODAY, end_date=UTC_TODAY))
    )
    await events.deliver(
        LeaveApproved(**events.facts("now", start_date=LOCAL_TODAY, end_date=LOCAL_TODAY))
    )
    response = await client.get("/v1/whos-off", headers=auth())
    assert response.status_code == 200, response.text
    assert [i["request_id"] for i in response.json()["items"]] == ["now"]


async def test_a_feed_stops_once_its_owner_left_in_the_companys_zone(
    client: httpx.AsyncClient, events: Any
) -> None:
    # The owner's last day is the UTC today: in the company's zone that day is over.
    await setup(events)
    owner = {"authorization": "Bearer x"}
    created = await client.post("/v1/feeds", json={"scope": "tenant"}, headers=owner)
    assert created.status_code == 201, created.text
    path = created.json()["url"].removeprefix("http://cal.test")
    assert (await client.get(path)).status_code == 200  # the admin owns it: still here
    await events.employee("admin", "Ada", end_date=UTC_TODAY)
    assert (await client.get(path)).status_code == 404
