"""The balances side of the submit -> reserve -> pending saga (docs/architecture.md), on the
in-memory store: reserve or reject, deduct, release, restore, re-price."""

# fixed-clock: the harness fixture runs on FakeClock(2026-06-01); balances take `as_of` dates

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from ..harness import Harness, weekdays

D = Decimal
MARCH = [date(2026, 3, 2) + timedelta(days=i) for i in range(5)]  # Mon-Fri


async def test_request_within_balance_is_reserved(harness: Harness) -> None:
    await harness.setup()
    cause = await harness.request("r1", MARCH[:3])
    reserved = [e for e in await harness.outbox() if e.type == "LeaveReserved"]
    (event,) = reserved
    assert event.causation_id == cause.event_id
    assert event.data["available_after"] == "7.00"
    b = await harness.balance(date(2026, 3, 1))
    assert (b.pending, b.available) == (D(3), D(7))
    (entry,) = [e for e in await harness.ledger(to=date(2026, 3, 1)) if e.kind == "reservation"]
    assert (entry.amount, entry.source_event_id, entry.request_id) == (D(3), cause.event_id, "r1")


async def test_insufficient_balance_rejects_with_the_numbers(harness: Harness) -> None:
    await harness.setup()
    await harness.request("r1", MARCH[:4])
    await harness.request("r2", weekdays(date(2026, 4, 1), 7))  # 7 > 10 - 4
    (rejected,) = [e for e in await harness.outbox() if e.type == "LeaveReservationRejected"]
    assert rejected.data["reason"] == "insufficient_balance"
    assert (rejected.data["amount"], rejected.data["available"]) == ("7.00", "6.00")
    assert (await harness.balance(date(2026, 3, 1))).pending == D(4)


async def test_no_policy_for_the_location_rejects(harness: Harness) -> None:
    await harness.setup()
    await harness.deliver(
        __import__("leaveflow_contracts").LeaveTypeUpserted(leave_type_id="x", name="X")
    )
    facts = harness.facts("r1", MARCH[:1])
    facts["leave_type_id"] = "x"
    await harness.deliver(__import__("leaveflow_contracts").LeaveRequested(**facts))
    (rejected,) = [e for e in await harness.outbox() if e.type == "LeaveReservationRejected"]
    assert rejected.data["reason"] == "no_policy"


async def test_negative_allowance_allows_exactly_that_much(harness: Harness) -> None:
    await harness.setup(negative_allowance=D(2))
    await harness.request("r1", weekdays(date(2026, 3, 2), 12))  # 12 = 10 + 2
    await harness.request("r2", [date(2026, 5, 4)], amount="0.5")
    types = [e.type for e in await harness.outbox() if e.type.startswith("Leave")]
    assert types == ["LeaveReserved", "LeaveReservationRejected"]
    b = await harness.balance(date(2026, 6, 1))
    assert (b.remaining, b.pending, b.available) == (D(10), D(12), D(0))


async def test_approve_deducts_and_cancel_restores(harness: Harness) -> None:
    await harness.setup()
    await harness.request("r1", MARCH[:3])
    await harness.approve("r1", MARCH[:3])
    b = await harness.balance(date(2026, 1, 1))
    assert (b.used, b.pending, b.remaining) == (D(3), D(0), D(7))  # used when approved
    await harness.cancel("r1", MARCH[:3], "approved")
    b = await harness.balance(date(2026, 1, 1))
    assert (b.used, b.pending, b.remaining, b.available) == (D(0), D(0), D(10), D(10))
    kinds = [e.kind for e in await harness.ledger(to=date(2026, 1, 1)) if e.request_id]
    assert sorted(kinds) == ["deduction", "reservation", "reservation_release", "restoration"]


async def test_deny_and_pending_cancel_release(harness: Harness) -> None:
    await harness.setup()
    await harness.request("r1", MARCH[:2])
    await harness.request("r2", MARCH[2:4])
    await harness.deny("r1", MARCH[:2])
    await harness.cancel("r2", MARCH[2:4], "pending")
    b = await harness.balance(date(2026, 3, 1))
    assert (b.pending, b.used, b.available) == (D(0), D(0), D(10))


async def test_redelivered_events_book_nothing_twice(harness: Harness) -> None:
    await harness.setup()
    for _ in range(2):
        await harness.request("r1", MARCH[:3])
        await harness.approve("r1", MARCH[:3])
    b = await harness.balance(date(2026, 3, 1))
    assert (b.used, b.pending) == (D(3), D(0))


async def test_a_request_across_the_new_year_is_split_and_checked_per_year(
    harness: Harness,
) -> None:
    await harness.setup()
    # 2026 has 10 days; 2 of them already used. 30 Dec - 5 Jan: 2 days in 2026, 3 in 2027.
    await harness.request("r0", MARCH[:8] if len(MARCH) >= 8 else weekdays(date(2026, 3, 2), 8))
    await harness.approve("r0", weekdays(date(2026, 3, 2), 8))
    span = [
        date(2026, 12, 30),
        date(2026, 12, 31),
        date(2027, 1, 4),
        date(2027, 1, 5),
        date(2027, 1, 6),
    ]
    await harness.request("r1", span)
    assert [e.type for e in await harness.outbox()][-1] == "LeaveReserved"
    b26, b27 = await harness.balance(date(2026, 12, 31)), await harness.balance(date(2027, 1, 1))
    assert (b26.pending, b26.available) == (D(2), D(0))
    assert (b27.pending, b27.available) == (D(3), D(7))
    # A third 2026 day would not fit, though 2027 has plenty.
    await harness.request("r2", [date(2026, 12, 29), date(2027, 1, 7)])
    (rejected,) = [e for e in await harness.outbox() if e.type == "LeaveReservationRejected"]
    assert (rejected.data["amount"], rejected.data["available"]) == ("1.00", "0.00")


async def test_repricing_books_the_difference(harness: Harness) -> None:
    from leaveflow_contracts import LeaveRepriced

    await harness.setup()
    await harness.request("r1", MARCH[:3])
    facts = harness.facts("r1", [MARCH[0], MARCH[2]])
    await harness.deliver(LeaveRepriced(**facts, old_amount=D(3), status="pending"))
    b = await harness.balance(date(2026, 3, 1))
    assert b.pending == D(2)
    await harness.approve("r1", [MARCH[0], MARCH[2]])
    await harness.cancel("r1", [MARCH[0], MARCH[2]], "approved")
    b = await harness.balance(date(2026, 3, 1))
    assert (b.pending, b.used) == (D(0), D(0))


async def test_unlimited_policy_always_reserves(harness: Harness) -> None:
    await harness.setup(unlimited=True, annual_allowance=D(0))
    await harness.request("r1", weekdays(date(2026, 3, 2), 40))
    assert [e.type for e in await harness.outbox()][-1] == "LeaveReserved"


async def test_personal_override_replaces_the_allowance_for_that_year(harness: Harness) -> None:
    from leaveflow_balances.domain.replicas import AllowanceOverride
    from leaveflow_balances.service_layer import admin

    await harness.setup()
    await admin.put_override(harness.uow, AllowanceOverride("tenant-1", "e1", "vac", 2026, D(30)))
    assert (await harness.balance(date(2026, 6, 1))).accrued == D(30)
    assert (await harness.balance(date(2027, 6, 1))).accrued == D(10)


async def test_policy_put_announces_policy_upserted(harness: Harness) -> None:
    await harness.setup(accrual="monthly")
    (event,) = [e for e in await harness.outbox() if e.type == "PolicyUpserted"]
    assert event.data["location_id"] == "loc"
    assert (event.data["annual_allowance"], event.data["accrual"], event.data["active"]) == (
        "10.00",
        "monthly",
        True,
    )
    # Monthly accruals name the policy's event as their cause.
    accruals = [e for e in await harness.ledger(to=date(2026, 2, 1)) if e.kind == "accrual"]
    assert [str(e.amount) for e in accruals][-2:] == ["0.83", "0.84"]  # 0.83, then 1.67 - 0.83
    assert {e.source_event_id for e in accruals} == {event.event_id}


async def test_an_adjustment_entry_names_its_own_event(harness: Harness) -> None:
    from leaveflow_balances.service_layer import admin

    from ..harness import T

    await harness.setup()
    entry = await admin.adjust(
        harness.uow,
        tenant_id=T,
        actor_id="boss",
        employee_id="e1",
        leave_type_id="vac",
        amount=Decimal("-1.5"),
        reason="unrecorded day off",
        effective_date=date(2026, 3, 2),
    )
    (event,) = [e for e in await harness.outbox() if e.type == "BalanceAdjusted"]
    assert entry.source_event_id == event.event_id
    assert event.actor == "boss"
    assert (event.data["entry_id"], event.data["amount"]) == (entry.id, "-1.50")
    (logged,) = [e for e in await harness.ledger(to=date(2026, 3, 2)) if e.kind == "adjustment"]
    assert logged.source_event_id == event.event_id
