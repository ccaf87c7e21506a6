"""A held tenant snapshot is brought forward from the change log, and is then what a whole
new load would give; where the log cannot say what changed, the tenant is loaded again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leaveflow_calendar.adapters.snapshot_cache import MemorySnapshotCache
from leaveflow_calendar.bootstrap import INDEXES
from leaveflow_calendar.service_layer import projection, tenant_snapshot
from leaveflow_calendar.service_layer.projection import (
    CHANGES,
    PEOPLE,
    VERSIONS,
    change_slot_key,
)
from leaveflow_calendar.service_layer.tenant_snapshot import (
    Snapshot,
    load,
    snapshot,
    tenant_version,
)
from leaveflow_contracts import LeaveRepriced
from leaveflow_kit.replica import replica_key
from leaveflow_kit.storage import Store, Transaction
from leaveflow_kit.testing.stores import EMBEDDED_KINDS, started_store

from ..conftest import Events

T = "tenant-1"
# Sorts right after T's keys ("tenant-1/..." < "tenant-10/..."): its changes must stay its own.
OTHER = "tenant-10"
SOON = datetime.now(UTC).date() + timedelta(days=30)


@pytest.fixture(params=EMBEDDED_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with started_store(request.param, tmp_path, INDEXES) as s:
        yield s


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tenants loaded whole (not brought forward), in order."""
    seen: list[str] = []
    real = tenant_snapshot.load

    async def counted(store: Store, tenant_id: str, version: int) -> Snapshot:
        seen.append(tenant_id)
        return await real(store, tenant_id, version)

    monkeypatch.setattr(tenant_snapshot, "load", counted)
    return seen


def day(offset: int) -> date:
    return SOON + timedelta(days=offset)


async def assert_as_loaded(store: Store, held: Snapshot, tenant_id: str = T) -> None:
    whole = await load(store, tenant_id, await tenant_version(store, tenant_id))
    assert held.version == whole.version
    assert held.leaves == whole.leaves
    assert held.absences == whole.absences
    assert held.directory == whole.directory


async def company(events: Events, tenant: str = T) -> None:
    await events.standard_directory(tenant=tenant)
    await events.employee("e2", "Bo Berg", department_id="d2", location_id="l2", tenant=tenant)
    await events.leave_type("sick", "Sick leave", private=True, tenant=tenant)
    await events.approved("r1", tenant=tenant, start_date=day(0), end_date=day(2))
    await events.approved(
        "r2",
        tenant=tenant,
        employee_id="e2",
        department_id="d2",
        start_date=day(1),
        end_date=day(1),
    )


async def test_every_kind_of_change_is_brought_forward_without_a_whole_load(
    store: Store, events: Events, loads: list[str]
) -> None:
    await company(events)
    cache = MemorySnapshotCache()
    await snapshot(store, cache, T)
    assert loads == [T]
    steps: list[Any] = [
        lambda: events.employee("e1", "Ana Lima-Souza"),  # a rename
        lambda: events.employee("e2", "Bo Berg", department_id="d1", location_id="l1"),  # a move
        lambda: events.leave_type("vac", "Holiday", color="#00ff00"),  # a type's new look
        lambda: events.approved(
            "r3", employee_id="e2", leave_type_id="sick", start_date=day(5), end_date=day(5)
        ),
        lambda: events.deliver(
            LeaveRepriced(
                **events.facts("r1", end_date=day(3), amount="4"), old_amount="3", status="approved"
            )
        ),
        lambda: events.cancelled("r2"),
        lambda: events.department("d2", "Sales", approver_ids=["e1"]),
        lambda: events.location("l2", "Berlin Mitte", "DE", "BE"),
        lambda: events.tenant("Acme Ltd"),
        lambda: events.employee("e1", "Ana Lima-Souza", end_date=day(1)),  # leaves mid-leave
        # After her last day: not shown.
        lambda: events.approved("r4", start_date=day(9), end_date=day(9)),
    ]
    for step in steps:
        await step()
        held = await snapshot(store, cache, T)
        await assert_as_loaded(store, held)
    assert loads == [T]
    names = {v.request_id: (v.employee_name, v.leave_type_name, v.end_date) for v in held.leaves}
    assert names == {
        "r1": ("Ana Lima-Souza", "Holiday", day(1)),
        "r3": ("Bo Berg", "Sick leave", day(5)),
    }


async def test_several_changes_at_once_and_another_tenant_beside_it(
    store: Store, events: Events, loads: list[str]
) -> None:
    await company(events)
    await company(events, tenant=OTHER)
    cache = MemorySnapshotCache()
    await snapshot(store, cache, T)
    await snapshot(store, cache, OTHER)
    await events.employee("e1", "Ana in other", tenant=OTHER)
    await events.approved("r9", tenant=OTHER, start_date=day(4), end_date=day(4))
    await events.employee("e1", "Ana Lima-Souza")
    await events.approved("r3", start_date=day(6), end_date=day(6))
    await events.cancelled("r1")
    held = await snapshot(store, cache, T)
    await assert_as_loaded(store, held)
    assert [(v.request_id, v.employee_name) for v in held.leaves] == [
        ("r2", "Bo Berg"),
        ("r3", "Ana Lima-Souza"),
    ]
    await assert_as_loaded(store, await snapshot(store, cache, OTHER), OTHER)
    assert loads == [T, OTHER]


async def test_a_version_bumped_without_a_change_record_loads_the_tenant_again(
    store: Store, events: Events, loads: list[str]
) -> None:
    # As the calendar did before it kept the change log (a rolling upgrade's older instance).
    await company(events)
    cache = MemorySnapshotCache()
    await snapshot(store, cache, T)
    key = replica_key(T, "e1")

    async def old_code_rename(tx: Transaction) -> None:
        person = await tx.get(PEOPLE, key)
        assert person is not None
        await tx.put(PEOPLE, key, {**person, "name": "Renamed by old code"})
        version = await tx.get(VERSIONS, T)
        assert version is not None
        await tx.put(VERSIONS, T, {**version, "version": version["version"] + 1})

    await store.atomic(old_code_rename)
    await events.employee("e2", "Bo B.")  # the next version's change is in the log
    held = await snapshot(store, cache, T)
    assert loads == [T, T]
    assert {v.employee_name for v in held.leaves} == {"Renamed by old code", "Bo B."}
    # ... and from then on the log serves again.
    await events.employee("e2", "Bo Berg")
    held = await snapshot(store, cache, T)
    await assert_as_loaded(store, held)
    assert loads == [T, T]


async def test_the_ring_is_read_round_its_end_and_a_reader_a_lap_behind_loads_again(
    store: Store, events: Events, loads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(projection, "CHANGES_KEPT", 5)
    await company(events)
    version = await tenant_version(store, T)
    ring = await store.find(CHANGES, {"tenant_id": T})
    assert sorted(c["version"] for c in ring) == list(range(version - 4, version + 1))
    assert {c["id"] for c in ring} == {change_slot_key(T, v % 5) for v in range(5)}
    cache = MemorySnapshotCache()
    await snapshot(store, cache, T)
    for lap in range(7):  # one to three changes a read: reads run round the ring's end
        for n in range(lap % 3 + 1):
            await events.employee("e1", f"Ana {lap}.{n}")
        await assert_as_loaded(store, await snapshot(store, cache, T))
    assert loads == [T]
    for n in range(6):  # more than the ring holds: the held version's slot is a lap on
        await events.employee("e2", f"Bo {n}")
    await assert_as_loaded(store, await snapshot(store, cache, T))
    assert loads == [T, T]


async def test_a_newer_snapshot_in_the_cache_is_not_replaced_by_an_older_one(
    store: Store, events: Events
) -> None:
    await company(events)
    older = await snapshot(store, MemorySnapshotCache(), T)
    await events.employee("e1", "Ana Lima-Souza")
    newer = replace(older, version=older.version + 100)

    class Racing:
        """Another read puts a newer snapshot while this one brings `older` forward."""

        def __init__(self) -> None:
            self.gets = [older]
            self.puts: list[Snapshot] = []

        def get(self, tenant_id: str) -> Snapshot | None:
            return self.gets.pop(0) if self.gets else newer

        def put(self, tenant_id: str, made: Snapshot) -> None:
            self.puts.append(made)

    racing = Racing()
    made = await snapshot(store, racing, T)
    assert made.version == await tenant_version(store, T)
    assert racing.puts == []


async def test_a_loaded_tenant_keeps_one_copy_of_each_repeated_value(
    store: Store, events: Events
) -> None:
    await company(events)
    await events.employee("e3", "Cy", department_id="d2", location_id="l2")
    people = (await load(store, T, await tenant_version(store, T))).directory.people
    bo, cy = people["e2"], people["e3"]
    assert (bo.department_id, bo.location_id, bo.role) == ("d2", "l2", "user")
    assert bo.department_id is cy.department_id
    assert bo.location_id is cy.location_id
    assert bo.tenant_id is cy.tenant_id is people["e1"].tenant_id
