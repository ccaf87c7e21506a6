"""Ledger entries and the balance they add up to.

A balance is never stored as a bare number: it is the sum of ledger entries, each with a
kind and the event that caused it, so every figure can be explained entry by entry.
Sign conventions: `reservation` adds to pending, `reservation_release` takes it back;
`deduction` adds to used, `restoration` gives it back; `accrual`, `carryover`,
`carryover_expiry` (negative) and `adjustment` add to what the employee has, and so do
issue 17's entitlements: `seniority`, `label`, `toil_credit` and `toil_expiry` (negative).

Accruals, expiries, seniority and labels are a function of the policy, the dates and the
other entries, so they are derived when read (`entries_for_year`) rather than written by a
job: an employee added with a past start date, a future `as_of`, a changed policy all come
out right without anything having to run first. Bookings, carry-overs, adjustments and
time-off-in-lieu credits are stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from . import toil
from .accrual import Employment, accrued, credits
from .calendar import LeaveYear

# The entitlement kinds are ledger kinds like the others (re-exported).
from .entitlements import LABEL as LABEL
from .entitlements import SENIORITY as SENIORITY
from .entitlements import Grant, LabelPeriod, label_grants, seniority_grants
from .policy import ZERO, Policy
from .toil import TOIL_CREDIT as TOIL_CREDIT
from .toil import TOIL_EXPIRY as TOIL_EXPIRY

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
ENTITLEMENT_KINDS = frozenset({SENIORITY, LABEL, TOIL_CREDIT, TOIL_EXPIRY})
ALL_KINDS = KINDS | ENTITLEMENT_KINDS
# What adds to remaining from its effective date (bookings subtract: `_remaining_on`).
_GAINS = frozenset({CARRYOVER, CARRYOVER_EXPIRY, ADJUSTMENT}) | ENTITLEMENT_KINDS
# Bookings count in their leave year whatever `as_of` says (approved leave is used when
# approved, taken or not); the other kinds count from their effective date.
BOOKING_SIGN = {RESERVATION: 1, RESERVATION_RELEASE: -1, DEDUCTION: 1, RESTORATION: -1}


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
    # Bookings: the amount per leave day ("YYYY-MM-DD" -> "1.00"), so the days before a
    # carry-over expiry can be told apart. Carry-overs: when the carried days expire.
    day_amounts: dict[str, str] | None = None
    expires_on: date | None = None
    # The leave year (label) the entry counts in, so a year's entries are one query.
    leave_year: int | None = None
    # Bookings: the (UTC) day the event booking it happened; an accrual cap counts a
    # deduction from then (older entries: from their effective date).
    booked_on: date | None = None

    def amount_before(self, cutoff: date) -> Decimal:
        if not self.day_amounts:
            return self.amount if self.effective_date < cutoff else ZERO
        return sum(
            (Decimal(v) for d, v in self.day_amounts.items() if date.fromisoformat(d) < cutoff),
            ZERO,
        )


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
    carryover_expires_on: date | None = None
    # Carried into the year before any expiry, and the leave booked on days before the
    # expiry (which uses carried days first).
    carried_in: Decimal = ZERO
    booked_before_expiry: Decimal = ZERO
    # Issue 17's entitlements: the seniority step's extra, the labels' extra, and time off
    # in lieu credited less what expired; the next day an unused credit expires.
    seniority: Decimal = ZERO
    label_extra: Decimal = ZERO
    toil_earned: Decimal = ZERO
    toil_expires_on: date | None = None

    @property
    def extra(self) -> Decimal:
        return self.seniority + self.label_extra + self.toil_earned

    @property
    def remaining(self) -> Decimal:
        return self.accrued + self.carried_over + self.adjustments + self.extra - self.used

    @property
    def available(self) -> Decimal:
        return self.remaining - self.pending + self.negative_allowance

    def available_for(self, before_expiry: Decimal) -> Decimal:
        """What a request can use when `before_expiry` of its amount falls on days before
        the carried days expire: carried days count only for those days."""
        if self.carryover_expires_on is None or self.carried_in <= 0:
            return self.available
        spent = min(self.carried_in, self.booked_before_expiry)
        own = (
            self.accrued
            + self.adjustments
            + self.extra
            - (self.used + self.pending - spent)
            + self.negative_allowance
        )
        return own + min(self.carried_in - spent, max(before_expiry, ZERO))

    def can_reserve(self, amount: Decimal, before_expiry: Decimal) -> bool:
        return self.unlimited or amount <= self.available_for(before_expiry)


@dataclass(frozen=True)
class YearContext:
    """Everything besides stored entries that a year's balance depends on."""

    policy: Policy
    allowance: Decimal
    year: LeaveYear
    employment: Employment
    # The employee's labels over time (`label_extra`).
    labels: tuple[LabelPeriod, ...] = ()


def _remaining_on(day: date, others: Iterable[LedgerEntry]) -> Decimal:
    """Remaining before pending, accruals aside, as it stood on `day`: gains from their
    effective date, deductions from the day they were booked."""
    total = ZERO
    for e in others:
        if e.kind in _GAINS:
            if e.effective_date <= day:
                total += e.amount
        elif e.kind in (DEDUCTION, RESTORATION) and (e.booked_on or e.effective_date) <= day:
            total -= e.amount * BOOKING_SIGN[e.kind]
    return total


def _accrual_entries(
    ctx: YearContext, employee_id: str, through: date, others: list[LedgerEntry]
) -> list[LedgerEntry]:
    """One entry per step of the cumulative grant. Under an accrual cap a step grants only
    what keeps remaining (the `others` and the accruals so far) at or below the cap."""
    cap = ctx.policy.accrual_cap
    out: list[LedgerEntry] = []
    previous = granted = ZERO
    for credit in credits(ctx.policy, ctx.allowance, ctx.year, ctx.employment):
        if credit.day > through:
            break
        step, previous = credit.total - previous, credit.total
        amount, reason = step, None
        if cap is not None and step > 0:
            room = cap - granted - _remaining_on(credit.day, others)
            amount = min(step, max(room, ZERO))
            if amount != step:
                reason = f"accrual cap {cap}: {amount} of {step} granted"
        if amount == 0:
            continue
        granted += amount
        out.append(
            LedgerEntry(
                id=f"accrual:{ctx.policy.leave_type_id}:{credit.day.isoformat()}",
                tenant_id=ctx.policy.tenant_id,
                employee_id=employee_id,
                leave_type_id=ctx.policy.leave_type_id,
                kind=ACCRUAL,
                amount=amount,
                effective_date=credit.day,
                source_event_id=ctx.policy.event_id,
                reason=reason,
            )
        )
    return out


def _grant_entry(ctx: YearContext, employee_id: str, grant: Grant) -> LedgerEntry:
    return LedgerEntry(
        id=grant.key,
        tenant_id=ctx.policy.tenant_id,
        employee_id=employee_id,
        leave_type_id=ctx.policy.leave_type_id,
        kind=grant.kind,
        amount=grant.amount,
        effective_date=grant.day,
        source_event_id=ctx.policy.event_id,
        reason=grant.reason,
        leave_year=ctx.year.label,
    )


def _toil_expiries(ctx: YearContext, mine: list[LedgerEntry]) -> list[LedgerEntry]:
    """Credits of the year expiring inside it lose what leave had not used of them; one
    expiring later is carried into the next year by the year end (`year_end.py`)."""
    left = toil.unused(mine)
    out = []
    for credit in toil.credits_of(mine):
        expires_on = credit.expires_on
        if expires_on is None or expires_on not in ctx.year or left[credit.id] <= 0:
            continue
        out.append(
            LedgerEntry(
                id=f"{credit.id}:expiry",
                tenant_id=credit.tenant_id,
                employee_id=credit.employee_id,
                leave_type_id=credit.leave_type_id,
                kind=TOIL_EXPIRY,
                amount=-left[credit.id],
                effective_date=expires_on,
                source_event_id=credit.source_event_id,
                reason=f"time off in lieu of {credit.effective_date} not used before it expired",
                leave_year=ctx.year.label,
            )
        )
    return out


def _expiry_entry(carried: list[LedgerEntry], stored: list[LedgerEntry]) -> LedgerEntry | None:
    """At expiry, the carried days not used by leave dated before it (used first) go."""
    total = sum((e.amount for e in carried), ZERO)
    expires_on = next((e.expires_on for e in carried if e.expires_on), None)
    if total <= 0 or expires_on is None:
        return None
    used_before = sum(
        (
            e.amount_before(expires_on) * (1 if e.kind == DEDUCTION else -1)
            for e in stored
            if e.kind in (DEDUCTION, RESTORATION)
        ),
        ZERO,
    )
    unused = total - min(total, max(used_before, ZERO))
    if unused == 0:
        return None
    first = carried[0]
    return LedgerEntry(
        id=f"{first.id}:expiry",
        tenant_id=first.tenant_id,
        employee_id=first.employee_id,
        leave_type_id=first.leave_type_id,
        kind=CARRYOVER_EXPIRY,
        amount=-unused,
        effective_date=expires_on,
        source_event_id=first.source_event_id,
        reason="carried days not used before they expired",
    )


def _others(
    ctx: YearContext, employee_id: str, stored: Iterable[LedgerEntry], through: date
) -> list[LedgerEntry]:
    """The year's entries as of `through` besides its accruals: stored ones (bookings
    whatever their date, the others once effective) and the derived expiries, seniority and
    label entries."""
    mine = [e for e in stored if e.effective_date in ctx.year]
    out = [e for e in mine if e.kind in BOOKING_SIGN or e.effective_date <= through]
    derived = _toil_expiries(ctx, mine)
    expiry = _expiry_entry([e for e in mine if e.kind == CARRYOVER], mine)
    if expiry is not None:
        derived.append(expiry)
    grants = seniority_grants(ctx.policy, ctx.year, ctx.employment) + label_grants(
        ctx.policy, ctx.year, ctx.employment, ctx.labels
    )
    derived += [_grant_entry(ctx, employee_id, g) for g in grants]
    return out + [e for e in derived if e.effective_date <= through]


def entries_for_year(
    ctx: YearContext, employee_id: str, stored: Iterable[LedgerEntry], through: date
) -> list[LedgerEntry]:
    """The year's ledger as of `through`: its stored entries with the derived accruals,
    expiries, seniority and label entries, in date order."""
    others = _others(ctx, employee_id, stored, through)
    out = others + _accrual_entries(ctx, employee_id, through, others)
    out.sort(key=lambda e: (e.effective_date, e.id))
    return out


def fold(entries: Iterable[LedgerEntry], ctx: YearContext, *, accrued: Decimal = ZERO) -> Balance:
    """Add entries up into a balance: every field is a sum of entries of known kinds
    (`accrued` adds the accruals when they were summed already)."""
    entries = list(entries)
    sums: dict[str, Decimal] = dict.fromkeys(ALL_KINDS, ZERO)
    carried: list[LedgerEntry] = []
    bookings: list[LedgerEntry] = []
    for entry in entries:
        sums[entry.kind] += entry.amount
        if entry.kind == CARRYOVER:
            carried.append(entry)
        elif entry.kind in BOOKING_SIGN:
            bookings.append(entry)
    expires_on = next((e.expires_on for e in carried if e.expires_on), None)
    before = ZERO
    if expires_on is not None:
        before = sum((e.amount_before(expires_on) * BOOKING_SIGN[e.kind] for e in bookings), ZERO)
    policy = ctx.policy
    return Balance(
        allowance=ctx.allowance,
        accrued=sums[ACCRUAL] + accrued,
        carried_over=sums[CARRYOVER] + sums[CARRYOVER_EXPIRY],
        adjustments=sums[ADJUSTMENT],
        used=sums[DEDUCTION] - sums[RESTORATION],
        pending=sums[RESERVATION] - sums[RESERVATION_RELEASE],
        negative_allowance=policy.negative_allowance,
        unlimited=policy.unlimited,
        carryover_expires_on=expires_on if sums[CARRYOVER] > 0 else None,
        carried_in=sums[CARRYOVER],
        booked_before_expiry=before,
        seniority=sums[SENIORITY],
        label_extra=sums[LABEL],
        toil_earned=sums[TOIL_CREDIT] + sums[TOIL_EXPIRY],
        toil_expires_on=_next_toil_expiry(entries),
    )


def _next_toil_expiry(entries: list[LedgerEntry]) -> date | None:
    """When the next credit with something left expires (None: none will)."""
    expired = {e.id for e in entries if e.kind == TOIL_EXPIRY}
    left = toil.unused(entries)
    days = [
        c.expires_on
        for c in toil.credits_of(entries)
        if c.expires_on is not None and left[c.id] > 0 and f"{c.id}:expiry" not in expired
    ]
    return min(days, default=None)


def balance(
    ctx: YearContext, employee_id: str, stored: Iterable[LedgerEntry], as_of: date
) -> Balance:
    """`fold(entries_for_year(...))`, without building an entry per accrual step: the
    accrual entries add up to the cumulative total by construction (under a cap each step
    depends on the others, so they are built)."""
    others = _others(ctx, employee_id, stored, as_of)
    if ctx.policy.accrual_cap is not None:
        return fold(others + _accrual_entries(ctx, employee_id, as_of, others), ctx)
    granted = accrued(ctx.policy, ctx.allowance, ctx.year, ctx.employment, as_of)
    return fold(others, ctx, accrued=granted)


def day_amounts_text(amounts: Mapping[date, Decimal]) -> dict[str, str]:
    return {d.isoformat(): str(v) for d, v in sorted(amounts.items())}
