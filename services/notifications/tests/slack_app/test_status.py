"""The status while away, on a fake clock: set when approved leave starts (expiring at its
end in the person's zone), cleared on cancel, moved on edit, once across two replicas,
and skipped for whoever has no token or opted out."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from leaveflow_contracts import (
    EmployeeUpserted,
    EventData,
    LeaveApproved,
    LeaveCancelled,
    LeaveRepriced,
    LeaveTypeUpserted,
    LocationUpserted,
)
from leaveflow_kit.messaging import Handlers
from leaveflow_kit.testing import deliver
from leaveflow_notifications.adapters.slack_app.web_api import SlackSdkWebApi
from leaveflow_notifications.service_layer.collections import (
    SLACK_STATUSES,
    SLACK_USERS,
    slack_user_key,
)
from leaveflow_notifications.service_layer.slack_app.install import SlackInstaller
from leaveflow_notifications.service_layer.slack_app.status import SlackStatuses, status_handlers

from .conftest import SlackApi

BERLIN = ZoneInfo("Europe/Berlin")


class Statuses:
    """The world's store and clock with the status handlers, and replicas of the scheduler."""

    def __init__(self, world: Any, slack_api: SlackApi) -> None:
        self.world, self.slack_api = world, slack_api
        # Slack's side: the status is what was set last (`own` before anything was).
        self.own: dict[str, Any] = {}
        slack_api.routes["GET /api/users.profile.get"] = lambda call: (
            200,
            {"ok": True, "profile": self.profiles()[-1][1] if self.profiles() else self.own},
        )
        self.handlers: Handlers = world.handlers.also(status_handlers())
        self.api = SlackSdkWebApi(slack_api.base_url, "id", "secret")
        self.installer = SlackInstaller(
            world.store,
            world.reads,
            world.box,
            world.integrations,
            self.api,
            world.clock,
            client_id="id",
            base_url="https://notify.test",
            dashboard_url="https://dash.test",
            authorize_url="https://slack.test/oauth/v2/authorize",
        )

    def replica(self, name: str) -> SlackStatuses:
        return SlackStatuses(
            self.world.store,
            self.world.reads,
            self.installer,
            self.api,
            self.world.clock,
            interval_seconds=60,
            replica_id=name,
        )

    async def feed(self, data: EventData) -> None:
        await deliver(self.world.store, self.handlers, data, tenant_id="t1")

    async def token(self, user: str, *, status: bool = True) -> None:
        doc = {
            "tenant_id": "t1",
            "team_id": "T1",
            "slack_user_id": user,
            "user_token": self.world.box.encrypt(f"xoxp-{user}"),
            "status": status,
        }
        await self.world.store.atomic(
            lambda tx: tx.put(SLACK_USERS, slack_user_key("T1", user), doc)
        )

    def profiles(self) -> list[tuple[str, dict[str, Any]]]:
        return [
            (c.headers["Authorization"], c.json()["profile"])
            for c in self.slack_api.sent("users.profile.set")
        ]


@pytest.fixture
async def statuses(world: Any, slack_api: SlackApi) -> Statuses:
    s = Statuses(world, slack_api)
    await world.integrations.connect("t1", "slack", {"team_id": "T1", "bot_token": "xoxb-b"})
    # Ana works in Berlin: her leave starts and ends at Berlin's midnights.
    await s.feed(
        LocationUpserted(
            location_id="ber", name="Berlin", timezone="Europe/Berlin", workweek=[1, 2, 3, 4, 5]
        )
    )
    await s.feed(
        EmployeeUpserted(
            employee_id="t1-ana",
            name="Ana Lima",
            email="ana@t1.test",
            role="user",
            department_id="t1-d1",
            location_id="ber",
            slack_user_id="U_ANA",
        )
    )
    await s.feed(LeaveTypeUpserted(leave_type_id="sick", name="Sick leave", private=True))
    await s.feed(LeaveTypeUpserted(leave_type_id="dr", name="Doctor", unit="hours"))
    return s


def _leave(first: date, last: date, **extra: Any) -> dict[str, Any]:
    return {
        "request_id": "r1",
        "employee_id": "t1-ana",
        "leave_type_id": "vac",
        "start_date": first,
        "end_date": last,
        "amount": Decimal(3),
        **extra,
    }


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), BERLIN)


def _label(day: date) -> str:
    return f"{day.day} {day.strftime('%b')}"


async def test_status_is_set_when_the_leave_starts_and_cleared_on_cancel(
    statuses: Statuses,
) -> None:
    clock = statuses.world.clock
    first = clock.now().date() + timedelta(days=3)
    last = first + timedelta(days=2)
    await statuses.token("U_ANA")
    await statuses.feed(LeaveApproved(**_leave(first, last), approver_id="t1-bo"))
    replica = statuses.replica("a")

    assert await replica.run_once() == 0  # not started yet
    clock.move_to(_midnight(first) - timedelta(minutes=1))
    assert await replica.run_once() == 0
    clock.move_to(_midnight(first) + timedelta(minutes=1))
    assert await replica.run_once() == 1
    assert await replica.run_once() == 0  # shown already: nothing twice

    end = _midnight(last + timedelta(days=1))
    assert statuses.profiles() == [
        (
            "Bearer xoxp-U_ANA",
            {
                "status_text": f"On vacation until {_label(last)}",
                "status_emoji": ":palm_tree:",
                "status_expiration": int(end.timestamp()),
            },
        )
    ]

    clock.advance(timedelta(days=1))
    await statuses.feed(LeaveCancelled(**_leave(first, last), previous_status="approved"))
    assert await replica.run_once() == 1
    assert statuses.profiles()[-1] == (
        "Bearer xoxp-U_ANA",
        {"status_text": "", "status_emoji": "", "status_expiration": 0},
    )
    assert await replica.run_once() == 0
    assert await statuses.world.store.find(SLACK_STATUSES, {}) == []


async def test_two_replicas_set_a_status_once(statuses: Statuses) -> None:
    clock = statuses.world.clock
    first = clock.now().date() + timedelta(days=1)
    await statuses.token("U_ANA")
    await statuses.feed(LeaveApproved(**_leave(first, first)))
    clock.move_to(_midnight(first) + timedelta(hours=8))

    one, two = statuses.replica("one"), statuses.replica("two")
    calls = await asyncio.gather(one.run_once(), two.run_once(), one.run_once())

    assert sum(calls) == 1
    assert len(statuses.profiles()) == 1


async def test_an_edit_moves_or_clears_the_status(statuses: Statuses) -> None:
    clock = statuses.world.clock
    first = clock.now().date() + timedelta(days=1)
    last = first + timedelta(days=1)
    await statuses.token("U_ANA")
    await statuses.feed(LeaveApproved(**_leave(first, last)))
    clock.move_to(_midnight(first) + timedelta(hours=9))
    replica = statuses.replica("a")
    assert await replica.run_once() == 1

    longer = last + timedelta(days=3)
    await statuses.feed(
        LeaveRepriced(
            **_leave(first, longer), old_amount=Decimal(2), status="approved", edited_by="t1-cy"
        )
    )
    assert await replica.run_once() == 1
    assert statuses.profiles()[-1][1] == {
        "status_text": f"On vacation until {_label(longer)}",
        "status_emoji": ":palm_tree:",
        "status_expiration": int(_midnight(longer + timedelta(days=1)).timestamp()),
    }

    later = first + timedelta(days=10)
    await statuses.feed(
        LeaveRepriced(
            **_leave(later, later), old_amount=Decimal(5), status="approved", edited_by="t1-cy"
        )
    )
    assert await replica.run_once() == 1
    assert statuses.profiles()[-1][1] == {
        "status_text": "",
        "status_emoji": "",
        "status_expiration": 0,
    }


async def test_a_private_type_shows_only_away_and_an_hour_type_nothing(
    statuses: Statuses,
) -> None:
    clock = statuses.world.clock
    today = clock.now().astimezone(BERLIN).date()
    await statuses.token("U_ANA")
    await statuses.feed(LeaveApproved(**_leave(today, today, leave_type_id="sick")))
    await statuses.feed(
        LeaveApproved(
            **{**_leave(today, today, leave_type_id="dr"), "request_id": "r2", "unit": "hours"}
        )
    )
    assert await statuses.replica("a").run_once() == 1
    [(_, profile)] = statuses.profiles()
    assert profile["status_text"] == f"Away until {_label(today)}"


async def test_without_a_token_or_opted_out_nothing_is_sent_and_nothing_fails(
    statuses: Statuses,
) -> None:
    clock = statuses.world.clock
    today = clock.now().astimezone(BERLIN).date()
    await statuses.feed(LeaveApproved(**_leave(today, today)))
    replica = statuses.replica("a")
    assert await replica.run_once() == 0  # no token: skipped
    await statuses.token("U_ANA", status=False)
    assert await replica.run_once() == 0  # opted out
    assert statuses.profiles() == []
    # Opting in later, during the leave, shows it at the next round.
    await statuses.installer.set_status_wanted("T1", "U_ANA", True)
    assert await replica.run_once() == 1


async def test_a_revoked_token_is_not_retried_every_round(
    statuses: Statuses, slack_api: SlackApi
) -> None:
    slack_api.answer("users.profile.set", {"ok": False, "error": "token_revoked"})
    today = statuses.world.clock.now().astimezone(BERLIN).date()
    await statuses.token("U_ANA")
    await statuses.feed(LeaveApproved(**_leave(today, today)))
    replica = statuses.replica("a")
    assert await replica.run_once() == 1
    assert len(slack_api.sent("users.profile.set")) == 1


async def test_the_persons_own_status_comes_back_and_a_newer_one_is_left_alone(
    statuses: Statuses,
) -> None:
    clock = statuses.world.clock
    first = clock.now().date() + timedelta(days=1)
    await statuses.token("U_ANA")
    in_a_month = int((clock.now() + timedelta(days=30)).timestamp())
    statuses.own = {
        "status_text": "Working from home",
        "status_emoji": ":house:",
        "status_expiration": in_a_month,
    }
    await statuses.feed(LeaveApproved(**_leave(first, first)))
    clock.move_to(_midnight(first) + timedelta(hours=9))
    replica = statuses.replica("a")
    assert await replica.run_once() == 1
    await statuses.feed(LeaveCancelled(**_leave(first, first), previous_status="approved"))
    assert await replica.run_once() == 1
    assert statuses.profiles()[-1][1] == {
        "status_text": "Working from home",
        "status_emoji": ":house:",
        "status_expiration": in_a_month,
    }

    # Another leave: while it shows, Ana sets a status of her own; the cancel keeps hers.
    second = dict(_leave(first, first), request_id="r2")
    await statuses.feed(LeaveApproved(**second))
    assert await replica.run_once() == 1
    assert statuses.profiles()[-1][1]["status_emoji"] == ":palm_tree:"
    mine = {"status_text": "In a workshop", "status_emoji": ":pencil:", "status_expiration": 0}
    statuses.slack_api.routes["GET /api/users.profile.get"] = (200, {"ok": True, "profile": mine})
    sets = len(statuses.profiles())
    await statuses.feed(LeaveCancelled(**second, previous_status="approved"))
    assert await replica.run_once() == 0
    assert await replica.run_once() == 0  # and the record is done with
    assert len(statuses.profiles()) == sets
    assert await statuses.world.store.find(SLACK_STATUSES, {}) == []


async def test_at_the_leaves_end_slack_expires_it_and_nothing_is_sent(
    statuses: Statuses,
) -> None:
    clock = statuses.world.clock
    first = clock.now().date() + timedelta(days=1)
    await statuses.token("U_ANA")
    await statuses.feed(LeaveApproved(**_leave(first, first)))
    clock.move_to(_midnight(first) + timedelta(hours=9))
    replica = statuses.replica("a")
    assert await replica.run_once() == 1
    # Slack drops the status at its expiration by itself.
    statuses.slack_api.routes["GET /api/users.profile.get"] = (200, {"ok": True, "profile": {}})
    clock.move_to(_midnight(first + timedelta(days=1)) + timedelta(minutes=5))
    assert await replica.run_once() == 0
    clock.advance(timedelta(days=3))
    assert await replica.run_once() == 0
    assert len(statuses.profiles()) == 1
    assert await statuses.world.store.find(SLACK_STATUSES, {}) == []
