"""Balances as of a day, worked out from the policy, the dates and the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..domain import ledger
from ..domain.calendar import DEFAULT_YEAR_START, LeaveYear, leave_year_of, person_year_start
from ..domain.ledger import Balance, LedgerEntry, YearContext
from ..domain.policy import Policy
from ..domain.replicas import EmployeeReplica, LocationReplica
from .ports import Reads


@dataclass(frozen=True)
class TypeBalance:
    policy: Policy
    year: LeaveYear
    balance: Balance
    context: YearContext


async def year_start_of(directory: Reads, employee: EmployeeReplica) -> str:
    """When the employee's leave year starts ("MM-DD", or their anniversary's)."""
    if employee.location_id is None:
        return DEFAULT_YEAR_START
    location = await directory.location(employee.tenant_id, employee.location_id)
    return year_start_at(location, employee)


def year_start_at(location: LocationReplica | None, employee: EmployeeReplica) -> str:
    """`year_start_of` with the employee's location already read (None: they have none)."""
    if location is None:
        return DEFAULT_YEAR_START
    return person_year_start(location.leave_year_start, employee.start_date)


async def active_policy(
    directory: Reads, employee: EmployeeReplica, leave_type_id: str
) -> Policy | None:
    if employee.location_id is None:
        return None
    policy = await directory.policy(employee.tenant_id, employee.location_id, leave_type_id)
    return policy if policy is not None and policy.active else None


async def context_for(
    directory: Reads, employee: EmployeeReplica, policy: Policy, year: LeaveYear
) -> YearContext:
    override = await directory.override(
        employee.tenant_id, employee.id, policy.leave_type_id, year.label
    )
    allowance = override.annual_allowance if override else policy.annual_allowance
    return YearContext(policy, allowance, year, employee.employment, tuple(employee.label_periods))


async def type_balance(
    directory: Reads,
    employee: EmployeeReplica,
    policy: Policy,
    day: date,
    entries: list[LedgerEntry],
    *,
    year_start: str,
) -> TypeBalance:
    year = leave_year_of(day, year_start)
    ctx = await context_for(directory, employee, policy, year)
    mine = [e for e in entries if e.leave_type_id == policy.leave_type_id]
    return TypeBalance(policy, year, ledger.balance(ctx, employee.id, mine, day), ctx)


async def employee_balances(
    directory: Reads, employee: EmployeeReplica, day: date, *, year_start: str | None = None
) -> tuple[LeaveYear, list[TypeBalance]]:
    """One balance per leave type with an active policy at the employee's location
    (`year_start`: `year_start_of` the employee, if the caller has it already)."""
    if year_start is None:
        year_start = await year_start_of(directory, employee)
    # Every type's balance is of the same leave year, and a balance adds up only the
    # entries effective in it: the other years' are not even decoded.
    entries = await directory.entries(
        employee.tenant_id, employee.id, within=leave_year_of(day, year_start)
    )
    out = []
    if employee.location_id is not None:
        for policy in await directory.policies(employee.tenant_id):
            if policy.location_id == employee.location_id and policy.active:
                out.append(
                    await type_balance(
                        directory, employee, policy, day, entries, year_start=year_start
                    )
                )
    return leave_year_of(day, year_start), out


async def ledger_view(
    directory: Reads,
    employee: EmployeeReplica,
    *,
    leave_type_id: str | None,
    start: date | None,
    end: date | None,
    today: date,
) -> list[LedgerEntry]:
    """The entries explaining the employee's balances: stored ones and, for every leave
    year in the window, the derived accruals and expiries (through `end`, else today)."""
    year_start = await year_start_of(directory, employee)
    stored = [
        e
        for e in await directory.entries(employee.tenant_id, employee.id)
        if leave_type_id is None or e.leave_type_id == leave_type_id
    ]
    through = end or today
    first = start or min([e.effective_date for e in stored] + [today])
    last = max([e.effective_date for e in stored] + [through])
    years = [leave_year_of(first, year_start)]
    while years[-1].end < last:
        years.append(years[-1].next(year_start))
    out: list[LedgerEntry] = []
    covered: set[str] = set()
    if employee.location_id is not None:
        for policy in await directory.policies(employee.tenant_id):
            if policy.location_id != employee.location_id or not policy.active:
                continue
            if leave_type_id is not None and policy.leave_type_id != leave_type_id:
                continue
            covered.add(policy.leave_type_id)
            mine = [e for e in stored if e.leave_type_id == policy.leave_type_id]
            for year in years:
                ctx = await context_for(directory, employee, policy, year)
                out += ledger.entries_for_year(ctx, employee.id, mine, through)
    out += [e for e in stored if e.leave_type_id not in covered]
    out = [
        e
        for e in out
        if (start is None or e.effective_date >= start) and (end is None or e.effective_date <= end)
    ]
    out.sort(key=lambda e: (e.effective_date, e.id))
    return out
