"""On its first start after the replica key change, the calendar drops the old-shaped
directory replicas and rebuilds them from the requests stream (real nats-server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from leaveflow_calendar.bootstrap import INDEXES, create_app
from leaveflow_calendar.config import Settings
from leaveflow_calendar.service_layer.projection import (
    DIRECTORY_VERSION,
    LOCATIONS,
    REPLICAS,
    TENANTS,
)
from leaveflow_contracts import Envelope, LocationUpserted, TenantCreated, subject_for
from leaveflow_kit.messaging.broker import connect_broker, create_broker
from leaveflow_kit.replica import stored_version
from leaveflow_kit.storage import Transaction, open_store

pytestmark = pytest.mark.integration


async def test_old_replicas_are_replaced_by_the_replayed_directory(
    tmp_path: Path, nats_url: str
) -> None:
    events = [
        Envelope.wrap(
            TenantCreated(tenant_id="t1", name="Acme", timezone="Europe/Berlin", admin_id="a"),
            tenant_id="t1",
        ),
        Envelope.wrap(
            LocationUpserted(
                location_id="l1", name="Munich", timezone="Europe/Berlin", workweek=[1, 2, 3]
            ),
            tenant_id="t1",
        ),
    ]
    broker = create_broker(nats_url, name="requests")
    await connect_broker(broker)
    js = broker.connection.jetstream()
    for env in events:
        await js.publish(subject_for("requests", env.type), env.model_dump_json().encode())
    await broker.stop()

    url = f"sqlite:///{tmp_path / 'calendar.db'}"
    old = open_store(url, INDEXES)
    await old.start()

    async def old_shape(tx: Transaction) -> None:
        await tx.put(LOCATIONS, "t1/l1", {"id": "l1", "tenant_id": "t1", "name": "Old"})

    await old.atomic(old_shape)
    await old.close()

    app = create_app(Settings(data_dir=tmp_path, nats_url=nats_url, database_url=url))
    async with app.router.lifespan_context(app):
        store = app.state.store
        assert await store.get(LOCATIONS, "t1/l1") is None
        location = await REPLICAS[LOCATIONS].get(store, "t1", "l1")
        assert location is not None
        assert location["name"] == "Munich"
        tenant = await REPLICAS[TENANTS].get(store, "t1", "t1")
        assert tenant is not None
        assert tenant["timezone"] == "Europe/Berlin"
        assert await stored_version(store, "calendar.directory") == DIRECTORY_VERSION
