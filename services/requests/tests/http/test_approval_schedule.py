"""The approval scheduler as wired in the app, on the memory store with a fake clock:
reminders, escalation and the leave's first day, each sent once whoever ticks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from leaveflow_contracts import EventData, LeaveReserved
from leaveflow_kit.auth import TokenIssuer
from leaveflow_kit.clock import local_midnight
from leaveflow_kit.storage import Store, open_store
from leaveflow_kit.testing import FakeClock, deliver
from leaveflow_requests.adapters.approval_schedule_store import (
    SCHEDULE_INDEXES,
    StoreScheduleLedger,
)
from leaveflow_requests.adapters.repository import INDEXES, StoreReads, StoreUnitOfWork
from leaveflow_requests.bootstrap import Overrides, create_app, event_handlers
from leaveflow_requests.config import Settings
from leaveflow_requests.service_layer.approval_schedule import RETRY_AFTER, ApprovalScheduler
from leaveflow_requests.service_layer.approval_schedule_ports import Dispatch
from leaveflow_requests.service_layer.workflow_approvals import WorkflowApprovals

from .conftest import NOW, SECRET_KEY, Api, Company, day, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="module")
H = timedelta(hours=1)
HEARTBEAT = timedelta(days=7)


@dataclass
class World:
    company: Company
    store: Store
    clock: FakeClock
    scheduler: ApprovalScheduler

    def replica(self, ledger: StoreScheduleLedger | None = None) -> ApprovalScheduler:
        """Another process on the same store (a second replica, or this one restarted)."""
        reads = StoreReads(self.store)
        approvals = WorkflowApprovals(StoreUnitOfWork(self.store), reads, self.clock)
        ledger = ledger or StoreScheduleLedger(self.store)
        return ApprovalScheduler(
            approvals, approvals, ledger, reads, self.clock, heartbeat_seconds=3600 * 24 * 7
        )

    async def pending_request(self, who: str = "ana", start: int = 7) -> dict[str, Any]:
        """A request of `who` that balances reserved now (pending since the clock's now)."""
        response = await self.company.submit(who, start_date=day(start), end_date=day(start + 1))
        assert response.status_code == 202, response.text
        request: dict[str, Any] = response.json()
        reserved = LeaveReserved(
            request_id=request["id"],
            employee_id=request["employee_id"],
            leave_type_id=request["leave_type_id"],
            amount=request["amount"],
        )
        await deliver(
            self.store, event_handlers(self.clock), reserved, tenant_id=self.company.tenant_id
        )
        return request

    async def events(self, event_type: str) -> list[dict[str, Any]]:
        return [
            r.envelope.data
            for r in await self.store.fetch_unpublished(10_000)
            if r.envelope.type == event_type and r.envelope.tenant_id == self.company.tenant_id
        ]

    async def rules(self, body: dict[str, Any], department: str | None = None) -> None:
        url = "/v1/approval-settings"
        if department:
            url = f"/v1/departments/{self.company.ids[department]}/approval-settings"
        await self.company.ok("ada", "PUT", url, body)

    async def at(self, moment: datetime) -> datetime:
        self.clock.move_to(moment)
        return await self.scheduler.tick()


@pytest_asyncio.fixture(loop_scope="module")
async def world(key_dir: Path, issuer: TokenIssuer) -> AsyncIterator[World]:
    store = open_store("memory://", [*INDEXES, *SCHEDULE_INDEXES])
    await store.start()
    clock = FakeClock(NOW)
    app = create_app(
        # A week: so each tick answers with the next due moment, not the heartbeat.
        Settings(data_dir=key_dir, approval_schedule_heartbeat_seconds=HEARTBEAT.total_seconds()),
        overrides=Overrides(store=store, clock=clock, issuer=issuer, secret_key=SECRET_KEY),
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rq")
    company = await sign_up(Api(client, store))
    yield World(company, store, clock, app.state.approval_scheduler)
    await app.state.approval_scheduler.stop()
    await client.aclose()
    await store.close()


async def test_each_decider_is_reminded_every_interval_up_to_the_maximum(world: World) -> None:
    await world.rules({"remind_after_hours": 24, "remind_every_hours": 24, "max_reminders": 2})
    request = await world.pending_request()
    assert await world.at(NOW + 23 * H) == NOW + 24 * H
    assert await world.events("ApprovalReminderDue") == []
    assert await world.at(NOW + 24 * H) == NOW + 48 * H
    [first] = await world.events("ApprovalReminderDue")
    assert first["request_id"] == request["id"]
    assert (first["level"], first["reminder_number"]) == (1, 1)
    assert first["approval"]["deciders"] == [world.company.ids["bob"]]
    assert datetime.fromisoformat(first["pending_since"]) == NOW
    await world.at(NOW + 30 * H)
    assert len(await world.events("ApprovalReminderDue")) == 1
    await world.at(NOW + 48 * H)
    numbers = [e["reminder_number"] for e in await world.events("ApprovalReminderDue")]
    assert numbers == [1, 2]
    await world.at(NOW + 200 * H)
    assert len(await world.events("ApprovalReminderDue")) == 2


async def test_two_replicas_at_once_or_a_restart_never_send_twice(world: World) -> None:
    await world.rules({"remind_after_hours": 1, "escalate_after_hours": 1})
    await world.pending_request()
    world.clock.move_to(NOW + 2 * H)
    await asyncio.gather(world.scheduler.tick(), world.replica().tick(), world.replica().tick())
    await world.replica().tick()
    assert len(await world.events("ApprovalReminderDue")) == 1
    assert len(await world.events("ApprovalEscalated")) == 1


async def test_escalation_tells_the_admins_once(world: World) -> None:
    await world.rules({"escalate_after_hours": 48})
    request = await world.pending_request()
    await world.at(NOW + 47 * H)
    assert await world.events("ApprovalEscalated") == []
    await world.at(NOW + 48 * H)
    await world.at(NOW + 96 * H)
    [escalated] = await world.events("ApprovalEscalated")
    assert escalated["request_id"] == request["id"]
    assert escalated["admin_ids"] == [world.company.ids["ada"]]
    assert escalated["cause"] == "waited"
    assert await world.events("ApprovalReminderDue") == []


async def test_a_decided_request_is_owed_nothing(world: World) -> None:
    await world.rules({"remind_after_hours": 24, "escalate_after_hours": 24})
    request = await world.pending_request()
    await world.company.ok("bob", "POST", f"/v1/leave-requests/{request['id']}/approve", {})
    await world.at(NOW + 100 * H)
    assert await world.events("ApprovalReminderDue") == []
    assert await world.events("ApprovalEscalated") == []


async def records_of(world: World, request_id: str) -> list[Dispatch]:
    return await StoreScheduleLedger(world.store).dispatches(world.company.tenant_id, request_id)


async def test_the_records_of_decided_and_cancelled_requests_are_dropped(world: World) -> None:
    """Each reminder and escalation sent is recorded (so none is sent twice); once a
    request is over, the next tick drops its records, and keeps those of the others."""
    await world.rules({"remind_after_hours": 1, "max_reminders": 1, "escalate_after_hours": 1})
    approved = await world.pending_request(start=7)
    cancelled = await world.pending_request(start=14)
    waiting = await world.pending_request(start=21)
    await world.at(NOW + 2 * H)
    for request in (approved, cancelled, waiting):
        kinds = sorted(d.kind for d in await records_of(world, request["id"]))
        assert kinds == ["escalation", "reminder"], request["id"]
    await world.company.ok("bob", "POST", f"/v1/leave-requests/{approved['id']}/approve", {})
    await world.company.ok("ana", "POST", f"/v1/leave-requests/{cancelled['id']}/cancel", {})
    await world.at(NOW + 3 * H)
    assert await records_of(world, approved["id"]) == []
    assert await records_of(world, cancelled["id"]) == []
    assert len(await records_of(world, waiting["id"])) == 2
    # The one still waiting is owed nothing new: its records kept it from a second copy.
    await world.at(NOW + 4 * H)
    ours = {r["id"] for r in (approved, cancelled, waiting)}
    for kind in ("ApprovalEscalated", "ApprovalReminderDue"):
        sent = [e["request_id"] for e in await world.events(kind) if e["request_id"] in ours]
        assert sorted(sent) == sorted(ours), kind


async def test_records_of_a_request_not_listed_as_waiting_but_not_over_are_kept(
    world: World,
) -> None:
    """A request another replica saw pending after this tick listed the waiting ones
    keeps its records: only requests that are over lose theirs."""
    await world.rules({"remind_after_hours": 1})
    request = await world.pending_request()
    await world.at(NOW + 2 * H)
    (record,) = await records_of(world, request["id"])

    class NothingWaits:
        """The workflow as a tick saw it a moment before the request became pending."""

        def __init__(self, real: WorkflowApprovals) -> None:
            self.real = real

        async def pending(self, tenant_id: str, now: datetime) -> list[Any]:
            return []

        async def admin_ids(self, tenant_id: str) -> set[str]:
            return await self.real.admin_ids(tenant_id)

        async def finished(self, tenant_id: str, request_ids: set[str]) -> set[str]:
            return await self.real.finished(tenant_id, request_ids)

    reads = StoreReads(world.store)
    real = WorkflowApprovals(StoreUnitOfWork(world.store), reads, world.clock)
    blind = ApprovalScheduler(
        NothingWaits(real), real, StoreScheduleLedger(world.store), reads, world.clock
    )
    await blind.tick()
    assert await records_of(world, request["id"]) == [record]


def first_day_begins(request: dict[str, Any]) -> datetime:
    # The Office is on UTC.
    return local_midnight(date.fromisoformat(request["start_date"]), "UTC")


@pytest.mark.parametrize(
    ("rule", "status"), [("auto_deny", "denied"), ("auto_approve", "approved")]
)
async def test_the_system_decides_when_the_leave_starts(
    world: World, rule: str, status: str
) -> None:
    await world.rules({"when_leave_starts": rule})
    request = await world.pending_request()
    starts = first_day_begins(request)
    assert await world.at(starts - H) == starts
    await world.at(starts)
    url = f"/v1/leave-requests/{request['id']}"
    decided = await world.company.ok("ada", "GET", url)
    assert decided["status"] == status
    event_type = "LeaveDenied" if rule == "auto_deny" else "LeaveApproved"
    [event] = await world.events(event_type)
    assert event["approver_id"] == "system"
    assert "automatically" in event["note"]
    await world.at(starts + H)
    assert len(await world.events(event_type)) == 1


async def test_a_leave_starting_while_pending_can_escalate(world: World) -> None:
    await world.rules({"when_leave_starts": "escalate"})
    request = await world.pending_request()
    await world.at(first_day_begins(request))
    await world.at(first_day_begins(request) + 5 * H)
    [escalated] = await world.events("ApprovalEscalated")
    assert escalated["cause"] == "leave_starts"
    assert (await world.company.ok("ada", "GET", f"/v1/leave-requests/{request['id']}"))[
        "status"
    ] == "pending"


async def test_a_department_override_replaces_the_company_rules(world: World) -> None:
    await world.rules({"remind_after_hours": 1})
    await world.rules({"remind_after_hours": 1, "max_reminders": 0}, department="sales")
    await world.pending_request()
    await world.at(NOW + 2 * H)
    assert await world.events("ApprovalReminderDue") == []
    url = f"/v1/departments/{world.company.ids['sales']}/approval-settings"
    assert (await world.company.call("ada", "DELETE", url)).status_code == 204
    await world.at(NOW + 3 * H)
    assert len(await world.events("ApprovalReminderDue")) == 1


async def test_a_decider_abroad_is_reminded_when_their_day_starts(world: World) -> None:
    # 09:00 UTC is 18:00 in Tokyo: Bob's working day there is over.
    tokyo = {"name": "Tokyo", "timezone": "Asia/Tokyo"}
    tokyo_id = (await world.company.ok("ada", "POST", "/v1/locations", tokyo))["id"]
    bob = f"/v1/employees/{world.company.ids['bob']}"
    await world.company.ok("ada", "PATCH", bob, {"location_id": tokyo_id})
    await world.rules({"remind_after_hours": 1})
    await world.pending_request()
    tokyo_nine = NOW + 15 * H  # 00:00 UTC
    assert await world.at(NOW + 2 * H) == tokyo_nine
    assert await world.events("ApprovalReminderDue") == []
    await world.at(tokyo_nine)
    assert len(await world.events("ApprovalReminderDue")) == 1


async def test_the_loop_sleeps_on_the_clock_and_wakes_on_a_rule_change(world: World) -> None:
    await world.pending_request()
    world.scheduler.start()
    await until(lambda: _ticked(world, 1))
    ticks = world.scheduler.ticks
    world.clock.move_to(NOW + 30 * H)  # nothing is set: it sleeps on until its heartbeat
    await asyncio.sleep(0.05)
    assert world.scheduler.ticks == ticks
    assert await world.events("ApprovalReminderDue") == []
    # The PUT wakes it at once, without the clock moving.
    await world.rules({"remind_after_hours": 24})
    await until(lambda: _count_at_least(world, 1))
    world.clock.advance(24 * H)
    await until(lambda: _count_at_least(world, 2))
    await world.scheduler.stop()


async def _ticked(world: World, n: int) -> bool:
    return world.scheduler.ticks >= n


async def _count_at_least(world: World, n: int) -> bool:
    return len(await world.events("ApprovalReminderDue")) >= n


async def until(check: Callable[[], Awaitable[object]]) -> None:
    """Poll `check` until it answers something truthy (10 s at most)."""
    async with asyncio.timeout(10):
        while True:
            if await check():
                return
            await asyncio.sleep(0.01)


async def approver(world: World, name: str) -> str:
    person = {
        "name": name.title(),
        "email": f"{name}@acme.test",
        "role": "approver",
        "location_id": world.company.ids["office"],
    }
    made: dict[str, Any] = await world.company.ok("ada", "POST", "/v1/employees", person)
    return str(made["id"])


async def test_the_next_level_is_reminded_from_when_it_began(world: World) -> None:
    cy = await approver(world, "cy")
    bob = world.company.ids["bob"]
    levels = {"approval_levels": [{"approver_ids": [bob]}, {"approver_ids": [cy]}]}
    sales = f"/v1/departments/{world.company.ids['sales']}"
    await world.company.ok("ada", "PATCH", sales, levels)
    await world.rules({"remind_after_hours": 24, "max_reminders": 3})
    request = await world.pending_request()
    await world.at(NOW + 24 * H)
    world.clock.move_to(NOW + 30 * H)
    await world.company.ok("bob", "POST", f"/v1/leave-requests/{request['id']}/approve", {})
    # Bob's track ends with his level; Cy's begins when level 2 began to wait.
    assert await world.at(NOW + 48 * H) == NOW + 54 * H
    await world.at(NOW + 54 * H)
    sent = await world.events("ApprovalReminderDue")
    assert [(e["level"], e["approval"]["deciders"], e["reminder_number"]) for e in sent] == [
        (1, [world.company.ids["bob"]], 1),
        (2, [cy], 1),
    ]
    assert datetime.fromisoformat(sent[1]["pending_since"]) == NOW + 30 * H
    assert sent[1]["approval"]["current_level"] == 2


async def test_a_substitute_is_reminded_with_the_approver(world: World) -> None:
    cy = await approver(world, "cy")
    bob = world.company.ids["bob"]
    holds = {
        "approver_id": bob,
        "substitute_id": cy,
        "start_date": NOW.date().isoformat(),
        "end_date": (NOW.date() + timedelta(days=5)).isoformat(),
    }
    await world.company.ok("ada", "POST", "/v1/substitutions", holds)
    await world.rules({"remind_after_hours": 24})
    await world.pending_request()
    await world.at(NOW + 24 * H)
    sent = await world.events("ApprovalReminderDue")
    assert sorted(e["approval"]["deciders"][0] for e in sent) == sorted([bob, cy])


async def test_an_edit_restarts_the_reminders(world: World) -> None:
    await world.rules({"remind_after_hours": 24, "max_reminders": 1})
    request = await world.pending_request()
    await world.at(NOW + 24 * H)
    world.clock.move_to(NOW + 26 * H)
    edit = {"start_date": day(9), "end_date": day(9)}
    await world.company.ok("ana", "PATCH", f"/v1/leave-requests/{request['id']}", edit)
    assert await world.at(NOW + 49 * H) == NOW + 50 * H
    await world.at(NOW + 50 * H)
    sent = await world.events("ApprovalReminderDue")
    assert [e["reminder_number"] for e in sent] == [1, 1]
    assert datetime.fromisoformat(sent[1]["pending_since"]) == NOW + 26 * H


class FailingFor(StoreScheduleLedger):
    """A store that cannot record anything for one request."""

    def __init__(self, store: Store, request_id: str) -> None:
        super().__init__(store)
        self.request_id = request_id

    async def dispatch(self, dispatch: Dispatch, event: EventData) -> bool:
        if dispatch.request_id == self.request_id:
            raise RuntimeError("disk full")
        return await super().dispatch(dispatch, event)


async def test_one_failing_request_does_not_hold_up_the_others(world: World) -> None:
    await world.rules({"remind_after_hours": 1})
    stuck = await world.pending_request("ana")
    fine = await world.pending_request("ben")
    scheduler = world.replica(FailingFor(world.store, stuck["id"]))
    world.clock.move_to(NOW + 2 * H)
    assert await scheduler.tick() == NOW + 2 * H + RETRY_AFTER
    assert [e["request_id"] for e in await world.events("ApprovalReminderDue")] == [fine["id"]]
    await world.scheduler.tick()  # healthy again: the stuck one gets its reminder
    assert len(await world.events("ApprovalReminderDue")) == 2
