"""Rebuilding a replica from its producer's stream on start-up, against a real nats-server:
a stale schema version empties the collections and replays every event through the
handlers; the current version leaves them alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leaveflow_contracts import (
    EmployeeUpserted,
    Envelope,
    LeaveRequested,
    LeaveTypeUpserted,
    subject_for,
)
from leaveflow_kit.messaging import Handled, Handlers
from leaveflow_kit.messaging.broker import connect_broker, create_broker
from leaveflow_kit.replica import Replica, ReplicaSet, rebuild, rebuild_if_stale, stored_version
from leaveflow_kit.runtime import build_runtime
from leaveflow_kit.settings import ServiceSettings
from leaveflow_kit.storage import Store, Transaction

pytestmark = pytest.mark.integration

TYPES = Replica("leave_types")
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def directory_handlers() -> Handlers:
    handlers = Handlers()

    @handlers.on
    async def on_type(tx: Transaction, event: Handled[LeaveTypeUpserted]) -> None:
        d = event.data
        await TYPES.upsert(
            tx, event.envelope.tenant_id, d.leave_type_id, {"name": d.name}, event.envelope
        )

    return handlers


def replicas(version: int) -> ReplicaSet:
    return ReplicaSet(
        name="svc.directory",
        version=version,
        producer="requests",
        collections=["leave_types"],
        handlers=directory_handlers(),
    )


async def publish(nats_url: str, envelopes: list[Envelope]) -> None:
    broker = create_broker(nats_url, name="producer")
    await connect_broker(broker)
    try:
        js = broker.connection.jetstream()
        for env in envelopes:
            await js.publish(
                subject_for("requests", env.type, env.version),
                env.model_dump_json().encode(),
                headers={"Nats-Msg-Id": env.event_id},
            )
    finally:
        await broker.stop()


def type_event(tenant: str, leave_type_id: str, name: str, seconds: int) -> Envelope:
    return Envelope.wrap(
        LeaveTypeUpserted(leave_type_id=leave_type_id, name=name),
        tenant_id=tenant,
        occurred_at=T0 + timedelta(seconds=seconds),
    )


async def test_a_stale_replica_is_emptied_and_replayed_then_left_alone(
    nats_url: str, store: Store
) -> None:
    # Out of stream order on purpose: the newest occurred_at must win in the replay too.
    events = [
        type_event("t1", "vac", "Vacation (new)", 20),
        type_event("t1", "vac", "Vacation (old)", 10),
        type_event("t2", "vac", "Urlaub", 5),
        Envelope.wrap(
            EmployeeUpserted(
                employee_id="e1", name="Ana", email="a@x.io", role="user", location_id="l1"
            ),
            tenant_id="t1",
        ),
        Envelope.wrap(
            LeaveRequested(
                request_id="r1",
                employee_id="e1",
                leave_type_id="vac",
                start_date=T0.date(),
                end_date=T0.date(),
                amount="1",
            ),
            tenant_id="t1",
        ),
    ]
    await publish(nats_url, events)

    async def old_shape(tx: Transaction) -> None:  # what an older version left behind
        await tx.put("leave_types", "t1/vac", {"id": "vac", "tenant_id": "t1", "name": "x"})
        await tx.put("unrelated", "k", {"kept": True})

    await store.atomic(old_shape)

    broker = create_broker(nats_url, name="svc")
    await connect_broker(broker)
    try:
        js = broker.connection.jetstream()
        assert await rebuild_if_stale(store, js, replicas(2)) is True
        assert await stored_version(store, "svc.directory") == 2
        assert await store.get("leave_types", "t1/vac") is None  # the old key is gone
        vac1, vac2 = await TYPES.get(store, "t1", "vac"), await TYPES.get(store, "t2", "vac")
        assert vac1 is not None
        assert vac1["name"] == "Vacation (new)"
        assert vac2 is not None
        assert vac2["name"] == "Urlaub"
        assert await store.count("leave_types", {}) == 2
        assert await store.get("unrelated", "k") == {"kept": True}

        # The same version again: nothing is touched (a local change survives).
        async def local(tx: Transaction) -> None:
            await tx.put("leave_types", "marker", {"tenant_id": "t9"})

        await store.atomic(local)
        assert await rebuild_if_stale(store, js, replicas(2)) is False
        assert await store.get("leave_types", "marker") == {"tenant_id": "t9"}
        # No consumer is left behind on the stream.
        info = await js.stream_info("LF_REQUESTS")
        assert info.state.consumer_count == 0
    finally:
        await broker.stop()


async def test_an_empty_stream_rebuilds_to_empty_collections(nats_url: str, store: Store) -> None:
    async def stale(tx: Transaction) -> None:
        await tx.put("leave_types", "t1:vac", {"id": "vac", "tenant_id": "t1"})

    await store.atomic(stale)
    broker = create_broker(nats_url, name="svc")
    await connect_broker(broker)
    try:
        assert await rebuild_if_stale(store, broker.connection.jetstream(), replicas(1)) is True
    finally:
        await broker.stop()
    assert await store.count("leave_types", {}) == 0
    assert await stored_version(store, "svc.directory") == 1


async def test_the_runtime_rebuilds_before_its_consumers_start(
    nats_url: str, tmp_path: Path
) -> None:
    await publish(nats_url, [type_event("t1", "sick", "Sick leave", 1)])
    settings = ServiceSettings(
        nats_url=nats_url, data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'rt.db'}"
    )
    runtime = build_runtime("svc", settings)
    runtime.subscribe(directory_handlers())
    runtime.rebuild_on_start(replicas(3))
    await asyncio.wait_for(runtime.start(), 30)
    try:
        found = await TYPES.get(runtime.store, "t1", "sick")
        assert found is not None
        assert found["name"] == "Sick leave"
        assert await stored_version(runtime.store, "svc.directory") == 3
    finally:
        await runtime.stop()


async def test_only_the_replayed_types_are_read_and_none_means_no_wait(
    nats_url: str, store: Store
) -> None:
    employee = EmployeeUpserted(
        employee_id="e1", name="Ana", email="a@x.io", role="user", location_id="l1"
    )
    await publish(nats_url, [Envelope.wrap(employee, tenant_id="t1")])
    broker = create_broker(nats_url, name="svc")
    await connect_broker(broker)
    try:
        js = broker.connection.jetstream()
        # No LeaveTypeUpserted in the stream: done at once, not after the idle timeout.
        applied = await asyncio.wait_for(rebuild(store, js, replicas(1), idle_timeout=60), 10)
        assert applied == 0
        await publish(nats_url, [type_event("t1", "vac", "Vacation", 1)])
        assert await rebuild(store, js, replicas(1), idle_timeout=60) == 1
    finally:
        await broker.stop()
