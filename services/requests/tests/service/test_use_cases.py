"""Requests use cases on the in-memory store: state, outbox and the rules of who may act."""

# fixed-clock: every handler gets the `clock` fixture, a fixed time

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from leaveflow_contracts import EventData, LeaveReservationRejected, LeaveReserved
from leaveflow_kit.storage import Store, open_store
from leaveflow_kit.testing import FakeClock, deliver
from leaveflow_requests.adapters.repository import INDEXES, StoreReads, StoreUnitOfWork
from leaveflow_requests.bootstrap import event_handlers
from leaveflow_requests.domain import errors
from leaveflow_requests.domain.model import LeaveRequest
from leaveflow_requests.service_layer import directory, leave_requests, queries
from leaveflow_requests.service_layer.commands import (
    Actor,
    CancelLeaveRequest,
    CreateLeaveType,
    CreateTenant,
    DecideLeaveRequest,
    DepartmentFields,
    SubmitLeaveRequest,
    UpsertEmployee,
)

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)


clock = FakeClock(NOW)
HANDLERS = event_handlers(clock)


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = open_store("memory://", INDEXES)
    await s.start()
    yield s
    await s.close()


async def outbox_types(store: Store) -> list[str]:
    return [r.envelope.type for r in await store.fetch_unpublished(1000)]


class World:
    """A tenant with an admin, an approver and two employees in department d1."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def build(
        self, *, half_days: bool = True, approval: bool = True, admin_email: str = "ada@acme.test"
    ) -> World:
        tenant, admin = await directory.create_tenant(
            StoreUnitOfWork(self.store),
            CreateTenant(name="Acme", admin_name="Ada", admin_email=admin_email),
        )
        self.admin = Actor(tenant.id, admin.id, "admin")
        self.lt = await directory.create_leave_type(
            StoreUnitOfWork(self.store),
            self.admin,
            CreateLeaveType(name="Vacation", allow_half_days=half_days, requires_approval=approval),
        )

        async def person(name: str, role: str, dept: str | None) -> Actor:
            e = await directory.create_employee(
                StoreUnitOfWork(self.store),
                self.admin,
                UpsertEmployee(
                    name=name,
                    email=f"{name}@acme.test",
                    role=role,
                    department_id=dept,
                    start_date=date(2025, 1, 1),
                    end_date=date(2026, 12, 31),
                ),
            )
            return Actor(tenant.id, e.id, role)

        self.boss = await person("boss", "approver", None)
        self.other_boss = await person("otherboss", "approver", None)
        d1 = await directory.save_department(
            StoreUnitOfWork(self.store),
            self.admin,
            DepartmentFields("Sales", (self.boss.employee_id,)),
        )
        await directory.save_department(
            StoreUnitOfWork(self.store),
            self.admin,
            DepartmentFields("Ops", (self.other_boss.employee_id,)),
        )
        self.ana = await person("ana", "user", d1.id)
        self.ben = await person("ben", "user", d1.id)
        return self

    async def submit(self, actor: Actor, start: date, end: date, **kw: object) -> LeaveRequest:
        return await leave_requests.submit_leave_request(
            StoreUnitOfWork(self.store),
            clock,
            actor,
            SubmitLeaveRequest(leave_type_id=self.lt.id, start_date=start, end_date=end, **kw),  # type: ignore[arg-type]
        )

    async def reserve(self, request_id: str, ok: bool = True) -> None:
        req = await StoreReads(self.store).leave_request(self.admin.tenant_id, request_id)
        assert req is not None
        data: EventData = (
            LeaveReserved(
                request_id=request_id,
                employee_id=req.employee_id,
                leave_type_id=req.leave_type_id,
                amount=req.amount,
            )
            if ok
            else LeaveReservationRejected(
                request_id=request_id,
                employee_id=req.employee_id,
                leave_type_id=req.leave_type_id,
                amount=req.amount,
                reason="insufficient_balance",
            )
        )
        await deliver(self.store, HANDLERS, data, tenant_id=self.admin.tenant_id)


async def test_signup_records_tenant_and_admin_events(store: Store) -> None:
    await World(store).build()
    types = await outbox_types(store)
    assert types[:2] == ["TenantCreated", "EmployeeUpserted"]
    assert types.count("EmployeeUpserted") == 5
    assert types.count("LeaveTypeUpserted") == 1


async def test_submit_counts_days_and_records_leave_requested(store: Store) -> None:
    w = await World(store).build()
    req = await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 6), end_part="am")
    assert req.status == "submitted"
    assert req.amount == Decimal("4.5")
    records = await store.fetch_unpublished(1000)
    last = records[-1].envelope
    assert last.type == "LeaveRequested"
    assert last.data["amount"] == "4.50"
    assert last.actor == w.ana.employee_id
    assert records[-1].subject == "lf.requests.LeaveRequested.v1"


async def test_overlapping_request_is_refused(store: Store) -> None:
    w = await World(store).build()
    await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 6))
    with pytest.raises(errors.OverlappingRequest):
        await w.submit(w.ana, date(2026, 3, 6), date(2026, 3, 10))
    # another employee's days are free
    await w.submit(w.ben, date(2026, 3, 6), date(2026, 3, 10))


async def test_rejected_request_frees_its_dates(store: Store) -> None:
    w = await World(store).build()
    req = await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 6))
    await w.reserve(req.id, ok=False)
    again = await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 6))
    assert again.status == "submitted"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"leave_type_id": "nope"}, "leave_type_id"),
        ({"start_date": date(2024, 12, 30), "end_date": date(2024, 12, 31)}, "start_date"),
        ({"start_date": date(2027, 1, 4), "end_date": date(2027, 1, 4)}, "start_date"),
        ({"start_date": date(2026, 3, 7), "end_date": date(2026, 3, 8)}, "start_date"),
    ],
)
async def test_invalid_requests_name_the_field(
    store: Store, kwargs: dict[str, Any], field: str
) -> None:
    w = await World(store).build()
    cmd: dict[str, Any] = {
        "leave_type_id": w.lt.id,
        "start_date": date(2026, 3, 2),
        "end_date": date(2026, 3, 3),
        **kwargs,
    }
    with pytest.raises(errors.InvalidRequest) as info:
        await leave_requests.submit_leave_request(
            StoreUnitOfWork(store), clock, w.ana, SubmitLeaveRequest(**cmd)
        )
    assert info.value.field == field


async def test_half_day_on_a_type_without_half_days_is_refused(store: Store) -> None:
    w = await World(store).build(half_days=False)
    with pytest.raises(errors.InvalidRequest):
        await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 2), start_part="am")


async def test_reserved_request_becomes_pending_then_approved_by_its_approver(
    store: Store,
) -> None:
    w = await World(store).build()
    req = await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 3))
    await w.reserve(req.id)
    with pytest.raises(errors.NotAllowed):
        await leave_requests.decide_leave_request(
            StoreUnitOfWork(store), clock, w.other_boss, DecideLeaveRequest(req.id, approve=True)
        )
    decided = await leave_requests.decide_leave_request(
        StoreUnitOfWork(store), clock, w.boss, DecideLeaveRequest(req.id, approve=True, note="ok")
    )
    assert decided.status == "approved"
    assert [h["to"] for h in decided.history] == ["submitted", "pending", "approved"]
    assert (await outbox_types(store))[-1] == "LeaveApproved"


async def test_type_without_approval_is_approved_when_reserved(store: Store) -> None:
    w = await World(store).build(approval=False)
    req = await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 3))
    await w.reserve(req.id)
    found = await StoreReads(store).leave_request(w.admin.tenant_id, req.id)
    assert found is not None
    assert found.status == "approved"
    assert (await outbox_types(store))[-1] == "LeaveApproved"


async def test_approver_cannot_approve_own_request(store: Store) -> None:
    w = await World(store).build()
    req = await w.submit(w.boss, date(2026, 3, 2), date(2026, 3, 3))
    await w.reserve(req.id)
    with pytest.raises(errors.NotAllowed):
        await leave_requests.decide_leave_request(
            StoreUnitOfWork(store), clock, w.boss, DecideLeaveRequest(req.id, approve=True)
        )


async def test_user_cannot_approve(store: Store) -> None:
    w = await World(store).build()
    req = await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 3))
    await w.reserve(req.id)
    with pytest.raises(errors.NotAllowed):
        await leave_requests.decide_leave_request(
            StoreUnitOfWork(store), clock, w.ben, DecideLeaveRequest(req.id, approve=True)
        )


async def test_requester_cancels_and_the_event_carries_the_previous_status(
    store: Store,
) -> None:
    w = await World(store).build()
    req = await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 3))
    await w.reserve(req.id)
    cancelled = await leave_requests.cancel_leave_request(
        StoreUnitOfWork(store), clock, w.ana, CancelLeaveRequest(req.id, note="plans changed")
    )
    assert cancelled.status == "cancelled"
    last = (await store.fetch_unpublished(1000))[-1].envelope
    assert last.type == "LeaveCancelled"
    assert last.data["previous_status"] == "pending"
    with pytest.raises(errors.InvalidTransition):
        await leave_requests.cancel_leave_request(
            StoreUnitOfWork(store), clock, w.ana, CancelLeaveRequest(req.id)
        )


async def test_another_tenant_sees_nothing(store: Store) -> None:
    w = await World(store).build()
    req = await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 3))
    # Another company's admin (one person cannot sign up two companies unconfirmed).
    other = await World(store).build(admin_email="olga@other.test")
    with pytest.raises(errors.NotFound):
        await leave_requests.decide_leave_request(
            StoreUnitOfWork(store), clock, other.admin, DecideLeaveRequest(req.id, approve=True)
        )
    assert await StoreReads(store).leave_request(other.admin.tenant_id, req.id) is None


async def test_approver_without_department_approves_nobody(store: Store) -> None:
    w = await World(store).build()
    loner = await directory.create_employee(
        StoreUnitOfWork(store),
        w.admin,
        UpsertEmployee(name="loner", email="loner@acme.test", role="approver"),
    )
    nobody = await directory.create_employee(
        StoreUnitOfWork(store),
        w.admin,
        UpsertEmployee(name="free", email="free@acme.test", start_date=date(2025, 1, 1)),
    )
    free = Actor(w.admin.tenant_id, nobody.id, "user")
    req = await w.submit(free, date(2026, 3, 2), date(2026, 3, 3))
    await w.reserve(req.id)
    with pytest.raises(errors.NotAllowed):
        await leave_requests.decide_leave_request(
            StoreUnitOfWork(store),
            clock,
            Actor(w.admin.tenant_id, loner.id, "approver"),
            DecideLeaveRequest(req.id, approve=True),
        )


async def test_department_without_approvers_falls_to_admins(store: Store) -> None:
    w = await World(store).build()
    empty = await directory.save_department(
        StoreUnitOfWork(store), w.admin, DepartmentFields("Empty")
    )
    e = await directory.create_employee(
        StoreUnitOfWork(store),
        w.admin,
        UpsertEmployee(
            name="solo", email="solo@acme.test", department_id=empty.id, start_date=date(2025, 1, 1)
        ),
    )
    solo = Actor(w.admin.tenant_id, e.id, "user")
    req = await w.submit(solo, date(2026, 3, 2), date(2026, 3, 3))
    await w.reserve(req.id)
    with pytest.raises(errors.NotAllowed):
        await leave_requests.decide_leave_request(
            StoreUnitOfWork(store), clock, w.boss, DecideLeaveRequest(req.id, approve=True)
        )
    decided = await leave_requests.decide_leave_request(
        StoreUnitOfWork(store), clock, w.admin, DecideLeaveRequest(req.id, approve=True)
    )
    assert decided.status == "approved"


async def test_only_approvers_and_admins_can_be_department_approvers(store: Store) -> None:
    w = await World(store).build()
    with pytest.raises(errors.InvalidRequest) as info:
        await directory.save_department(
            StoreUnitOfWork(store), w.admin, DepartmentFields("Bad", (w.ana.employee_id,))
        )
    assert info.value.field == "approver_ids"
    with pytest.raises(errors.InvalidRequest) as info:
        await directory.create_employee(
            StoreUnitOfWork(store),
            w.admin,
            UpsertEmployee(name="x", email="x@acme.test", department_id="nope"),
        )
    assert info.value.field == "department_id"


async def test_a_deactivated_department_or_location_takes_no_new_people(store: Store) -> None:
    from leaveflow_requests.service_layer.commands import LocationFields

    w = await World(store).build()
    gone = await directory.save_department(
        StoreUnitOfWork(store), w.admin, DepartmentFields("Gone")
    )
    place = await directory.save_location(
        StoreUnitOfWork(store), w.admin, LocationFields(name="Closed")
    )
    await directory.deactivate_department(StoreUnitOfWork(store), w.admin, gone.id)
    await directory.deactivate_location(StoreUnitOfWork(store), w.admin, place.id)
    for field, cmd in (
        ("department_id", UpsertEmployee(name="a", email="a1@acme.test", department_id=gone.id)),
        ("location_id", UpsertEmployee(name="b", email="b1@acme.test", location_id=place.id)),
    ):
        with pytest.raises(errors.InvalidRequest) as info:
            await directory.create_employee(StoreUnitOfWork(store), w.admin, cmd)
        assert info.value.field == field
    with pytest.raises(errors.NotFound):
        await directory.deactivate_department(StoreUnitOfWork(store), w.admin, gone.id)
    assert (await outbox_types(store)).count("DepartmentUpserted") == 4


async def test_listing_by_date_window_fills_pages_and_pages_on(store: Store) -> None:
    w = await World(store).build()
    # ana: 12 one-day requests in March 2026 weekdays, ben: one in April
    march = [date(2026, 3, d) for d in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17)]
    for day in march:
        await w.submit(w.ana, day, day)
    await w.submit(w.ben, date(2026, 4, 6), date(2026, 4, 6))
    window = {"start": date(2026, 3, 4), "end": date(2026, 3, 12)}  # 7 of ana's
    seen: list[date] = []
    cursor = None
    while True:
        page, cursor = await queries.list_leave_requests(
            StoreReads(store),
            w.admin.tenant_id,
            limit=3,
            cursor=cursor,
            **window,  # type: ignore[arg-type]
        )
        seen += [r.start_date for r in page]
        if cursor is None:
            break
        assert len(page) == 3, "a page with a next cursor is full"
    assert seen == [d for d in march if window["start"] <= d <= window["end"]]
    april, _ = await queries.list_leave_requests(
        StoreReads(store), w.admin.tenant_id, limit=10, cursor=None, start=date(2026, 4, 1)
    )
    assert [r.employee_id for r in april] == [w.ben.employee_id]


@pytest.mark.parametrize(
    ("ok", "event_type", "status"),
    [(True, "LeavePending", "pending"), (False, "LeaveRejected", "rejected")],
)
async def test_balances_outcome_is_a_transition_event_with_the_facts(
    store: Store, ok: bool, event_type: str, status: str
) -> None:
    w = await World(store).build()
    req = await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 3))
    await w.reserve(req.id, ok=ok)
    last = (await store.fetch_unpublished(1000))[-1].envelope
    assert last.type == event_type
    assert last.actor == "system"
    assert last.data["request_id"] == req.id
    assert last.data["amount"] == "2.00"
    assert last.data["working_days"] == ["2026-03-02", "2026-03-03"]
    assert req.department_id is not None
    assert last.data["department_id"] == req.department_id
    if not ok:
        assert last.data["rejection_reason"] == "insufficient_balance"
    after = await StoreReads(store).leave_request(w.admin.tenant_id, req.id)
    assert after is not None
    assert after.status == status
    assert after.history[-1]["to"] == status


async def test_every_decision_event_carries_working_days_and_actor(store: Store) -> None:
    w = await World(store).build()
    req = await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 2))
    await w.reserve(req.id)
    await leave_requests.decide_leave_request(
        StoreUnitOfWork(store), clock, w.boss, DecideLeaveRequest(req.id, approve=True)
    )
    await leave_requests.cancel_leave_request(
        StoreUnitOfWork(store), clock, w.ana, CancelLeaveRequest(req.id)
    )
    envelopes = [r.envelope for r in await store.fetch_unpublished(1000)][-4:]
    assert [e.type for e in envelopes] == [
        "LeaveRequested",
        "LeavePending",
        "LeaveApproved",
        "LeaveCancelled",
    ]
    assert [e.actor for e in envelopes] == [
        w.ana.employee_id,
        "system",
        w.boss.employee_id,
        w.ana.employee_id,
    ]
    assert all(e.data["working_days"] == ["2026-03-02"] for e in envelopes)


async def test_removing_a_used_type_deactivates_it_and_an_unused_one_is_deleted(
    store: Store,
) -> None:
    w = await World(store).build()
    unused = await directory.create_leave_type(
        StoreUnitOfWork(store), w.admin, CreateLeaveType(name="Spare")
    )
    await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 2))
    with pytest.raises(errors.NotAllowed):
        await directory.remove_leave_type(StoreUnitOfWork(store), w.ana, w.lt.id)
    assert await directory.remove_leave_type(StoreUnitOfWork(store), w.admin, w.lt.id) is False
    kept = await StoreReads(store).leave_type(w.admin.tenant_id, w.lt.id)
    assert kept is not None
    assert kept.active is False
    assert await directory.remove_leave_type(StoreUnitOfWork(store), w.admin, unused.id) is True
    assert await StoreReads(store).leave_type(w.admin.tenant_id, unused.id) is None
    with pytest.raises(errors.NotFound):
        await directory.remove_leave_type(StoreUnitOfWork(store), w.admin, unused.id)
    last = (await store.fetch_unpublished(1000))[-1].envelope
    assert (last.type, last.data["leave_type_id"], last.data["active"]) == (
        "LeaveTypeUpserted",
        unused.id,
        False,
    )
