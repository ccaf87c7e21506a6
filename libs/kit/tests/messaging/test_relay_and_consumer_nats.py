"""Outbox relay and idempotent consumers against a real nats-server."""

from __future__ import annotations

import asyncio
from typing import Any

import nats
import pytest
from nats.js.api import ConsumerConfig as JsConsumerConfig

from leaveflow_contracts import (
    DLQ_STREAM,
    Envelope,
    LeaveTypeUpserted,
    stream_for,
    subject_for,
)
from leaveflow_kit.events import record
from leaveflow_kit.messaging import HandledEvent, OutboxRelay, subscribe_events
from leaveflow_kit.messaging.broker import connect_broker, create_broker
from leaveflow_kit.storage import Store, Transaction

pytestmark = pytest.mark.integration

TENANT = "t-relay"


def leave_type(i: int) -> LeaveTypeUpserted:
    return LeaveTypeUpserted(leave_type_id=f"lt{i}", name=f"Type {i}")


async def commit_events(store: Store, count: int) -> list[Envelope]:
    envelopes: list[Envelope] = []

    async def run(tx: Transaction) -> None:
        for i in range(count):
            envelopes.append(record(tx, leave_type(i), tenant_id=TENANT))

    await store.atomic(run)
    return envelopes


async def stream_messages(nats_url: str, stream: str) -> list[Any]:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        sub = await js.pull_subscribe(
            "", durable=None, stream=stream, config=JsConsumerConfig(filter_subject=None)
        )
        msgs: list[Any] = []
        while len(msgs) < info.state.messages:
            msgs.extend(await sub.fetch(info.state.messages - len(msgs), timeout=2))
        return msgs
    finally:
        await nc.close()


class CrashAfterPublish(Exception):
    pass


async def test_relay_publishes_each_event_once_even_if_it_crashes_before_marking(
    store: Store, nats_url: str
) -> None:
    envelopes = await commit_events(store, 25)
    broker = create_broker(nats_url)
    await connect_broker(broker)
    try:
        original = store.mark_published

        async def crash(seqs: Any) -> None:
            raise CrashAfterPublish

        store.mark_published = crash  # type: ignore[method-assign]
        with pytest.raises(CrashAfterPublish):
            await OutboxRelay(store, broker).drain_once()
        store.mark_published = original  # type: ignore[method-assign]
        # A fresh relay (the restarted process) finds every row still unpublished...
        assert len(await store.fetch_unpublished(100)) == 25
        assert await OutboxRelay(store, broker).drain_once() == 25
        assert await store.fetch_unpublished(100) == []
    finally:
        await broker.stop()
    # ...and the server dropped the re-sends: exactly one message per event, in order.
    msgs = await stream_messages(nats_url, stream_for("requests"))
    ids = [m.headers["Nats-Msg-Id"] for m in msgs]
    assert ids == [e.event_id for e in envelopes]


async def test_relay_wakes_on_commit_without_polling(store: Store, nats_url: str) -> None:
    broker = create_broker(nats_url)
    await connect_broker(broker)
    relay = OutboxRelay(store, broker, heartbeat_seconds=3600)
    relay.start()
    try:
        await asyncio.sleep(0.2)
        polls_idle = store.stats.outbox_polls
        await asyncio.sleep(0.5)
        assert store.stats.outbox_polls == polls_idle, "an idle relay must not poll"
        await commit_events(store, 3)
        for _ in range(100):
            if relay.published == 3:
                break
            await asyncio.sleep(0.02)
        assert relay.published == 3
    finally:
        await relay.stop()
        await broker.stop()


async def start_consumer(
    nats_url: str,
    store: Store,
    handler: Any,
    *,
    max_deliver: int = 5,
    name: str = "probe",
    ack_wait: float = 2,
    batch_size: int = 100,
) -> Any:
    broker = create_broker(nats_url)
    consumer = subscribe_events(
        broker,
        store,
        consumer=name,
        producer="requests",
        handlers={"LeaveTypeUpserted": handler},
        max_deliver=max_deliver,
        ack_wait_seconds=ack_wait,
        batch_size=batch_size,
        fetch_timeout=0.5,
        retry_base_seconds=0.2,
    )
    await connect_broker(broker)
    await consumer.start()
    return broker, consumer


async def publish_raw(nats_url: str, envelope: Envelope, msg_id: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await js.publish(
            subject_for("requests", envelope.type),
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": msg_id},
        )
    finally:
        await nc.close()


async def wait_for(predicate: Any, limit: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.05)


async def test_a_redelivered_event_changes_nothing(store: Store, nats_url: str) -> None:
    calls: list[str] = []

    async def count(tx: Transaction, event: HandledEvent) -> None:
        calls.append(event.envelope.event_id)
        doc = await tx.get("counters", "c") or {"n": 0}
        await tx.put("counters", "c", {"n": doc["n"] + 1})

    # Streams exist once a broker connected; the probe consumer declares them.
    broker, consumer = await start_consumer(nats_url, store, count)
    try:
        envelope = Envelope.wrap(leave_type(1), tenant_id=TENANT)
        # Same event twice with different message ids: the server cannot dedupe it,
        # so only the consumer's inbox stands between us and a double effect.
        await publish_raw(nats_url, envelope, "first")
        await publish_raw(nats_url, envelope, "second")
        other = Envelope.wrap(leave_type(2), tenant_id=TENANT)
        await publish_raw(nats_url, other, "third")

        async def both_seen() -> bool:
            doc = await store.get("counters", "c")
            return doc is not None and doc["n"] == 2 and len(calls) >= 2

        await wait_for(both_seen)
        await asyncio.sleep(0.5)  # give a wrong second application the chance to happen
        assert (await store.get("counters", "c")) == {"n": 2}
    finally:
        await consumer.stop()
        await broker.stop()


async def test_a_handler_that_always_fails_ends_in_the_dead_letter_subject(
    store: Store, nats_url: str
) -> None:
    attempts: list[int] = []

    async def broken(tx: Transaction, event: HandledEvent) -> None:
        attempts.append(1)
        raise RuntimeError("boom")

    broker, consumer = await start_consumer(nats_url, store, broken, max_deliver=3)
    try:
        envelope = Envelope.wrap(leave_type(9), tenant_id=TENANT)
        await publish_raw(nats_url, envelope, envelope.event_id)

        nc = await nats.connect(nats_url)
        js = nc.jetstream()

        async def dead_lettered() -> bool:
            return (await js.stream_info(DLQ_STREAM)).state.messages == 1

        await wait_for(dead_lettered, limit=20)
        msgs = await stream_messages(nats_url, DLQ_STREAM)
        await nc.close()
        assert len(attempts) == 3
        dead = msgs[0]
        assert dead.subject == f"lf.dlq.probe.{subject_for('requests', 'LeaveTypeUpserted')}"
        assert dead.headers["lf-consumer"] == "probe"
        assert "boom" in dead.headers["lf-error"]
        assert Envelope.model_validate_json(dead.data).event_id == envelope.event_id
        # nothing was committed for the failed event
        assert not await store.find("counters", {})
    finally:
        await consumer.stop()
        await broker.stop()


async def test_a_dead_letter_can_be_replayed_once_the_handler_is_fixed(
    store: Store, nats_url: str
) -> None:
    from leaveflow_kit.messaging.dead_letters import list_dead_letters, replay

    healthy = False

    async def flaky(tx: Transaction, event: HandledEvent) -> None:
        if not healthy:
            raise RuntimeError("database migration pending")
        await tx.put("counters", event.envelope.event_id, {"n": 1})

    broker, consumer = await start_consumer(nats_url, store, flaky, max_deliver=2)
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        envelope = Envelope.wrap(leave_type(5), tenant_id=TENANT)
        await publish_raw(nats_url, envelope, envelope.event_id)

        async def one_dead_letter() -> bool:
            return len(await list_dead_letters(js)) == 1

        await wait_for(one_dead_letter, limit=20)
        (letter,) = await list_dead_letters(js)
        assert letter.consumer == "probe"
        assert "migration pending" in letter.error

        healthy = True
        assert await replay(js, letter.seq) == subject_for("requests", "LeaveTypeUpserted")

        async def applied() -> bool:
            return await store.get("counters", envelope.event_id) is not None

        await wait_for(applied)
        assert await list_dead_letters(js) == []
    finally:
        await nc.close()
        await consumer.stop()
        await broker.stop()


async def test_a_batch_slower_than_the_ack_wait_is_not_redelivered(
    store: Store, nats_url: str
) -> None:
    """The consumer heartbeat (+WPI every third of the ack wait) keeps a slow batch's
    messages with it: another puller on the durable (a replica taking over) gets nothing
    while the batch runs past the ack wait, so a short ack wait costs no redelivery."""
    started = asyncio.Event()
    release = asyncio.Event()
    handled: list[str] = []

    async def slow(tx: Transaction, event: HandledEvent) -> None:
        started.set()
        await release.wait()
        handled.append(event.envelope.event_id)

    broker, consumer = await start_consumer(nats_url, store, slow)
    other = await nats.connect(nats_url)
    try:
        envelope = Envelope.wrap(leave_type(7), tenant_id=TENANT)
        await publish_raw(nats_url, envelope, envelope.event_id)
        await asyncio.wait_for(started.wait(), 10)
        await asyncio.sleep(2.5)  # past the 2 s ack wait
        js = other.jetstream()
        rival = await js.pull_subscribe_bind(consumer.durable, stream=stream_for("requests"))
        with pytest.raises(nats.errors.TimeoutError):
            await rival.fetch(1, timeout=2.0)
        release.set()

        async def done() -> bool:
            return handled == [envelope.event_id]

        await wait_for(done, limit=10)
        info = await js.consumer_info(stream_for("requests"), consumer.durable)
        assert info.num_redelivered == 0
    finally:
        release.set()
        await other.close()
        await consumer.stop()
        await broker.stop()


async def test_a_changed_ack_wait_and_batch_size_reach_a_durable_that_already_exists(
    store: Store, nats_url: str
) -> None:
    """A restart with other settings updates the durable (it used to keep the first ones),
    and the events that waited meanwhile still arrive."""
    seen: list[str] = []

    async def note(tx: Transaction, event: HandledEvent) -> None:
        seen.append(event.envelope.event_id)

    async def durable_config() -> tuple[float | None, int | None]:
        nc = await nats.connect(nats_url)
        try:
            js = nc.jetstream()
            info = await js.consumer_info(stream_for("requests"), "reconfigured_requests")
            return info.config.ack_wait, info.config.max_ack_pending
        finally:
            await nc.close()

    async def restart(ack_wait: float, batch_size: int) -> Any:
        return await start_consumer(
            nats_url, store, note, name="reconfigured", ack_wait=ack_wait, batch_size=batch_size
        )

    broker, first = await restart(ack_wait=30, batch_size=100)
    await first.stop()
    await broker.stop()
    assert await durable_config() == (30, 1000)

    waiting = Envelope.wrap(leave_type(7), tenant_id=TENANT)
    await publish_raw(nats_url, waiting, "waited-for-the-restart")
    broker, second = await restart(ack_wait=4, batch_size=250)
    try:
        assert await durable_config() == (4, 2500)

        async def arrived() -> bool:
            return waiting.event_id in seen

        await wait_for(arrived)
    finally:
        await second.stop()
        await broker.stop()
