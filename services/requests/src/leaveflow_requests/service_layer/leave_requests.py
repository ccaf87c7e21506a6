"""The leave-request lifecycle: submit, decide, cancel, and re-price when a location's
calendar changes. Each use case loads what the rules need, lets the `LeaveRequest`
aggregate decide, saves it, and records the event in the same transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from leaveflow_contracts import new_id
from leaveflow_kit.clock import zone

from ..domain import errors
from ..domain.directory import Location
from ..domain.model import NO_WORKING_DAYS, LeaveRequest, count_leave
from . import integration, submission_rules
from .acting import record_by
from .commands import Actor, CancelLeaveRequest, DecideLeaveRequest, SubmitLeaveRequest
from .ports import Clock, Repository, UnitOfWork
from .visibility import visibility_of


async def submit_leave_request(
    uow: UnitOfWork, clock: Clock, actor: Actor, cmd: SubmitLeaveRequest
) -> LeaveRequest:
    employee_id = cmd.employee_id or actor.employee_id
    now = clock.now()

    async def work(repo: Repository) -> LeaveRequest:
        tenant_id = actor.tenant_id
        employee = await repo.employee(tenant_id, employee_id)
        if employee is None:
            raise errors.InvalidRequest("unknown employee", field="employee_id")
        if employee.id != actor.employee_id:
            if actor.role not in ("admin", "approver"):
                raise errors.NotAllowed("only approvers and admins may request for others")
            if not (await visibility_of(repo, actor)).covers_employee(employee):
                raise errors.NotAllowed("you may request only for the people you approve for")
        leave_type = await repo.leave_type(tenant_id, cmd.leave_type_id)
        location = (
            await repo.location(tenant_id, employee.location_id) if employee.location_id else None
        )
        offered = (
            location is not None
            and leave_type is not None
            and await repo.offers(tenant_id, location.id, leave_type.id)
        )
        request = LeaveRequest.submit(
            id=new_id(),
            employee=employee,
            leave_type=leave_type,
            location=location,
            offered_at_location=offered,
            live_requests=await repo.live_requests_overlapping(
                tenant_id, employee.id, cmd.start_date, cmd.end_date
            ),
            start_date=cmd.start_date,
            end_date=cmd.end_date,
            start_part=cmd.start_part,
            end_part=cmd.end_part,
            hours=cmd.hours,
            reason=cmd.reason,
            by=actor.employee_id,
            at=now,
        )
        if cmd.override_rules and not actor.is_admin:
            raise errors.NotAllowed("only admins may override the leave rules")
        if leave_type is None:  # submit() refused it already; this tells the type checker
            raise errors.InvalidRequest("unknown leave type", field="leave_type_id")
        await submission_rules.add_sandwiched_days(repo, request, employee, location)
        request.warnings = await submission_rules.check_rules(
            repo, clock, request, employee, leave_type, location, override=cmd.override_rules
        )
        if cmd.override_rules:
            request.rules_overridden = True
            request.history[-1]["note"] = _overridden(request.history[-1]["note"])
        # Touch the employee so two concurrent submissions conflict and serialise.
        employee.request_guard += 1
        await repo.save(employee)
        await repo.save(request)
        await record_by(repo, actor, integration.leave_requested(request))
        return request

    return await uow.run(work)


def _overridden(note: str | None) -> str:
    said = "leave rules overridden by an admin"
    return f"{note} ({said})" if note else said


async def _existing_request(repo: Repository, actor: Actor, request_id: str) -> LeaveRequest:
    request = await repo.leave_request(actor.tenant_id, request_id)
    if request is None:
        raise errors.NotFound("no such leave request")
    return request


async def _approves_for(repo: Repository, actor: Actor, department_id: str | None) -> bool:
    """Approvers listed on the department decide; a department without any (or no
    department at all) falls to the admins, who may always decide."""
    if department_id is None:
        return False
    department = await repo.department(actor.tenant_id, department_id)
    return department is not None and actor.employee_id in department.approver_ids


async def decide_leave_request(
    uow: UnitOfWork, clock: Clock, actor: Actor, cmd: DecideLeaveRequest
) -> LeaveRequest:
    async def work(repo: Repository) -> LeaveRequest:
        request = await _existing_request(repo, actor, cmd.request_id)
        if actor.role not in ("admin", "approver"):
            raise errors.NotAllowed("only approvers and admins decide requests")
        if request.employee_id == actor.employee_id and not actor.is_admin:
            raise errors.NotAllowed("you cannot decide your own request")
        # The employee's department now (as for who sees the request), not the one they
        # were in when they asked: a move between departments moves the decision too.
        employee = await repo.employee(actor.tenant_id, request.employee_id)
        department_id = employee.department_id if employee else request.department_id
        if not actor.is_admin and not await _approves_for(repo, actor, department_id):
            raise errors.NotAllowed("you do not approve for this department")
        now = clock.now()
        if cmd.approve:
            request.approve(actor.employee_id, now, cmd.note)
        else:
            request.deny(actor.employee_id, now, cmd.note)
        await repo.save(request)
        await record_by(
            repo, actor, integration.leave_decided(request, actor.employee_id, cmd.note)
        )
        return request

    return await uow.run(work)


async def _today(repo: Repository, tenant_id: str, now: datetime) -> date:
    """The tenant's date at `now` (the instant the use case acts at)."""
    tenant = await repo.tenant(tenant_id)
    return now.astimezone(zone(tenant.timezone if tenant else None)).date()


async def cancel_leave_request(
    uow: UnitOfWork, clock: Clock, actor: Actor, cmd: CancelLeaveRequest
) -> LeaveRequest:
    async def work(repo: Repository) -> LeaveRequest:
        request = await _existing_request(repo, actor, cmd.request_id)
        if not actor.is_admin and request.employee_id != actor.employee_id:
            raise errors.NotAllowed("only the requester or an admin may cancel")
        now = clock.now()
        today = await _today(repo, actor.tenant_id, now)
        previous = request.cancel(
            actor.employee_id, now, today, is_admin=actor.is_admin, note=cmd.note
        )
        await repo.save(request)
        await record_by(
            repo,
            actor,
            integration.leave_cancelled(request, previous, actor.employee_id, cmd.note),
        )
        return request

    return await uow.run(work)


async def reprice_location(
    repo: Repository, actor: Actor, location: Location, now: datetime
) -> None:
    """Every request of the location's people that has not ended gets the new calendar's
    price (as Odoo does); one left with no working day is cancelled."""
    today = now.astimezone(zone(location.timezone)).date()
    for employee in await repo.employees_at(actor.tenant_id, location.id):
        for request in await repo.live_requests_overlapping(
            actor.tenant_id, employee.id, today, date.max
        ):
            leave_type = await repo.leave_type(actor.tenant_id, request.leave_type_id)
            if leave_type is None:
                continue
            days_off = location.holidays_between(request.start_date, request.end_date).keys()
            try:
                counted = count_leave(
                    leave_type,
                    request.start_date,
                    request.end_date,
                    start_part=request.start_part,
                    end_part=request.end_part,
                    hours=request.amount if request.unit == "hours" else None,
                    schedule=location.schedule_for(employee),
                    holidays=days_off,
                )
            except errors.InvalidRequest:
                previous = request.cancel_for_no_working_days(now)
                await repo.save(request)
                await record_by(
                    repo,
                    actor,
                    integration.leave_cancelled(request, previous, "system", NO_WORKING_DAYS),
                )
                continue
            # Priced afresh, the sandwich rule included, on a copy: `reprice` compares.
            repriced = replace(
                request, working_days=list(counted.days), amount=counted.amount, sandwiched_days=[]
            )
            await submission_rules.add_sandwiched_days(repo, repriced, employee, location)
            old = request.reprice(repriced.amount, repriced.working_days, now)
            request.sandwiched_days = repriced.sandwiched_days
            if old is not None:
                await repo.save(request)
                await record_by(repo, actor, integration.leave_repriced(request, old))
