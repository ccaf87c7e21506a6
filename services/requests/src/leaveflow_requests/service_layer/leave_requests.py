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
from ..domain.model import NO_WORKING_DAYS, PENDING, LeaveRequest, count_leave
from . import approvals, integration, queries, submission_rules
from .acting import record_by
from .commands import (
    Actor,
    CancelLeaveRequest,
    DecideLeaveRequest,
    EditLeaveRequest,
    SubmitLeaveRequest,
)
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
            if not (await visibility_of(repo, actor, clock)).covers_employee(employee):
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
    return department is not None and actor.employee_id in department.all_approver_ids()


async def _may_decide(repo: Repository, clock: Clock, actor: Actor, request: LeaveRequest) -> None:
    """An admin decides any level; anyone else only a level they are a decider of today
    (its approvers, their substitutes, stand-ins for approvers on leave), never their own
    request. A request pending from before approval levels: its department's approvers."""
    if actor.is_admin:
        return
    if actor.role != "approver":
        raise errors.NotAllowed("only approvers and admins decide requests")
    if request.employee_id == actor.employee_id:
        raise errors.NotAllowed("you cannot decide your own request")
    if request.approval is None or request.approval.current is None:
        employee = await repo.employee(actor.tenant_id, request.employee_id)
        department_id = employee.department_id if employee else request.department_id
        if not await _approves_for(repo, actor, department_id):
            raise errors.NotAllowed("you do not approve for this department")
        return
    if not await approvals.may_decide_now(repo, clock, request, actor.employee_id):
        raise errors.NotAllowed(
            f"you do not decide level {request.approval.current_level} of this request"
        )


async def decide_leave_request(
    uow: UnitOfWork, clock: Clock, actor: Actor, cmd: DecideLeaveRequest
) -> LeaveRequest:
    """Approve or deny the current level of a pending request: its last level's approval
    approves the request, an earlier one moves it to the next level; a deny ends it."""

    async def work(repo: Repository) -> LeaveRequest:
        request = await _existing_request(repo, actor, cmd.request_id)
        if request.status == PENDING:
            await _may_decide(repo, clock, actor, request)
        elif not actor.is_admin:
            # A decided request: who could never decide it hears 403, the others 409.
            if actor.role != "approver" or request.employee_id == actor.employee_id:
                raise errors.NotAllowed("only approvers and admins decide requests")
            employee = await repo.employee(actor.tenant_id, request.employee_id)
            department_id = employee.department_id if employee else request.department_id
            if not await _approves_for(repo, actor, department_id):
                raise errors.NotAllowed("you do not approve for this department")
        level = request.current_level
        if None not in (cmd.level, level) and request.status == PENDING and cmd.level != level:
            raise errors.InvalidTransition(
                f"level {cmd.level} is decided already: level {level} decides now"
            )
        now = clock.now()
        if cmd.approve:
            final = request.approve(actor.employee_id, now, cmd.note)
        else:
            request.deny(actor.employee_id, now, cmd.note)
            final = True
        await approvals.record_decision(
            repo,
            clock,
            request,
            by=actor.employee_id,
            level=level,
            final=final,
            note=cmd.note,
            tenant_id=actor.tenant_id,
            actor=actor.employee_id,
            correlation_id=actor.correlation_id,
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


async def edit_leave_request(
    uow: UnitOfWork, clock: Clock, actor: Actor, cmd: EditLeaveRequest
) -> LeaveRequest:
    """Change a request's dates, parts, hours or reason (`LeaveRequest.edit` says who and
    when): re-priced, one `LeaveRepriced` with the old dates, `edited_by` and `edit_id`
    (balances moves the reservation or deduction by the difference, or refuses an edit
    that takes more than is left: `edit_refused` undoes it); a pending request's approval
    restarts at level 1 of its department's levels of now."""

    async def work(repo: Repository) -> LeaveRequest:
        request = await _existing_request(repo, actor, cmd.request_id)
        if not actor.is_admin and request.employee_id != actor.employee_id:
            raise errors.NotAllowed("only the requester or an admin may change a request")
        employee = await repo.employee(actor.tenant_id, request.employee_id)
        if employee is None:
            raise errors.NotFound("no such employee")
        start = cmd.start_date or request.start_date
        end = cmd.end_date or request.end_date
        if end < start:
            raise errors.InvalidRequest("end_date is before start_date", field="end_date")
        hours = cmd.hours
        if hours is None and request.unit == "hours":
            hours = request.amount
        leave_type = await repo.leave_type(actor.tenant_id, request.leave_type_id)
        location = (
            await repo.location(actor.tenant_id, employee.location_id)
            if employee.location_id
            else None
        )
        offered = (
            location is not None
            and leave_type is not None
            and await repo.offers(actor.tenant_id, location.id, leave_type.id)
        )
        now = clock.now()
        edit_id = new_id()
        before = request.edit(
            employee=employee,
            leave_type=leave_type,
            location=location,
            offered_at_location=offered,
            live_requests=await repo.live_requests_overlapping(
                actor.tenant_id, employee.id, start, end
            ),
            start_date=start,
            end_date=end,
            start_part=cmd.start_part or request.start_part,
            end_part=cmd.end_part or request.end_part,
            hours=hours,
            reason=cmd.reason if cmd.reason_given else request.reason,
            by=actor.employee_id,
            is_admin=actor.is_admin,
            today=await queries.employee_today(repo, clock, employee),
            at=now,
            edit_id=edit_id,
        )
        if leave_type is not None:  # edit() refused an unknown type already
            # The same rules as a submission, on the new dates (the request itself is not
            # its own neighbour); an admin's edit is deliberate, like an override.
            request.sandwiched_days = []
            await submission_rules.add_sandwiched_days(repo, request, employee, location)
            request.warnings = await submission_rules.check_rules(
                repo, clock, request, employee, leave_type, location, override=actor.is_admin
            )
        if request.status == PENDING and request.approval is not None:
            request.approval = await approvals.plan_for(repo, request)
        request.edit_planned()
        # Serialise with the employee's submissions (the overlap check needs that).
        employee.request_guard += 1
        await repo.save(employee)
        await repo.save(request)
        await record_by(
            repo,
            actor,
            integration.leave_repriced(
                request,
                before.amount,
                edited_by=actor.employee_id,
                old_start_date=before.start_date,
                old_end_date=before.end_date,
                approval=await approvals.approval_out(repo, clock, request),
                edit_id=edit_id,
            ),
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
