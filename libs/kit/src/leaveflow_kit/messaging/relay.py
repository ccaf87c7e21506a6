"""The outbox relay: publishes committed outbox rows to JetStream, in order, exactly once
as far as consumers can tell.

Each row is published with `Nats-Msg-Id` = event id, so a re-send after a crash between
publish and mark-published is dropped by the server's duplicate window (and by the
consumers' inbox beyond it). The relay sleeps on the store's `outbox_signal` and only
polls on a slow heartbeat (for rows committed by another process), so an idle service
issues almost no store queries.

With tracing on (`leaveflow_kit.telemetry`), each publish is a producer span, child of the
trace context stored in the envelope by the transaction that recorded the event, and its
own context travels in the message's `traceparent` header for the consumers.
"""

from __future__ import annotations

import asyncio
import contextlib
import random

from faststream.nats import NatsBroker
from nats.js import JetStreamContext
from nats.js.api import PubAck

from .. import telemetry
from ..logging import get_logger
from ..storage import OutboxKey, OutboxRecord, Store
from ..tasks import cancel

log = get_logger(__name__)

BATCH_SIZE = 500
PUBLISH_ACK_TIMEOUT = 5.0


class RelayError(Exception):
    """Some events of a batch were not acknowledged; the relay retries them."""


class OutboxRelay:
    def __init__(
        self,
        store: Store,
        broker: NatsBroker,
        *,
        heartbeat_seconds: float = 15.0,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._store = store
        self._broker = broker
        self._heartbeat = heartbeat_seconds
        self._batch_size = batch_size
        self._task: asyncio.Task[None] | None = None
        self.published = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None

    async def drain_once(self) -> int:
        """Publish every unpublished row now; returns how many were sent."""
        sent = 0
        while True:
            records = await self._store.fetch_unpublished(self._batch_size)
            if not records:
                return sent
            done = await self._publish_in_order(records)
            if done:
                await self._store.mark_published(done)
                sent += len(done)
                self.published += len(done)
            if len(done) < len(records):
                raise RelayError(f"{len(records) - len(done)} events not acknowledged")
            if len(records) < self._batch_size:
                return sent

    async def _publish_in_order(self, records: list[OutboxRecord]) -> list[OutboxKey]:
        """Pipeline the batch (one write each, acks awaited together) and return the
        sequence numbers of the longest fully acknowledged prefix.

        Writes go out in commit order on one connection, so the stream keeps that order.
        Only a prefix is marked published: if event k failed, k and everything after it are
        sent again, and the server's dedupe drops the ones that had already landed.

        The one gap: if k's ack failed but k was *not* stored while k+1 was, k lands after
        k+1. That needs a lost ack inside one batch (a stream leader change, say), and it
        is why consumers do not rely on order alone (request states, tombstones).
        """
        js = self._broker.connection.jetstream()
        futures: list[asyncio.Future[PubAck]] = []
        spans: list[telemetry.Span | None] = []
        try:
            await self._send_all(js, records, futures, spans)
        except BaseException as exc:
            for span in spans:
                telemetry.end_span(span, exc)
            raise
        results = await asyncio.gather(
            *(asyncio.wait_for(f, PUBLISH_ACK_TIMEOUT) for f in futures), return_exceptions=True
        )
        for span, result in zip(spans, results, strict=True):
            telemetry.end_span(span, result if isinstance(result, BaseException) else None)
        done: list[OutboxKey] = []
        for record, result in zip(records, results, strict=True):
            if isinstance(result, BaseException):
                log.warning(
                    "outbox_publish_failed", event_id=record.envelope.event_id, error=repr(result)
                )
                break
            done.append(record.seq)
        return done

    async def _send_all(
        self,
        js: JetStreamContext,
        records: list[OutboxRecord],
        futures: list[asyncio.Future[PubAck]],
        spans: list[telemetry.Span | None],
    ) -> None:
        """Write every record (acks not awaited), each in a producer span (when tracing)
        whose context goes in the message headers; `futures` and `spans` fill in order."""
        for record in records:
            envelope = record.envelope
            span = telemetry.start_span(
                f"{record.subject} publish",
                parent=envelope.trace,
                kind=telemetry.SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "nats",
                    "messaging.operation.type": "send",
                    "messaging.destination.name": record.subject,
                    "messaging.message.id": envelope.event_id,
                },
            )
            spans.append(span)
            futures.append(
                await js.publish_async(
                    record.subject,
                    envelope.model_dump_json().encode(),
                    stream=_stream_of(record.subject),
                    headers={
                        "Nats-Msg-Id": envelope.event_id,
                        "content-type": "application/json",
                        "lf-type": envelope.type,
                        "lf-tenant": envelope.tenant_id,
                        "correlation_id": envelope.correlation_id or envelope.event_id,
                        **telemetry.trace_headers(span),
                    },
                )
            )

    async def _run(self) -> None:
        backoff = 0.5
        signal = self._store.outbox_signal
        while True:
            signal.clear()
            try:
                await self.drain_once()
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox_relay_failed", error=str(exc), retry_in=backoff)
                await asyncio.sleep(backoff * (1 + random.random() / 2))
                backoff = min(backoff * 2, 10.0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(signal.wait(), self._heartbeat)


def _stream_of(subject: str) -> str:
    from leaveflow_contracts import stream_for

    return stream_for(subject.split(".")[1])
