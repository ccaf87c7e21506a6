"""Use cases of the requests service. Each opens one transaction, applies one rule set,
and records its events in the outbox of that same transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from leaveflow_contracts import EventData, LeaveReservationRejected, LeaveReserved, new_id
from leaveflow_kit.documents import from_doc
from leaveflow_kit.messaging import EventHandler, HandledEvent
from leaveflow_kit.storage import DuplicateKey, Store, Transaction

from ..adapters.repository import EMPLOYEES, LEAVE_TYPES, Repository
from ..domain import errors
from ..domain.directory import Department, Employee, LeaveType, Location, Tenant
from ..domain.model import NO_WORKING_DAYS, LeaveRequest
from ..domain.work_schedule import WorkSchedule
from ..domain.working_days import WorkingDays, count_hours, count_working_days
from . import integration
from .commands import (
    Actor,
    CancelLeaveRequest,
    CreateLeaveType,
    CreateTenant,
    DecideLeaveRequest,
    DepartmentFields,
    LocationFields,
    SubmitLeaveRequest,
    UpsertEmployee,
)
from .event_log import emit

Clock = Callable[[], datetime]


async def _record_by(tx: Transaction, actor: Actor, data: EventData) -> None:
    """Record an event caused by a caller's command (their id, their correlation id)."""
    await emit(
        tx,
        data,
        tenant_id=actor.tenant_id,
        actor=actor.employee_id,
        correlation_id=actor.correlation_id,
    )


async def _existing_request(repo: Repository, actor: Actor, request_id: str) -> LeaveRequest:
    request = await repo.leave_request(actor.tenant_id, request_id)
    if request is None:
        raise errors.NotFound("no such leave request")
    return request


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise errors.NotAllowed("requires role admin")


# One fixed document that the first signup inserts: two first signups racing both write
# it, so one of them fails (a duplicate key, or a write conflict whose retry then sees the
# tenant) instead of both reading "no company yet" and both committing.
FIRST_SIGNUP = ("installation", "first-signup")


async def create_tenant(
    store: Store, cmd: CreateTenant, *, first_only: bool = False
) -> tuple[Tenant, Employee]:
    """Sign up a company and its first admin; with ``first_only``, only while none exists."""
    tenant = Tenant(id=new_id(), name=cmd.name, timezone=cmd.timezone)
    admin = Employee(
        id=new_id(), tenant_id=tenant.id, name=cmd.admin_name, email=cmd.admin_email, role="admin"
    )

    async def run(tx: Transaction) -> None:
        repo = Repository(tx)
        if first_only:
            if await tx.get(*FIRST_SIGNUP) or await repo.any_tenant():
                raise errors.SignupClosed("signup is closed: the first company exists")
            await tx.insert(*FIRST_SIGNUP, {"tenant_id": tenant.id})
        await repo.add_tenant(tenant)
        await repo.add_employee(admin)
        first = await emit(
            tx, integration.tenant_created(tenant, admin.id), tenant_id=tenant.id, actor=admin.id
        )
        await emit(tx, integration.employee_upserted(admin), tenant_id=tenant.id, cause=first)

    try:
        await store.atomic(run)
    except DuplicateKey:
        if not first_only:
            raise
        raise errors.SignupClosed("signup is closed: the first company exists") from None
    return tenant, admin


async def find_login(store: Store, tenant_id: str, email: str) -> Employee:
    async def run(tx: Transaction) -> Employee | None:
        return await Repository(tx).employee_by_email(tenant_id, email)

    employee = await store.atomic(run)
    if employee is None:
        raise errors.NotFound("no such employee in this tenant")
    return employee


async def _check_references(repo: Repository, actor: Actor, employee: Employee) -> None:
    """The department and location must be live ones of this tenant, and the work
    pattern must fit the working day."""
    if employee.start_date and employee.end_date and employee.end_date < employee.start_date:
        raise errors.InvalidRequest("end_date is before start_date", field="end_date")
    if employee.department_id is not None:
        department = await repo.department(actor.tenant_id, employee.department_id)
        if department is None or not department.active:
            raise errors.InvalidRequest("unknown department", field="department_id")
    if employee.location_id is not None:
        location = await repo.location(actor.tenant_id, employee.location_id)
        if location is None or not location.active:
            raise errors.InvalidRequest("unknown location", field="location_id")
        try:
            location.schedule_for(employee)
        except errors.InvalidRequest as exc:
            raise errors.InvalidRequest(str(exc), field="work_pattern") from None


async def update_employee(
    store: Store, actor: Actor, employee_id: str, changes: dict[str, Any]
) -> Employee:
    """Change some fields of an employee (admin); email stays unique in the tenant."""
    _require_admin(actor)

    async def run(tx: Transaction) -> Employee:
        repo = Repository(tx)
        employee = await repo.employee(actor.tenant_id, employee_id)
        if employee is None:
            raise errors.NotFound("no such employee")
        new_email = changes.get("email", employee.email)
        if new_email != employee.email and await repo.employee_by_email(actor.tenant_id, new_email):
            raise errors.DuplicateEmail(f"an employee with email {new_email} exists")
        for key, value in changes.items():
            setattr(employee, key, value)
        await _check_references(repo, actor, employee)
        if employee.role != "admin" and (await repo.admin_ids(actor.tenant_id)) == {employee.id}:
            raise errors.LastAdmin(
                f"{employee.name} is the last admin: make someone else admin first"
            )
        await repo.save(employee)
        await _record_by(tx, actor, integration.employee_upserted(employee))
        return employee

    return await store.atomic(run)


async def update_leave_type(
    store: Store, actor: Actor, leave_type_id: str, changes: dict[str, Any]
) -> LeaveType:
    """Change some fields of a leave type (admin); `active: false` deactivates it."""
    _require_admin(actor)

    async def run(tx: Transaction) -> LeaveType:
        repo = Repository(tx)
        leave_type = await repo.leave_type(actor.tenant_id, leave_type_id)
        if leave_type is None:
            raise errors.NotFound("no such leave type")
        for key, value in changes.items():
            setattr(leave_type, key, value)
        await repo.save(leave_type)
        await _record_by(tx, actor, integration.leave_type_upserted(leave_type))
        return leave_type

    return await store.atomic(run)


async def remove_leave_type(store: Store, actor: Actor, leave_type_id: str) -> bool:
    """Delete a leave type nobody has requested yet; deactivate one that has been used, so
    its requests and ledger keep naming it. Returns whether it was deleted."""
    _require_admin(actor)

    async def run(tx: Transaction) -> bool:
        repo = Repository(tx)
        leave_type = await repo.leave_type(actor.tenant_id, leave_type_id)
        if leave_type is None:
            raise errors.NotFound("no such leave type")
        used = await repo.leave_type_used(actor.tenant_id, leave_type_id)
        leave_type.active = False
        if used:
            await repo.save(leave_type)
        else:
            await tx.delete(LEAVE_TYPES, leave_type_id)
        # Either way the other services stop offering it.
        await _record_by(tx, actor, integration.leave_type_upserted(leave_type))
        return not used

    return await store.atomic(run)


async def create_employee(store: Store, actor: Actor, cmd: UpsertEmployee) -> Employee:
    _require_admin(actor)
    employee = Employee(id=new_id(), tenant_id=actor.tenant_id, **cmd.__dict__)

    async def run(tx: Transaction) -> None:
        await _check_references(Repository(tx), actor, employee)
        try:
            await Repository(tx).add_employee(employee)
        except DuplicateKey:
            raise errors.DuplicateEmail(f"an employee with email {cmd.email} exists") from None
        await _record_by(tx, actor, integration.employee_upserted(employee))

    await store.atomic(run)
    return employee


async def save_location(
    store: Store,
    actor: Actor,
    fields: LocationFields,
    location_id: str | None = None,
    clock: Clock | None = None,
) -> Location:
    """Create a location, or replace the given fields of an existing one (admin)."""
    _require_admin(actor)

    async def run(tx: Transaction) -> Location:
        repo = Repository(tx)
        if location_id is None:
            location = Location(id=new_id(), tenant_id=actor.tenant_id, name=fields.name)
        else:
            found = await repo.location(actor.tenant_id, location_id)
            if found is None:
                raise errors.NotFound("no such location")
            location = found
        location.name = fields.name
        location.timezone = fields.timezone
        location.workweek = sorted(set(fields.workweek))
        location.country = fields.country.upper() if fields.country else None
        location.subdivision = fields.subdivision if fields.country else None
        location.extra_holidays = [{"date": d, "name": n} for d, n in fields.extra_holidays]
        location.leave_year_start = fields.leave_year_start
        location.holiday_calendar()  # raises a 422 for an unknown country or subdivision
        await repo.save(location)
        await _record_by(tx, actor, integration.location_upserted(location))
        if location_id is not None:
            await _reprice_location(tx, repo, actor, location, clock)
        return location

    return await store.atomic(run)


async def save_department(
    store: Store, actor: Actor, fields: DepartmentFields, department_id: str | None = None
) -> Department:
    """Create or rename a department and set its approvers (admin)."""
    _require_admin(actor)

    async def run(tx: Transaction) -> Department:
        repo = Repository(tx)
        if department_id is None:
            department = Department(id=new_id(), tenant_id=actor.tenant_id, name=fields.name)
        else:
            found = await repo.department(actor.tenant_id, department_id)
            if found is None or not found.active:
                raise errors.NotFound("no such department")
            department = found
        approvers = list(dict.fromkeys(fields.approver_ids))
        for approver_id in approvers:
            approver = await repo.employee(actor.tenant_id, approver_id)
            if approver is None or approver.role not in ("approver", "admin"):
                raise errors.InvalidRequest(
                    f"{approver_id} is not an approver or admin of this company",
                    field="approver_ids",
                )
        department.name = fields.name
        department.approver_ids = approvers
        await repo.save(department)
        await _record_by(tx, actor, integration.department_upserted(department))
        return department

    return await store.atomic(run)


async def _reprice_location(
    tx: Transaction, repo: Repository, actor: Actor, location: Location, clock: Clock | None
) -> None:
    """Every request of the location's people that has not ended gets the new calendar's
    price (as Odoo does); one left with no working day is cancelled."""
    now = (clock or _utcnow)()
    today = now.astimezone(ZoneInfo(location.timezone)).date()
    people = await tx.find(EMPLOYEES, {"tenant_id": actor.tenant_id, "location_id": location.id})
    for person in people:
        employee = from_doc(Employee, person)
        for request in await repo.live_requests_overlapping(
            actor.tenant_id, employee.id, today, date.max
        ):
            leave_type = await repo.leave_type(actor.tenant_id, request.leave_type_id)
            if leave_type is None:
                continue
            cmd = SubmitLeaveRequest(
                leave_type_id=request.leave_type_id,
                start_date=request.start_date,
                end_date=request.end_date,
                start_part=request.start_part,
                end_part=request.end_part,
                hours=request.amount if request.unit == "hours" else None,
            )
            days_off = location.holidays_between(request.start_date, request.end_date).keys()
            try:
                counted = _count(cmd, leave_type, location.schedule_for(employee), days_off)
            except errors.InvalidRequest:
                previous = request.cancel_for_no_working_days(now)
                await repo.save(request)
                await _record_by(
                    tx,
                    actor,
                    integration.leave_cancelled(request, previous, "system", NO_WORKING_DAYS),
                )
                continue
            old = request.reprice(counted.amount, list(counted.days), now)
            if old is not None:
                await repo.save(request)
                await _record_by(tx, actor, integration.leave_repriced(request, old))


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def deactivate_department(store: Store, actor: Actor, department_id: str) -> None:
    async def load(repo: Repository) -> Department | None:
        return await repo.department(actor.tenant_id, department_id)

    await _deactivate(store, actor, load, "department", integration.department_upserted)


async def deactivate_location(store: Store, actor: Actor, location_id: str) -> None:
    async def load(repo: Repository) -> Location | None:
        return await repo.location(actor.tenant_id, location_id)

    await _deactivate(store, actor, load, "location", integration.location_upserted)


async def _deactivate(
    store: Store,
    actor: Actor,
    load: Callable[[Repository], Awaitable[Any]],
    what: str,
    event: Callable[[Any], EventData],
) -> None:
    """Directory records are deactivated, never deleted: history keeps naming them."""
    _require_admin(actor)

    async def run(tx: Transaction) -> None:
        repo = Repository(tx)
        record_ = await load(repo)
        if record_ is None or not record_.active:
            raise errors.NotFound(f"no such {what}")
        record_.active = False
        await repo.save(record_)
        await _record_by(tx, actor, event(record_))

    await store.atomic(run)


async def create_leave_type(store: Store, actor: Actor, cmd: CreateLeaveType) -> LeaveType:
    _require_admin(actor)
    leave_type = LeaveType(id=new_id(), tenant_id=actor.tenant_id, **cmd.__dict__)

    async def run(tx: Transaction) -> None:
        await Repository(tx).save(leave_type)
        await _record_by(tx, actor, integration.leave_type_upserted(leave_type))

    await store.atomic(run)
    return leave_type


async def _today(repo: Repository, tenant_id: str, now: datetime) -> date:
    tenant = await repo.tenant(tenant_id)
    zone = ZoneInfo(tenant.timezone if tenant else "UTC")
    return now.astimezone(zone).date()


def _count(
    cmd: SubmitLeaveRequest,
    leave_type: LeaveType,
    schedule: WorkSchedule | None,
    days_off: Collection[date],
) -> WorkingDays:
    """Days for a day-unit type; hours on one working day for an hour-unit type."""
    if leave_type.unit == "hours":
        if cmd.hours is None:
            raise errors.InvalidRequest(f"{leave_type.name} is taken in hours", field="hours")
        if cmd.end_date != cmd.start_date:
            raise errors.InvalidRequest("an hour request covers one day", field="end_date")
        return count_hours(cmd.start_date, cmd.hours, schedule, days_off)
    if cmd.hours is not None:
        raise errors.InvalidRequest(f"{leave_type.name} is taken in days", field="hours")
    return count_working_days(
        cmd.start_date,
        cmd.end_date,
        start_part=cmd.start_part,
        end_part=cmd.end_part,
        schedule=schedule,
        holidays=days_off,
    )


async def submit_leave_request(
    store: Store, clock: Clock, actor: Actor, cmd: SubmitLeaveRequest
) -> LeaveRequest:
    employee_id = cmd.employee_id or actor.employee_id
    now = clock()

    async def run(tx: Transaction) -> LeaveRequest:
        repo = Repository(tx)
        employee = await repo.employee(actor.tenant_id, employee_id)
        if employee is None:
            raise errors.InvalidRequest("unknown employee", field="employee_id")
        if employee.id != actor.employee_id and actor.role not in ("admin", "approver"):
            raise errors.NotAllowed("only approvers and admins may request for others")
        leave_type = await repo.leave_type(actor.tenant_id, cmd.leave_type_id)
        if leave_type is None or not leave_type.active:
            raise errors.InvalidRequest("unknown leave type", field="leave_type_id")
        halves = cmd.start_part != "full" or (cmd.end_part != "full")
        if halves and not leave_type.allow_half_days:
            raise errors.InvalidRequest(
                f"{leave_type.name} does not allow half days", field="start_part"
            )
        location = (
            await repo.location(actor.tenant_id, employee.location_id)
            if employee.location_id
            else None
        )
        if location is not None and not await repo.offers(
            actor.tenant_id, location.id, leave_type.id
        ):
            raise errors.InvalidRequest(
                f"{leave_type.name} is not available at {location.name} (no policy)",
                field="leave_type_id",
            )
        schedule = location.schedule_for(employee) if location else None
        days_off = (
            location.holidays_between(cmd.start_date, cmd.end_date).keys() if location else ()
        )
        counted = _count(cmd, leave_type, schedule, days_off)
        for day in (cmd.start_date, cmd.end_date):
            if not employee.is_active_on(day):
                raise errors.InvalidRequest(
                    f"{employee.name} is not employed on {day.isoformat()}", field="start_date"
                )
        overlapping = await repo.live_requests_overlapping(
            actor.tenant_id, employee.id, cmd.start_date, cmd.end_date
        )
        for other in overlapping:
            if other.overlaps(cmd.start_date, cmd.end_date, cmd.start_part, cmd.end_part):
                raise errors.OverlappingRequest(f"overlaps request {other.id} ({other.status})")
        request = LeaveRequest(
            id=new_id(),
            tenant_id=actor.tenant_id,
            employee_id=employee.id,
            leave_type_id=leave_type.id,
            start_date=cmd.start_date,
            end_date=cmd.end_date,
            start_part=cmd.start_part,
            end_part=cmd.end_part,
            amount=counted.amount,
            unit=leave_type.unit,
            working_days=list(counted.days),
            requires_approval=leave_type.requires_approval,
            reason=cmd.reason,
            department_id=employee.department_id,
            created_at=now,
            history=[
                {
                    "from": None,
                    "to": "submitted",
                    "at": now.isoformat(),
                    "by": actor.employee_id,
                    "note": cmd.reason,
                }
            ],
        )
        # Touch the employee so two concurrent submissions conflict and serialise.
        employee.request_guard += 1
        await repo.save(employee)
        await repo.save(request)
        await _record_by(tx, actor, integration.leave_requested(request))
        return request

    return await store.atomic(run)


async def _approves_for(repo: Repository, actor: Actor, department_id: str | None) -> bool:
    """Approvers listed on the department decide; a department without any (or no
    department at all) falls to the admins, who may always decide."""
    if department_id is None:
        return False
    department = await repo.department(actor.tenant_id, department_id)
    return department is not None and actor.employee_id in department.approver_ids


async def decide_leave_request(
    store: Store, clock: Clock, actor: Actor, cmd: DecideLeaveRequest
) -> LeaveRequest:
    async def run(tx: Transaction) -> LeaveRequest:
        repo = Repository(tx)
        request = await _existing_request(repo, actor, cmd.request_id)
        if actor.role not in ("admin", "approver"):
            raise errors.NotAllowed("only approvers and admins decide requests")
        if request.employee_id == actor.employee_id and not actor.is_admin:
            raise errors.NotAllowed("you cannot decide your own request")
        if not actor.is_admin and not await _approves_for(repo, actor, request.department_id):
            raise errors.NotAllowed("you do not approve for this department")
        now = clock()
        if cmd.approve:
            request.approve(actor.employee_id, now, cmd.note)
        else:
            request.deny(actor.employee_id, now, cmd.note)
        await repo.save(request)
        await _record_by(tx, actor, integration.leave_decided(request, actor.employee_id, cmd.note))
        return request

    return await store.atomic(run)


async def cancel_leave_request(
    store: Store, clock: Clock, actor: Actor, cmd: CancelLeaveRequest
) -> LeaveRequest:
    async def run(tx: Transaction) -> LeaveRequest:
        repo = Repository(tx)
        request = await _existing_request(repo, actor, cmd.request_id)
        if not actor.is_admin and request.employee_id != actor.employee_id:
            raise errors.NotAllowed("only the requester or an admin may cancel")
        now = clock()
        today = await _today(repo, actor.tenant_id, now)
        previous = request.cancel(
            actor.employee_id, now, today, is_admin=actor.is_admin, note=cmd.note
        )
        await repo.save(request)
        await _record_by(
            tx, actor, integration.leave_cancelled(request, previous, actor.employee_id, cmd.note)
        )
        return request

    return await store.atomic(run)


# --- reactions to the balances service ------------------------------------------------


def on_balance_outcome(clock: Clock) -> EventHandler:
    async def handle(tx: Transaction, event: HandledEvent) -> None:
        data = event.data
        assert isinstance(data, LeaveReserved | LeaveReservationRejected)
        repo = Repository(tx)
        request = await repo.leave_request(event.envelope.tenant_id, data.request_id)
        if request is None or request.status != "submitted":
            return  # cancelled meanwhile, or already moved: nothing to do
        now = clock()
        if isinstance(data, LeaveReserved):
            if request.reserved(now) == "approved":
                outcome = integration.leave_decided(request, None, "no approval needed")
            else:
                outcome = integration.leave_pending(request, data.available_after)
        else:
            request.reservation_rejected(data.reason, now)
            outcome = integration.leave_rejected(request, data.available)
        await emit(tx, outcome, tenant_id=request.tenant_id, actor="system", cause=event.envelope)
        await repo.save(request)

    return handle
