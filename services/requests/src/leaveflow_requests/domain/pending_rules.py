"""Pending rules: what a request still waiting for approval is owed at a given moment.

Pure: `plan()` takes one waiting request, the rules in force, what was already sent and
"now", and says what is due now and when the next thing falls due. The scheduler
(service_layer/approval_schedule.py) acts on it; a fake clock drives it in tests.

- Reminders go to each decider of the current level on their own track: number k is
  due `remind_after_hours + (k-1) * remind_every_hours` after the level became pending,
  but never sooner than `remind_every_hours` after that decider's previous one (at most
  once per interval, also when a night delayed the previous one), never more than
  `max_reminders`, and only between 09:00 and 18:00 in the decider's zone: a reminder
  that falls due outside those hours waits for the next 09:00 there. One reminder per
  decider (not per group): deciders in different zones get theirs at different times.
- Escalation tells the admins once per cause: `waited` after `escalate_after_hours`
  since the request became pending, `leave_starts` when the leave's first day begins
  (in the requester's zone) while pending and `when_leave_starts` is `escalate`.
- `auto_approve` / `auto_deny` decide the request as the system when its first day
  begins; nothing else is sent for it then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from .errors import InvalidRequest

WHEN_LEAVE_STARTS = ("escalate", "auto_approve", "auto_deny")
WORK_DAY_START, WORK_DAY_END = time(9), time(18)
WAITED, LEAVE_STARTS = "waited", "leave_starts"
AUTO_NOTES = {
    "auto_approve": "approved automatically: the leave started while still pending",
    "auto_deny": "denied automatically: the leave started while still pending",
}


def _positive_hours(value: Decimal | None, name: str) -> None:
    if value is not None and value <= 0:
        raise InvalidRequest(f"{name} must be greater than 0", field=name)


@dataclass(frozen=True)
class ApprovalSettings:
    """The pending rules of a tenant, or of one department (replacing the tenant's whole:
    an override is never merged field by field). None switches that rule off."""

    remind_after_hours: Decimal | None = None
    # None: the same as remind_after_hours.
    remind_every_hours: Decimal | None = None
    max_reminders: int = 3
    escalate_after_hours: Decimal | None = None
    when_leave_starts: str | None = None

    def __post_init__(self) -> None:
        _positive_hours(self.remind_after_hours, "remind_after_hours")
        _positive_hours(self.remind_every_hours, "remind_every_hours")
        _positive_hours(self.escalate_after_hours, "escalate_after_hours")
        if self.max_reminders < 0:
            raise InvalidRequest("max_reminders must be 0 or more", field="max_reminders")
        if self.when_leave_starts is not None and self.when_leave_starts not in WHEN_LEAVE_STARTS:
            raise InvalidRequest(
                f"when_leave_starts is one of {', '.join(WHEN_LEAVE_STARTS)}",
                field="when_leave_starts",
            )

    @property
    def reminds(self) -> bool:
        return self.remind_after_hours is not None and self.max_reminders > 0


def _zone(timezone: str | None) -> ZoneInfo:
    # The directory validated the name; one this machine's tz database lacks reads as UTC
    # rather than stopping the schedule.
    try:
        return ZoneInfo(timezone or "UTC")
    except (KeyError, ValueError, OSError):
        return ZoneInfo("UTC")


def hours(value: Decimal) -> timedelta:
    return timedelta(seconds=float(value * 3600))


def in_working_hours(moment: datetime, timezone: str | None) -> datetime:
    """`moment`, or the next 09:00 in `timezone` when it falls outside 09:00-18:00 there."""
    local = moment.astimezone(_zone(timezone))
    if WORK_DAY_START <= local.time() < WORK_DAY_END:
        return moment
    day = local.date() if local.time() < WORK_DAY_START else local.date() + timedelta(days=1)
    return datetime.combine(day, WORK_DAY_START, tzinfo=_zone(timezone)).astimezone(UTC)


@dataclass(frozen=True)
class Decider:
    employee_id: str
    timezone: str | None


@dataclass(frozen=True)
class Waiting:
    """A pending request as the rules see it."""

    request_id: str
    level: int | None
    # When the request became pending (or its approval restarted, after an edit).
    pending_since: datetime
    # When the current level became the one deciding.
    level_since: datetime
    # The instant its first day begins in the requester's zone.
    leave_starts_at: datetime
    deciders: tuple[Decider, ...]


@dataclass(frozen=True)
class ReminderTrack:
    """What one decider got for the current level since `level_since`."""

    count: int
    last_at: datetime


@dataclass(frozen=True)
class Sent:
    reminders: Mapping[str, ReminderTrack] = field(default_factory=dict)
    escalations: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Remind:
    decider_id: str
    number: int


@dataclass(frozen=True)
class Escalate:
    cause: str


@dataclass(frozen=True)
class Decide:
    approve: bool
    note: str


Action = Remind | Escalate | Decide


@dataclass(frozen=True)
class Plan:
    due: list[Action]
    # When something falls due next if everything due now gets done; None: never.
    next_at: datetime | None


def _next_reminder(
    settings: ApprovalSettings, waiting: Waiting, decider: Decider, track: ReminderTrack | None
) -> tuple[int, datetime] | None:
    if settings.remind_after_hours is None:
        return None
    count = track.count if track else 0
    if count >= settings.max_reminders:
        return None
    every = hours(settings.remind_every_hours or settings.remind_after_hours)
    at = waiting.level_since + hours(settings.remind_after_hours) + count * every
    if track is not None:
        at = max(at, track.last_at + every)
    return count + 1, in_working_hours(at, decider.timezone)


def plan(waiting: Waiting, settings: ApprovalSettings, sent: Sent, now: datetime) -> Plan:
    """What is due for `waiting` at `now`, given what was `sent` already."""
    starts = settings.when_leave_starts
    if starts in AUTO_NOTES and now >= waiting.leave_starts_at:
        return Plan([Decide(starts == "auto_approve", AUTO_NOTES[starts])], None)
    due: list[Action] = []
    later: list[datetime] = []
    for decider in waiting.deciders:
        track = sent.reminders.get(decider.employee_id)
        upcoming = _next_reminder(settings, waiting, decider, track)
        if upcoming is not None and upcoming[1] <= now:
            number = upcoming[0]
            due.append(Remind(decider.employee_id, number))
            upcoming = _next_reminder(settings, waiting, decider, ReminderTrack(number, now))
        if upcoming is not None:
            later.append(upcoming[1])
    if settings.escalate_after_hours is not None and WAITED not in sent.escalations:
        at = waiting.pending_since + hours(settings.escalate_after_hours)
        if at <= now:
            due.append(Escalate(WAITED))
        else:
            later.append(at)
    if starts is not None:
        if now < waiting.leave_starts_at:
            later.append(waiting.leave_starts_at)
        elif starts == "escalate" and LEAVE_STARTS not in sent.escalations:
            due.append(Escalate(LEAVE_STARTS))
    return Plan(due, min(later, default=None))
