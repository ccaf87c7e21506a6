"""Nothing stuck in balances: a request whose own facts cannot be booked is rejected with a
reason (not retried until dead-lettered), and a withdrawal releases what was reserved in
either order of the cancellation and the request it withdraws. Events go through the
consumer's own path (`apply_event`: inbox, handler, one commit)."""

# fixed-clock: the harness fixture runs on FakeClock(2026-06-01); events carry their own dates

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import permutations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leaveflow_balances.adapters.repository import INDEXES
from leaveflow_contracts import LeaveApproved, LeaveCancelled, LeaveRequested
from leaveflow_kit.storage import open_store
from leaveflow_kit.testing import FakeClock

from ..harness import Harness

D = Decimal
MARCH = [date(2026, 3, 2) + timedelta(days=i) for i in range(3)]  # Mon-Wed


async def _types(harness: Harness) -> list[str]:
    return [e.type for e in await harness.outbox() if e.type.startswith("LeaveRes")]


async def test_a_date_past_what_a_year_holds_is_rejected_with_a_reason(harness: Harness) -> None:
    await harness.setup()
    # 9999-12-30 is a valid date, but its leave year ends in year 10000.
    await harness.request("r1", [date.max - timedelta(days=1)])
    (rejected,) = [e for e in await harness.outbox() if e.type == "LeaveReservationRejected"]
    assert rejected.data["request_id"] == "r1"
    assert rejected.data["reason"] == "invalid_request: year 10000 is out of range"
    assert rejected.data["available"] is None
    # It booked nothing, and a redelivery answers nothing more (the inbox, the marker).
    assert [e for e in await harness.ledger(to=date(2026, 6, 1)) if e.request_id] == []
    await harness.request("r1", [date.max - timedelta(days=1)])
    assert await _types(harness) == ["LeaveReservationRejected"]
    # The employee's next request is booked as usual: nothing is held back behind it.
    await harness.request("r2", MARCH)
    assert await _types(harness) == ["LeaveReservationRejected", "LeaveReserved"]
    assert (await harness.balance(date(2026, 3, 1))).pending == D(3)


async def test_a_leave_year_start_pushing_past_year_9999_is_rejected(harness: Harness) -> None:
    # With a leave year from 1 April, 9999-06-01's year ends in 10000: rejected as well.
    await harness.setup(year_start="04-01")
    await harness.request("r1", [date(9999, 6, 1)])
    (rejected,) = [e for e in await harness.outbox() if e.type == "LeaveReservationRejected"]
    assert str(rejected.data["reason"]).startswith("invalid_request: ")


async def test_a_reprice_balances_cannot_book_keeps_the_reservation(harness: Harness) -> None:
    from leaveflow_contracts import LeaveRepriced

    await harness.setup()
    await harness.request("r1", MARCH)
    far = [date.max - timedelta(days=1)]
    await harness.deliver(
        LeaveRepriced(**harness.facts("r1", far, "1"), old_amount=D(3), status="pending")
    )
    assert (await harness.balance(date(2026, 3, 1))).pending == D(3)


@pytest.mark.parametrize("previous", ["submitted", "pending"])
async def test_withdrawing_after_the_reservation_releases_it(
    harness: Harness, previous: str
) -> None:
    await harness.setup()
    await harness.request("r1", MARCH)
    await harness.cancel("r1", MARCH, previous)
    b = await harness.balance(date(2026, 3, 1))
    assert (b.pending, b.used, b.available) == (D(0), D(0), D(10))


async def test_a_withdrawal_before_its_request_leaves_a_marker(harness: Harness) -> None:
    await harness.setup()
    await harness.cancel("r1", MARCH, "submitted")
    await harness.request("r1", MARCH)
    # Nothing reserved and nothing answered: requests has cancelled the request already.
    assert await _types(harness) == []
    b = await harness.balance(date(2026, 3, 1))
    assert (b.pending, b.used, b.available) == (D(0), D(0), D(10))
    assert [e for e in await harness.ledger(to=date(2026, 3, 1)) if e.request_id] == []
    # A late approval of it books nothing either.
    await harness.approve("r1", MARCH)
    assert (await harness.balance(date(2026, 3, 1))).used == D(0)


def _events(harness: Harness, request_id: str, days: list[date]) -> dict[str, object]:
    facts = harness.facts(request_id, days)
    return {
        "request": LeaveRequested(**facts),
        "approve": LeaveApproved(**facts),
        "cancel": LeaveCancelled(**facts, previous_status="approved"),
    }


async def _interleaved(order: list[tuple[int, str]]) -> None:
    """Requests 0..2, each requested, maybe approved, and cancelled, delivered in `order`:
    whatever the order, nothing stays reserved or used once all have arrived."""
    store = open_store("memory://", INDEXES)
    await store.start()
    try:
        h = Harness(store, FakeClock(datetime(2026, 6, 1, tzinfo=UTC)))
        await h.setup()
        events = {n: _events(h, f"r{n}", [MARCH[n]]) for n in range(3)}
        for n, step in order:
            event = events[n][step]
            assert isinstance(event, LeaveRequested | LeaveApproved | LeaveCancelled)
            await h.deliver(event)
        b = await h.balance(date(2026, 3, 1))
        assert (b.pending, b.used, b.available) == (D(0), D(0), D(10))
        # Each request was answered at most once (reserved), never after its cancellation.
        seen: dict[str, int] = {}
        for envelope in await h.outbox():
            if envelope.type == "LeaveReserved":
                seen[envelope.data["request_id"]] = seen.get(envelope.data["request_id"], 0) + 1
        assert all(count == 1 for count in seen.values())
        for n in {m for m, _ in order}:
            steps = [step for m, step in order if m == n]
            if steps.index("cancel") < steps.index("request"):
                assert f"r{n}" not in seen
    finally:
        await store.close()


@pytest.mark.parametrize("order", list(permutations(["request", "approve", "cancel"])))
def test_every_order_of_one_requests_events_ends_released(order: tuple[str, ...]) -> None:
    asyncio.run(_interleaved([(0, step) for step in order]))


@st.composite
def _interleavings(draw: st.DrawFn) -> list[tuple[int, str]]:
    steps = [
        (n, step)
        for n in range(3)
        for step in ("request", "approve", "cancel")
        if step != "approve" or draw(st.booleans())
    ]
    return list(draw(st.permutations(steps)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_interleavings())
def test_any_interleaving_of_requests_and_withdrawals_ends_released(
    order: list[tuple[int, str]],
) -> None:
    asyncio.run(_interleaved(order))
