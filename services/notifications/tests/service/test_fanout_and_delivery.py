"""Fan-out into delivery records, and delivery to a real loopback webhook."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from leaveflow_contracts import EmployeeUpserted, Envelope, EventData, LeaveApproved
from leaveflow_kit.messaging import HandledEvent
from leaveflow_kit.storage import Store, Transaction, open_store
from leaveflow_kit.testing import WebhookSink
from leaveflow_notifications.adapters.webhook import WebhookSender
from leaveflow_notifications.bootstrap import INDEXES
from leaveflow_notifications.service_layer.dispatcher import DeliveryDispatcher
from leaveflow_notifications.service_layer.fanout import (
    DELIVERIES,
    INTEGRATIONS,
    integration_key,
    requests_handlers,
)

T = "tenant-1"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = open_store("memory://", INDEXES)
    await s.start()
    yield s
    await s.close()


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    with WebhookSink() as s:
        yield s


async def deliver(
    store: Store, clock: Clock, data: EventData, env: Envelope | None = None
) -> Envelope:
    env = env or Envelope.wrap(data, tenant_id=T)
    handler = requests_handlers(clock)[env.type]

    async def run(tx: Transaction) -> None:
        await handler(tx, HandledEvent(envelope=env, data=data, subject="s"))

    await store.atomic(run)
    return env


async def configure(store: Store, url: str) -> None:
    async def run(tx: Transaction) -> None:
        await tx.put(
            INTEGRATIONS,
            integration_key(T, "slack"),
            {"tenant_id": T, "webhook_url": url, "signing_secret": "x", "channel": None},
        )

    await store.atomic(run)


def approved(request_id: str = "r1") -> LeaveApproved:
    return LeaveApproved(
        request_id=request_id,
        employee_id="e1",
        leave_type_id="vac",
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 3),
        amount="2",
    )


async def deliveries(store: Store) -> list[dict]:
    return await store.find(DELIVERIES, {})


async def test_no_integration_means_no_delivery(store: Store, clock: Clock) -> None:
    await deliver(store, clock, approved())
    assert await deliveries(store) == []


async def test_redelivered_event_creates_one_delivery(store: Store, clock: Clock) -> None:
    await configure(store, "http://127.0.0.1:9/hook")
    await deliver(
        store,
        clock,
        EmployeeUpserted(employee_id="e1", name="Ana Lima", email="a@x.io", role="user"),
    )
    env = await deliver(store, clock, approved())
    await deliver(store, clock, approved(), env=env)
    (d,) = await deliveries(store)
    assert d["status"] == "pending"
    assert "Ana Lima" in d["payload"]["text"]


async def test_dispatcher_sends_once_to_the_webhook(
    store: Store, clock: Clock, sink: WebhookSink
) -> None:
    await configure(store, sink.url)
    await deliver(store, clock, approved())
    dispatcher = DeliveryDispatcher(store, WebhookSender(), clock)
    try:
        assert await dispatcher.send_due() == 1
        assert await dispatcher.send_due() == 0
    finally:
        await dispatcher.stop()
    (call,) = sink.snapshot()
    assert "approved" in call.json()["text"]
    (d,) = await deliveries(store)
    assert (d["status"], d["attempts"]) == ("sent", 1)


async def test_server_error_is_retried_with_backoff(
    store: Store, clock: Clock, sink: WebhookSink
) -> None:
    sink.responses.append((503, {}))
    await configure(store, sink.url)
    await deliver(store, clock, approved())
    dispatcher = DeliveryDispatcher(store, WebhookSender(), clock)
    try:
        assert await dispatcher.send_due() == 0
        (d,) = await deliveries(store)
        assert (d["status"], d["attempts"]) == ("retrying", 1)
        assert "503" in d["last_error"]
        assert await dispatcher.send_due() == 0, "not due yet"
        clock.now += timedelta(minutes=1)
        assert await dispatcher.send_due() == 1
    finally:
        await dispatcher.stop()
    assert len(sink.snapshot()) == 2


async def test_rate_limit_honours_retry_after(
    store: Store, clock: Clock, sink: WebhookSink
) -> None:
    sink.responses.append((429, {"Retry-After": "30"}))
    await configure(store, sink.url)
    await deliver(store, clock, approved())
    dispatcher = DeliveryDispatcher(store, WebhookSender(), clock)
    try:
        await dispatcher.send_due()
    finally:
        await dispatcher.stop()
    (d,) = await deliveries(store)
    assert d["status"] == "retrying"
    assert datetime.fromisoformat(d["next_attempt_at"]) == clock.now + timedelta(seconds=30)


async def test_client_error_is_dead_at_once(store: Store, clock: Clock, sink: WebhookSink) -> None:
    sink.responses.append((404, {}))
    await configure(store, sink.url)
    await deliver(store, clock, approved())
    dispatcher = DeliveryDispatcher(store, WebhookSender(), clock)
    try:
        await dispatcher.send_due()
        clock.now += timedelta(hours=1)
        await dispatcher.send_due()
    finally:
        await dispatcher.stop()
    (d,) = await deliveries(store)
    assert (d["status"], d["attempts"]) == ("dead", 1)
    assert len(sink.snapshot()) == 1


async def test_two_dispatchers_send_a_delivery_once(
    store: Store, clock: Clock, sink: WebhookSink
) -> None:
    import asyncio

    await configure(store, sink.url)
    for i in range(5):
        await deliver(store, clock, approved(f"r{i}"))
    first = DeliveryDispatcher(store, WebhookSender(), clock)
    second = DeliveryDispatcher(store, WebhookSender(), clock)
    try:
        sent = await asyncio.gather(first.send_due(), second.send_due())
    finally:
        await first.stop()
        await second.stop()
    assert sum(sent) == 5
    assert len(sink.snapshot()) == 5
    assert {d["status"] for d in await deliveries(store)} == {"sent"}


async def test_a_crashed_senders_claim_expires(
    store: Store, clock: Clock, sink: WebhookSink
) -> None:
    from leaveflow_kit.documents import from_doc, to_doc
    from leaveflow_notifications.domain.delivery import Delivery

    await configure(store, sink.url)
    await deliver(store, clock, approved())
    (doc,) = await deliveries(store)
    stuck = from_doc(Delivery, doc)
    stuck.claim_for("dead-process", clock())

    async def save(tx: Transaction) -> None:
        await tx.put(DELIVERIES, stuck.id, to_doc(stuck))

    await store.atomic(save)
    dispatcher = DeliveryDispatcher(store, WebhookSender(), clock)
    try:
        assert await dispatcher.send_due() == 0, "claimed by someone else"
        clock.now += timedelta(minutes=5)
        assert await dispatcher.send_due() == 1
    finally:
        await dispatcher.stop()
    assert len(sink.snapshot()) == 1
