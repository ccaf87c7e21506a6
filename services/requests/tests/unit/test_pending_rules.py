"""What a pending request is owed at time T: reminders (interval, night window per zone,
max_reminders), escalation and the leave's first day, on times built from today."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from leaveflow_requests.domain.errors import InvalidRequest
from leaveflow_requests.domain.pending_rules import (
    ApprovalSettings,
    Decide,
    Decider,
    Escalate,
    Plan,
    Remind,
    ReminderTrack,
    Sent,
    Waiting,
    in_working_hours,
    plan,
)

# 09:00 UTC today: a working-hours start for a decider in UTC.
BASE = datetime.combine(date.today(), time(9), tzinfo=UTC)
H = timedelta(hours=1)
# Zones without daylight saving, so the tables hold on any date: Tokyo is UTC+9.
UTC_D = Decider("ursula", "UTC")
TOKYO_D = Decider("taro", "Asia/Tokyo")
DAILY = ApprovalSettings(
    remind_after_hours=Decimal(24), remind_every_hours=Decimal(24), max_reminders=3
)


def waiting(
    since: datetime = BASE,
    deciders: tuple[Decider, ...] = (UTC_D,),
    starts_in: timedelta = timedelta(days=30),
    level_since: datetime | None = None,
) -> Waiting:
    return Waiting(
        request_id="r1",
        level=1,
        pending_since=since,
        level_since=level_since or since,
        leave_starts_at=since + starts_in,
        deciders=deciders,
    )


def track(count: int, at: datetime, who: str = "ursula") -> Sent:
    return Sent(reminders={who: ReminderTrack(count, at)})


@pytest.mark.parametrize(
    ("case", "settings", "sent", "now", "due", "next_at"),
    [
        ("before the first", DAILY, Sent(), BASE + 23 * H, [], BASE + 24 * H),
        ("first on time", DAILY, Sent(), BASE + 24 * H, [Remind("ursula", 1)], BASE + 48 * H),
        (
            "second a day after the first",
            DAILY,
            track(1, BASE + 24 * H),
            BASE + 48 * H,
            [Remind("ursula", 2)],
            BASE + 72 * H,
        ),
        ("max_reminders reached", DAILY, track(3, BASE + 72 * H), BASE + 200 * H, [], None),
        (
            "max_reminders 0 sends none",
            ApprovalSettings(remind_after_hours=Decimal(1), max_reminders=0),
            Sent(),
            BASE + 5 * H,
            [],
            None,
        ),
        (
            "no interval given: every remind_after_hours",
            ApprovalSettings(remind_after_hours=Decimal(2)),
            track(1, BASE + 2 * H),
            BASE + 4 * H,
            [Remind("ursula", 2)],
            BASE + 6 * H,
        ),
        (
            "a service down for days sends one, not the backlog",
            DAILY,
            Sent(),
            BASE + 4 * 24 * H,
            [Remind("ursula", 1)],
            BASE + 5 * 24 * H,
        ),
        (
            "never sooner than one interval after a late one",
            DAILY,
            track(1, BASE + 30 * H),
            BASE + 48 * H,
            [],
            BASE + 54 * H,
        ),
    ],
)
def test_reminders_follow_the_interval_and_the_maximum(
    case: str,
    settings: ApprovalSettings,
    sent: Sent,
    now: datetime,
    due: list[Remind],
    next_at: datetime | None,
) -> None:
    assert plan(waiting(), settings, sent, now) == Plan(list(due), next_at), case


def test_a_reminder_due_at_night_waits_for_nine_in_the_deciders_zone() -> None:
    # Pending since 20:00 UTC; the first reminder falls due 12 h later at 08:00 UTC,
    # which is 17:00 in Tokyo (sent) and night in UTC (held until 09:00 UTC).
    since = BASE + 11 * H
    rules = ApprovalSettings(remind_after_hours=Decimal(12), max_reminders=2)
    at_8 = since + 12 * H
    result = plan(waiting(since, (UTC_D, TOKYO_D)), rules, Sent(), at_8)
    assert result.due == [Remind("taro", 1)]
    assert result.next_at == at_8 + H  # 09:00 UTC, Ursula's day starts
    at_9 = at_8 + H
    then = plan(waiting(since, (UTC_D, TOKYO_D)), rules, track(1, at_8, "taro"), at_9)
    assert then.due == [Remind("ursula", 1)]


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        (BASE, "UTC", BASE),  # 09:00 is inside
        (BASE + 9 * H - timedelta(seconds=1), "UTC", BASE + 9 * H - timedelta(seconds=1)),
        (BASE + 9 * H, "UTC", BASE + 24 * H),  # 18:00 is outside: next morning
        (BASE - 2 * H, "UTC", BASE),  # 07:00: this morning at nine
        (BASE, "Asia/Tokyo", BASE + 24 * H - 9 * H),  # 18:00 in Tokyo: next 09:00 there
        (BASE - 9 * H, "Asia/Tokyo", BASE - 9 * H),  # 09:00 in Tokyo
        (BASE, "No/Such_Zone", BASE),  # an unknown zone reads as UTC
    ],
)
def test_working_hours_window(moment: datetime, zone: str, expected: datetime) -> None:
    assert in_working_hours(moment, zone) == expected


def test_a_new_level_or_a_restart_counts_from_its_own_start() -> None:
    # The tracks of the earlier round are not passed: level 2 became pending at +30 h.
    level_2 = waiting(level_since=BASE + 30 * H)
    assert plan(level_2, DAILY, Sent(), BASE + 48 * H).due == []
    assert plan(level_2, DAILY, Sent(), BASE + 54 * H).due == [Remind("ursula", 1)]


@pytest.mark.parametrize(
    ("case", "settings", "sent", "now", "due", "next_at"),
    [
        (
            "not yet",
            ApprovalSettings(escalate_after_hours=Decimal(72)),
            Sent(),
            BASE + 71 * H,
            [],
            BASE + 72 * H,
        ),
        (
            "after escalate_after_hours",
            ApprovalSettings(escalate_after_hours=Decimal(72)),
            Sent(),
            BASE + 72 * H,
            [Escalate("waited")],
            None,
        ),
        (
            "only once",
            ApprovalSettings(escalate_after_hours=Decimal(72)),
            Sent(escalations=frozenset({"waited"})),
            BASE + 300 * H,
            [],
            None,
        ),
        (
            "escalation is not held for the night",
            ApprovalSettings(escalate_after_hours=Decimal(14)),
            Sent(),
            BASE + 14 * H,
            [Escalate("waited")],
            None,
        ),
        (
            "the leave's first day begins while pending",
            ApprovalSettings(when_leave_starts="escalate"),
            Sent(),
            BASE + 30 * 24 * H,
            [Escalate("leave_starts")],
            None,
        ),
        (
            "leave start escalated once",
            ApprovalSettings(when_leave_starts="escalate"),
            Sent(escalations=frozenset({"leave_starts"})),
            BASE + 31 * 24 * H,
            [],
            None,
        ),
        (
            "before the first day: wake then",
            ApprovalSettings(when_leave_starts="auto_deny"),
            Sent(),
            BASE + 29 * 24 * H,
            [],
            BASE + 30 * 24 * H,
        ),
        (
            "auto approve when it starts",
            ApprovalSettings(when_leave_starts="auto_approve"),
            Sent(),
            BASE + 30 * 24 * H,
            [Decide(True, "approved automatically: the leave started while still pending")],
            None,
        ),
        (
            "auto deny when it starts, and nothing else",
            ApprovalSettings(
                remind_after_hours=Decimal(1),
                escalate_after_hours=Decimal(2),
                when_leave_starts="auto_deny",
            ),
            Sent(),
            BASE + 30 * 24 * H,
            [Decide(False, "denied automatically: the leave started while still pending")],
            None,
        ),
    ],
)
def test_escalation_and_the_first_day(
    case: str,
    settings: ApprovalSettings,
    sent: Sent,
    now: datetime,
    due: list[object],
    next_at: datetime | None,
) -> None:
    assert plan(waiting(), settings, sent, now) == Plan(list(due), next_at), case  # type: ignore[arg-type]


def test_all_rules_off_owes_nothing() -> None:
    assert plan(waiting(), ApprovalSettings(), Sent(), BASE + 1000 * H) == Plan([], None)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"remind_after_hours": Decimal(0)}, "remind_after_hours"),
        ({"remind_every_hours": Decimal(-1)}, "remind_every_hours"),
        ({"escalate_after_hours": Decimal(0)}, "escalate_after_hours"),
        ({"max_reminders": -1}, "max_reminders"),
        ({"when_leave_starts": "ignore"}, "when_leave_starts"),
    ],
)
def test_settings_refuse_nonsense(fields: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        ApprovalSettings(**fields)  # type: ignore[arg-type]
    assert refused.value.field == field
