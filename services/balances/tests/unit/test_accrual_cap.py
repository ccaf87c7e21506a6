"""Issue 17's accrual cap with written-out numbers: accrual pauses while remaining (before
pending) is at or above the cap, a capped step grants the difference only, and a deduction
reopens it from the day it was booked."""

# fixed-clock: pure functions of the dates given (`as_of` is an argument)

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from leaveflow_balances.domain import ledger
from leaveflow_balances.domain.accrual import Employment
from leaveflow_balances.domain.calendar import leave_year_labelled
from leaveflow_balances.domain.ledger import LedgerEntry, YearContext
from leaveflow_balances.domain.policy import Policy

D = Decimal
Y2026 = leave_year_labelled(2026, "01-01")
END = date(2026, 12, 31)


def ctx(**fields: object) -> YearContext:
    # 24 a year, monthly: 2.00 on the first of each month.
    fields = {"annual_allowance": D(24), "accrual": "monthly", "accrual_cap": D(5), **fields}
    p = Policy(tenant_id="t", location_id="l", leave_type_id="v", **fields)  # type: ignore[arg-type]
    return YearContext(p, p.annual_allowance, Y2026, Employment(date(2020, 1, 1)))


def entry(kind: str, days: list[str], *, booked_on: date | None = None, n: int = 0) -> LedgerEntry:
    amounts = dict.fromkeys(days, "1")
    return LedgerEntry(
        id=f"{kind}{n}",
        tenant_id="t",
        employee_id="e",
        leave_type_id="v",
        kind=kind,
        amount=D(len(days)),
        effective_date=date.fromisoformat(days[0]),
        day_amounts=amounts,
        booked_on=booked_on,
    )


def adjustment(amount: str, day: date) -> LedgerEntry:
    return LedgerEntry("adj", "t", "e", "v", ledger.ADJUSTMENT, D(amount), day)


def accruals(
    c: YearContext, stored: list[LedgerEntry], through: date = END
) -> list[tuple[date, str]]:
    return [
        (e.effective_date, str(e.amount))
        for e in ledger.entries_for_year(c, "e", stored, through)
        if e.kind == ledger.ACCRUAL
    ]


def test_accrual_pauses_at_the_cap_and_the_capped_step_grants_the_difference() -> None:
    c = ctx()
    # 2 + 2, then 1 of March's 2 reaches 5; nothing more all year.
    assert accruals(c, []) == [
        (date(2026, 1, 1), "2.00"),
        (date(2026, 2, 1), "2.00"),
        (date(2026, 3, 1), "1.00"),
    ]
    (march,) = [
        e for e in ledger.entries_for_year(c, "e", [], END) if e.effective_date == date(2026, 3, 1)
    ]
    assert march.reason == "accrual cap 5: 1.00 of 2.00 granted"
    b = ledger.balance(c, "e", [], END)
    assert (b.accrued, b.remaining) == (D(5), D(5))


def test_a_deduction_reopens_the_cap_from_the_day_it_was_booked() -> None:
    # 3 days in April, booked on 10 April: May grants 2 (remaining 2 -> 4), June 1 of 2.
    leave = entry(
        ledger.DEDUCTION, ["2026-04-15", "2026-04-16", "2026-04-17"], booked_on=date(2026, 4, 10)
    )
    c = ctx()
    assert accruals(c, [leave]) == [
        (date(2026, 1, 1), "2.00"),
        (date(2026, 2, 1), "2.00"),
        (date(2026, 3, 1), "1.00"),
        (date(2026, 5, 1), "2.00"),
        (date(2026, 6, 1), "1.00"),
    ]
    b = ledger.balance(c, "e", [leave], END)
    assert (b.accrued, b.used, b.remaining) == (D(8), D(3), D(5))


def test_leave_booked_in_march_for_august_reopens_the_cap_in_april() -> None:
    # Counted from its booking, not its days: remaining (before pending) dropped on 20 March.
    leave = entry(
        ledger.DEDUCTION, ["2026-08-03", "2026-08-04", "2026-08-05"], booked_on=date(2026, 3, 20)
    )
    assert accruals(ctx(), [leave])[3:] == [(date(2026, 4, 1), "2.00"), (date(2026, 5, 1), "1.00")]
    assert ledger.balance(ctx(), "e", [leave], date(2026, 6, 30)).remaining == D(5)


def test_the_cap_is_reached_mid_month_by_an_adjustment() -> None:
    # Jan 2, Feb 2 (4), +2 on 15 February: 6 >= 5, so March and later grant nothing.
    stored = [adjustment("2", date(2026, 2, 15))]
    assert accruals(ctx(), stored) == [(date(2026, 1, 1), "2.00"), (date(2026, 2, 1), "2.00")]
    b = ledger.balance(ctx(), "e", stored, END)
    assert (b.accrued, b.adjustments, b.remaining) == (D(4), D(2), D(6))


def test_pending_leave_does_not_reopen_the_cap() -> None:
    pending = entry(ledger.RESERVATION, ["2026-04-15", "2026-04-16"], booked_on=date(2026, 4, 1))
    b = ledger.balance(ctx(), "e", [pending], END)
    assert (b.accrued, b.pending, b.remaining, b.available) == (D(5), D(2), D(5), D(3))


def test_a_cancelled_deduction_closes_the_cap_again() -> None:
    days = ["2026-04-15", "2026-04-16", "2026-04-17"]
    taken = entry(ledger.DEDUCTION, days, booked_on=date(2026, 4, 10))
    given_back = entry(ledger.RESTORATION, days, booked_on=date(2026, 5, 20), n=1)
    # May grants 2 (remaining 4 with the leave), June: 4 + 3 given back = 7 >= 5: nothing.
    assert accruals(ctx(), [taken, given_back])[3:] == [(date(2026, 5, 1), "2.00")]
    assert ledger.balance(ctx(), "e", [taken, given_back], END).remaining == D(7)


@pytest.mark.parametrize(
    ("carried", "cap", "granted"),
    [
        ("5", "20", "15.00"),  # the carry-over counts: 25 would exceed 20 by 10
        ("0", "20", "20.00"),
        ("20", "20", None),  # at the cap: nothing
        ("-3", "20", "23.00"),  # owed days make room
        ("0", "30", "25.00"),  # below the cap: the whole allowance
    ],
)
def test_an_upfront_grant_is_capped_with_the_carry_over(
    carried: str, cap: str, granted: str | None
) -> None:
    c = ctx(accrual="upfront", annual_allowance=D(25), accrual_cap=D(cap))
    carry = LedgerEntry("c", "t", "e", "v", ledger.CARRYOVER, D(carried), date(2026, 1, 1))
    found = [D(amount) for _, amount in accruals(c, [carry])]
    assert found == ([] if granted is None else [D(granted)])


def test_without_a_cap_nothing_changes() -> None:
    b = ledger.balance(ctx(accrual_cap=None), "e", [], END)
    assert b.accrued == D(24)


def test_the_cap_is_reached_by_a_mid_month_step() -> None:
    # Semimonthly, 1 a half-month: 1 on 1 January and 1 on 15 January reach a cap of 2,
    # nothing after; a cap of 2.5 takes half of February's first step.
    c = ctx(accrual="semimonthly", accrual_cap=D(2))
    assert accruals(c, []) == [(date(2026, 1, 1), "1.00"), (date(2026, 1, 15), "1.00")]
    half = ctx(accrual="semimonthly", accrual_cap=D("2.5"))
    assert [(d, D(a)) for d, a in accruals(half, [])] == [
        (date(2026, 1, 1), D(1)),
        (date(2026, 1, 15), D(1)),
        (date(2026, 2, 1), D("0.5")),
    ]
