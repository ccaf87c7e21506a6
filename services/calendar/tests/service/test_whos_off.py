"""The who's-off projection follows requests' events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from leaveflow_calendar.bootstrap import INDEXES
from leaveflow_calendar.service_layer.projection import BALANCES_HANDLERS, REQUESTS_HANDLERS
from leaveflow_calendar.service_layer.queries import whos_off
from leaveflow_contracts import (
    EmployeeUpserted,
    Envelope,
    EventData,
    LeaveApproved,
    LeaveCancelled,
    LeaveRequested,
    LeaveReservationRejected,
    LeaveTypeUpserted,
)
from leaveflow_kit.messaging import HandledEvent
from leaveflow_kit.storage import Store, Transaction, open_store

T = "tenant-1"
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = open_store("memory://", INDEXES)
    await s.start()
    yield s
    await s.close()


async def deliver(store: Store, data: EventData) -> None:
    env = Envelope.wrap(data, tenant_id=T)
    handler = {**REQUESTS_HANDLERS, **BALANCES_HANDLERS}[env.type]

    async def run(tx: Transaction) -> None:
        await handler(tx, HandledEvent(envelope=env, data=data, subject="s"))

    await store.atomic(run)


FACTS = {
    "request_id": "r1",
    "employee_id": "e1",
    "leave_type_id": "vac",
    "start_date": date(2026, 3, 2),
    "end_date": date(2026, 3, 4),
    "end_part": "am",
    "amount": "2.5",
}


async def setup(store: Store) -> None:
    await deliver(
        store,
        EmployeeUpserted(
            employee_id="e1", name="Ana Lima", email="a@x.io", role="user", department_id="d1"
        ),
    )
    await deliver(store, LeaveTypeUpserted(leave_type_id="vac", name="Vacation"))


async def test_approved_leave_is_listed_with_names(store: Store) -> None:
    await setup(store)
    await deliver(store, LeaveRequested(**FACTS))  # type: ignore[arg-type]
    assert await whos_off(store, T, *MARCH) == []
    (pending,) = await whos_off(store, T, *MARCH, include_pending=True)
    assert pending["status"] == "pending"
    await deliver(store, LeaveApproved(**FACTS))  # type: ignore[arg-type]
    (item,) = await whos_off(store, T, *MARCH)
    assert (item["employee_name"], item["leave_type_name"], item["end_part"]) == (
        "Ana Lima",
        "Vacation",
        "am",
    )
    assert await whos_off(store, T, date(2026, 3, 5), date(2026, 3, 9)) == []
    assert await whos_off(store, T, *MARCH, department_id="d2") == []
    assert len(await whos_off(store, T, *MARCH, department_id="d1")) == 1


async def test_renames_show_at_once(store: Store) -> None:
    await setup(store)
    await deliver(store, LeaveApproved(**FACTS))  # type: ignore[arg-type]
    await deliver(
        store, EmployeeUpserted(employee_id="e1", name="Ana Souza", email="a@x.io", role="user")
    )
    (item,) = await whos_off(store, T, *MARCH)
    assert item["employee_name"] == "Ana Souza"


async def test_cancelled_and_rejected_leave_disappears(store: Store) -> None:
    await setup(store)
    await deliver(store, LeaveApproved(**FACTS))  # type: ignore[arg-type]
    await deliver(store, LeaveCancelled(**FACTS, previous_status="approved"))  # type: ignore[arg-type]
    assert await whos_off(store, T, *MARCH) == []
    await deliver(store, LeaveRequested(**{**FACTS, "request_id": "r2"}))  # type: ignore[arg-type]
    await deliver(
        store,
        LeaveReservationRejected(
            request_id="r2", employee_id="e1", leave_type_id="vac", amount="2.5", reason="x"
        ),
    )
    assert await whos_off(store, T, *MARCH, include_pending=True) == []


async def test_other_tenants_leave_is_invisible(store: Store) -> None:
    await setup(store)
    await deliver(store, LeaveApproved(**FACTS))  # type: ignore[arg-type]
    assert await whos_off(store, "someone-else", *MARCH) == []


async def test_a_late_request_event_does_not_revive_rejected_leave(store: Store) -> None:
    # The balances consumer may run ahead of the requests consumer.
    await setup(store)
    await deliver(
        store,
        LeaveReservationRejected(
            request_id="r1", employee_id="e1", leave_type_id="vac", amount="2.5", reason="x"
        ),
    )
    await deliver(store, LeaveRequested(**FACTS))  # type: ignore[arg-type]
    assert await whos_off(store, T, *MARCH, include_pending=True) == []


async def test_a_late_approval_does_not_revive_cancelled_leave(store: Store) -> None:
    await setup(store)
    await deliver(store, LeaveCancelled(**FACTS, previous_status="approved"))  # type: ignore[arg-type]
    await deliver(store, LeaveApproved(**FACTS))  # type: ignore[arg-type]
    assert await whos_off(store, T, *MARCH) == []
