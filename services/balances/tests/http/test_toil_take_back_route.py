"""The route the requests service calls before it cancels an approved claim: only with
the service secret (none configured: it does not exist), 200 when the credit is taken
back (a retry too), 409 with balances' sentence while approved leave uses it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from leaveflow_balances.adapters.repository import INDEXES, Repository, StoreUnitOfWork
from leaveflow_balances.bootstrap import Overrides, create_app
from leaveflow_balances.config import Settings
from leaveflow_balances.domain.policy import Policy
from leaveflow_balances.entrypoints.http.toil_credits import ServiceSecretSettings
from leaveflow_balances.service_layer.admin import put_policy
from leaveflow_balances.service_layer.handlers import requests_event_handlers
from leaveflow_contracts import (
    EmployeeUpserted,
    LeaveApproved,
    LeaveRequested,
    LeaveTypeUpserted,
    LocationUpserted,
    ToilApproved,
)
from leaveflow_kit.storage import Store, open_store
from leaveflow_kit.testing import FakeClock, deliver

from .conftest import NOW

pytestmark = pytest.mark.asyncio(loop_scope="module")

T, SECRET = "tenant-toil", "balances-test-secret"
WORKED = NOW.date() - timedelta(days=20)
# The first weekday after the day worked: leave that uses the credit.
LEAVE_DAY = next(
    d for d in (WORKED + timedelta(days=n) for n in range(1, 8)) if d.isoweekday() <= 5
)


async def _directory(store: Store) -> None:
    handlers = requests_event_handlers(Repository)
    events = [
        LocationUpserted(location_id="loc", name="HQ", timezone="UTC", workweek=[1, 2, 3, 4, 5]),
        LeaveTypeUpserted(leave_type_id="lieu", name="In lieu", unit="hours"),
        EmployeeUpserted(
            employee_id="e1",
            name="Ana",
            email="ana@toil.test",
            role="user",
            location_id="loc",
            start_date=date(2020, 1, 1),
        ),
    ]
    for event in events:
        await deliver(store, handlers, event, tenant_id=T)


@pytest_asyncio.fixture(loop_scope="module")
async def balances(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Store]]:
    store = open_store("memory://", INDEXES)
    await store.start()
    overrides = Overrides(store=store, clock=FakeClock(NOW))
    app = create_app(Settings(data_dir=tmp_path), overrides=overrides)
    app.state.service_secret = ServiceSecretSettings(service_secret=SecretStr(SECRET))
    await _directory(store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://balances") as client:
        yield client, store
    await app.state.year_ends.stop()
    await store.close()


async def _policy(store: Store) -> None:
    policy = Policy(
        tenant_id=T, location_id="loc", leave_type_id="lieu", annual_allowance=Decimal(0), toil=True
    )
    await put_policy(StoreUnitOfWork(store), policy, "admin")


def _url(toil_id: str) -> str:
    return f"/internal/toil-credits/{toil_id}/take-back"


BODY = {"tenant_id": T, "employee_id": "e1", "cancelled_by": "e1"}
SERVICE = {"authorization": f"Service {SECRET}"}


async def test_only_leaveflow_services_may_take_a_credit_back(
    balances: tuple[httpx.AsyncClient, Store],
) -> None:
    client, _ = balances
    assert (await client.post(_url("t0"), json=BODY)).status_code == 401
    wrong = {"authorization": "Service nope"}
    assert (await client.post(_url("t0"), json=BODY, headers=wrong)).status_code == 401


async def test_a_credit_is_taken_back_or_kept_with_a_sentence(
    balances: tuple[httpx.AsyncClient, Store],
) -> None:
    client, store = balances
    await _policy(store)
    handlers = requests_event_handlers(Repository)
    not_yet = await client.post(_url("t1"), json=BODY, headers=SERVICE)
    assert not_yet.status_code == 409
    assert "not in the balance yet" in not_yet.json()["detail"]
    for toil_id in ("t1", "t2"):
        credit = ToilApproved(
            toil_id=toil_id,
            employee_id="e1",
            leave_type_id="lieu",
            date=WORKED,
            amount=Decimal(4),
            unit="hours",
        )
        await deliver(store, handlers, credit, tenant_id=T)
    first = await client.post(_url("t1"), json=BODY, headers=SERVICE)
    assert first.status_code == 200, first.text
    assert first.json() == {"toil_id": "t1", "taken_back_now": True}
    retry = await client.post(_url("t1"), json=BODY, headers=SERVICE)
    assert retry.json() == {"toil_id": "t1", "taken_back_now": False}
    # 3 h of leave use the oldest credit left: t2's.
    facts = {
        "request_id": "r1",
        "employee_id": "e1",
        "leave_type_id": "lieu",
        "start_date": LEAVE_DAY,
        "end_date": LEAVE_DAY,
        "working_days": [LEAVE_DAY],
        "amount": "3",
        "unit": "hours",
    }
    await deliver(store, handlers, LeaveRequested(**facts), tenant_id=T)
    await deliver(store, handlers, LeaveApproved(**facts), tenant_id=T)
    used = await client.post(_url("t2"), json=BODY, headers=SERVICE)
    assert used.status_code == 409, used.text
    assert used.json()["detail"] == (
        "approved leave already uses 3 h of this time off in lieu: cancel that leave first, "
        "then this claim"
    )
