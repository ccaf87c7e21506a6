"""Ledger entries and the balance they add up to.

A balance is never stored as a bare number: it is the sum of ledger entries, each with a
kind and the event that caused it, so every figure can be explained entry by entry.
Sign conventions: `reservation` adds to pending, `reservation_release` takes it back;
`deduction` adds to used, `restoration` gives it back; `accrual`, `carryover` and
`adjustment` add to what the employee has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

ZERO = Decimal("0")

ACCRUAL, CARRYOVER, CARRYOVER_EXPIRY, ADJUSTMENT = (
    "accrual",
    "carryover",
    "carryover_expiry",
    "adjustment",
)
RESERVATION, RESERVATION_RELEASE, DEDUCTION, RESTORATION = (
    "reservation",
    "reservation_release",
    "deduction",
    "restoration",
)
KINDS = frozenset(
    {
        ACCRUAL,
        CARRYOVER,
        CARRYOVER_EXPIRY,
        ADJUSTMENT,
        RESERVATION,
        RESERVATION_RELEASE,
        DEDUCTION,
        RESTORATION,
    }
)


@dataclass
class LedgerEntry:
    id: str
    tenant_id: str
    employee_id: str
    leave_type_id: str
    kind: str
    amount: Decimal
    effective_date: date
    source_event_id: str | None = None
    request_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Balance:
    allowance: Decimal
    accrued: Decimal
    carried_over: Decimal
    adjustments: Decimal
    used: Decimal
    pending: Decimal
    negative_allowance: Decimal = ZERO
    unlimited: bool = False

    @property
    def remaining(self) -> Decimal:
        return self.accrued + self.carried_over + self.adjustments - self.used

    @property
    def available(self) -> Decimal:
        return self.remaining - self.pending + self.negative_allowance

    def can_reserve(self, amount: Decimal) -> bool:
        return self.unlimited or amount <= self.available


def balance_from(
    entries: Iterable[LedgerEntry], *, allowance: Decimal | None, unlimited: bool = False
) -> Balance:
    """Fold ledger entries into a balance. The flat allowance counts as accrued upfront
    (per-location policies and accrual schedules replace this later)."""
    sums = dict.fromkeys(KINDS, ZERO)
    for entry in entries:
        sums[entry.kind] += entry.amount
    granted = allowance if allowance is not None else ZERO
    return Balance(
        allowance=granted,
        accrued=granted + sums[ACCRUAL],
        carried_over=sums[CARRYOVER] + sums[CARRYOVER_EXPIRY],
        adjustments=sums[ADJUSTMENT],
        used=sums[DEDUCTION] - sums[RESTORATION],
        pending=sums[RESERVATION] - sums[RESERVATION_RELEASE],
        unlimited=unlimited or allowance is None,
    )
