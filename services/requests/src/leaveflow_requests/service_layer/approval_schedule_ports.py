"""What the approval scheduler needs from the rest of the service, as Protocols.

`PendingApprovals` and `SystemDecisions` are the approval workflow's side (who decides a
waiting request now; deciding as the system); `ScheduleLedger` keeps the pending rules and
what was sent, so a restart or a second replica never sends anything twice; `Turn` says
whether this replica is the one that runs the schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from leaveflow_contracts import EventData
from leaveflow_contracts.requests import Approval

from ..domain.model import LeaveRequest
from ..domain.pending_rules import ApprovalSettings

REMINDER, ESCALATION = "reminder", "escalation"


@dataclass(frozen=True)
class PendingApproval:
    """A pending request with where its approval stands now."""

    request: LeaveRequest
    # `current_level` and `deciders` (the people who may decide it now).
    approval: Approval
    # When it became pending (or its approval restarted after an edit).
    pending_since: datetime
    # When the current level became the one deciding.
    level_since: datetime


class PendingApprovals(Protocol):
    async def pending(self, tenant_id: str, now: datetime) -> list[PendingApproval]:
        """Every request of the tenant still waiting for a decision, as of `now`."""

    async def admin_ids(self, tenant_id: str) -> set[str]:
        """The tenant's admins now (escalations go to them)."""

    async def finished(self, tenant_id: str, request_ids: set[str]) -> set[str]:
        """Those of `request_ids` that will never wait for a decision again: decided,
        cancelled, rejected, or gone."""


class SystemDecisions(Protocol):
    async def decide(
        self,
        tenant_id: str,
        request_id: str,
        *,
        approve: bool,
        note: str,
        level: int | None = None,
    ) -> bool:
        """Approve or deny the request as `system` with `note` as the reason (its event
        says `approver_id: "system"`); False when it is no longer pending or, with
        `level`, no longer at that level (a person decided meanwhile)."""


@dataclass(frozen=True)
class Dispatch:
    """One reminder or escalation sent. `key` is deterministic (request, level, round,
    number, decider / cause), so the same one is never recorded twice."""

    key: str
    tenant_id: str
    request_id: str
    kind: str
    sent_at: datetime
    # Reminders: the current level's `level_since`; escalations: `pending_since`. A new
    # round (an edit restarting the approval, the next level) starts afresh.
    since: datetime
    level: int | None = None
    decider_id: str | None = None
    number: int | None = None
    cause: str | None = None


class ApprovalSettingsStore(Protocol):
    async def settings(self, tenant_id: str, department_id: str | None) -> ApprovalSettings | None:
        """The tenant's rules (`department_id` None) or one department's override."""

    async def put_settings(
        self, tenant_id: str, department_id: str | None, settings: ApprovalSettings
    ) -> None: ...

    async def delete_settings(self, tenant_id: str, department_id: str) -> bool:
        """Drop a department's override; whether there was one."""


class ScheduleLedger(ApprovalSettingsStore, Protocol):
    async def tenants_with_settings(self) -> list[str]:
        """The tenants with any pending rules (the others owe nothing)."""

    async def all_settings(self, tenant_id: str) -> dict[str | None, ApprovalSettings]:
        """The tenant's rules under None and each department's override under its id."""

    async def dispatches(self, tenant_id: str, request_id: str) -> list[Dispatch]: ...

    async def dispatched_requests(self, tenant_id: str) -> set[str]:
        """The requests of the tenant with any reminder or escalation recorded."""

    async def forget(self, tenant_id: str, request_id: str) -> int:
        """Drop the request's records (how many there were)."""

    async def dispatch(self, dispatch: Dispatch, event: EventData) -> bool:
        """Record `dispatch` and its event (outbox, event log) in one transaction; False,
        recording nothing, when one with its key exists already."""


class Turn(Protocol):
    async def wait_held(self) -> None:
        """Return once this replica holds the schedule's lease."""


class AlwaysHeld:
    """A single process (tests, no NATS lease configured): always its turn."""

    async def wait_held(self) -> None:
        return None
