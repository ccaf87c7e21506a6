"""A trace crosses the bus: outbox row -> relay's producer span (context in the NATS
headers) -> consumer span -> the events its handler records, against a real nats-server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import nats
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, get_current_span

from leaveflow_contracts import Envelope, LeaveTypeUpserted, stream_for
from leaveflow_kit import telemetry
from leaveflow_kit.events import record
from leaveflow_kit.messaging import HandledEvent, OutboxRelay, subscribe_events
from leaveflow_kit.messaging.broker import connect_broker, create_broker
from leaveflow_kit.storage import Store, Transaction, open_store

pytestmark = pytest.mark.integration


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    with telemetry.tracing_to(provider):
        yield spans


async def opened(url: str) -> Store:
    store = open_store(url)
    await store.start()
    return store


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


async def test_the_consumer_continues_the_trace_of_the_transaction_that_recorded_the_event(
    exporter: InMemorySpanExporter, nats_url: str
) -> None:
    producer_store, consumer_store = await opened("memory://"), await opened("memory://")
    followups: list[Envelope] = []
    handled = asyncio.Event()

    async def handler(tx: Transaction, event: HandledEvent) -> None:
        followups.append(
            record(
                tx,
                LeaveTypeUpserted(leave_type_id="lt2", name="B"),
                tenant_id="t",
                cause=event.envelope,
            )
        )
        handled.set()

    broker = create_broker(nats_url)
    consumer = subscribe_events(
        broker,
        consumer_store,
        consumer="probe",
        producer="requests",
        handlers={"LeaveTypeUpserted": handler},
        fetch_timeout=0.5,
    )
    await connect_broker(broker)
    await consumer.start()
    try:
        with telemetry.span("POST /v1/leave-types", kind=SpanKind.SERVER):
            root_ctx = get_current_span().get_span_context()

            async def write(tx: Transaction) -> Envelope:
                return record(tx, LeaveTypeUpserted(leave_type_id="lt1", name="A"), tenant_id="t")

            recorded = await producer_store.atomic(write)
        assert recorded.trace is not None  # stored with the outbox row
        (row,) = await producer_store.fetch_unpublished(10)
        assert row.envelope.trace == recorded.trace

        assert await OutboxRelay(producer_store, broker).drain_once() == 1
        await asyncio.wait_for(handled.wait(), 10)
    finally:
        await consumer.stop()
        await broker.stop()
        await producer_store.close()
        await consumer_store.close()

    spans = {s.kind: s for s in exporter.get_finished_spans()}
    publish, process = spans[SpanKind.PRODUCER], spans[SpanKind.CONSUMER]
    assert publish.name == "lf.requests.LeaveTypeUpserted.v1 publish"
    assert {publish.context.trace_id, process.context.trace_id} == {root_ctx.trace_id}
    assert parent_of(publish) == root_ctx.span_id
    assert parent_of(process) == publish.context.span_id
    assert process.attributes is not None
    assert process.attributes["messaging.consumer.group.name"] == "probe"
    # What the handler recorded continues from the consumer span.
    (followup,) = followups
    assert followup.trace is not None
    assert f"-{process.context.span_id:016x}-" in followup.trace["traceparent"]

    # And the message on the stream carries the producer span's context in its headers.
    nc = await nats.connect(nats_url)
    try:
        subject = str(dict(publish.attributes or {})["messaging.destination.name"])
        msg = await nc.jetstream().get_last_msg(stream_for("requests"), subject)
    finally:
        await nc.close()
    assert msg.headers is not None
    assert msg.headers["traceparent"].startswith(
        f"00-{root_ctx.trace_id:032x}-{publish.context.span_id:016x}-"
    )
