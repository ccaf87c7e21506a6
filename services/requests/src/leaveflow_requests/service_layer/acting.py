"""What every use case does on behalf of its caller: check their role, and record the
events it causes in their name."""

from __future__ import annotations

from leaveflow_contracts import EventData

from ..domain import errors
from .commands import Actor
from .ports import Repository


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise errors.NotAllowed("requires role admin")


async def record_by(repo: Repository, actor: Actor, data: EventData) -> None:
    """Record an event caused by a caller's command (their id, their correlation id)."""
    await repo.record(
        data,
        tenant_id=actor.tenant_id,
        actor=actor.employee_id,
        correlation_id=actor.correlation_id,
    )
