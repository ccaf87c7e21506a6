"""The policy's request rules, the blackout periods and the department's coverage limit,
applied to a request being submitted or edited (issue 17): what the pure rules in
`domain/request_rules.py` and `domain/blackouts.py` need is loaded here, inside the
submission's transaction. The warnings approvers see come from here only."""

from __future__ import annotations

from datetime import date, timedelta

from leaveflow_kit.clock import today_in

from ..domain.blackouts import BLOCK, coverage_sentence, touched_by
from ..domain.directory import Employee, LeaveType, Location
from ..domain.errors import CoverageExceeded, InvalidRequest
from ..domain.model import LeaveRequest
from ..domain.request_rules import DayKind, RequestRules, Span, day_kind
from ..domain.working_days import WorkingDays
from .ports import Clock, DirectoryReads, Repository

# How far around a request the live requests that may join its run or sandwich it are
# looked for: a run longer than this on either side is not a rule anyone sets.
NEIGHBOURHOOD = timedelta(days=120)


def _kind(location: Location, employee: Employee, start: date, end: date) -> DayKind:
    schedule = location.schedule_for(employee)
    holidays = location.holidays_between(start, end).keys()
    return day_kind(lambda d: schedule.day_weight(d) > 0, set(holidays))


async def _neighbours(
    reads: DirectoryReads,
    employee: Employee,
    leave_type_id: str,
    start: date,
    end: date,
    *,
    besides: str | None = None,
) -> list[Span]:
    live = await reads.live_requests_overlapping(
        employee.tenant_id, employee.id, start - NEIGHBOURHOOD, end + NEIGHBOURHOOD
    )
    return [
        Span(other.start_date, other.end_date, other.amount)
        for other in live
        if other.id != besides and other.leave_type_id == leave_type_id
    ]


async def sandwiched_days(
    reads: DirectoryReads,
    employee: Employee,
    location: Location | None,
    leave_type_id: str,
    counted: WorkingDays,
    start: date,
    end: date,
    *,
    besides: str | None = None,
) -> tuple[date, ...]:
    """The non-working days the policy's sandwich mode also charges a day-unit request of
    these working days (`besides`: the request itself, when it is priced again)."""
    if location is None:
        return ()
    rules = await reads.policy_rules(employee.tenant_id, location.id, leave_type_id)
    if rules.sandwich == "off":
        return ()
    others = await _neighbours(reads, employee, leave_type_id, start, end, besides=besides)
    kind = _kind(location, employee, start - NEIGHBOURHOOD, end + NEIGHBOURHOOD)
    return rules.sandwiched(start, end, counted.days, others, kind)


def with_sandwiched(counted: WorkingDays, extra: tuple[date, ...]) -> WorkingDays:
    """The price with the sandwiched days: each a full day."""
    if not extra:
        return counted
    days = tuple(sorted({*counted.days, *extra}))
    return WorkingDays(days=days, amount=counted.amount + len(extra))


async def add_sandwiched_days(
    repo: Repository, request: LeaveRequest, employee: Employee, location: Location | None
) -> None:
    """Charge the non-working days the policy's sandwich mode counts (day-unit types)."""
    if request.unit != "days":
        return
    counted = WorkingDays(days=tuple(request.working_days), amount=request.amount)
    extra = await sandwiched_days(
        repo,
        employee,
        location,
        request.leave_type_id,
        counted,
        request.start_date,
        request.end_date,
        besides=request.id,
    )
    priced = with_sandwiched(counted, extra)
    request.sandwiched_days = list(extra)
    request.working_days, request.amount = list(priced.days), priced.amount


async def _coverage(
    repo: Repository, request: LeaveRequest, employee: Employee, *, override: bool
) -> str | None:
    """Refuse a request that takes the department over its `max_off` on a day ("block",
    409 naming the day; an admin's override lets it through with the warning), or the
    warning ("warn"). The department's people's live requests count: submitted, pending
    and approved, each on the days it takes."""
    if employee.department_id is None:
        return None
    department = await repo.department(request.tenant_id, employee.department_id)
    if department is None or not department.active or department.max_off is None:
        return None
    # Serialise with the other members' submissions: the second one counts the first.
    department.coverage_guard += 1
    await repo.save(department)
    if not request.working_days:
        return None
    first, last = min(request.working_days), max(request.working_days)
    others: list[tuple[str, list[date]]] = []
    members = await repo.employee_ids_in(request.tenant_id, [department.id])
    for member in sorted(members - {employee.id}):
        for other in await repo.live_requests_overlapping(request.tenant_id, member, first, last):
            others.append((member, other.working_days))
    said = coverage_sentence(
        department.name, department.max_off, request.working_days, others, employee.id
    )
    if said is None:
        return None
    if department.max_off_mode == BLOCK and not override:
        raise CoverageExceeded(said)
    return f"{said}."


async def check_rules(
    repo: Repository,
    clock: Clock,
    request: LeaveRequest,
    employee: Employee,
    leave_type: LeaveType,
    location: Location | None,
    *,
    override: bool,
) -> list[str]:
    """Refuse a request that breaks a rule of its policy or a blocking blackout (422 naming
    the rule) or its department's coverage limit (409 naming the day); the warnings the
    approvers should see otherwise."""
    blackouts = touched_by(
        await repo.blackouts(request.tenant_id),
        start=request.start_date,
        end=request.end_date,
        location_id=employee.location_id,
        department_id=employee.department_id,
        leave_type_id=request.leave_type_id,
    )
    if blackouts.blocking and not override:
        raise InvalidRequest(
            f"{blackouts.blocking[0].sentence()}: {leave_type.name} cannot be taken then",
            field="start_date",
        )
    warnings = [f"{b.sentence()}." for b in blackouts.warnings]
    covered = await _coverage(repo, request, employee, override=override)
    if covered is not None:
        warnings.append(covered)
    if location is None:
        return warnings
    rules: RequestRules = await repo.policy_rules(request.tenant_id, location.id, leave_type.id)
    if not rules.any:
        return warnings
    rules.check_dates(
        start=request.start_date,
        end=request.end_date,
        today=today_in(clock, location.timezone),
        employed_since=employee.start_date,
        type_name=leave_type.name,
        override=override,
    )
    if rules.max_consecutive is not None:
        others = await _neighbours(
            repo,
            employee,
            request.leave_type_id,
            request.start_date,
            request.end_date,
            besides=request.id,
        )
        kind = _kind(
            location,
            employee,
            request.start_date - NEIGHBOURHOOD,
            request.end_date + NEIGHBOURHOOD,
        )
        rules.check_consecutive(
            Span(request.start_date, request.end_date, request.amount),
            others,
            kind,
            unit=request.unit,
            type_name=leave_type.name,
        )
    return warnings
