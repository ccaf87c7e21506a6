"""The directory replica follows the kit's rule: keys scoped by tenant, the event that
happened last wins whatever order events arrive in, and the set is rebuilt from the
requests stream when its version changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leaveflow_contracts import (
    DepartmentUpserted,
    EmployeeUpserted,
    LeaveTypeUpserted,
    LocationUpserted,
    TenantCreated,
)
from leaveflow_kit.testing import deliver
from leaveflow_notifications.adapters.store_reads import StoreReads
from leaveflow_notifications.service_layer.replica import DIRECTORY, person


def _employee(name: str, slack: str | None = None) -> EmployeeUpserted:
    return EmployeeUpserted(
        employee_id="e1", name=name, email="e1@x.test", role="user", slack_user_id=slack
    )


async def test_the_same_id_in_two_tenants_is_two_people(world: Any) -> None:
    await deliver(world.store, world.handlers, _employee("Ana", "U1"), tenant_id="ta")
    await deliver(world.store, world.handlers, _employee("Bo", "U1"), tenant_id="tb")
    assert (await person(world.store, "ta", "e1") or {})["name"] == "Ana"
    assert (await person(world.store, "tb", "e1") or {})["name"] == "Bo"
    reads = StoreReads(world.store)
    assert (await reads.person_by("ta", "slack_user_id", "U1") or {})["name"] == "Ana"
    assert await reads.person("tc", "e1") is None


async def test_an_older_event_arriving_late_changes_nothing(world: Any) -> None:
    now = datetime.now(UTC)
    handlers, store = world.handlers, world.store
    await deliver(store, handlers, _employee("Ana Newer"), tenant_id="ta", occurred_at=now)
    late = now - timedelta(minutes=5)
    await deliver(store, handlers, _employee("Ana Older"), tenant_id="ta", occurred_at=late)
    assert (await person(store, "ta", "e1") or {})["name"] == "Ana Newer"
    later = now + timedelta(seconds=1)
    await deliver(store, handlers, _employee("Ana Latest"), tenant_id="ta", occurred_at=later)
    assert (await person(store, "ta", "e1") or {})["name"] == "Ana Latest"


async def test_a_locations_zone_is_read_in_its_own_tenant_only(world: Any) -> None:
    tokyo = LocationUpserted(location_id="l1", name="T", timezone="Asia/Tokyo", workweek=[1])
    await deliver(world.store, world.handlers, tokyo, tenant_id="ta")
    for tenant, zone in (("ta", "Europe/Paris"), ("tb", "America/Lima")):
        created = TenantCreated(tenant_id=tenant, name=tenant, timezone=zone, admin_id="a")
        await deliver(world.store, world.handlers, created, tenant_id=tenant)
    at_l1 = EmployeeUpserted(
        employee_id="e1", name="E", email="e@x.test", role="user", location_id="l1"
    )
    for tenant in ("ta", "tb"):
        await deliver(world.store, world.handlers, at_l1, tenant_id=tenant)
    reads = StoreReads(world.store)
    assert await reads.time_zone("ta", "e1") == "Asia/Tokyo"
    # tb's employee names a location id only ta has: tb's own zone decides.
    assert await reads.time_zone("tb", "e1") == "America/Lima"


def test_the_directory_is_rebuilt_from_the_requests_stream_with_every_handler() -> None:
    assert DIRECTORY.producer == "requests"
    assert DIRECTORY.version >= 1
    assert set(DIRECTORY.collections) == {
        "tenants",
        "locations",
        "people",
        "departments",
        "leave_types",
    }
    filled_by = {cls.EVENT_TYPE for cls in (TenantCreated, LocationUpserted, EmployeeUpserted)}
    filled_by |= {DepartmentUpserted.EVENT_TYPE, LeaveTypeUpserted.EVENT_TYPE}
    assert set(DIRECTORY.handlers) == filled_by
