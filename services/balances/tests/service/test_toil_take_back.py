"""A cancelled claim's time off in lieu is taken back while leave has used none of it: a
`toil_credit` entry of the opposite amount, once; the credit no longer expires or counts.
Used credit is refused with a sentence; `ToilCancelled` takes it back too, should
requests have stopped between asking and cancelling.

The harness: a TOIL policy (no allowance, credits expire after 3 months), Mon-Fri."""

# fixed-clock: the harness fixture runs on FakeClock(2026-06-01); balances take `as_of` dates

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from leaveflow_balances.service_layer import toil
from leaveflow_contracts import ToilApproved, ToilCancelled

from ..harness import Harness

D = Decimal
WORKED = date(2026, 2, 7)  # a Saturday


def approved(toil_id: str = "t1", amount: str = "2") -> ToilApproved:
    return ToilApproved(
        toil_id=toil_id,
        employee_id="e1",
        leave_type_id="vac",
        date=WORKED,
        amount=D(amount),
        note="release weekend",
    )


def cancelled(toil_id: str = "t1", previous: str = "approved") -> ToilCancelled:
    return ToilCancelled(
        toil_id=toil_id,
        employee_id="e1",
        leave_type_id="vac",
        date=WORKED,
        amount=D(2),
        previous_status=previous,
        cancelled_by="e1",
    )


async def take_back(harness: Harness, toil_id: str = "t1") -> bool:
    return await toil.take_back(
        harness.uow, tenant_id="tenant-1", employee_id="e1", toil_id=toil_id, asked_by="e1"
    )


async def credits(harness: Harness) -> list[tuple[str, Decimal]]:
    ledger = await harness.ledger(to=date(2026, 12, 31))
    return sorted((e.id, e.amount) for e in ledger if e.kind.startswith("toil"))


async def test_an_unused_credit_is_taken_back_once_and_no_longer_expires(
    harness: Harness,
) -> None:
    await harness.setup(annual_allowance=D(0), toil=True, toil_expiry_months=3)
    await harness.deliver(approved())
    assert (await harness.balance(date(2026, 3, 1))).toil_earned == D(2)
    assert await take_back(harness) is True
    assert await take_back(harness) is False, "a retry books nothing more"
    await harness.deliver(cancelled())  # and the event after it: nothing either
    assert await credits(harness) == [("toil:t1", D(2)), ("toil:t1:reversal", D(-2))]
    for day in (date(2026, 3, 1), date(2026, 6, 1)):  # before and after it would expire
        b = await harness.balance(day)
        assert (b.toil_earned, b.available, b.toil_expires_on) == (D(0), D(0), None)


async def test_a_credit_leave_has_used_is_kept_with_a_sentence(harness: Harness) -> None:
    await harness.setup(annual_allowance=D(0), toil=True, toil_expiry_months=3)
    await harness.deliver(approved())
    await harness.request("r1", [date(2026, 3, 2)])
    assert await take_back(harness) is True, "only approved leave uses a credit"
    await harness.deliver(approved("t2"))
    await harness.request("r2", [date(2026, 3, 3)])
    await harness.approve("r2", [date(2026, 3, 3)])
    with pytest.raises(toil.CreditUsed) as refused:
        await take_back(harness, "t2")
    assert str(refused.value) == (
        "approved leave already uses 1 day of this time off in lieu: cancel that leave "
        "first, then this claim"
    )
    await harness.deliver(cancelled("t2"))  # the event cannot take it back either
    assert ("toil:t2:reversal", D(-2)) not in await credits(harness)
    # The leave cancelled, the credit is free again and may go.
    await harness.cancel("r2", [date(2026, 3, 3)], "approved")
    assert await take_back(harness, "t2") is True
    assert (await harness.balance(date(2026, 3, 1))).toil_earned == D(0)


async def test_a_credit_not_booked_yet_is_refused_and_the_event_takes_it_back_later(
    harness: Harness,
) -> None:
    await harness.setup(annual_allowance=D(0), toil=True, toil_expiry_months=3)
    with pytest.raises(toil.CreditNotBooked):
        await take_back(harness)
    await harness.deliver(approved())
    # Requests stopped after cancelling, before asking: the event does it.
    await harness.deliver(cancelled())
    assert await credits(harness) == [("toil:t1", D(2)), ("toil:t1:reversal", D(-2))]
    await harness.deliver(cancelled("t1", previous="pending"))
    assert len(await credits(harness)) == 2
