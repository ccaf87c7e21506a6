"""Issue 17's time off in lieu with written-out numbers: credits used oldest first, only the
unused part expiring, a credit used partly then expiring, restorations giving days back, and
the year end carrying a live credit whole with its expiry."""

# fixed-clock: pure functions of the dates given (`as_of` is an argument)

from __future__ import annotations

from datetime import date
from decimal import Decimal

from leaveflow_balances.domain import ledger
from leaveflow_balances.domain.accrual import Employment
from leaveflow_balances.domain.calendar import leave_year_labelled
from leaveflow_balances.domain.ledger import LedgerEntry, YearContext
from leaveflow_balances.domain.policy import Policy
from leaveflow_balances.domain.replicas import EmployeeReplica
from leaveflow_balances.domain.toil import TOIL_CREDIT, TOIL_EXPIRY, unused
from leaveflow_balances.domain.year_end import carryover_entries

D = Decimal
Y2026 = leave_year_labelled(2026, "01-01")


def ctx(year: int = 2026, **fields: object) -> YearContext:
    fields = {"annual_allowance": D(0), "toil": True, "toil_expiry_months": 3, **fields}
    p = Policy(tenant_id="t", location_id="l", leave_type_id="toil", **fields)  # type: ignore[arg-type]
    return YearContext(p, p.annual_allowance, leave_year_labelled(year, "01-01"), Employment())


def credit(n: int, amount: str, day: date, expires_on: date | None) -> LedgerEntry:
    return LedgerEntry(
        f"toil:{n}", "t", "e", "toil", TOIL_CREDIT, D(amount), day, expires_on=expires_on
    )


def leave(kind: str, days: list[str], n: int = 0) -> LedgerEntry:
    return LedgerEntry(
        f"{kind}{n}",
        "t",
        "e",
        "toil",
        kind,
        D(len(days)),
        date.fromisoformat(days[0]),
        day_amounts=dict.fromkeys(days, "1"),
    )


def expiries(c: YearContext, stored: list[LedgerEntry]) -> list[tuple[date, Decimal]]:
    return [
        (e.effective_date, e.amount)
        for e in ledger.entries_for_year(c, "e", stored, c.year.end)
        if e.kind == TOIL_EXPIRY
    ]


def test_a_credit_used_partly_expires_with_what_is_left() -> None:
    stored = [
        credit(1, "2", date(2026, 2, 10), date(2026, 5, 10)),
        leave(ledger.DEDUCTION, ["2026-03-02"]),
    ]
    before = ledger.balance(ctx(), "e", stored, date(2026, 5, 9))
    assert (before.toil_earned, before.used, before.remaining) == (D(2), D(1), D(1))
    assert before.toil_expires_on == date(2026, 5, 10)
    after = ledger.balance(ctx(), "e", stored, date(2026, 5, 10))
    assert (after.toil_earned, after.remaining, after.toil_expires_on) == (D(1), D(0), None)
    assert expiries(ctx(), stored) == [(date(2026, 5, 10), D(-1))]


def test_leave_uses_the_oldest_credit_first() -> None:
    stored = [
        credit(1, "1", date(2026, 1, 15), date(2026, 4, 15)),
        credit(2, "2", date(2026, 3, 1), date(2026, 6, 1)),
        leave(ledger.DEDUCTION, ["2026-03-10", "2026-03-11"]),
    ]
    # The January credit goes first and whole; the March one keeps 1, which expires.
    assert unused(stored) == {"toil:1": D(0), "toil:2": D(1)}
    assert expiries(ctx(), stored) == [(date(2026, 6, 1), D(-1))]
    assert ledger.balance(ctx(), "e", stored, date(2026, 4, 30)).toil_expires_on == date(2026, 6, 1)


def test_leave_after_a_credit_expired_uses_the_next_one() -> None:
    stored = [
        credit(1, "1", date(2026, 1, 15), date(2026, 4, 15)),
        credit(2, "1", date(2026, 3, 1), date(2026, 6, 1)),
        leave(ledger.DEDUCTION, ["2026-04-20"]),
    ]
    assert expiries(ctx(), stored) == [(date(2026, 4, 15), D(-1))]
    b = ledger.balance(ctx(), "e", stored, date(2026, 12, 31))
    assert (b.toil_earned, b.used, b.remaining) == (D(1), D(1), D(0))


def test_a_restored_day_gives_the_credit_back() -> None:
    days = ["2026-03-02"]
    stored = [
        credit(1, "2", date(2026, 2, 10), date(2026, 5, 10)),
        leave(ledger.DEDUCTION, days),
        leave(ledger.RESTORATION, days, 1),
    ]
    assert expiries(ctx(), stored) == [(date(2026, 5, 10), D(-2))]


def test_a_credit_without_expiry_never_expires() -> None:
    stored = [credit(1, "2", date(2026, 2, 10), None)]
    b = ledger.balance(ctx(toil_expiry_months=None), "e", stored, date(2026, 12, 31))
    assert (b.toil_earned, b.toil_expires_on) == (D(2), None)
    assert expiries(ctx(), stored) == []


def test_pending_leave_does_not_use_a_credit() -> None:
    stored = [
        credit(1, "2", date(2026, 2, 10), date(2026, 5, 10)),
        leave(ledger.RESERVATION, ["2026-03-02"]),
    ]
    assert expiries(ctx(), stored) == [(date(2026, 5, 10), D(-2))]


def test_the_year_end_carries_a_live_credit_whole_with_its_expiry() -> None:
    # 2 credited on 16 November, expiring 16 February; 1 used on 1 December. The carry-over
    # cap (0 by default) does not take time off in lieu owed for work done.
    stored = [
        credit(1, "2", date(2026, 11, 16), date(2027, 2, 16)),
        leave(ledger.DEDUCTION, ["2026-12-01"]),
    ]
    employee = EmployeeReplica("e", "t", "E")
    c = ctx()
    (carried,) = carryover_entries(employee, [c], stored, leave_year_labelled(2027, "01-01"), "run")
    assert (carried.kind, carried.amount, carried.effective_date, carried.expires_on) == (
        TOIL_CREDIT,
        D(1),
        date(2027, 1, 1),
        date(2027, 2, 16),
    )
    nxt = ctx(2027)
    before = ledger.balance(nxt, "e", [carried], date(2027, 2, 15))
    assert (before.toil_earned, before.toil_expires_on) == (D(1), date(2027, 2, 16))
    after = ledger.balance(nxt, "e", [carried], date(2027, 2, 16))
    assert (after.toil_earned, after.remaining) == (D(0), D(0))


def test_the_year_end_caps_only_the_allowance_part() -> None:
    # 5 of allowance left and 2 of live credit: the credit goes whole, the rest up to the cap.
    stored = [credit(1, "2", date(2026, 12, 1), date(2027, 3, 1))]
    c = ctx(annual_allowance=D(5), carryover_max=D(3))
    found = carryover_entries(
        EmployeeReplica("e", "t", "E"), [c], stored, leave_year_labelled(2027, "01-01"), "run"
    )
    assert sorted((e.kind, e.amount) for e in found) == [("carryover", D(3)), (TOIL_CREDIT, D(2))]
