"""Invites: an admin asks Leaveflow to email people a link to sign in. Each invitation is
an `EmployeeInvited` event in the outbox (the notifications service sends the mail),
recorded with the invitation in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import errors
from ..domain.identity import Invite
from . import integration, queries
from .acting import record_by, require_admin
from .commands import Actor
from .ports import Clock, ReadModel, Repository, UnitOfWork


@dataclass(frozen=True)
class Skipped:
    employee_id: str
    reason: str  # "unknown" | "left"


async def invite(
    uow: UnitOfWork, clock: Clock, actor: Actor, employee_ids: list[str]
) -> tuple[list[str], list[Skipped]]:
    """Invite each employee once (admin); those unknown here or gone are skipped."""
    require_admin(actor)
    wanted = list(dict.fromkeys(employee_ids))

    async def work(repo: Repository) -> tuple[list[str], list[Skipped]]:
        tenant = await repo.tenant(actor.tenant_id)
        if tenant is None:
            raise errors.NotFound("no such company")
        inviter = await repo.employee(actor.tenant_id, actor.employee_id)
        invited: list[str] = []
        skipped: list[Skipped] = []
        now = clock.now()
        for employee_id in wanted:
            employee = await repo.employee(actor.tenant_id, employee_id)
            if employee is None:
                skipped.append(Skipped(employee_id, "unknown"))
                continue
            if await queries.employee_has_left(repo, clock, employee):
                skipped.append(Skipped(employee_id, "left"))
                continue
            await repo.save_invite(
                Invite(actor.tenant_id, employee.id, invited_at=now, invited_by=actor.employee_id)
            )
            await record_by(repo, actor, integration.employee_invited(employee, tenant, inviter))
            invited.append(employee.id)
        return invited, skipped

    return await uow.run(work)


async def list_invites(reads: ReadModel, actor: Actor) -> list[Invite]:
    """The latest invitation of each employee invited (admin), newest first."""
    require_admin(actor)
    invites = await reads.invites(actor.tenant_id)
    return sorted(invites, key=lambda i: (i.invited_at, i.employee_id), reverse=True)
