"""The pending-approval seam on the in-memory store: what waits for whom since when, and
automatic decisions as "system"."""

# fixed-clock: every handler gets the `clock` fixture, a fixed time

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from leaveflow_contracts import LeaveReserved
from leaveflow_kit.storage import Store, open_store
from leaveflow_kit.testing import FakeClock, deliver
from leaveflow_requests.adapters.repository import INDEXES, StoreReads, StoreUnitOfWork
from leaveflow_requests.bootstrap import event_handlers
from leaveflow_requests.domain import errors
from leaveflow_requests.domain.approval import LevelRule
from leaveflow_requests.domain.model import LeaveRequest
from leaveflow_requests.service_layer import approvals, directory, leave_requests
from leaveflow_requests.service_layer.commands import (
    Actor,
    CreateLeaveType,
    CreateSubstitution,
    CreateTenant,
    DecideLeaveRequest,
    DepartmentFields,
    EditLeaveRequest,
    SubmitLeaveRequest,
    UpsertEmployee,
)
from leaveflow_requests.service_layer.substitutions import create_substitution

START = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = open_store("memory://", INDEXES)
    await s.start()
    yield s
    await s.close()


class World:
    """Ada (admin); Bob and Cleo approve levels 1 and 2 of Sales; Ana is in Sales."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.uow = StoreUnitOfWork(store)
        self.reads = StoreReads(store)
        self.clock = FakeClock(START)

    async def build(self) -> World:
        tenant, admin = await directory.create_tenant(
            self.uow, CreateTenant(name="Acme", admin_name="Ada", admin_email="ada@acme.test")
        )
        self.admin = Actor(tenant.id, admin.id, "admin")
        self.lt = await directory.create_leave_type(
            self.uow, self.admin, CreateLeaveType(name="Vacation")
        )

        async def person(name: str, role: str) -> Actor:
            e = await directory.create_employee(
                self.uow,
                self.admin,
                UpsertEmployee(name=name, email=f"{name}@acme.test", role=role),
            )
            return Actor(tenant.id, e.id, role)

        self.bob = await person("bob", "approver")
        self.cleo = await person("cleo", "approver")
        self.sue = await person("sue", "approver")
        self.ana = await person("ana", "user")
        levels = (LevelRule([self.bob.employee_id]), LevelRule([self.cleo.employee_id]))
        sales = await directory.save_department(
            self.uow,
            self.admin,
            DepartmentFields("Sales", approval_levels=levels),
            clock=self.clock,
        )
        await directory.update_employee(
            self.uow, self.admin, self.ana.employee_id, {"department_id": sales.id}
        )
        return self

    async def pending(self, start: date, end: date) -> LeaveRequest:
        request = await leave_requests.submit_leave_request(
            self.uow,
            self.clock,
            self.ana,
            SubmitLeaveRequest(leave_type_id=self.lt.id, start_date=start, end_date=end),
        )
        reserved = LeaveReserved(
            request_id=request.id,
            employee_id=request.employee_id,
            leave_type_id=request.leave_type_id,
            amount=request.amount,
        )
        await deliver(
            self.store, event_handlers(self.clock), reserved, tenant_id=self.admin.tenant_id
        )
        found = await self.reads.leave_request(self.admin.tenant_id, request.id)
        assert found is not None
        return found

    async def outbox(self) -> list[tuple[str, dict[str, object]]]:
        return [
            (r.envelope.type, r.envelope.data) for r in await self.store.fetch_unpublished(1000)
        ]


async def test_pending_approvals_name_the_level_its_deciders_and_since_when(store: Store) -> None:
    w = await World(store).build()
    first = await w.pending(date(2026, 3, 9), date(2026, 3, 10))
    w.clock.advance(timedelta(hours=5))
    second = await w.pending(date(2026, 3, 16), date(2026, 3, 16))
    found = await approvals.pending_approvals(w.reads, w.clock)
    assert [p.request.id for p in found] == [first.id, second.id]
    assert [(p.current_level, p.deciders) for p in found] == [
        (1, [w.bob.employee_id]),
        (1, [w.bob.employee_id]),
    ]
    assert [p.pending_since for p in found] == [START, START + timedelta(hours=5)]
    assert found[0].level_since == START
    # level 1 approved two hours later: level 2 waits from then, the request since START
    w.clock.advance(timedelta(hours=2))
    await leave_requests.decide_leave_request(
        w.uow, w.clock, w.bob, DecideLeaveRequest(first.id, approve=True)
    )
    (moved, _) = await approvals.pending_approvals(w.reads, w.clock, w.admin.tenant_id)
    assert (moved.current_level, moved.deciders) == (2, [w.cleo.employee_id])
    assert (moved.pending_since, moved.level_since) == (START, START + timedelta(hours=7))
    assert await approvals.pending_approvals(w.reads, w.clock, "another-tenant") == []


async def test_a_substitute_holding_today_is_among_the_deciders(store: Store) -> None:
    w = await World(store).build()
    request = await w.pending(date(2026, 3, 9), date(2026, 3, 10))
    cmd = CreateSubstitution(
        approver_id=w.bob.employee_id,
        substitute_id=w.sue.employee_id,
        start_date=date(2026, 3, 3),
        end_date=date(2026, 3, 4),
    )
    await create_substitution(w.uow, w.clock, w.bob, cmd)
    (today,) = await approvals.pending_approvals(w.reads, w.clock)
    assert today.deciders == [w.bob.employee_id]
    w.clock.advance(timedelta(days=1))
    (tomorrow,) = await approvals.pending_approvals(w.reads, w.clock)
    assert tomorrow.deciders == [w.bob.employee_id, w.sue.employee_id]
    await leave_requests.decide_leave_request(
        w.uow, w.clock, w.sue, DecideLeaveRequest(request.id, approve=True)
    )
    w.clock.advance(timedelta(days=2))
    with pytest.raises(errors.NotAllowed):
        await leave_requests.decide_leave_request(
            w.uow, w.clock, w.sue, DecideLeaveRequest(request.id, approve=True)
        )


async def test_decide_as_system_approves_every_level_left_in_one_event(store: Store) -> None:
    w = await World(store).build()
    request = await w.pending(date(2026, 3, 9), date(2026, 3, 10))
    decided = await approvals.decide_as_system(
        w.uow, w.clock, w.admin.tenant_id, request.id, approve=True, note="leave started", level=1
    )
    assert decided.status == "approved"
    kind, data = (await w.outbox())[-1]
    assert kind == "LeaveApproved"
    assert (data["approver_id"], data["note"], data["level"]) == ("system", "leave started", 2)
    assert data["approval"]["current_level"] is None  # type: ignore[index]
    statuses = [(lv["status"], lv["decided_by"]) for lv in data["approval"]["levels"]]  # type: ignore[index]
    assert statuses == [("approved", "system"), ("approved", "system")]
    envelope = (await store.fetch_unpublished(1000))[-1].envelope
    assert envelope.actor == "system"
    assert await approvals.pending_approvals(w.reads, w.clock) == []
    # a second replica deciding the same request finds it decided
    with pytest.raises(errors.InvalidTransition):
        await approvals.decide_as_system(
            w.uow, w.clock, w.admin.tenant_id, request.id, approve=True, note="leave started"
        )


async def test_decide_as_system_denies_at_the_current_level_and_guards_a_stale_level(
    store: Store,
) -> None:
    w = await World(store).build()
    request = await w.pending(date(2026, 3, 9), date(2026, 3, 10))
    await leave_requests.decide_leave_request(
        w.uow, w.clock, w.bob, DecideLeaveRequest(request.id, approve=True)
    )
    with pytest.raises(errors.InvalidTransition):
        await approvals.decide_as_system(
            w.uow, w.clock, w.admin.tenant_id, request.id, approve=False, note="late", level=1
        )
    denied = await approvals.decide_as_system(
        w.uow, w.clock, w.admin.tenant_id, request.id, approve=False, note="no answer", level=2
    )
    assert denied.status == "denied"
    kind, data = (await w.outbox())[-1]
    assert (kind, data["approver_id"], data["level"], data["note"]) == (
        "LeaveDenied",
        "system",
        2,
        "no answer",
    )
    with pytest.raises(errors.NotFound):
        await approvals.decide_as_system(
            w.uow, w.clock, w.admin.tenant_id, "nope", approve=False, note="x"
        )


async def test_an_edit_restarts_pending_since_and_the_levels(store: Store) -> None:
    w = await World(store).build()
    request = await w.pending(date(2026, 3, 9), date(2026, 3, 10))
    await leave_requests.decide_leave_request(
        w.uow, w.clock, w.bob, DecideLeaveRequest(request.id, approve=True)
    )
    w.clock.advance(timedelta(hours=3))
    edited = await leave_requests.edit_leave_request(
        w.uow, w.clock, w.ana, EditLeaveRequest(request.id, end_date=date(2026, 3, 11))
    )
    assert edited.amount == Decimal(3)
    (waiting,) = await approvals.pending_approvals(w.reads, w.clock)
    assert (waiting.current_level, waiting.deciders) == (1, [w.bob.employee_id])
    assert waiting.pending_since == START + timedelta(hours=3)
