"""A balance is the fold of its ledger entries."""

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from leaveflow_balances.domain import ledger
from leaveflow_balances.domain.ledger import LedgerEntry, balance_from


def entry(kind: str, amount: str) -> LedgerEntry:
    return LedgerEntry(
        id=f"{kind}{amount}",
        tenant_id="t",
        employee_id="e",
        leave_type_id="lt",
        kind=kind,
        amount=Decimal(amount),
        effective_date=date(2026, 1, 1),
    )


def test_reservation_then_deduction_moves_days_from_pending_to_used():
    b = balance_from(
        [
            entry(ledger.RESERVATION, "3"),
            entry(ledger.RESERVATION_RELEASE, "3"),
            entry(ledger.DEDUCTION, "3"),
            entry(ledger.RESERVATION, "1.5"),
        ],
        allowance=Decimal(25),
    )
    assert (b.used, b.pending, b.remaining, b.available) == (
        Decimal(3),
        Decimal("1.5"),
        Decimal(22),
        Decimal("20.5"),
    )


def test_restoration_gives_days_back_and_adjustments_count():
    b = balance_from(
        [
            entry(ledger.DEDUCTION, "2"),
            entry(ledger.RESTORATION, "2"),
            entry(ledger.ADJUSTMENT, "-1"),
        ],
        allowance=Decimal(10),
    )
    assert b.used == 0
    assert b.remaining == Decimal(9)


def test_no_allowance_means_unlimited():
    b = balance_from([entry(ledger.RESERVATION, "400")], allowance=None)
    assert b.can_reserve(Decimal(1000))


def test_cannot_reserve_more_than_available():
    b = balance_from([entry(ledger.RESERVATION, "24")], allowance=Decimal(25))
    assert b.can_reserve(Decimal(1))
    assert not b.can_reserve(Decimal("1.5"))


amounts = st.decimals(min_value=0, max_value=50, places=1)


@given(allowance=amounts, reserved=amounts, used=amounts)
def test_available_is_remaining_minus_pending(allowance, reserved, used):
    b = balance_from(
        [entry(ledger.RESERVATION, str(reserved)), entry(ledger.DEDUCTION, str(used))],
        allowance=allowance,
    )
    assert b.remaining == allowance - used
    assert b.available == b.remaining - b.pending
    assert b.pending == reserved
