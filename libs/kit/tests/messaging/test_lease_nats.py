"""Consumer leases against a real nats-server: two replicas of a consumer, one at a time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import nats
import pytest
from nats.js.client import JetStreamContext

from leaveflow_kit.events import record
from leaveflow_kit.messaging import HandledEvent, OutboxRelay, subscribe_events
from leaveflow_kit.messaging.broker import connect_broker, create_broker
from leaveflow_kit.messaging.lease import BUCKET, ConsumerLease
from leaveflow_kit.storage import Store, Transaction, open_store

from .test_relay_and_consumer_nats import TENANT, leave_type

pytestmark = pytest.mark.integration

TTL = 1.5  # short, so an aged-out lease is seen within the test


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(nats_url)
    try:
        yield nc.jetstream()
    finally:
        await nc.close()


async def _until(condition: Callable[[], bool], within: float) -> float:
    """Seconds until `condition()` holds; fails after `within` seconds."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > within:
            pytest.fail(f"not within {within} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_one_holder_at_a_time_and_a_graceful_stop_hands_over_at_once(
    js: JetStreamContext,
) -> None:
    key = "lease_handover"
    first, second = ConsumerLease(js, key, ttl=TTL), ConsumerLease(js, key, ttl=TTL)
    first.start()
    await _until(lambda: first.held, 5)
    second.start()
    await asyncio.sleep(TTL)  # longer than an entry lives unrenewed: renewals keep it
    assert (first.held, second.held) == (True, False)
    await first.stop()
    waited = await _until(lambda: second.held, 5)
    assert waited < TTL  # no waiting for the entry to age out
    await second.stop()
    kv = await js.key_value(BUCKET)
    with pytest.raises(nats.js.errors.KeyNotFoundError):
        await kv.get(key)


async def test_a_crashed_holders_lease_ages_out_and_its_restart_takes_it_back_at_once(
    js: JetStreamContext,
) -> None:
    key = "lease_crash"
    crashed = ConsumerLease(js, key, ttl=TTL, holder="host-a:8002")
    crashed.start()
    await _until(lambda: crashed.held, 5)
    assert crashed._task is not None
    crashed._task.cancel()  # dies without letting go, as kill -9 would
    restarted = ConsumerLease(js, key, ttl=TTL, holder="host-a:8002")
    restarted.start()
    assert await _until(lambda: restarted.held, 5) < TTL / 2  # its own lease: at once
    await restarted.stop()

    other = ConsumerLease(js, "lease_crash2", ttl=TTL, holder="host-a:8002")
    other.start()
    await _until(lambda: other.held, 5)
    assert other._task is not None
    other._task.cancel()
    standby = ConsumerLease(js, "lease_crash2", ttl=TTL, holder="host-b:8002")
    standby.start()
    waited = await _until(lambda: standby.held, 10)
    assert waited > TTL / 3  # it had to wait for the stale entry to age out
    await standby.stop()


async def test_two_replicas_of_a_consumer_apply_every_event_once_on_one_of_them(
    tmp_path: Path, nats_url: str
) -> None:
    """Both replicas run; only the lease holder handles events; stopping it moves the work
    to the other, and every event is still handled exactly once."""
    store: Store = open_store(f"sqlite:///{tmp_path / 'svc.db'}")
    await store.start()
    producer = create_broker(nats_url)
    await connect_broker(producer)
    relay = OutboxRelay(store, producer)
    handled: dict[str, list[str]] = {"a": [], "b": []}
    brokers, consumers = [], []
    try:
        for name in ("a", "b"):

            async def handle(tx: Transaction, event: HandledEvent, name: str = name) -> None:
                handled[name].append(event.envelope.event_id)

            broker = create_broker(nats_url)
            await connect_broker(broker)
            consumer = subscribe_events(
                broker,
                store,
                consumer="leasetest",
                producer="requests",
                handlers={"LeaveTypeUpserted": handle},
                fetch_timeout=0.5,
                lease_ttl=TTL,
                lease_holder=f"host:{name}",
            )
            await consumer.start()
            brokers.append(broker)
            consumers.append(consumer)

        async def publish(count: int, first: int) -> list[str]:
            ids: list[str] = []

            async def run(tx: Transaction) -> None:
                for i in range(count):
                    ids.append(record(tx, leave_type(first + i), tenant_id=TENANT).event_id)

            await store.atomic(run)
            await relay.drain_once()
            return ids

        sent = await publish(20, 0)
        await _until(lambda: len(handled["a"]) + len(handled["b"]) == 20, 10)
        holder = "a" if handled["a"] else "b"
        assert handled[holder] == sent  # one replica, in order
        standby = "b" if holder == "a" else "a"
        assert handled[standby] == []

        await consumers["ab".index(holder)].stop()
        more = await publish(10, 100)
        await _until(lambda: len(handled[standby]) == 10, 10)
        assert handled[standby] == more
        assert sorted(handled["a"] + handled["b"]) == sorted(sent + more)
    finally:
        for consumer in consumers:
            await consumer.stop()
        for broker in [*brokers, producer]:
            await broker.stop()
        await store.close()
