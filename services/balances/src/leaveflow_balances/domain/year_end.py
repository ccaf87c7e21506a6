"""Closing a leave year: what each employee carries into the next one, and the job that
does it for every employee of a location (service_layer/year_end.py runs it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from . import ledger, toil
from .calendar import LeaveYear, add_months
from .ledger import LedgerEntry, YearContext
from .policy import ZERO
from .replicas import EmployeeReplica

RUNNING, DONE = "running", "done"


def year_end_id(tenant_id: str, location_id: str, year: int) -> str:
    """One job per (tenant, location, year): a second request finds the first."""
    return f"{tenant_id}:{location_id}:{year}"


def anniversary_day_id(tenant_id: str, location_id: str, day: date) -> str:
    """At an anniversary location, one job per day: it closes the years ending the day
    before (those of the people whose year starts on `day`)."""
    return f"{tenant_id}:{location_id}:{day.isoformat()}"


@dataclass
class YearEndJob:
    id: str
    tenant_id: str
    location_id: str
    year: int
    run_id: str
    state: str = RUNNING
    cursor: str | None = None
    processed: int = 0
    carried: int = 0
    requested_by: str | None = None
    runner: str | None = None
    lease_until: float = 0.0  # wall-clock seconds (time.time()); leases are real time
    # Anniversary locations: a day's job closes only the years starting anew on `day`; an
    # admin's job for `year` only those that had ended by `through` (the local today).
    day: date | None = None
    through: date | None = None

    def closes(self, next_year: LeaveYear) -> bool:
        """Whether this job closes a person's year followed by `next_year`."""
        if self.day is not None:
            return next_year.start == self.day
        return self.through is None or next_year.start <= self.through


def employed_across(employee: EmployeeReplica, year: LeaveYear, next_year: LeaveYear) -> bool:
    starts_in_time = employee.start_date is None or employee.start_date <= year.end
    stays = employee.end_date is None or employee.end_date >= next_year.start
    return starts_in_time and stays


Remembered = dict[tuple[object, ...], Decimal]
"""What a year's remaining came to, by everything it depends on (`_remaining`)."""


def _remaining(
    ctx: YearContext, employee_id: str, in_year: list[LedgerEntry], remembered: Remembered
) -> Decimal:
    """Remaining at the end of the year. Without time off in lieu it depends only on the
    context and on the entries' kinds, amounts and days, never on whose they are or their
    ids (a credit's id decides which credit leave uses first): people with the same
    context and the same entries (most of a location, who booked nothing of a type or the
    same days) have the same remaining, worked out once per year end. Amounts are keyed by
    their text, so 3 and 3.0 stay apart as the sums keep them."""
    if any(e.kind == toil.TOIL_CREDIT for e in in_year):
        return ledger.balance(ctx, employee_id, in_year, ctx.year.end).remaining
    key = (
        ctx.policy.leave_type_id,
        str(ctx.allowance),
        ctx.year,
        ctx.employment,
        ctx.labels,
        *(
            (
                e.kind,
                str(e.amount),
                e.effective_date,
                e.booked_on,
                e.expires_on,
                None if e.day_amounts is None else tuple(e.day_amounts.items()),
            )
            for e in in_year
        ),
    )
    found = remembered.get(key)
    if found is None:
        found = remembered[key] = ledger.balance(ctx, employee_id, in_year, ctx.year.end).remaining
    return found


def carryover_entries(
    employee: EmployeeReplica,
    contexts: list[YearContext],
    entries: list[LedgerEntry],
    next_year: LeaveYear,
    run_id: str,
    remembered: Remembered | None = None,
) -> list[LedgerEntry]:
    """What each leave type carries from the closing year into `next_year`. Time off in
    lieu not yet expired goes over whole, credit by credit with its expiry, outside the
    carry-over cap (it is owed for work done); the rest is carried as the policy says.

    `remembered` is shared by the calls of one year end, whose policies stay the same (a
    leave type's policy is keyed by the type)."""
    out = []
    for ctx in contexts:
        policy = ctx.policy
        in_year = [
            e
            for e in entries
            if e.leave_type_id == policy.leave_type_id and e.effective_date in ctx.year
        ]
        # A balance adds up only the year's entries (`ledger._others`): the same remaining.
        remaining = _remaining(ctx, employee.id, in_year, {} if remembered is None else remembered)
        # Most people earned no time off in lieu: then nothing is left of any credit, and
        # the credit walk (a sort and a set per type) is skipped, 100,000 times a job.
        has_credits = any(e.kind == toil.TOIL_CREDIT for e in in_year)
        left = toil.unused(in_year) if has_credits else {}
        live = (
            [
                c
                for c in toil.credits_of(in_year)
                if left[c.id] > 0 and (c.expires_on is None or c.expires_on > ctx.year.end)
            ]
            if left
            else []
        )
        for n, credit in enumerate(live):
            out.append(
                LedgerEntry(
                    id=f"toil_carry:{employee.id}:{policy.leave_type_id}:{next_year.label}:{n}",
                    tenant_id=employee.tenant_id,
                    employee_id=employee.id,
                    leave_type_id=policy.leave_type_id,
                    kind=toil.TOIL_CREDIT,
                    amount=left[credit.id],
                    effective_date=next_year.start,
                    source_event_id=run_id,
                    reason=(
                        f"time off in lieu of {credit.effective_date} carried over from "
                        f"leave year {ctx.year.label}"
                    ),
                    expires_on=credit.expires_on,
                    leave_year=next_year.label,
                )
            )
        carry = policy.carry(remaining - sum((left[c.id] for c in live), ZERO))
        if carry == 0:
            continue
        months = policy.carryover_expiry_months
        out.append(
            LedgerEntry(
                id=f"carryover:{employee.id}:{policy.leave_type_id}:{next_year.label}",
                tenant_id=employee.tenant_id,
                employee_id=employee.id,
                leave_type_id=policy.leave_type_id,
                kind=ledger.CARRYOVER,
                amount=carry,
                effective_date=next_year.start,
                source_event_id=run_id,
                reason=f"carried over from leave year {ctx.year.label}",
                expires_on=(
                    add_months(next_year.start, months)
                    if months is not None and carry > 0
                    else None
                ),
                leave_year=next_year.label,
            )
        )
    return out
