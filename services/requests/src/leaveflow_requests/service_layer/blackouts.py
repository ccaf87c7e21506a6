"""Blackout periods (issue 17): admins set them for anyone; approvers for the departments
they approve for. Everyone in the company may read them (the request form warns ahead)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from leaveflow_contracts import new_id

from ..domain import errors
from ..domain.blackouts import MODES, Blackout
from .commands import Actor
from .ports import ReadModel, Repository, UnitOfWork

MAX_SPAN_DAYS = 366


@dataclass(frozen=True)
class NewBlackout:
    name: str
    start_date: date
    end_date: date
    mode: str = "block"
    location_ids: tuple[str, ...] = ()
    department_ids: tuple[str, ...] = ()
    leave_type_ids: tuple[str, ...] = ()


async def _approved_departments(repo: Repository | ReadModel, actor: Actor) -> set[str]:
    return {
        d.id
        for d in await repo.departments(actor.tenant_id)
        if d.active and actor.employee_id in d.approver_ids
    }


async def _check_ids(repo: Repository, actor: Actor, cmd: NewBlackout) -> None:
    lookups = (
        ("location_ids", cmd.location_ids, repo.location),
        ("department_ids", cmd.department_ids, repo.department),
        ("leave_type_ids", cmd.leave_type_ids, repo.leave_type),
    )
    for field, ids, find in lookups:
        for one in ids:
            if await find(actor.tenant_id, one) is None:
                raise errors.InvalidRequest(f"unknown id {one}", field=field)


async def _may_manage(
    repo: Repository | ReadModel, actor: Actor, department_ids: list[str]
) -> None:
    """Admins manage every blackout; an approver only those limited to departments they
    approve for (a company-wide one is an admin's)."""
    if actor.is_admin:
        return
    if actor.role != "approver":
        raise errors.NotAllowed("only admins and approvers set blackout periods")
    if not department_ids:
        raise errors.NotAllowed("a blackout for everyone is set by an admin: name your departments")
    outside = set(department_ids) - await _approved_departments(repo, actor)
    if outside:
        raise errors.NotAllowed("you approve for none of these departments")


async def create_blackout(uow: UnitOfWork, actor: Actor, cmd: NewBlackout) -> Blackout:
    if cmd.end_date < cmd.start_date:
        raise errors.InvalidRequest("end_date is before start_date", field="end_date")
    if (cmd.end_date - cmd.start_date).days + 1 > MAX_SPAN_DAYS:
        raise errors.InvalidRequest(
            f"a blackout spans at most {MAX_SPAN_DAYS} days", field="end_date"
        )
    if cmd.mode not in MODES:
        raise errors.InvalidRequest("mode is block or warn", field="mode")

    async def work(repo: Repository) -> Blackout:
        await _may_manage(repo, actor, list(cmd.department_ids))
        await _check_ids(repo, actor, cmd)
        blackout = Blackout(
            id=new_id(),
            tenant_id=actor.tenant_id,
            name=cmd.name,
            start_date=cmd.start_date,
            end_date=cmd.end_date,
            mode=cmd.mode,
            location_ids=list(dict.fromkeys(cmd.location_ids)),
            department_ids=list(dict.fromkeys(cmd.department_ids)),
            leave_type_ids=list(dict.fromkeys(cmd.leave_type_ids)),
            created_by=actor.employee_id,
        )
        await repo.save(blackout)
        return blackout

    return await uow.run(work)


async def list_blackouts(reads: ReadModel, actor: Actor) -> list[Blackout]:
    """Every blackout of the company, by first day; an approver or user sees them all (they
    say when leave is refused, nothing about anyone)."""
    found = await reads.blackouts(actor.tenant_id)
    return sorted(found, key=lambda b: (b.start_date, b.end_date, b.name, b.id))


async def get_blackout(reads: ReadModel, actor: Actor, blackout_id: str) -> Blackout:
    found = await reads.blackout(actor.tenant_id, blackout_id)
    if found is None:
        raise errors.NotFound("no such blackout period")
    return found


async def delete_blackout(uow: UnitOfWork, actor: Actor, blackout_id: str) -> None:
    async def work(repo: Repository) -> None:
        found = await repo.blackout(actor.tenant_id, blackout_id)
        if found is None:
            raise errors.NotFound("no such blackout period")
        await _may_manage(repo, actor, found.department_ids)
        await repo.delete_blackout(found.id)

    await uow.run(work)
