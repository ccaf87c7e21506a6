"""Reminders, escalations and automatic decisions for requests left pending.

One loop per process, run only by the replica holding the schedule's lease (`Turn`):
each tick asks `PendingApprovals` what waits, lets `domain.pending_rules.plan` say what
is due, records each reminder or escalation once (`ScheduleLedger.dispatch` keys it
deterministically, so a restart, a lost lease or two ticks at once never send twice) and
decides `auto_*` requests through `SystemDecisions`. The records of requests that will
never wait again (decided, cancelled) are dropped in the same tick. Then it sleeps on the clock port
until the earliest next due moment, or a slow heartbeat, or a wake-up (a request became
pending, moved a level or was edited; the rules changed): no busy loop, and a tenant
without pending rules costs one read per tick.

Reminders: one `ApprovalReminderDue` per decider (`approval.deciders` is that one
person), so each decider's 09:00-18:00 window and count are their own.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from leaveflow_contracts import ApprovalEscalated, ApprovalReminderDue, EventData
from leaveflow_kit.clock import Clock, local_midnight
from leaveflow_kit.logging import get_logger
from leaveflow_kit.tasks import cancel

from ..domain.directory import Tenant
from ..domain.pending_rules import (
    Action,
    ApprovalSettings,
    Decide,
    Decider,
    Escalate,
    Remind,
    ReminderTrack,
    Sent,
    Waiting,
    plan,
)
from .approval_schedule_ports import (
    ESCALATION,
    REMINDER,
    AlwaysHeld,
    Dispatch,
    PendingApproval,
    PendingApprovals,
    ScheduleLedger,
    SystemDecisions,
    Turn,
)
from .integration import _facts
from .ports import DirectoryReads

log = get_logger(__name__)
# A request whose tick failed (its store write, say) is looked at again this soon.
RETRY_AFTER = timedelta(minutes=1)


def reminder_key(p: PendingApproval, level: int, decider_id: str, number: int) -> str:
    return f"{p.request.id}:reminder:{level}:{p.level_since.isoformat()}:{number}:{decider_id}"


def escalation_key(p: PendingApproval, cause: str) -> str:
    return f"{p.request.id}:escalation:{cause}:{p.pending_since.isoformat()}"


def sent_for(p: PendingApproval, level: int, dispatches: list[Dispatch]) -> Sent:
    """What this round of `p` (its current level since `level_since`) already got."""
    tracks: dict[str, ReminderTrack] = {}
    causes: set[str] = set()
    for d in dispatches:
        if (
            d.kind == REMINDER
            and d.level == level
            and d.since == p.level_since
            and d.decider_id is not None
            and d.number is not None
        ):
            known = tracks.get(d.decider_id)
            if known is None or d.number > known.count:
                tracks[d.decider_id] = ReminderTrack(d.number, d.sent_at)
        elif d.kind == ESCALATION and d.since == p.pending_since and d.cause:
            causes.add(d.cause)
    return Sent(reminders=tracks, escalations=frozenset(causes))


class ApprovalScheduler:
    def __init__(
        self,
        pending: PendingApprovals,
        decisions: SystemDecisions,
        ledger: ScheduleLedger,
        reads: DirectoryReads,
        clock: Clock,
        *,
        turn: Turn | None = None,
        heartbeat_seconds: float = 3600.0,
    ) -> None:
        self._pending = pending
        self._decisions = decisions
        self._ledger = ledger
        self._reads = reads
        self._clock = clock
        self._turn: Turn = turn or AlwaysHeld()
        self._heartbeat = timedelta(seconds=heartbeat_seconds)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Ticks done (tests wait on it instead of sleeping).
        self.ticks = 0

    def wake(self) -> None:
        self._wake.set()

    def use_turn(self, turn: Turn) -> None:
        """The lease, once the broker is connected (bootstrap's lifespan)."""
        self._turn = turn

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="approval-scheduler")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None

    async def tick(self) -> datetime:
        """Do what is due now; return when something falls due next."""
        now = self._clock.now()
        next_at = now + self._heartbeat
        for tenant_id in await self._ledger.tenants_with_settings():
            rules = await self._ledger.all_settings(tenant_id)
            tenant = await self._reads.tenant(tenant_id)
            if tenant is None:
                continue
            waiting_now = await self._pending.pending(tenant_id, now)
            for waiting in waiting_now:
                try:
                    at = await self._request_tick(tenant, rules, waiting, now)
                except Exception:  # one request's failure must not hold up the others
                    log.exception("approval_schedule_request_failed", request_id=waiting.request.id)
                    at = now + RETRY_AFTER
                if at is not None:
                    next_at = min(next_at, at)
            await self._clean_up(tenant_id, {w.request.id for w in waiting_now})
        self.ticks += 1
        return next_at

    async def _clean_up(self, tenant_id: str, waiting: set[str]) -> None:
        """Drop the records of requests that are over. Only those the workflow says are
        finished: one that is merely not in this tick's list may have become pending since
        (another replica may be reminding about it), and its records must stay."""
        try:
            others = await self._ledger.dispatched_requests(tenant_id) - waiting
            for request_id in await self._pending.finished(tenant_id, others):
                dropped = await self._ledger.forget(tenant_id, request_id)
                log.info("approval_schedule_forgot", request_id=request_id, records=dropped)
        except Exception:  # housekeeping: the next tick tries again
            log.exception("approval_schedule_clean_up_failed", tenant_id=tenant_id)

    async def _zone_of(self, tenant: Tenant, employee_id: str) -> str:
        employee = await self._reads.employee(tenant.id, employee_id)
        if employee is not None and employee.location_id:
            location = await self._reads.location(tenant.id, employee.location_id)
            if location is not None:
                return location.timezone
        return tenant.timezone

    async def _request_tick(
        self,
        tenant: Tenant,
        rules: dict[str | None, ApprovalSettings],
        p: PendingApproval,
        now: datetime,
    ) -> datetime | None:
        request = p.request
        employee = await self._reads.employee(tenant.id, request.employee_id)
        # The department the request is decided in now (a move moves the decision too).
        department_id = employee.department_id if employee else request.department_id
        settings = rules.get(department_id) if department_id else None
        settings = settings or rules.get(None)
        if settings is None:
            return None
        level = p.approval.current_level or 1
        deciders = tuple([Decider(d, await self._zone_of(tenant, d)) for d in p.approval.deciders])
        waiting = Waiting(
            request_id=request.id,
            level=level,
            pending_since=p.pending_since,
            level_since=p.level_since,
            leave_starts_at=local_midnight(
                request.start_date, await self._zone_of(tenant, request.employee_id)
            ),
            deciders=deciders,
        )
        dispatches = await self._ledger.dispatches(tenant.id, request.id)
        result = plan(waiting, settings, sent_for(p, level, dispatches), now)
        for action in result.due:
            await self._act(tenant.id, p, level, action, now)
        return result.next_at

    async def _act(
        self, tenant_id: str, p: PendingApproval, level: int, action: Action, now: datetime
    ) -> None:
        request = p.request
        if isinstance(action, Decide):
            decided = await self._decisions.decide(
                tenant_id, request.id, approve=action.approve, note=action.note, level=level
            )
            log.info(
                "approval_auto_decided",
                request_id=request.id,
                approve=action.approve,
                decided=decided,
            )
            return
        event: EventData
        if isinstance(action, Remind):
            dispatch = Dispatch(
                key=reminder_key(p, level, action.decider_id, action.number),
                tenant_id=tenant_id,
                request_id=request.id,
                kind=REMINDER,
                sent_at=now,
                since=p.level_since,
                level=level,
                decider_id=action.decider_id,
                number=action.number,
            )
            event = ApprovalReminderDue(
                **_facts(request),
                level=level,
                reminder_number=action.number,
                pending_since=p.level_since,
                approval=p.approval.model_copy(update={"deciders": [action.decider_id]}),
            )
        else:
            assert isinstance(action, Escalate)
            admins = await self._pending.admin_ids(tenant_id)
            dispatch = Dispatch(
                key=escalation_key(p, action.cause),
                tenant_id=tenant_id,
                request_id=request.id,
                kind=ESCALATION,
                sent_at=now,
                since=p.pending_since,
                level=level,
                cause=action.cause,
            )
            event = ApprovalEscalated(
                **_facts(request),
                level=level,
                # The requester, if an admin, is not the one to chase their own request.
                admin_ids=sorted(admins - {request.employee_id} or admins),
                pending_since=p.pending_since,
                cause=action.cause,
                approval=p.approval,
            )
        if await self._ledger.dispatch(dispatch, event):
            log.info("approval_" + dispatch.kind, request_id=request.id, key=dispatch.key)

    async def _loop(self) -> None:
        while True:
            await self._turn.wait_held()
            # Cleared before the tick: a change during the tick wakes the next one.
            self._wake.clear()
            try:
                next_at = await self.tick()
            except Exception:  # a failed tick must not end scheduling; try again later
                log.exception("approval_schedule_tick_failed")
                next_at = self._clock.now() + self._heartbeat
            await self._clock.sleep_until(next_at, self._wake)
