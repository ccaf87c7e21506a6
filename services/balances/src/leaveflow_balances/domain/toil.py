"""Time off in lieu: approved claims credit the type (stored `toil_credit` entries, dated
the day worked); leave uses the oldest credit still valid on its day first; what a credit
has left when it expires goes (`toil_expiry`, derived when read, like a carry-over's
expiry). A cancelled claim's credit, while leave has used none of it, is taken back by a
`toil_credit` entry of the opposite amount (`REVERSAL` after the credit's id): the pair
sums to nothing, and the credit no longer counts as one to use or to expire."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Protocol, TypeVar

from .policy import ZERO

TOIL_CREDIT, TOIL_EXPIRY = "toil_credit", "toil_expiry"
# The bookings that use credits (signed: a restoration gives the day back).
_USE = {"deduction": 1, "restoration": -1}


class Entry(Protocol):
    """What this module reads of a ledger entry (`ledger.LedgerEntry`)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def effective_date(self) -> date: ...
    @property
    def expires_on(self) -> date | None: ...
    @property
    def day_amounts(self) -> dict[str, str] | None: ...


E = TypeVar("E", bound=Entry)


REVERSAL = ":reversal"


def reversal_id(credit_id: str) -> str:
    return f"{credit_id}{REVERSAL}"


def credits_of(entries: Iterable[E]) -> list[E]:
    """The credits not taken back, oldest first."""
    entries = list(entries)
    taken_back = {e.id for e in entries if e.kind == TOIL_CREDIT and e.id.endswith(REVERSAL)}
    return sorted(
        (
            e
            for e in entries
            if e.kind == TOIL_CREDIT and e.amount > 0 and reversal_id(e.id) not in taken_back
        ),
        key=lambda e: (e.effective_date, e.id),
    )


def used_of(credit: Entry, entries: Iterable[Entry]) -> Decimal:
    """How much of `credit` approved leave has used (0 for a credit not among them)."""
    return credit.amount - unused(entries).get(credit.id, credit.amount)


def _used_by_day(entries: Iterable[Entry]) -> list[tuple[date, Decimal]]:
    days: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for entry in entries:
        sign = _USE.get(entry.kind)
        if sign is None:
            continue
        amounts = entry.day_amounts or {entry.effective_date.isoformat(): str(entry.amount)}
        for day, amount in amounts.items():
            days[date.fromisoformat(day)] += Decimal(amount) * sign
    return sorted((d, a) for d, a in days.items() if a > 0)


def unused(entries: Iterable[Entry]) -> dict[str, Decimal]:
    """What each credit has left once the leave booked (approved) has used it: each leave
    day takes from the oldest credit not expired on that day."""
    entries = list(entries)
    credits = credits_of(entries)
    left = {c.id: c.amount for c in credits}
    if not credits:
        return left
    for day, amount in _used_by_day(entries):
        for credit in credits:
            if amount <= 0:
                break
            if credit.expires_on is not None and credit.expires_on <= day:
                continue
            take = min(left[credit.id], amount)
            left[credit.id] -= take
            amount -= take
    return left
