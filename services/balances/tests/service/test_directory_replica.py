"""Balances' replica of the directory follows the replica rule (docs/adr/0004): scoped by
tenant, the event that happened last wins whatever the arrival order, a redelivery
changes nothing, and replaying the events later rebuilds the same replica."""

# fixed-clock: the harness runs on FakeClock(2026-06-01); events are stamped explicitly

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from leaveflow_balances.adapters.repository import INDEXES, LOCATIONS
from leaveflow_contracts import DepartmentUpserted, EmployeeUpserted, Envelope, LocationUpserted
from leaveflow_kit.storage import open_store
from leaveflow_kit.testing import FakeClock, deliver

from ..harness import Harness, T

EARLY = datetime(2026, 5, 1, 9, tzinfo=UTC)
LATE = EARLY + timedelta(hours=1)


def employee(location_id: str, name: str = "Ana") -> EmployeeUpserted:
    return EmployeeUpserted(
        employee_id="e1", name=name, email="ana@x.test", role="user", location_id=location_id
    )


async def test_the_newest_event_wins_whatever_the_arrival_order(harness: Harness) -> None:
    await deliver(
        harness.store, harness.handlers, employee("berlin"), tenant_id=T, occurred_at=LATE
    )
    await deliver(
        harness.store, harness.handlers, employee("paris"), tenant_id=T, occurred_at=EARLY
    )
    found = await harness.reads.employee(T, "e1")
    assert found is not None
    assert found.location_id == "berlin"


async def test_a_redelivery_changes_nothing(harness: Harness) -> None:
    first = await deliver(harness.store, harness.handlers, employee("berlin"), tenant_id=T)
    await deliver(harness.store, harness.handlers, employee("paris", "Ana B."), tenant_id=T)
    await deliver(harness.store, harness.handlers, first)  # the older one, again
    found = await harness.reads.employee(T, "e1")
    assert found is not None
    assert (found.location_id, found.name) == ("paris", "Ana B.")


async def test_the_same_ids_in_two_tenants_are_two_records(harness: Harness) -> None:
    await deliver(harness.store, harness.handlers, employee("berlin"), tenant_id=T)
    await deliver(harness.store, harness.handlers, employee("lisbon", "Other"), tenant_id="t2")
    mine, theirs = await harness.reads.employee(T, "e1"), await harness.reads.employee("t2", "e1")
    assert mine is not None
    assert theirs is not None
    assert (mine.location_id, theirs.location_id) == ("berlin", "lisbon")
    sales = DepartmentUpserted(department_id="d1", name="Sales", approver_ids=["boss"])
    await deliver(harness.store, harness.handlers, sales, tenant_id="t2")
    assert await harness.reads.approves_for("t2", "boss", "d1")
    assert not await harness.reads.approves_for(T, "boss", "d1")


async def test_replaying_the_events_later_rebuilds_the_same_replica(harness: Harness) -> None:
    office = LocationUpserted(
        location_id="loc", name="HQ", timezone="Asia/Tokyo", workweek=[1, 2, 3, 4, 5]
    )
    moved = office.model_copy(update={"leave_year_start": "04-01"})
    # 20:00 UTC on 1 May is already 2 May in Tokyo: first_seen is the location's day.
    history: list[Envelope] = []
    for data, at in ((office, EARLY.replace(hour=20)), (moved, LATE.replace(hour=21))):
        history.append(
            await deliver(harness.store, harness.handlers, data, tenant_id=T, occurred_at=at)
        )
    live = await harness.store.find(LOCATIONS, {"tenant_id": T})
    # A rebuild months later: an empty replica, the same events through the same handlers.
    store = open_store("memory://", INDEXES)
    await store.start()
    try:
        later = Harness(store, FakeClock(datetime(2027, 2, 1, tzinfo=UTC)))
        for envelope in history:
            await deliver(store, later.handlers, envelope)
        assert await store.find(LOCATIONS, {"tenant_id": T}) == live
        rebuilt = await later.reads.location(T, "loc")
        assert rebuilt is not None
        assert (rebuilt.leave_year_start, rebuilt.first_seen) == ("04-01", date(2026, 5, 2))
    finally:
        await store.close()
