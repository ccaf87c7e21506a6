"""Substitutes: an approver (or an admin for them) names someone who decides for them
between two dates, in the approver's location's dates. While it holds the substitute is
among the deciders wherever the approver is (`approvals.deciders_context`)."""

from __future__ import annotations

from leaveflow_contracts import new_id

from ..domain import errors
from ..domain.substitution import Substitution
from . import queries
from .commands import Actor, CreateSubstitution
from .ports import Clock, DirectoryReads, ReadModel, Repository, UnitOfWork

DECIDING_ROLES = ("approver", "admin")


async def _deciding_employee(
    repo: Repository, clock: Clock, actor: Actor, employee_id: str, field: str
) -> None:
    employee = await repo.employee(actor.tenant_id, employee_id)
    if (
        employee is None
        or employee.role not in DECIDING_ROLES
        or await queries.employee_has_left(repo, clock, employee)
    ):
        raise errors.InvalidRequest(
            f"{employee_id} is not an active approver or admin of this company", field=field
        )


async def create_substitution(
    uow: UnitOfWork, clock: Clock, actor: Actor, cmd: CreateSubstitution
) -> Substitution:
    """By the approver themselves or an admin; both people approvers or admins who have
    not left; the period not over yet where the approver works."""
    if not actor.is_admin and actor.employee_id != cmd.approver_id:
        raise errors.NotAllowed("only the approver or an admin names their substitute")

    async def work(repo: Repository) -> Substitution:
        await _deciding_employee(repo, clock, actor, cmd.approver_id, "approver_id")
        await _deciding_employee(repo, clock, actor, cmd.substitute_id, "substitute_id")
        approver = await repo.employee(actor.tenant_id, cmd.approver_id)
        assert approver is not None  # checked just above
        if cmd.end_date < await queries.employee_today(repo, clock, approver):
            raise errors.InvalidRequest("the period is over already", field="end_date")
        substitution = Substitution(
            id=new_id(),
            tenant_id=actor.tenant_id,
            approver_id=cmd.approver_id,
            substitute_id=cmd.substitute_id,
            start_date=cmd.start_date,
            end_date=cmd.end_date,
            created_by=actor.employee_id,
            created_at=clock.now(),
        )
        await repo.save(substitution)
        return substitution

    return await uow.run(work)


def _concerns(actor: Actor, substitution: Substitution) -> bool:
    return actor.is_admin or actor.employee_id in (
        substitution.approver_id,
        substitution.substitute_id,
    )


async def list_substitutions(reads: ReadModel, actor: Actor) -> list[Substitution]:
    """An admin: the company's; anyone else: those naming them (as approver or substitute);
    by start date."""
    found = [s for s in await reads.substitutions(actor.tenant_id) if _concerns(actor, s)]
    return sorted(found, key=lambda s: (s.start_date, s.id))


async def get_substitution(
    reads: DirectoryReads, actor: Actor, substitution_id: str
) -> Substitution:
    found = await reads.substitution(actor.tenant_id, substitution_id)
    if found is None or not _concerns(actor, found):
        raise errors.NotFound("no such substitution")
    return found


async def delete_substitution(uow: UnitOfWork, actor: Actor, substitution_id: str) -> None:
    """By the approver or an admin (the substitute sees it, and may not remove it)."""

    async def work(repo: Repository) -> None:
        found = await get_substitution(repo, actor, substitution_id)
        if not actor.is_admin and actor.employee_id != found.approver_id:
            raise errors.NotAllowed("only the approver or an admin removes a substitution")
        await repo.delete_substitution(found.id)

    await uow.run(work)
