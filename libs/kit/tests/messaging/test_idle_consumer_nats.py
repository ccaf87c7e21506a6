"""What an idle consumer costs and what it must still do: a long pull that a restarted
nats-server has forgotten is asked again on reconnect, a pull never outlives the lease,
and the lease bucket never ages an entry out before its holder renews it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import nats
import pytest
from nats.js.client import JetStreamContext

from leaveflow_contracts import Envelope
from leaveflow_kit.messaging import HandledEvent, subscribe_events
from leaveflow_kit.messaging.broker import (
    _RECONNECT_HOOKS,
    _reconnected,
    connect_broker,
    create_broker,
    on_reconnect,
)
from leaveflow_kit.messaging.consumer import FETCH_TIMEOUT, DurableConsumer
from leaveflow_kit.messaging.lease import BUCKET, ConsumerLease, lease_bucket
from leaveflow_kit.storage import Store, Transaction
from leaveflow_kit.testing import NatsServer

from .test_relay_and_consumer_nats import TENANT, leave_type, publish_raw, wait_for

pytestmark = pytest.mark.integration


async def _until(condition: Any, within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {within} s")
        await asyncio.sleep(0.02)


async def test_an_idle_consumer_gets_an_event_at_once_after_nats_restarts(
    store: Store, nats_server: NatsServer
) -> None:
    seen: list[str] = []

    async def handle(tx: Transaction, event: HandledEvent) -> None:
        seen.append(event.envelope.event_id)

    broker = create_broker(nats_server.url)
    consumer = subscribe_events(
        broker,
        store,
        consumer="idle",
        producer="requests",
        handlers={"LeaveTypeUpserted": handle},
        fetch_timeout=120.0,  # far longer than the test: only the re-asked pull can deliver
    )
    await connect_broker(broker)
    await consumer.start()
    try:
        await _until(lambda: consumer._awaiting, 5)  # parked in its long pull
        reconnects = broker.connection.stats["reconnects"]
        nats_server.stop()  # the server forgets the pending pull request
        nats_server.start()
        await _until(lambda: broker.connection.stats["reconnects"] > reconnects, 15)
        envelope = Envelope.wrap(leave_type(1), tenant_id=TENANT)
        started = time.monotonic()
        await publish_raw(nats_server.url, envelope, "after-restart")

        async def handled() -> bool:
            return seen == [envelope.event_id]

        await wait_for(handled, limit=10)
        assert time.monotonic() - started < 5
    finally:
        await consumer.stop()
        await broker.stop()


async def test_an_idle_pull_never_outlives_the_lease(store: Store) -> None:
    broker = create_broker("nats://127.0.0.1:1")  # never connected: only the timing
    consumer = subscribe_events(
        broker, store, consumer="c", producer="requests", handlers={}, lease_ttl=6.0
    )
    assert isinstance(consumer, DurableConsumer)
    assert consumer._wait_seconds() == FETCH_TIMEOUT  # no lease yet: the long pull
    lease = ConsumerLease(None, "k", ttl=6.0)  # type: ignore[arg-type]
    lease._revision, lease._valid_until = 1, time.monotonic() + 2.0
    consumer.lease = lease
    wait = consumer._wait_seconds()
    # Held 2 s more; a standby may take over 2 s (ttl - 2/3 ttl) after that: the pull
    # ends within the first half of that margin.
    assert 2.9 < wait <= 3.0
    lease._valid_until = time.monotonic() + 30.0
    consumer.fetch_timeout = 10.0
    assert consumer._wait_seconds() == 10.0  # and never longer than asked


async def test_the_lease_bucket_is_given_a_longer_ttl_never_a_shorter_one(
    nats_url: str,
) -> None:
    nc = await nats.connect(nats_url)
    try:
        js: JetStreamContext = nc.jetstream()
        await lease_bucket(js, ttl=2.0)
        await lease_bucket(js, ttl=5.0)  # LEAVEFLOW_CONSUMER_LEASE raised since
        assert (await (await js.key_value(BUCKET)).status()).ttl == pytest.approx(5.0)
        await lease_bucket(js, ttl=3.0)  # a replica still on the old, shorter setting
        assert (await (await js.key_value(BUCKET)).status()).ttl == pytest.approx(5.0)
    finally:
        await nc.close()


async def test_reconnect_hooks_run_for_their_broker_until_removed() -> None:
    broker = create_broker("nats://127.0.0.1:1")
    calls: list[str] = []

    async def hook() -> None:
        calls.append("hook")

    async def failing() -> None:
        raise RuntimeError("one failing hook")

    forget = on_reconnect(broker, hook)
    on_reconnect(broker, failing)
    reconnected = _reconnected(_RECONNECT_HOOKS[broker])  # what create_broker gave nats-py
    await reconnected()
    forget()
    await reconnected()
    assert calls == ["hook"]
