"""Directory use cases: tenants, employees, locations, departments and leave types.

Each opens one transaction, applies its rules, and records its events in the outbox of
that same transaction. Directory records are deactivated rather than deleted (history
keeps naming them), except a leave type nobody has requested yet.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from leaveflow_contracts import EventData, new_id
from leaveflow_kit.clock import SystemClock
from leaveflow_kit.storage import DuplicateKey

from ..domain import errors
from ..domain.approval import LevelRule
from ..domain.blackouts import MODES
from ..domain.directory import Department, Employee, LeaveType, Location, Tenant, name_key
from . import approvals, integration, queries
from .acting import record_by, require_admin
from .commands import (
    Actor,
    CreateLeaveType,
    CreateTenant,
    DepartmentFields,
    LocationFields,
    UpsertEmployee,
)
from .leave_requests import reprice_location
from .ports import Clock, ReadModel, Repository, UnitOfWork

Deactivatable = TypeVar("Deactivatable", Department, Location)
Named = Department | Location | LeaveType
T = TypeVar("T")


async def create_tenant(
    uow: UnitOfWork,
    cmd: CreateTenant,
    *,
    first_only: bool = False,
    clock: Clock | None = None,
) -> tuple[Tenant, Employee]:
    """Sign up a company and its first admin; with ``first_only``, only while none exists.
    The email of another company's active admin is refused (`EmailInUse`): a second
    company for the same person takes a confirmation link (`identity.redeem_magic_link`)."""
    tenant, admin = new_tenant(cmd)

    async def work(repo: Repository) -> None:
        if await admin_elsewhere(repo, clock or SystemClock(), admin.email):
            raise errors.EmailInUse(
                f"{admin.email} is the admin of another company: confirm this signup "
                "with the link Leaveflow emails to that address"
            )
        await add_tenant(repo, tenant, admin, first_only=first_only)

    await run_signup(uow, work, first_only=first_only)
    return tenant, admin


def new_tenant(cmd: CreateTenant) -> tuple[Tenant, Employee]:
    tenant = Tenant(id=new_id(), name=cmd.name, timezone=cmd.timezone)
    admin = Employee(
        id=new_id(), tenant_id=tenant.id, name=cmd.admin_name, email=cmd.admin_email, role="admin"
    )
    return tenant, admin


_CLOSED = "signup is closed: the first company exists"


async def add_tenant(
    repo: Repository, tenant: Tenant, admin: Employee, *, first_only: bool
) -> None:
    """The company, its admin and their events, in the caller's transaction."""
    if first_only and (await repo.any_tenant() or not await repo.claim_first_signup(tenant.id)):
        raise errors.SignupClosed(_CLOSED)
    await repo.add_tenant(tenant)
    await repo.add_employee(admin)
    first = await repo.record(
        integration.tenant_created(tenant, admin.id), tenant_id=tenant.id, actor=admin.id
    )
    await repo.record(integration.employee_upserted(admin), tenant_id=tenant.id, cause=first)


async def run_signup(
    uow: UnitOfWork, work: Callable[[Repository], Awaitable[T]], *, first_only: bool
) -> T:
    """Run a signup's transaction: two first signups racing collide on the first-signup
    record, and the loser hears that signup is closed."""
    try:
        return await uow.run(work)
    except DuplicateKey:
        if not first_only:
            raise
        raise errors.SignupClosed(_CLOSED) from None


async def admin_elsewhere(repo: Repository | ReadModel, clock: Clock, email: str) -> bool:
    """Whether `email` is an active admin of some company."""
    for employee in await repo.employees_with_email(email):
        if employee.role == "admin" and not await queries.employee_has_left(repo, clock, employee):
            return True
    return False


async def find_login(uow: UnitOfWork, tenant_id: str, email: str) -> Employee:
    async def work(repo: Repository) -> Employee | None:
        return await repo.employee_by_email(tenant_id, email)

    employee = await uow.run(work)
    if employee is None:
        raise errors.NotFound("no such employee in this tenant")
    return employee


def _refuse_duplicate_name(record: Named, others: Sequence[Named], what: str) -> None:
    """A second live "Vacation" would show twice in every dropdown: names of one kind are
    unique among the company's active records (a deactivated one frees its name)."""
    key = name_key(record.name)
    for other in others:
        if other.id != record.id and other.active and name_key(other.name) == key:
            raise errors.DuplicateName(f"a {what} named {other.name} exists already")


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


async def create_employee(uow: UnitOfWork, actor: Actor, cmd: UpsertEmployee) -> Employee:
    require_admin(actor)
    employee = Employee(id=new_id(), tenant_id=actor.tenant_id, **cmd.__dict__)

    async def work(repo: Repository) -> None:
        await _check_references(repo, actor, employee)
        try:
            await repo.add_employee(employee)
        except DuplicateKey:
            raise errors.DuplicateEmail(f"an employee with email {cmd.email} exists") from None
        await record_by(repo, actor, integration.employee_upserted(employee))

    await uow.run(work)
    return employee


async def update_employee(
    uow: UnitOfWork, actor: Actor, employee_id: str, changes: dict[str, Any]
) -> Employee:
    """Change some fields of an employee (admin); email stays unique in the tenant."""
    require_admin(actor)

    async def work(repo: Repository) -> Employee:
        employee = await repo.employee(actor.tenant_id, employee_id)
        if employee is None:
            raise errors.NotFound("no such employee")
        was_approver = employee.role in ("approver", "admin")
        was_in = employee.department_id
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
        await record_by(repo, actor, integration.employee_upserted(employee))
        if was_approver and employee.role == "user":
            await _leave_approver_lists(repo, actor, employee.id)
        if employee.department_id != was_in:
            await approvals.replan_pending_of(repo, employee)
        return employee

    return await uow.run(work)


async def _leave_approver_lists(repo: Repository, actor: Actor, employee_id: str) -> None:
    """Someone who may no longer approve leaves every department's approvers (each change
    announced, so the other services' replicas follow)."""
    for department in await repo.departments(actor.tenant_id):
        if department.drop_approver(employee_id):
            await repo.save(department)
            await record_by(repo, actor, integration.department_upserted(department))


async def create_leave_type(uow: UnitOfWork, actor: Actor, cmd: CreateLeaveType) -> LeaveType:
    require_admin(actor)
    leave_type = LeaveType(id=new_id(), tenant_id=actor.tenant_id, **cmd.__dict__)

    async def work(repo: Repository) -> None:
        _refuse_duplicate_name(leave_type, await repo.leave_types(actor.tenant_id), "leave type")
        await repo.save(leave_type)
        await record_by(repo, actor, integration.leave_type_upserted(leave_type))

    await uow.run(work)
    return leave_type


async def _existing_leave_type(repo: Repository, actor: Actor, leave_type_id: str) -> LeaveType:
    leave_type = await repo.leave_type(actor.tenant_id, leave_type_id)
    if leave_type is None:
        raise errors.NotFound("no such leave type")
    return leave_type


async def update_leave_type(
    uow: UnitOfWork, actor: Actor, leave_type_id: str, changes: dict[str, Any]
) -> LeaveType:
    """Change some fields of a leave type (admin); `active: false` deactivates it."""
    require_admin(actor)

    async def work(repo: Repository) -> LeaveType:
        leave_type = await _existing_leave_type(repo, actor, leave_type_id)
        for key, value in changes.items():
            setattr(leave_type, key, value)
        if leave_type.active:
            others = await repo.leave_types(actor.tenant_id)
            _refuse_duplicate_name(leave_type, others, "leave type")
        await repo.save(leave_type)
        await record_by(repo, actor, integration.leave_type_upserted(leave_type))
        return leave_type

    return await uow.run(work)


async def remove_leave_type(uow: UnitOfWork, actor: Actor, leave_type_id: str) -> bool:
    """Delete a leave type nobody has requested yet; deactivate one that has been used, so
    its requests and ledger keep naming it. Returns whether it was deleted."""
    require_admin(actor)

    async def work(repo: Repository) -> bool:
        leave_type = await _existing_leave_type(repo, actor, leave_type_id)
        used = await repo.leave_type_used(actor.tenant_id, leave_type_id)
        leave_type.active = False
        if used:
            await repo.save(leave_type)
        else:
            await repo.delete_leave_type(leave_type_id)
        # Either way the other services stop offering it.
        await record_by(repo, actor, integration.leave_type_upserted(leave_type))
        return not used

    return await uow.run(work)


async def save_location(
    uow: UnitOfWork,
    actor: Actor,
    fields: LocationFields,
    location_id: str | None = None,
    clock: Clock | None = None,
) -> Location:
    """Create a location, or replace the given fields of an existing one (admin); a
    changed calendar re-prices the requests of its people that have not ended."""
    require_admin(actor)

    async def work(repo: Repository) -> Location:
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
        if location.active:
            _refuse_duplicate_name(location, await repo.locations(actor.tenant_id), "location")
        await repo.save(location)
        await record_by(repo, actor, integration.location_upserted(location))
        if location_id is not None:
            await reprice_location(repo, actor, location, (clock or SystemClock()).now())
        return location

    return await uow.run(work)


def _levels_given(fields: DepartmentFields, current: list[LevelRule]) -> list[LevelRule]:
    """The department's levels after `fields`: `approval_levels` as given; `approver_ids`
    alone, the first level's approvers (one unconditional level on a department without
    levels; an empty list drops the first level); both, they must agree."""
    shorthand = (
        list(dict.fromkeys(fields.approver_ids)) if fields.approver_ids is not None else None
    )
    if fields.approval_levels is not None:
        levels = list(fields.approval_levels)
        first = levels[0].approver_ids if levels else []
        if shorthand is not None and set(shorthand) != set(first):
            raise errors.InvalidRequest(
                "approver_ids are the first level's approvers: give one or the other, or the same",
                field="approver_ids",
            )
        return levels
    if shorthand is None:
        return current
    rest = current[1:]
    if not shorthand:
        return rest
    first_rule = current[0] if current else LevelRule([])
    return [LevelRule(shorthand, first_rule.min_amount, first_rule.leave_type_ids), *rest]


async def _check_levels(
    repo: Repository, actor: Actor, clock: Clock, levels: list[LevelRule], field: str
) -> None:
    """Each level has approvers who exist, have not left and may approve; its min_amount
    is not negative; its leave types exist."""
    for rule in levels:
        if not rule.approver_ids:
            raise errors.InvalidRequest("a level needs an approver", field="approval_levels")
        for approver_id in rule.approver_ids:
            approver = await repo.employee(actor.tenant_id, approver_id)
            if (
                approver is None
                or approver.role not in ("approver", "admin")
                or await queries.employee_has_left(repo, clock, approver)
            ):
                raise errors.InvalidRequest(
                    f"{approver_id} is not an active approver or admin of this company",
                    field=field,
                )
        if rule.min_amount is not None and rule.min_amount < 0:
            raise errors.InvalidRequest("min_amount is negative", field="approval_levels")
        for leave_type_id in rule.leave_type_ids or ():
            if await repo.leave_type(actor.tenant_id, leave_type_id) is None:
                raise errors.InvalidRequest(
                    f"unknown leave type {leave_type_id}", field="approval_levels"
                )


async def save_department(
    uow: UnitOfWork,
    actor: Actor,
    fields: DepartmentFields,
    department_id: str | None = None,
    clock: Clock | None = None,
) -> Department:
    """Create or rename a department and set its approval levels and coverage limit
    (admin)."""
    require_admin(actor)

    async def work(repo: Repository) -> Department:
        if department_id is None:
            department = Department(id=new_id(), tenant_id=actor.tenant_id, name=fields.name)
        else:
            found = await repo.department(actor.tenant_id, department_id)
            if found is None or not found.active:
                raise errors.NotFound("no such department")
            department = found
        levels = [
            LevelRule(list(dict.fromkeys(r.approver_ids)), r.min_amount, r.leave_type_ids)
            for r in _levels_given(fields, department.rules())
        ]
        field = "approver_ids" if fields.approval_levels is None else "approval_levels"
        await _check_levels(repo, actor, clock or SystemClock(), levels, field)
        department.name = fields.name
        department.set_levels(levels)
        if fields.max_off_mode not in MODES:
            raise errors.InvalidRequest("max_off_mode is block or warn", field="max_off_mode")
        if fields.max_off is not None and fields.max_off < 1:
            raise errors.InvalidRequest("max_off is at least 1", field="max_off")
        department.max_off, department.max_off_mode = fields.max_off, fields.max_off_mode
        others = await repo.departments(actor.tenant_id)
        _refuse_duplicate_name(department, others, "department")
        await repo.save(department)
        await record_by(repo, actor, integration.department_upserted(department))
        return department

    return await uow.run(work)


async def deactivate_department(uow: UnitOfWork, actor: Actor, department_id: str) -> None:
    async def load(repo: Repository) -> Department | None:
        return await repo.department(actor.tenant_id, department_id)

    await _deactivate(uow, actor, load, "department", integration.department_upserted)


async def deactivate_location(uow: UnitOfWork, actor: Actor, location_id: str) -> None:
    async def load(repo: Repository) -> Location | None:
        return await repo.location(actor.tenant_id, location_id)

    await _deactivate(uow, actor, load, "location", integration.location_upserted)


async def _deactivate(
    uow: UnitOfWork,
    actor: Actor,
    load: Callable[[Repository], Awaitable[Deactivatable | None]],
    what: str,
    event: Callable[[Deactivatable], EventData],
) -> None:
    """Directory records are deactivated, never deleted: history keeps naming them."""
    require_admin(actor)

    async def work(repo: Repository) -> None:
        found = await load(repo)
        if found is None or not found.active:
            raise errors.NotFound(f"no such {what}")
        found.active = False
        await repo.save(found)
        await record_by(repo, actor, event(found))

    await uow.run(work)
