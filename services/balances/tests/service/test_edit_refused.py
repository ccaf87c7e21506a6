"""A person's edit of a request (`LeaveRepriced` with `edit_id`) is checked like a
submission: within what is left it moves the reservation or deduction by the difference;
beyond it balances books nothing and answers `LeaveEditRejected`. A calendar change
(no `edit_id`) is a fact to follow and is booked whatever is left.

The harness policy: 10 days a year; March 2026's Mon-Fri weeks."""

# fixed-clock: the harness fixture runs on FakeClock(2026-06-01); balances take `as_of` dates

from __future__ import annotations

from datetime import date
from decimal import Decimal

from leaveflow_contracts import LeaveRepriced

from ..harness import Harness, weekdays

D = Decimal
MARCH = weekdays(date(2026, 3, 2), 10)  # 2 - 13 March, ten working days


def edit(
    harness: Harness,
    days: list[date],
    old: int,
    *,
    edit_id: str | None = "x1",
    status: str = "pending",
    request_id: str = "r1",
) -> LeaveRepriced:
    return LeaveRepriced(
        **harness.facts(request_id, days),
        old_amount=D(old),
        status=status,
        edited_by="e1" if edit_id else None,
        edit_id=edit_id,
    )


async def rejections(harness: Harness) -> list[dict[str, str]]:
    return [e.data for e in await harness.outbox() if e.type == "LeaveEditRejected"]


async def test_an_edit_within_what_is_left_moves_the_reservation(harness: Harness) -> None:
    await harness.setup()
    await harness.request("r0", MARCH[:4])
    await harness.request("r1", MARCH[4:6])
    await harness.deliver(edit(harness, MARCH[4:10], 2))  # 6 days: 4 + 6 = 10, exactly all
    assert await rejections(harness) == []
    b = await harness.balance(date(2026, 3, 1))
    assert (b.pending, b.available) == (D(10), D(0))


async def test_an_edit_beyond_what_is_left_is_refused_and_books_nothing(harness: Harness) -> None:
    await harness.setup()
    await harness.request("r0", MARCH[:4])
    await harness.request("r1", MARCH[4:6])
    cause = await harness.deliver(edit(harness, [*MARCH[4:10], date(2026, 3, 16)], 2))  # 7 days
    (refused,) = [e for e in await harness.outbox() if e.type == "LeaveEditRejected"]
    assert refused.causation_id == cause.event_id
    assert refused.data["edit_id"] == "x1"
    assert refused.data["reason"] == "insufficient_balance"
    # 7 asked, 2 of them reserved already: 5 more wanted, 4 available.
    assert (refused.data["amount"], refused.data["old_amount"]) == ("7.00", "2.00")
    assert refused.data["available"] == "4.00"
    b = await harness.balance(date(2026, 3, 1))
    assert (b.pending, b.available) == (D(6), D(4))
    # The request's old reservation is intact: approving it deducts the 2 days it holds.
    await harness.approve("r1", MARCH[4:6])
    b = await harness.balance(date(2026, 3, 1))
    assert (b.used, b.pending, b.available) == (D(2), D(4), D(4))


async def test_an_admins_edit_of_approved_leave_beyond_what_is_left_is_refused(
    harness: Harness,
) -> None:
    await harness.setup()
    await harness.request("r1", MARCH[:8])
    await harness.approve("r1", MARCH[:8])
    await harness.deliver(edit(harness, [*MARCH, date(2026, 3, 16)], 8, status="approved"))
    assert [r["available"] for r in await rejections(harness)] == ["2.00"]
    assert (await harness.balance(date(2026, 3, 1))).used == D(8)
    await harness.deliver(edit(harness, MARCH, 8, edit_id="x2", status="approved"))
    assert len(await rejections(harness)) == 1, "10 days fit: the second edit is booked"
    assert (await harness.balance(date(2026, 3, 1))).used == D(10)


async def test_a_shorter_edit_and_a_calendar_change_are_never_refused(harness: Harness) -> None:
    await harness.setup()
    await harness.request("r0", MARCH[:9])
    await harness.request("r1", MARCH[9:10])  # all ten days reserved
    await harness.deliver(edit(harness, MARCH[:8], 9, request_id="r0"))  # one day fewer
    b = await harness.balance(date(2026, 3, 1))
    assert (b.pending, b.available) == (D(9), D(1))
    # A holiday moved: the location's calendar charges r1 two days more than is left;
    # that is no one's edit, so it is booked.
    more = [*MARCH[9:10], date(2026, 3, 16), date(2026, 3, 17), date(2026, 3, 18)]
    await harness.deliver(edit(harness, more, 1, edit_id=None))
    assert await rejections(harness) == []
    b = await harness.balance(date(2026, 3, 1))
    assert (b.pending, b.available) == (D(12), D(-2))
