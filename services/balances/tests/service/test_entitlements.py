"""Issue 17's entitlements through the service layer on the in-memory store, fed the
requests service's events: the accrual cap follows the saga's deductions, labels follow
EmployeeUpserted, seniority the start date, and ToilApproved credits time off in lieu that
reservations can spend, expires unused and carries over at the year end."""

# fixed-clock: the harness runs on FakeClock, moved by hand (`clock.move_to`)

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from leaveflow_balances.domain.policy import LabelExtra, SeniorityStep
from leaveflow_balances.service_layer.year_end import open_job, run_job
from leaveflow_contracts import EmployeeUpserted, ToilApproved

from ..harness import Harness, T, weekdays

D = Decimal


async def _person(harness: Harness, employee_id: str, labels: list[str]) -> None:
    await harness.deliver(
        EmployeeUpserted(
            employee_id=employee_id,
            name=employee_id,
            email=f"{employee_id}@x.test",
            role="user",
            location_id="loc",
            start_date=date(2020, 1, 1),
            labels=labels,
        )
    )


async def _toil(harness: Harness, toil_id: str, day: date, amount: str) -> None:
    await harness.deliver(
        ToilApproved(
            toil_id=toil_id,
            employee_id="e1",
            leave_type_id="vac",
            date=day,
            amount=D(amount),
            note="weekend release",
        )
    )


async def test_the_cap_pauses_accrual_and_an_approved_leave_reopens_it(harness: Harness) -> None:
    # 24 a year monthly (2 a month), capped at 5; the harness's today is 1 June 2026.
    await harness.setup(annual_allowance=D(24), accrual="monthly", accrual_cap=D(5))
    assert (await harness.balance(date(2026, 6, 30))).accrued == D(5)
    july = weekdays(date(2026, 7, 6), 3)
    await harness.request("r1", july)
    assert (await harness.balance(date(2026, 12, 31))).accrued == D(5)  # pending: still paused
    await harness.approve("r1", july)  # booked on 1 June: counts from June's step
    b = await harness.balance(date(2026, 12, 31))
    # June grants 2 (remaining 2 -> 4), July 1 of 2 (-> 5), then paused again.
    assert (b.accrued, b.used, b.remaining) == (D(8), D(3), D(5))
    accruals = [
        (e.effective_date, e.amount, e.reason)
        for e in await harness.ledger(to=date(2026, 12, 31))
        if e.kind == "accrual"
    ]
    assert accruals == [
        (date(2026, 1, 1), D(2), None),
        (date(2026, 2, 1), D(2), None),
        (date(2026, 3, 1), D(1), "accrual cap 5: 1.00 of 2.00 granted"),
        (date(2026, 6, 1), D(2), None),
        (date(2026, 7, 1), D(1), "accrual cap 5: 1.00 of 2.00 granted"),
    ]


async def test_a_label_counts_from_the_day_it_is_added_and_until_it_is_removed(
    harness: Harness,
) -> None:
    await harness.setup(label_extra=[LabelExtra("senior", D(3))])
    await _person(harness, "e2", ["senior"])  # had it when balances first heard of them
    await _person(harness, "e3", [])
    harness.clock.move_to(datetime(2026, 7, 1, 8, tzinfo=UTC))  # 10:00 in Berlin
    await _person(harness, "e2", [])  # removed: held to 30 June, 3 x 181/365 -> 1.5
    await _person(harness, "e3", ["senior"])  # added: from 1 July, 3 x 184/365 -> 1.5
    await _person(harness, "e1", ["lead"])  # a label no rule names
    end = date(2026, 12, 31)
    assert (await harness.balance(end, "e2")).label_extra == D("1.5")
    assert (await harness.balance(date(2026, 6, 30), "e3")).label_extra == D(0)
    assert (await harness.balance(end, "e3")).label_extra == D("1.5")
    assert (await harness.balance(end, "e1")).label_extra == D(0)
    # Next year: e3 holds it all year, e2 not at all.
    assert (await harness.balance(date(2027, 1, 1), "e3")).label_extra == D(3)
    assert (await harness.balance(date(2027, 1, 1), "e2")).label_extra == D(0)
    (entry,) = [e for e in await harness.ledger(to=end, employee="e3") if e.kind == "label"]
    assert (entry.effective_date, entry.amount, entry.reason) == (
        date(2026, 7, 1),
        D("1.5"),
        "label senior",
    )


async def test_seniority_follows_the_start_date(harness: Harness) -> None:
    await harness.setup(
        start=date(2023, 10, 1), seniority=[SeniorityStep(3, D(5))], annual_allowance=D(20)
    )
    assert (await harness.balance(date(2026, 9, 30))).seniority == D(0)
    b = await harness.balance(date(2026, 10, 1))  # 5 x 92/365 -> 1.5
    assert (b.seniority, b.remaining, b.available) == (D("1.5"), D("21.5"), D("21.5"))
    assert (await harness.balance(date(2027, 1, 1))).seniority == D(5)


async def test_toil_is_credited_once_spent_and_expires_unused(harness: Harness) -> None:
    await harness.setup(annual_allowance=D(0), toil=True, toil_expiry_months=3)
    await _toil(harness, "t1", date(2026, 2, 10), "2")
    await _toil(harness, "t1", date(2026, 2, 10), "2")  # the same claim again: once
    b = await harness.balance(date(2026, 3, 1))
    assert (b.toil_earned, b.available, b.toil_expires_on) == (D(2), D(2), date(2026, 5, 10))
    await harness.request("r1", [date(2026, 3, 2)])
    await harness.approve("r1", [date(2026, 3, 2)])
    await harness.request("r2", weekdays(date(2026, 3, 9), 2))  # 2 more than the 1 left
    rejected = [e for e in await harness.outbox() if e.type == "LeaveReservationRejected"]
    assert [e.data["reason"] for e in rejected] == ["insufficient_balance"]
    after = await harness.balance(date(2026, 5, 10))
    assert (after.toil_earned, after.used, after.remaining, after.toil_expires_on) == (
        D(1),
        D(1),
        D(0),
        None,
    )
    kinds = [(e.kind, e.amount) for e in await harness.ledger(to=date(2026, 5, 10))]
    assert ("toil_credit", D(2)) in kinds
    assert ("toil_expiry", D(-1)) in kinds
    (credit,) = [e for e in await harness.ledger(to=date(2026, 5, 10)) if e.kind == "toil_credit"]
    assert (credit.effective_date, credit.expires_on, credit.reason) == (
        date(2026, 2, 10),
        date(2026, 5, 10),
        "weekend release",
    )


async def test_the_year_end_carries_unexpired_toil_whole(harness: Harness) -> None:
    await harness.setup(annual_allowance=D(0), toil=True, toil_expiry_months=3)
    await _toil(harness, "t1", date(2026, 11, 16), "2")
    await harness.request("r1", [date(2026, 12, 1)])
    await harness.approve("r1", [date(2026, 12, 1)])
    job = await open_job(harness.uow, T, "loc", 2026, "admin")
    await run_job(harness.uow, harness.reads, job)
    b = await harness.balance(date(2027, 1, 1))
    assert (b.toil_earned, b.carried_over, b.toil_expires_on) == (D(1), D(0), date(2027, 2, 16))
    assert (await harness.balance(date(2027, 2, 16))).toil_earned == D(0)
