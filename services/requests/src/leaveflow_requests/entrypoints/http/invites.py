"""Invites API: admins have Leaveflow email people a link to sign in."""

from __future__ import annotations

from fastapi import APIRouter

from ...service_layer import invites
from .deps import ActorDep, ClockDep, ReadModelDep, UnitOfWorkDep
from .schemas import InvitedOut, InviteOut, InvitesIn, InvitesOut, SkippedOut

router = APIRouter(tags=["invites"])


@router.post("/v1/invites", status_code=202)
async def invite(
    body: InvitesIn, actor: ActorDep, uow: UnitOfWorkDep, clock: ClockDep
) -> InvitedOut:
    """Invite employees (admin): each gets an email with a link to sign in (sent by the
    notifications service). Unknown people and those who have left are skipped."""
    invited, skipped = await invites.invite(uow, clock, actor, body.employee_ids)
    return InvitedOut(
        invited=invited,
        skipped=[SkippedOut(employee_id=s.employee_id, reason=s.reason) for s in skipped],
    )


@router.get("/v1/invites")
async def list_invites(actor: ActorDep, reads: ReadModelDep) -> InvitesOut:
    """The latest invitation of each invited employee (admin), newest first."""
    return InvitesOut(
        items=[
            InviteOut(employee_id=i.employee_id, invited_at=i.invited_at, invited_by=i.invited_by)
            for i in await invites.list_invites(reads, actor)
        ]
    )
