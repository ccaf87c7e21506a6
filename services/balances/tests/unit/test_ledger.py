"""Rules 4, 5 and 7 in the pure domain: the balance is the fold of the ledger; carry-over
with cap and expiry; carried days only for leave before the expiry; splitting by year."""

# fixed-clock: pure functions of the dates given (`as_of` is an argument)

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leaveflow_balances.domain import ledger
from leaveflow_balances.domain.accrual import Employment
from leaveflow_balances.domain.calendar import leave_year_labelled, leave_year_of
from leaveflow_balances.domain.ledger import LedgerEntry, YearContext
from leaveflow_balances.domain.policy import Policy
from leaveflow_balances.domain.split import by_leave_year, day_amounts

D = Decimal
Y2027 = leave_year_labelled(2027, "01-01")


def policy(**fields: object) -> Policy:
    fields.setdefault("annual_allowance", D(25))
    return Policy(tenant_id="t", location_id="l", leave_type_id="v", **fields)  # type: ignore[arg-type]


def ctx(**fields: object) -> YearContext:
    p = policy(**fields)
    return YearContext(p, p.annual_allowance, Y2027, Employment(date(2020, 1, 1)))


def booking(kind: str, days: dict[str, str], n: int = 0) -> LedgerEntry:
    return LedgerEntry(
        id=f"{kind}{n}",
        tenant_id="t",
        employee_id="e",
        leave_type_id="v",
        kind=kind,
        amount=sum((D(v) for v in days.values()), D(0)),
        effective_date=date.fromisoformat(min(days)),
        day_amounts=days,
    )


def carried(amount: str, expires_on: date | None = date(2027, 4, 1)) -> LedgerEntry:
    return LedgerEntry(
        id="carry",
        tenant_id="t",
        employee_id="e",
        leave_type_id="v",
        kind=ledger.CARRYOVER,
        amount=D(amount),
        effective_date=date(2027, 1, 1),
        expires_on=expires_on,
    )


@pytest.mark.parametrize(
    ("cap", "remaining", "expected"),
    [("5", "8", "5"), ("5", "3.5", "3.5"), ("0", "8", "0"), (None, "8", "8"), ("5", "-2", "-2")],
)
def test_carry_is_capped_when_positive_and_whole_when_owed(
    cap: str | None, remaining: str, expected: str
) -> None:
    p = policy(carryover_max=None if cap is None else D(cap))
    assert p.carry(D(remaining)) == D(expected)


def test_expiry_removes_only_the_carried_days_not_used_before_it() -> None:
    c = ctx(carryover_expiry_months=3)
    entries = [
        carried("5"),
        booking(ledger.DEDUCTION, {"2027-02-01": "1", "2027-02-02": "1"}),  # before expiry
        booking(ledger.DEDUCTION, {"2027-05-03": "1", "2027-05-04": "1", "2027-05-05": "1"}, 1),
    ]
    before = ledger.balance(c, "e", entries, date(2027, 3, 31))
    assert (before.carried_over, before.carryover_expires_on) == (D(5), date(2027, 4, 1))
    assert before.remaining == D(25) + D(5) - D(5)
    after = ledger.balance(c, "e", entries, date(2027, 4, 1))
    assert after.carried_over == D(2)  # 5 carried, 2 used in February, 3 expired
    assert after.used == D(5)
    assert after.remaining == D(22)
    (expiry,) = [
        e
        for e in ledger.entries_for_year(c, "e", entries, date(2027, 12, 31))
        if e.kind == ledger.CARRYOVER_EXPIRY
    ]
    assert (expiry.amount, expiry.effective_date) == (D(-3), date(2027, 4, 1))


def test_carried_days_all_used_before_expiry_leave_nothing_to_expire() -> None:
    days = {f"2027-03-0{i}": "1" for i in range(1, 7)}
    entries = [carried("5"), booking(ledger.DEDUCTION, days)]
    after = ledger.balance(ctx(), "e", entries, date(2027, 6, 1))
    assert (after.carried_over, after.used, after.remaining) == (D(5), D(6), D(24))


@pytest.mark.parametrize(
    ("before_expiry", "expected"),
    [("0", "25"), ("2", "27"), ("5", "30"), ("8", "30")],
)
def test_carried_days_count_only_for_days_before_the_expiry(
    before_expiry: str, expected: str
) -> None:
    b = ledger.balance(ctx(), "e", [carried("5")], date(2027, 12, 31))
    assert b.available_for(D(before_expiry)) == D(expected)


def test_earlier_bookings_before_expiry_use_the_carried_days_first() -> None:
    # 3 days booked in March took 3 of the 5 carried; a May request sees only own days.
    entries = [carried("5"), booking(ledger.RESERVATION, {f"2027-03-0{i}": "1" for i in (1, 2, 3)})]
    b = ledger.balance(ctx(), "e", entries, date(2027, 5, 31))
    assert b.available_for(D(0)) == D(25)
    assert b.available_for(D(2)) == D(27)


def test_negative_carry_is_borrowed_from_the_new_year_and_never_expires() -> None:
    b = ledger.balance(ctx(carryover_expiry_months=3), "e", [carried("-2")], date(2027, 6, 1))
    assert (b.carried_over, b.remaining, b.carryover_expires_on) == (D(-2), D(23), None)


def test_negative_allowance_adds_to_what_may_be_reserved() -> None:
    b = ledger.balance(ctx(negative_allowance=D(3)), "e", [], date(2027, 1, 1))
    assert (b.remaining, b.available) == (D(25), D(28))
    assert b.can_reserve(D(28), D(0))
    assert not b.can_reserve(D("28.5"), D(0))


@pytest.mark.parametrize(
    ("days", "amount", "parts", "expected"),
    [
        (["2026-03-02", "2026-03-03", "2026-03-04"], "2.5", ("full", "am"), ["1", "1", "0.5"]),
        (["2026-03-02", "2026-03-03"], "1.5", ("pm", "full"), ["0.5", "1"]),
        (["2026-03-02"], "0.5", ("am", "full"), ["0.5"]),
        (["2026-03-02"], "6", ("full", "full"), ["6"]),  # hours
        (
            ["2026-03-02", "2026-03-03", "2026-03-04"],
            "2",
            ("full", "full"),
            ["0.67", "0.67", "0.66"],
        ),
    ],
)
def test_a_requests_amount_is_spread_over_its_days(
    days: list[str], amount: str, parts: tuple[str, str], expected: list[str]
) -> None:
    spread = day_amounts(
        [date.fromisoformat(d) for d in days],
        D(amount),
        start_date=date.fromisoformat(days[0]),
        end_date=date.fromisoformat(days[-1]),
        start_part=parts[0],
        end_part=parts[1],
    )
    assert [spread[date.fromisoformat(d)] for d in days] == [D(e) for e in expected]
    assert sum(spread.values()) == D(amount)


def test_a_request_across_new_year_splits_by_date() -> None:
    days = [date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 4)]
    spread = day_amounts(days, D(4), start_date=days[0], end_date=days[-1])
    split = by_leave_year(spread, lambda d: leave_year_of(d, "01-01"))
    assert [(y.label, sum(v.values())) for y, v in split.items()] == [(2026, D(2)), (2027, D(2))]


KIND = st.sampled_from(sorted(ledger.KINDS - {ledger.ACCRUAL, ledger.CARRYOVER_EXPIRY}))
AMOUNT = st.decimals(min_value=-50, max_value=50, places=2)
DAY = st.dates(min_value=date(2027, 1, 1), max_value=date(2027, 12, 31))


@given(st.lists(st.tuples(KIND, AMOUNT, DAY), max_size=30), DAY)
def test_every_balance_field_is_a_sum_of_ledger_entries(
    raw: list[tuple[str, Decimal, date]], as_of: date
) -> None:
    c = ctx(accrual="monthly", carryover_expiry_months=2)
    stored = [
        LedgerEntry(
            f"x{i}", "t", "e", "v", kind, amount, day, day_amounts={day.isoformat(): str(amount)}
        )
        for i, (kind, amount, day) in enumerate(raw)
    ]
    entries = ledger.entries_for_year(c, "e", stored, as_of)
    b = ledger.fold(entries, c)

    def total(*kinds: str) -> Decimal:
        return sum((e.amount for e in entries if e.kind in kinds), D(0))

    assert b.accrued == total(ledger.ACCRUAL)
    assert b.carried_over == total(ledger.CARRYOVER, ledger.CARRYOVER_EXPIRY)
    assert b.adjustments == total(ledger.ADJUSTMENT)
    assert b.used == total(ledger.DEDUCTION) - total(ledger.RESTORATION)
    assert b.pending == total(ledger.RESERVATION) - total(ledger.RESERVATION_RELEASE)
    assert b.remaining == b.accrued + b.carried_over + b.adjustments - b.used
    # The fast path that skips building accrual entries gives the same balance.
    assert ledger.balance(c, "e", stored, as_of) == b
