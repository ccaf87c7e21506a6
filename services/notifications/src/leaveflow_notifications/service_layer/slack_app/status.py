"""The Slack status while away: approved leave shows in the person's status
(":palm_tree: On vacation until 14 Mar", expiring at the leave's end in their zone) from
the moment it starts; a cancel or an edit moves it, or puts back the status the person
had before (unless they set another since).

The leave events keep one record per request (in the consumer's transaction, so a
redelivered event changes nothing twice); every replica's scheduler looks for records whose
status on Slack differs from what it should be now and claims each in a transaction
before calling Slack, so of two replicas one makes the call. Only people who opted in
(authorized their user token and did not turn it off) are touched; someone without a
token is skipped, never an error.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from leaveflow_contracts import LeaveApproved, LeaveCancelled, LeaveRepriced, LeaveStatus, LeaveUnit
from leaveflow_kit.clock import Clock, zone
from leaveflow_kit.logging import get_logger
from leaveflow_kit.messaging import Handled, Handlers
from leaveflow_kit.storage import Store, Transaction
from leaveflow_kit.tasks import cancel, every

from ..collections import INTEGRATIONS, SLACK, SLACK_STATUSES, integration_key, slack_status_key
from ..ports import ReadModel
from ..replica import LEAVE_TYPE_REPLICA
from .install import SlackInstaller
from .ports import DEAD_TOKEN, SlackRefused, SlackWebApi

log = get_logger(__name__)
EMOJI = ":palm_tree:"
# How long a replica's claim on a record holds while it calls Slack.
CLAIM_SECONDS = 60


def status_handlers() -> Handlers:
    """Keep the status records of approved leave (joined to the fan-out's handlers of
    the same events with `Handlers.also`)."""
    handlers = Handlers()

    @handlers.on
    async def on_leave(
        tx: Transaction, event: Handled[LeaveApproved | LeaveRepriced | LeaveCancelled]
    ) -> None:
        d, tenant_id = event.data, event.envelope.tenant_id
        key = slack_status_key(tenant_id, d.request_id)
        before = await tx.get(SLACK_STATUSES, key)
        approved = isinstance(d, LeaveApproved) or (
            isinstance(d, LeaveRepriced) and d.status == LeaveStatus.APPROVED
        )
        if isinstance(d, LeaveCancelled):
            if before is not None:
                await tx.put(SLACK_STATUSES, key, {**before, "cancelled": True, "active": True})
            return
        if not approved or d.unit != LeaveUnit.DAYS:
            return  # an hour type is no "away" for the day
        if before is None and await tx.get(INTEGRATIONS, integration_key(tenant_id, SLACK)) is None:
            return  # the company has no Slack
        await tx.put(
            SLACK_STATUSES,
            key,
            {
                **(before or {"shown_until": None}),
                "tenant_id": tenant_id,
                "request_id": d.request_id,
                "employee_id": d.employee_id,
                "leave_type_id": d.leave_type_id,
                "start_date": d.start_date.isoformat(),
                "end_date": d.end_date.isoformat(),
                "start_part": str(d.start_part),
                "end_part": str(d.end_part),
                "cancelled": False,
                "active": True,
            },
        )

    return handlers


@dataclass(frozen=True)
class Wanted:
    """The status a record should show now: `until` (epoch) None means none."""

    until: int | None
    text: str = ""


def window(record: dict[str, Any], tz: str | None) -> tuple[datetime, datetime]:
    """When the leave starts and ends in the person's zone (a morning-only last day ends
    at noon, an afternoon-only first day starts then)."""
    where = zone(tz)
    first, last = date.fromisoformat(record["start_date"]), date.fromisoformat(record["end_date"])
    start = datetime.combine(first, time(12 if record.get("start_part") == "pm" else 0), where)
    morning_only = record.get("start_part") == "am" and last == first
    if morning_only or (record.get("end_part") == "am" and last != first):
        end = datetime.combine(last, time(12), where)
    else:
        end = datetime.combine(last + timedelta(days=1), time(0), where)
    return start, end


def status_text(type_doc: dict[str, Any] | None, last_day: date) -> str:
    """What colleagues read: a private type (sick leave) says only "Away"."""
    until = f"{last_day.day} {last_day.strftime('%b')}"
    # A type the replica has not learned `private` of yet counts as private.
    if type_doc is None or type_doc.get("private", True):
        return f"Away until {until}"
    return f"On {str(type_doc.get('name') or 'leave').lower()} until {until}"


class SlackStatuses:
    def __init__(
        self,
        store: Store,
        reads: ReadModel,
        installer: SlackInstaller,
        slack: SlackWebApi,
        clock: Clock,
        *,
        interval_seconds: float,
        replica_id: str | None = None,
    ) -> None:
        self._store, self._reads, self._installer = store, reads, installer
        self._slack, self._clock, self._interval = slack, clock, interval_seconds
        self._me = replica_id or f"{socket.gethostname()}:{id(self)}"
        self._task: asyncio.Task[None] | None = None

    def _now(self) -> int:
        return int(self._clock.now().timestamp())

    async def _wanted(self, record: dict[str, Any]) -> Wanted:
        if record.get("cancelled"):
            return Wanted(None)
        tz = await self._reads.time_zone(record["tenant_id"], record["employee_id"])
        start, end = window(record, tz)
        now = self._clock.now()
        if not start <= now < end:
            return Wanted(None)
        kind = await LEAVE_TYPE_REPLICA.get(
            self._store, record["tenant_id"], record["leave_type_id"]
        )
        return Wanted(
            int(end.timestamp()), status_text(kind, date.fromisoformat(record["end_date"]))
        )

    def _finished(self, record: dict[str, Any], wanted: Wanted) -> bool:
        """Nothing more will ever change: cancelled and cleared, or ended."""
        if wanted.until is not None or record.get("shown_until"):
            return False
        if record.get("cancelled"):
            return True
        end = date.fromisoformat(record["end_date"])
        return end + timedelta(days=2) < self._clock.now().date()

    async def run_once(self) -> int:
        """Bring every record's status on Slack to what it should be now; the number of
        Slack calls made."""
        calls = 0
        for record in await self._store.find(SLACK_STATUSES, {"active": True}, limit=10_000):
            wanted = await self._wanted(record)
            if wanted.until == record.get("shown_until"):
                if self._finished(record, wanted):
                    await self._forget(record)
                continue
            if not await self._claim(record):
                continue  # another replica has it
            calls += await self._apply(record, wanted)
        return calls

    async def _claim(self, record: dict[str, Any]) -> bool:
        key = slack_status_key(record["tenant_id"], record["request_id"])
        now = self._now()

        async def run(tx: Transaction) -> bool:
            current = await tx.get(SLACK_STATUSES, key)
            if current is None or current.get("shown_until") != record.get("shown_until"):
                return False  # changed meanwhile (another replica, a new event)
            if current.get("claim_until", 0) > now:
                return False  # held by a round in flight (this replica's or another's)
            await tx.put(
                SLACK_STATUSES,
                key,
                {**current, "claim_by": self._me, "claim_until": now + CLAIM_SECONDS},
            )
            return True

        return await self._store.atomic(run)

    async def _settle(
        self,
        record: dict[str, Any],
        *,
        shown_until: int | None,
        text: str | None = None,
        previous: dict[str, Any] | None = None,
    ) -> None:
        key = slack_status_key(record["tenant_id"], record["request_id"])

        async def run(tx: Transaction) -> None:
            current = await tx.get(SLACK_STATUSES, key)
            if current is None:
                return
            done = {
                **current,
                "shown_until": shown_until,
                "shown_text": text,
                # Kept while ours is shown, to put back when it goes.
                "previous": previous if shown_until else None,
                "claim_until": 0,
            }
            await tx.put(SLACK_STATUSES, key, done)

        await self._store.atomic(run)

    async def _forget(self, record: dict[str, Any]) -> None:
        key = slack_status_key(record["tenant_id"], record["request_id"])
        await self._store.atomic(lambda tx: tx.delete(SLACK_STATUSES, key))

    async def _apply(self, record: dict[str, Any], wanted: Wanted) -> int:
        tenant_id = record["tenant_id"]
        person = await self._reads.person(tenant_id, record["employee_id"])
        integration = await self._reads.integration(tenant_id, SLACK)
        user_id = (person or {}).get("slack_user_id")
        team_id = (integration or {}).get("team_id")
        token, opted_in = (
            await self._installer.person(team_id, user_id) if user_id and team_id else (None, False)
        )
        if token is None or (not opted_in and wanted.until is not None):
            # Not opted in: nothing is shown, nothing to clear (a status we set earlier
            # is left to expire on its own when they turned it off).
            await self._settle(record, shown_until=None)
            return 0
        previous = record.get("previous")
        try:
            if wanted.until is None:
                calls = await self._take_down(token, record)
            else:
                if not record.get("shown_until"):
                    previous = await self._before(token)
                await self._slack.set_status(token, wanted.text, EMOJI, wanted.until)
                calls = 1
        except SlackRefused as exc:
            log.warning("slack_status_failed", request_id=record["request_id"], error=exc.error)
            if exc.error in DEAD_TOKEN:
                await self._settle(record, shown_until=None)
            return 1
        await self._settle(
            record, shown_until=wanted.until, text=wanted.text or None, previous=previous
        )
        return calls

    async def _before(self, token: str) -> dict[str, Any] | None:
        """The person's own status before ours, to put back afterwards (None: none, or a
        token from before `users.profile:read` was asked for)."""
        try:
            status = await self._slack.get_status(token)
        except SlackRefused as exc:
            if exc.error in DEAD_TOKEN:
                raise
            return None
        if not status.text and not status.emoji:
            return None
        return {"text": status.text, "emoji": status.emoji, "expiration": status.expiration}

    async def _take_down(self, token: str, record: dict[str, Any]) -> int:
        """Our status goes: the one before it comes back if it has not expired meanwhile;
        a status the person set themselves since is left alone. The calls made."""
        try:
            now_shown = await self._slack.get_status(token)
        except SlackRefused as exc:
            if exc.error in DEAD_TOKEN:
                raise
            now_shown = None
        if now_shown is not None and now_shown.text and now_shown.text != record.get("shown_text"):
            return 0  # theirs now, not ours
        now = self._now()
        previous = record.get("previous") or {}
        expiration = int(previous.get("expiration") or 0)
        if previous and (expiration == 0 or expiration > now):
            await self._slack.set_status(token, previous["text"], previous["emoji"], expiration)
            return 1
        ended = bool(record.get("shown_until")) and now >= int(record["shown_until"])
        if ended and now_shown is not None and not now_shown.text:
            return 0  # Slack let ours expire at the leave's end: nothing to clear
        await self._slack.set_status(token, "", "", 0)
        return 1

    def start(self) -> None:
        self._task = every(self._clock, self._interval, self.run_once, name="slack_status")

    async def stop(self) -> None:
        await cancel(self._task)
