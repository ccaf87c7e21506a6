"""The balances side of the saga on the in-memory store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest

from leaveflow_balances.adapters.repository import INDEXES, read_entries
from leaveflow_balances.service_layer.handlers import REQUESTS_EVENT_HANDLERS
from leaveflow_contracts import (
    Envelope,
    EventData,
    LeaveApproved,
    LeaveCancelled,
    LeaveDenied,
    LeaveRequested,
    LeaveTypeUpserted,
)
from leaveflow_kit.messaging import HandledEvent
from leaveflow_kit.storage import Store, Transaction, open_store

T = "tenant-1"


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = open_store("memory://", INDEXES)
    await s.start()
    yield s
    await s.close()


async def deliver(store: Store, data: EventData) -> Envelope:
    env = Envelope.wrap(data, tenant_id=T)
    handler = REQUESTS_EVENT_HANDLERS[env.type]

    async def run(tx: Transaction) -> None:
        await handler(tx, HandledEvent(envelope=env, data=data, subject="s"))

    await store.atomic(run)
    return env


def facts(request_id: str, amount: str) -> dict[str, object]:
    return {
        "request_id": request_id,
        "employee_id": "e1",
        "leave_type_id": "vac",
        "start_date": date(2026, 3, 2),
        "end_date": date(2026, 3, 4),
        "amount": amount,
    }


async def outbox(store: Store) -> list[Envelope]:
    return [r.envelope for r in await store.fetch_unpublished(1000)]


async def setup(store: Store, allowance: str | None = "10") -> None:
    await deliver(
        store, LeaveTypeUpserted(leave_type_id="vac", name="Vacation", annual_allowance=allowance)
    )


async def test_request_within_balance_is_reserved(store: Store) -> None:
    await setup(store)
    cause = await deliver(store, LeaveRequested(**facts("r1", "3")))  # type: ignore[arg-type]
    (reserved,) = await outbox(store)
    assert reserved.type == "LeaveReserved"
    assert reserved.causation_id == cause.event_id
    assert reserved.correlation_id == cause.correlation_id
    assert reserved.data["available_after"] == "7.00"
    (entry,) = await read_entries(store, T, "e1")
    assert (entry.kind, entry.amount, entry.source_event_id) == (
        "reservation",
        Decimal(3),
        cause.event_id,
    )


async def test_request_beyond_balance_is_rejected_with_the_reason(store: Store) -> None:
    await setup(store)
    await deliver(store, LeaveRequested(**facts("r1", "8")))  # type: ignore[arg-type]
    await deliver(store, LeaveRequested(**facts("r2", "2.5")))  # type: ignore[arg-type]
    events = await outbox(store)
    assert [e.type for e in events] == ["LeaveReserved", "LeaveReservationRejected"]
    assert events[1].data["reason"] == "insufficient_balance"
    assert events[1].data["available"] == "2.00"
    assert len(await read_entries(store, T, "e1")) == 1


async def test_the_same_request_is_reserved_once(store: Store) -> None:
    await setup(store)
    await deliver(store, LeaveRequested(**facts("r1", "3")))  # type: ignore[arg-type]
    await deliver(store, LeaveRequested(**facts("r1", "3")))  # type: ignore[arg-type]
    assert len(await outbox(store)) == 1
    assert len(await read_entries(store, T, "e1")) == 1


async def test_approval_turns_the_reservation_into_a_deduction(store: Store) -> None:
    await setup(store)
    await deliver(store, LeaveRequested(**facts("r1", "3")))  # type: ignore[arg-type]
    await deliver(store, LeaveApproved(**facts("r1", "3")))  # type: ignore[arg-type]
    kinds = [e.kind for e in await read_entries(store, T, "e1")]
    assert sorted(kinds) == ["deduction", "reservation", "reservation_release"]


async def test_cancelling_approved_leave_restores_the_days(store: Store) -> None:
    await setup(store)
    await deliver(store, LeaveRequested(**facts("r1", "3")))  # type: ignore[arg-type]
    await deliver(store, LeaveApproved(**facts("r1", "3")))  # type: ignore[arg-type]
    await deliver(
        store,
        LeaveCancelled(**facts("r1", "3"), previous_status="approved"),  # type: ignore[arg-type]
    )
    entries = await read_entries(store, T, "e1")
    assert sorted(e.kind for e in entries) == [
        "deduction",
        "reservation",
        "reservation_release",
        "restoration",
    ]
    # and cancelling twice changes nothing more
    await deliver(
        store,
        LeaveCancelled(**facts("r1", "3"), previous_status="approved"),  # type: ignore[arg-type]
    )
    assert len(await read_entries(store, T, "e1")) == 4


async def test_denial_releases_the_reservation(store: Store) -> None:
    await setup(store)
    await deliver(store, LeaveRequested(**facts("r1", "3")))  # type: ignore[arg-type]
    await deliver(store, LeaveDenied(**facts("r1", "3"), note="busy"))  # type: ignore[arg-type]
    kinds = sorted(e.kind for e in await read_entries(store, T, "e1"))
    assert kinds == ["reservation", "reservation_release"]


async def test_repricing_moves_pending_then_used_by_the_difference(store: Store) -> None:
    from leaveflow_contracts import LeaveRepriced

    await setup(store)
    await deliver(store, LeaveRequested(**facts("r1", "3")))  # type: ignore[arg-type]
    await deliver(
        store,
        LeaveRepriced(**facts("r1", "2"), old_amount="3", status="pending"),  # type: ignore[arg-type]
    )
    entries = await read_entries(store, T, "e1")
    assert sum(e.amount for e in entries if e.kind == "reservation") == Decimal(2)
    await deliver(store, LeaveApproved(**facts("r1", "2")))  # type: ignore[arg-type]
    await deliver(
        store,
        LeaveRepriced(**facts("r1", "2.5"), old_amount="2", status="approved"),  # type: ignore[arg-type]
    )
    entries = await read_entries(store, T, "e1")
    pending = sum(e.amount for e in entries if e.kind == "reservation") - sum(
        e.amount for e in entries if e.kind == "reservation_release"
    )
    used = sum(e.amount for e in entries if e.kind == "deduction")
    assert (pending, used) == (Decimal(0), Decimal("2.5"))
    repriced = [e for e in entries if e.reason and e.reason.startswith("repriced")]
    assert sorted(e.amount for e in repriced) == [Decimal(-1), Decimal("0.5")]
