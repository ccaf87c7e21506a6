"""Time off in lieu claims (issue 17): claim, list, read, decide and cancel.

A claim is decided by the same people and levels as the claimant's leave
(service_layer/approvals.py): its department's levels that apply to its amount and type,
fixed when it is made, each decided by its deciders of today or an admin. Its final
approval records `ToilApproved`, from which balances credits the amount on the day worked.
Who may see a claim is who may see the person's leave requests (visibility.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from leaveflow_contracts import new_id

from ..domain import errors
from ..domain.toil import APPROVED, PENDING, ToilClaim
from . import approvals, integration, queries
from .acting import record_by
from .commands import Actor
from .ports import Clock, ReadModel, Repository, ToilCredits, UnitOfWork
from .visibility import visibility_of


@dataclass(frozen=True)
class ClaimToil:
    leave_type_id: str
    date: dt.date
    amount: Decimal
    note: str
    # Default: the caller; for someone else an approver of their department or an admin.
    employee_id: str | None = None


@dataclass(frozen=True)
class DecideToil:
    toil_id: str
    approve: bool
    note: str | None = None
    # The level the caller means to decide; another one current → InvalidTransition.
    level: int | None = None


async def claim_toil(uow: UnitOfWork, clock: Clock, actor: Actor, cmd: ClaimToil) -> ToilClaim:
    employee_id = cmd.employee_id or actor.employee_id

    async def work(repo: Repository) -> ToilClaim:
        employee = await repo.employee(actor.tenant_id, employee_id)
        if employee is None:
            raise errors.InvalidRequest("unknown employee", field="employee_id")
        if employee.id != actor.employee_id:
            if actor.role not in ("admin", "approver"):
                raise errors.NotAllowed("only approvers and admins claim for others")
            if not (await visibility_of(repo, actor, clock)).covers_employee(employee):
                raise errors.NotAllowed("you may claim only for the people you approve for")
        leave_type = await repo.leave_type(actor.tenant_id, cmd.leave_type_id)
        offered = (
            employee.location_id is not None
            and leave_type is not None
            and await repo.toil_offered(actor.tenant_id, employee.location_id, leave_type.id)
        )
        claim = ToilClaim.claim(
            id=new_id(),
            employee=employee,
            leave_type=leave_type,
            toil_at_location=offered,
            day=cmd.date,
            amount=cmd.amount,
            note=cmd.note,
            today=await queries.employee_today(repo, clock, employee),
            by=actor.employee_id,
            at=clock.now(),
        )
        if claim.status == PENDING:
            claim.approval = await approvals.plan_for(repo, claim)
        await repo.save(claim)
        if claim.status != PENDING:  # a type that needs no approval: credited at once
            await record_by(repo, actor, integration.toil_approved(claim, None))
        else:  # its first level's deciders are asked
            approval = await approvals.approval_out(repo, clock, claim)
            await record_by(repo, actor, integration.toil_pending(claim, approval))
        return claim

    return await uow.run(work)


async def _existing(repo: Repository | ReadModel, actor: Actor, toil_id: str) -> ToilClaim:
    claim = await repo.toil_claim(actor.tenant_id, toil_id)
    if claim is None:
        raise errors.NotFound("no such time off in lieu claim")
    return claim


async def _may_decide(repo: Repository, clock: Clock, actor: Actor, claim: ToilClaim) -> None:
    """An admin decides any level; an approver only a level they decide today, never
    their own claim."""
    if actor.is_admin:
        return
    if actor.role != "approver":
        raise errors.NotAllowed("only approvers and admins decide claims")
    if claim.employee_id == actor.employee_id:
        raise errors.NotAllowed("you cannot decide your own claim")
    if claim.status != PENDING:
        return  # the claim's own transition says why not (409)
    if not await approvals.may_decide_now(repo, clock, claim, actor.employee_id):
        raise errors.NotAllowed(f"you do not decide level {claim.current_level} of this claim")


async def decide_toil(uow: UnitOfWork, clock: Clock, actor: Actor, cmd: DecideToil) -> ToilClaim:
    """Approve or deny the current level of a pending claim: the last level's approval
    approves it (`ToilApproved`), an earlier one moves it to the next level; a deny ends
    it."""

    async def work(repo: Repository) -> ToilClaim:
        claim = await _existing(repo, actor, cmd.toil_id)
        if not (await visibility_of(repo, actor, clock)).covers(claim.employee_id):
            raise errors.NotFound("no such time off in lieu claim")
        await _may_decide(repo, clock, actor, claim)
        level = claim.current_level
        if None not in (cmd.level, level) and claim.status == PENDING and cmd.level != level:
            raise errors.InvalidTransition(
                f"level {cmd.level} is decided already: level {level} decides now"
            )
        now = clock.now()
        if cmd.approve:
            if claim.approve(actor.employee_id, now, cmd.note):
                await record_by(repo, actor, integration.toil_approved(claim, actor.employee_id))
            else:  # the next level's deciders are asked
                approval = await approvals.approval_out(repo, clock, claim)
                await record_by(repo, actor, integration.toil_pending(claim, approval))
        else:
            claim.deny(actor.employee_id, now, cmd.note)
            approval = await approvals.approval_out(repo, clock, claim)
            denied = integration.toil_denied(claim, actor.employee_id, cmd.note, approval)
            await record_by(repo, actor, denied)
        await repo.save(claim)
        return claim

    return await uow.run(work)


async def cancel_toil(
    uow: UnitOfWork,
    clock: Clock,
    credits: ToilCredits,
    actor: Actor,
    toil_id: str,
    note: str | None,
) -> ToilClaim:
    """Withdraw a pending claim, or an approved one whose credit leave has not used:
    balances takes the credit back first (its 409 sentence when it will not), then the
    claim is cancelled and `ToilCancelled` recorded (from which balances takes it back
    too, should this stop in between)."""

    async def work(repo: Repository) -> ToilClaim:
        claim = await _existing(repo, actor, toil_id)
        if not (await visibility_of(repo, actor, clock)).covers(claim.employee_id):
            raise errors.NotFound("no such time off in lieu claim")
        previous = claim.cancel(actor.employee_id, clock.now(), is_admin=actor.is_admin, note=note)
        if previous == APPROVED:
            # Inside the transaction: a retry asks again, which balances answers the same.
            await credits.take_back(actor.tenant_id, claim.employee_id, claim.id, actor.employee_id)
        await repo.save(claim)
        cancelled = integration.toil_cancelled(claim, previous, actor.employee_id, note)
        await record_by(repo, actor, cancelled)
        return claim

    return await uow.run(work)


async def get_toil(reads: ReadModel, clock: Clock, actor: Actor, toil_id: str) -> ToilClaim:
    """A claim the caller may see; another's outside their scope reads as absent."""
    claim = await _existing(reads, actor, toil_id)
    if not (await visibility_of(reads, actor, clock)).covers(claim.employee_id):
        raise errors.NotFound("no such time off in lieu claim")
    return claim


async def list_toil(
    reads: ReadModel,
    clock: Clock,
    actor: Actor,
    *,
    limit: int,
    cursor: str | None,
    **filters: str | None,
) -> tuple[list[ToilClaim], str | None]:
    """A page of the claims the caller may see matching the filters (None: any); a filter
    outside the caller's scope finds nothing."""
    given = {k: v for k, v in filters.items() if v is not None}
    visible = await visibility_of(reads, actor, clock)
    employee_ids = None
    if not visible.everyone:
        wanted = given.get("employee_id")
        if wanted is not None and not visible.covers(wanted):
            return [], None
        employee_ids = None if wanted is not None else visible.employee_ids | {visible.self_id}
    return await reads.toil_claims(
        actor.tenant_id, limit=limit, cursor=cursor, filters=given, employee_ids=employee_ids
    )
