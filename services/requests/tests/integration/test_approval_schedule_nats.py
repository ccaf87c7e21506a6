"""Two replicas of the approval scheduler on one SQLite store and a real nats-server:
only the lease holder runs the schedule, a stopped holder hands over, even replicas
ticking at once (no lease) record each reminder once, and a change on one replica wakes
the others."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import nats
import pytest
from nats.js.client import JetStreamContext

from leaveflow_contracts import LeaveReserved
from leaveflow_contracts.subjects import subject_for
from leaveflow_kit.messaging.lease import ConsumerLease
from leaveflow_kit.storage import Store, open_store
from leaveflow_kit.testing import FakeClock, deliver
from leaveflow_requests.adapters.approval_schedule_store import (
    SCHEDULE_INDEXES,
    StoreScheduleLedger,
)
from leaveflow_requests.adapters.repository import INDEXES, StoreReads, StoreUnitOfWork
from leaveflow_requests.adapters.schedule_signals import ScheduleSignals
from leaveflow_requests.bootstrap import event_handlers
from leaveflow_requests.domain.pending_rules import ApprovalSettings
from leaveflow_requests.service_layer import directory, leave_requests
from leaveflow_requests.service_layer.approval_schedule import ApprovalScheduler
from leaveflow_requests.service_layer.commands import (
    Actor,
    CreateLeaveType,
    CreateTenant,
    DepartmentFields,
    SubmitLeaveRequest,
    UpsertEmployee,
)
from leaveflow_requests.service_layer.workflow_approvals import WorkflowApprovals

pytestmark = pytest.mark.integration

NOW = datetime.combine(date.today(), time(9), tzinfo=UTC)
H = timedelta(hours=1)
TTL = 1.5  # short, so a handover is seen within the test
LEASE = "requests_approval_schedule"


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(nats_url)
    try:
        yield nc.jetstream()
    finally:
        await nc.close()


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    """One database, two processes' connections to it."""
    url = f"sqlite:///{tmp_path / 'requests.db'}"
    pair = (open_store(url, [*INDEXES, *SCHEDULE_INDEXES]), open_store(url, [*INDEXES]))
    for store in pair:
        await store.start()
    yield pair
    for store in pair:
        await store.close()


@dataclass
class Replica:
    store: Store
    scheduler: ApprovalScheduler


def replica(store: Store, clock: FakeClock) -> Replica:
    reads = StoreReads(store)
    approvals = WorkflowApprovals(StoreUnitOfWork(store), reads, clock)
    scheduler = ApprovalScheduler(
        approvals, approvals, StoreScheduleLedger(store), reads, clock, heartbeat_seconds=3600
    )
    return Replica(store, scheduler)


async def pending_request(store: Store, clock: FakeClock) -> str:
    """A company whose one request waits for its approver since `clock`'s now, with a
    reminder every hour (up to 5); the tenant id."""
    uow = StoreUnitOfWork(store)
    tenant, admin = await directory.create_tenant(
        uow, CreateTenant(name="Acme", admin_name="Ada", admin_email="ada@acme.test")
    )
    boss_of = Actor(tenant.id, admin.id, "admin")
    vacation = await directory.create_leave_type(uow, boss_of, CreateLeaveType(name="Vacation"))
    boss = await directory.create_employee(
        uow, boss_of, UpsertEmployee(name="Bo", email="bo@acme.test", role="approver")
    )
    sales = await directory.save_department(uow, boss_of, DepartmentFields("Sales", (boss.id,)))
    ana = await directory.create_employee(
        uow, boss_of, UpsertEmployee(name="Ana", email="ana@acme.test", department_id=sales.id)
    )
    monday = NOW.date() + timedelta(days=14 - NOW.date().weekday())
    request = await leave_requests.submit_leave_request(
        uow,
        clock,
        Actor(tenant.id, ana.id, "user"),
        SubmitLeaveRequest(leave_type_id=vacation.id, start_date=monday, end_date=monday),
    )
    reserved = LeaveReserved(
        request_id=request.id,
        employee_id=ana.id,
        leave_type_id=vacation.id,
        amount=request.amount,
    )
    await deliver(store, event_handlers(clock), reserved, tenant_id=tenant.id)
    rules = ApprovalSettings(remind_after_hours=Decimal(1), max_reminders=5)
    await StoreScheduleLedger(store).put_settings(tenant.id, None, rules)
    return tenant.id


async def reminders(store: Store) -> list[int]:
    return [
        r.envelope.data["reminder_number"]
        for r in await store.fetch_unpublished(10_000)
        if r.envelope.type == "ApprovalReminderDue"
    ]


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(10):
        while True:
            if await check():
                return
            await asyncio.sleep(0.05)


async def test_only_the_lease_holder_schedules_and_a_stop_hands_over(
    js: JetStreamContext, stores: tuple[Store, Store]
) -> None:
    clock = FakeClock(NOW)
    await pending_request(stores[0], clock)
    a, b = replica(stores[0], clock), replica(stores[1], clock)
    lease_a = ConsumerLease(js, LEASE, ttl=TTL, holder="host:a")
    lease_b = ConsumerLease(js, LEASE, ttl=TTL, holder="host:b")
    lease_a.start()

    async def a_holds() -> bool:
        return lease_a.held

    await until(a_holds)
    lease_b.start()
    for r, lease in ((a, lease_a), (b, lease_b)):
        r.scheduler.use_turn(lease)
        r.scheduler.start()
    try:

        async def a_ticked() -> bool:
            return a.scheduler.ticks >= 1

        await until(a_ticked)
        clock.move_to(NOW + 1 * H)

        async def one_sent() -> bool:
            return await reminders(stores[0]) == [1]

        await until(one_sent)
        await asyncio.sleep(TTL)  # B, waiting for the lease all along, never ran a tick
        assert b.scheduler.ticks == 0
        assert lease_b.held is False

        await a.scheduler.stop()
        await lease_a.stop()

        async def b_took_over() -> bool:
            return b.scheduler.ticks >= 1

        await until(b_took_over)
        assert await reminders(stores[0]) == [1]  # B knows what A sent
        clock.move_to(NOW + 2 * H)

        async def second_sent() -> bool:
            return await reminders(stores[0]) == [1, 2]

        await until(second_sent)
    finally:
        await a.scheduler.stop()
        await b.scheduler.stop()
        await lease_a.stop()
        await lease_b.stop()


async def test_replicas_ticking_at_once_record_each_reminder_once(
    stores: tuple[Store, Store],
) -> None:
    clock = FakeClock(NOW)
    await pending_request(stores[0], clock)
    a, b = replica(stores[0], clock), replica(stores[1], clock)
    for hour in (1, 2, 3):
        clock.move_to(NOW + hour * H)
        await asyncio.gather(*(r.scheduler.tick() for r in (a, b, a, b)))
    assert await reminders(stores[0]) == [1, 2, 3]


async def test_a_rule_change_or_a_new_pending_request_wakes_every_replica(nats_url: str) -> None:
    woken = [asyncio.Event(), asyncio.Event()]
    signals = [ScheduleSignals(event.set) for event in woken]
    connections = [await nats.connect(nats_url) for _ in signals]
    try:
        for s, nc in zip(signals, connections, strict=True):
            await s.attach(nc)
        await signals[0].settings_changed()
        assert woken[0].is_set()  # this one, at once
        # The other replica, through NATS. The ping is best effort (a lost one is caught up
        # by the heartbeat), so this proves the path, resending as an admin's next save
        # would, rather than a delivery guarantee core NATS does not give.
        async with asyncio.timeout(15):
            while not woken[1].is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1):
                        await woken[1].wait()
                if not woken[1].is_set():
                    await signals[0].settings_changed()
        woken[0].clear()
        woken[1].clear()
        await connections[0].publish(subject_for("requests", "LeavePending"), b"{}")
        async with asyncio.timeout(15):
            await asyncio.gather(woken[0].wait(), woken[1].wait())
    finally:
        for s in signals:
            await s.detach()
        for nc in connections:
            await nc.close()
