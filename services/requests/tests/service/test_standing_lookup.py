"""`DirectoryStanding`: the requests service's answer to the kit's standing lookup - the
role the directory gives someone now, and whether their last day is behind them where they
work (their location's zone, else the company's)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from leaveflow_kit.auth.standing import Standing
from leaveflow_kit.storage import Store, open_store
from leaveflow_kit.testing import FakeClock
from leaveflow_requests.adapters.repository import INDEXES, StoreReads, StoreUnitOfWork
from leaveflow_requests.service_layer import directory
from leaveflow_requests.service_layer.commands import (
    Actor,
    CreateTenant,
    LocationFields,
    UpsertEmployee,
)
from leaveflow_requests.service_layer.standing import DirectoryStanding

TODAY = datetime.now(UTC).date()
# Late in the UTC day: already tomorrow at UTC+14, still today at UTC-11.
LATE = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC).replace(hour=23)


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = open_store("memory://", INDEXES)
    await s.start()
    yield s
    await s.close()


async def _person(
    store: Store, actor: Actor, email: str, end: date | None, zone: str | None = None
) -> str:
    uow = StoreUnitOfWork(store)
    location_id = None
    if zone is not None:
        location = await directory.save_location(
            uow, actor, LocationFields(name=zone, timezone=zone)
        )
        location_id = location.id
    cmd = UpsertEmployee(
        name=email, email=email, role="approver", end_date=end, location_id=location_id
    )
    return (await directory.create_employee(uow, actor, cmd)).id


@pytest.mark.parametrize(
    ("end", "zone", "active"),
    [
        (None, None, True),
        (TODAY + timedelta(days=30), None, True),
        (TODAY - timedelta(days=30), None, False),
        (TODAY, None, True),  # the last day still counts (the company's zone: UTC)
        (TODAY, "Pacific/Kiritimati", False),  # there it is tomorrow already
        (TODAY, "Pacific/Pago_Pago", True),
        (TODAY - timedelta(days=1), "Pacific/Pago_Pago", False),
    ],
)
async def test_standing_follows_the_directory_and_the_local_day(
    store: Store, end: date | None, zone: str | None, active: bool
) -> None:
    tenant, admin = await directory.create_tenant(
        StoreUnitOfWork(store), CreateTenant(name="Acme", admin_name="Ada", admin_email="a@a.test")
    )
    actor = Actor(tenant.id, admin.id, "admin")
    person = await _person(store, actor, "p@a.test", end, zone)
    lookup = DirectoryStanding(StoreReads(store), FakeClock(LATE))
    assert await lookup.standing(tenant.id, person) == Standing(role="approver", active=active)
    assert await lookup.standing(tenant.id, "nobody") == Standing(role="user", active=False)
