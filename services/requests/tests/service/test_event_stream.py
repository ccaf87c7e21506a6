"""The event log behind `GET /v1/stream`: what is logged, read order, resume, late commits,
and who sees what."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from leaveflow_contracts import new_id
from leaveflow_kit.storage import Store, open_store
from leaveflow_requests.adapters.repository import EVENT_LOG, INDEXES, StoreReads, StoreUnitOfWork
from leaveflow_requests.service_layer import directory, event_stream, leave_requests
from leaveflow_requests.service_layer.commands import CancelLeaveRequest, CreateTenant
from leaveflow_requests.service_layer.event_stream import (
    LOOKBACK_MS,
    StreamCursor,
    floor_id,
    read_new,
    visible_to,
)
from leaveflow_requests.service_layer.visibility import Visibility

from .test_use_cases import World, clock


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = open_store("memory://", INDEXES)
    await s.start()
    yield s
    await s.close()


def everything() -> StreamCursor:
    return StreamCursor(floor="")


async def test_every_outbox_event_is_in_the_tenant_log_in_the_same_order(store: Store) -> None:
    w = await World(store).build()
    req = await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 3))
    await w.reserve(req.id)
    outbox = [r.envelope for r in await store.fetch_unpublished(1000)]
    logged = await read_new(StoreReads(store), w.admin.tenant_id, everything())
    assert [d["id"] for d in logged] == [e.event_id for e in outbox]
    assert [d["envelope"] for d in logged] == [e.model_dump(mode="json") for e in outbox]
    assert logged[-1]["type"] == "LeavePending"
    assert logged[-1]["employee_id"] == w.ana.employee_id


async def test_tenants_never_see_each_others_log(store: Store) -> None:
    w = await World(store).build()
    other, _ = await directory.create_tenant(
        StoreUnitOfWork(store),
        CreateTenant(name="Other", admin_name="Olga", admin_email="olga@other.test"),
    )
    theirs = await read_new(StoreReads(store), other.id, everything())
    assert {d["tenant_id"] for d in theirs} == {other.id}
    assert len(theirs) == 2  # TenantCreated + the admin's EmployeeUpserted
    mine = await read_new(StoreReads(store), w.admin.tenant_id, everything())
    assert other.id not in {d["tenant_id"] for d in mine}


async def test_a_cursor_resumes_strictly_after_the_last_event_id(store: Store) -> None:
    w = await World(store).build()
    first = await read_new(StoreReads(store), w.admin.tenant_id, everything())
    req = await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 3))
    await w.reserve(req.id)
    await leave_requests.cancel_leave_request(
        StoreUnitOfWork(store), clock, w.ana, CancelLeaveRequest(req.id)
    )
    resumed = StreamCursor.resume_after(first[-1]["id"])
    after = await read_new(StoreReads(store), w.admin.tenant_id, resumed)
    assert [d["type"] for d in after] == ["LeaveRequested", "LeavePending", "LeaveCancelled"]
    # Nothing new: a second read sends nothing again.
    assert await read_new(StoreReads(store), w.admin.tenant_id, resumed) == []


async def test_a_resume_from_an_old_last_event_id_misses_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client away for longer than the look-back window still gets every event since its
    Last-Event-ID (the window only bounds re-reads once something was sent)."""
    w = await World(store).build()
    first = await read_new(StoreReads(store), w.admin.tenant_id, everything())
    req = await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 3))
    await w.reserve(req.id)
    later = event_stream.now_ms() + 10 * LOOKBACK_MS
    monkeypatch.setattr(event_stream, "now_ms", lambda: later)
    resumed = StreamCursor.resume_after(first[-1]["id"])
    after = await read_new(StoreReads(store), w.admin.tenant_id, resumed)
    assert [d["type"] for d in after] == ["LeaveRequested", "LeavePending"]


async def test_a_fresh_cursor_starts_with_what_happens_next(store: Store) -> None:
    w = await World(store).build()
    cursor = StreamCursor.resume_after(None)
    assert await read_new(StoreReads(store), w.admin.tenant_id, cursor) == []
    await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 3))
    assert [d["type"] for d in await read_new(StoreReads(store), w.admin.tenant_id, cursor)] == [
        "LeaveRequested"
    ]


async def test_an_event_committed_late_with_an_earlier_id_still_arrives_once(
    store: Store,
) -> None:
    """Concurrent writers (MongoDB) can commit out of id order: the look-back catches it."""
    w = await World(store).build()
    cursor = StreamCursor.resume_after(None)
    early_id = new_id()  # made first, committed last
    await w.submit(w.ana, date(2026, 3, 2), date(2026, 3, 3))
    assert len(await read_new(StoreReads(store), w.admin.tenant_id, cursor)) == 1

    async def late(tx):  # type: ignore[no-untyped-def]
        await tx.insert(
            EVENT_LOG,
            early_id,
            {
                "id": early_id,
                "tenant_id": w.admin.tenant_id,
                "type": "LeaveTypeUpserted",
                "employee_id": None,
                "envelope": {"data": {}},
            },
        )

    await store.atomic(late)
    again = await read_new(StoreReads(store), w.admin.tenant_id, cursor)
    assert [d["id"] for d in again] == [early_id]
    assert await read_new(StoreReads(store), w.admin.tenant_id, cursor) == []


def test_the_look_back_never_reaches_before_the_floor() -> None:
    cursor = StreamCursor(floor=floor_id(10_000))
    assert cursor.read_from(10_500) == floor_id(10_000)
    # Nothing sent yet: from the floor however old it is (a resume misses nothing).
    assert cursor.read_from(20_000) == floor_id(10_000)
    cursor.last = floor_id(30_000)
    assert cursor.read_from(30_100) == floor_id(30_100 - LOOKBACK_MS)
    assert cursor.read_from(90_000) == floor_id(30_000)


def _doc(type_: str, employee_id: str | None, *, request: bool) -> dict[str, object]:
    data = {"request_id": "r1"} if request else {}
    return {"type": type_, "employee_id": employee_id, "envelope": {"data": data}}


USER = Visibility(everyone=False, self_id="me")
APPROVER = Visibility(everyone=False, self_id="me", employee_ids=frozenset({"team"}))
ADMIN = Visibility(everyone=True, self_id="me")


@pytest.mark.parametrize(
    ("doc", "scope", "seen"),
    [
        (_doc("LeaveRequested", "me", request=True), USER, True),
        (_doc("LeaveRequested", "you", request=True), USER, False),
        (_doc("LeaveApproved", "team", request=True), APPROVER, True),
        # issue 13: an approver sees only the requests of the people they approve for.
        (_doc("LeaveApproved", "you", request=True), APPROVER, False),
        (_doc("LeaveRequested", "me", request=True), APPROVER, True),
        (_doc("LeaveCancelled", "you", request=True), ADMIN, True),
        (_doc("EmployeeUpserted", "you", request=False), USER, True),
        (_doc("LocationUpserted", None, request=False), USER, True),
    ],
)
def test_each_caller_sees_their_scopes_requests_and_the_directory(
    doc: dict[str, object], scope: Visibility, seen: bool
) -> None:
    assert visible_to(doc, scope) is seen
