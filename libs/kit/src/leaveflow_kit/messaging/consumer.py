"""Idempotent, durable event consumers with explicit acks and a dead-letter subject.

A service declares `{event_type: handler}`; each handler gets the open store transaction
and the event. The inbox row (consumer, event_id) is written in that same transaction, so
a redelivered event changes nothing. Messages are fetched in batches and a batch is first
tried in one transaction (cheap); if that fails, each message is retried alone, so one
poison message cannot block the others. After `max_deliver` attempts a message goes to
`lf.dlq.<consumer>.<subject>` (stream LF_DLQ), where it stays visible and replayable.

A handler that finds the event itself can never be applied (retrying cannot help: its
dates overflow, it names what cannot exist) raises `InvalidEvent(reason, record=...)`:
its transaction rolls back, and `record` runs in a fresh one with the inbox mark, e.g. to
publish a rejection the producer turns into a state people can see. Without `record` the
event is dead-lettered at once, without the pointless retries.

With tracing on (`leaveflow_kit.telemetry`), each handler runs in a consumer span, child of
the message's `traceparent` header (the relay's producer span) or else of the context in
the envelope; events the handler records carry the trace on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from faststream.nats import NatsBroker
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from prometheus_client import Counter
from pydantic import ValidationError

from leaveflow_contracts import DLQ_STREAM, Envelope, EventData, dlq_subject, parse_data
from leaveflow_contracts.subjects import PREFIX, stream_for, stream_subjects

from .. import telemetry
from ..logging import bound_contextvars, get_logger
from ..storage import Store, Transaction
from ..tasks import cancel
from .broker import on_reconnect
from .lease import ConsumerLease

log = get_logger(__name__)

# How long a consumer waits for more messages once one arrived alone (latency vs batch
# size). Each hop of the submit pipeline paid it: 20 ms made a quiet submit -> pending
# take 35 ms at 50 submits/s, 2 ms takes 16 ms, and batches still form under load
# because a fetch returns at once with whatever is already waiting.
DRAIN_TIMEOUT = 0.002

# How long an idle consumer's pull request waits on the server. It costs no latency: the
# server answers a waiting pull the moment an event arrives. It is what an idle consumer
# costs (one pull request, its expiry and one loop turn per period, in the service and in
# nats-server), and 5 s made it a large share of an idle stack's wake-ups. A leased
# consumer's pull ends where the lease could pass to a standby (`ConsumerLease.safe_wait`),
# so with the default 6 s lease it stays a few seconds; with a longer lease (or none) it
# is this. A pull lost with a restarted server is asked again on reconnect
# (`DurableConsumer.rearm`), so this does not bound the recovery either.
FETCH_TIMEOUT = 30.0

EVENTS_HANDLED = Counter(
    "leaveflow_events_handled_total", "Events whose effect was committed", ["consumer"]
)
EVENTS_DEAD = Counter("leaveflow_events_dead_total", "Events sent to dead letters", ["consumer"])
EVENTS_REJECTED = Counter(
    "leaveflow_events_rejected_total", "Invalid events recorded as rejections", ["consumer"]
)


E = TypeVar("E", bound=EventData, covariant=True)


@dataclass(frozen=True)
class Handled(Generic[E]):
    """An event as a handler sees it: the envelope, its parsed payload, the subject."""

    envelope: Envelope
    data: E
    subject: str


HandledEvent = Handled[EventData]
EventHandler = Callable[[Transaction, HandledEvent], Awaitable[None]]


class PoisonMessage(Exception):
    """A message that can never be handled (not JSON, not an envelope)."""


RecordRejection = Callable[[Transaction], Awaitable[None]]


class InvalidEvent(Exception):
    """Raised by a handler: this event can never be applied, whatever the retries.

        try:
            amounts = split_by_year(data.start_date, data.end_date)
        except OverflowError as exc:
            raise InvalidEvent(
                "the dates are out of range",
                record=lambda tx: reject(repositories(tx), event, "the dates are out of range"),
            ) from exc

    `record(tx)` runs in a new transaction (the handler's rolled back), committed with the
    inbox mark: the rejection is recorded once, and the message acknowledged. Without it
    the message goes to the dead letters at once, `reason` in its error header."""

    def __init__(self, reason: str, *, record: RecordRejection | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.record = record


def _declared_type(raw: Msg) -> str | None:
    """The event type a message says it carries, without decoding it: the relay's `lf-type`
    header, else the type segment of `lf.<producer>.<EventType>.v<n>`; None when neither
    says (then only the decoded envelope can tell)."""
    headers = raw.headers
    if headers:
        declared = headers.get("lf-type")
        if declared:
            return declared
    parts = raw.subject.split(".")
    if len(parts) == 4 and parts[0] == PREFIX:
        return parts[2]
    return None


def _decode(raw: Msg) -> Envelope:
    try:
        return Envelope.model_validate_json(raw.data)
    except (ValidationError, ValueError) as exc:
        raise PoisonMessage(str(exc)) from exc


async def apply_event(
    tx: Transaction,
    consumer: str,
    handlers: Mapping[str, EventHandler],
    envelope: Envelope,
    subject: str,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Apply one event in `tx` as consumer `consumer` does: at most once (the inbox row is
    written in the same transaction), in a consumer span, with the event's ids bound to the
    log lines. An event of a type without a handler is only marked processed."""
    if await tx.already_processed(consumer, envelope.event_id):
        return
    handler = handlers.get(envelope.type)
    if handler is not None:
        event = HandledEvent(envelope=envelope, data=parse_data(envelope), subject=subject)
        with (
            bound_contextvars(correlation_id=envelope.correlation_id, event_id=envelope.event_id),
            telemetry.span(
                f"{subject} process",
                parent=headers,
                fallback=envelope.trace,
                kind=telemetry.SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "nats",
                    "messaging.operation.type": "process",
                    "messaging.destination.name": subject,
                    "messaging.consumer.group.name": consumer,
                    "messaging.message.id": envelope.event_id,
                },
            ),
        ):
            await handler(tx, event)
    tx.mark_processed(consumer, envelope.event_id)


async def apply_alone(
    store: Store,
    consumer: str,
    handlers: Mapping[str, EventHandler],
    envelope: Envelope,
    subject: str,
    headers: Mapping[str, str] | None = None,
) -> bool:
    """Apply one event in a transaction of its own; an `InvalidEvent` with `record` is
    recorded instead (in a second transaction). True when applied, False when recorded as
    a rejection; an `InvalidEvent` without `record` (or any other error) propagates."""

    async def apply(tx: Transaction) -> None:
        await apply_event(tx, consumer, handlers, envelope, subject, headers)

    try:
        await store.atomic(apply)
    except InvalidEvent as invalid:
        record = invalid.record
        if record is None:
            raise

        async def reject(tx: Transaction) -> None:
            if await tx.already_processed(consumer, envelope.event_id):
                return
            await record(tx)
            tx.mark_processed(consumer, envelope.event_id)

        await store.atomic(reject)
        EVENTS_REJECTED.labels(consumer).inc()
        log.warning(
            "event_rejected",
            consumer=consumer,
            event_type=envelope.type,
            event_id=envelope.event_id,
            reason=invalid.reason,
        )
        return False
    return True


def _ordering_key(envelope: Envelope) -> str:
    """Events of one employee must be applied in order (docs/architecture.md, "Outbox,
    inbox, relay")."""
    data = envelope.data
    return str(data.get("employee_id") or data.get("request_id") or envelope.event_id)


@dataclass
class _Consumer:
    broker: NatsBroker
    store: Store
    name: str
    handlers: Mapping[str, EventHandler]
    max_deliver: int
    after_commit: Callable[[], None] | None = None
    retry_base_seconds: float = 2.0

    def _committed(self, count: int) -> None:
        EVENTS_HANDLED.labels(self.name).inc(count)
        if self.after_commit is not None:
            self.after_commit()

    async def _apply(
        self,
        tx: Transaction,
        envelope: Envelope,
        subject: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        await apply_event(tx, self.name, self.handlers, envelope, subject, headers)

    async def handle_batch(self, raws: list[Msg]) -> None:
        decoded: list[tuple[Msg, Envelope]] = []
        for raw in raws:
            declared = _declared_type(raw)
            if declared is not None and declared not in self.handlers:
                # Every consumer of a stream sees every type on it, most of which it does not
                # handle: acked on the subject/header alone, not worth a decode.
                await raw.ack()
                continue
            try:
                envelope = _decode(raw)
            except PoisonMessage as exc:
                await self._dead_letter(raw, exc)
                continue
            if envelope.type in self.handlers:
                decoded.append((raw, envelope))
            else:
                await raw.ack()  # not ours to handle: consumers ignore unknown types
        if not decoded:
            return
        if len(decoded) == 1 or any(raw.metadata.num_delivered > 1 for raw, _ in decoded):
            # A lone message or a redelivery: no batch to gain, and a failing handler
            # should run once per delivery.
            await self._one_by_one(decoded)
            return
        try:

            async def apply_all(tx: Transaction) -> None:
                for raw, envelope in decoded:
                    await self._apply(tx, envelope, raw.subject, raw.headers)

            await self.store.atomic(apply_all)
        except Exception:
            await self._one_by_one(decoded)
            return
        self._committed(len(decoded))
        for raw, _ in decoded:
            await raw.ack()

    async def _one_by_one(self, decoded: list[tuple[Msg, Envelope]]) -> None:
        blocked: set[str] = set()
        for raw, envelope in decoded:
            key = _ordering_key(envelope)
            if key in blocked:
                # An earlier event of the same employee failed: keep order, retry later
                # (unless this was its last attempt too: then it must not vanish).
                if raw.metadata.num_delivered >= self.max_deliver:
                    await self._dead_letter(raw, RuntimeError("an earlier event of it failed"))
                else:
                    await raw.nak(delay=self.retry_delay(raw.metadata.num_delivered))
                continue
            try:
                await apply_alone(
                    self.store, self.name, self.handlers, envelope, raw.subject, raw.headers
                )
            except InvalidEvent as exc:
                await self._dead_letter(raw, exc)  # at once: retrying cannot help
                continue
            except Exception as exc:
                attempt = raw.metadata.num_delivered
                if attempt >= self.max_deliver:
                    await self._dead_letter(raw, exc)
                else:
                    blocked.add(key)
                    log.warning(
                        "event_handler_failed",
                        consumer=self.name,
                        event_type=envelope.type,
                        event_id=envelope.event_id,
                        attempt=attempt,
                        error=repr(exc),
                    )
                    await raw.nak(delay=self.retry_delay(attempt))
                continue
            self._committed(1)
            await raw.ack()

    def retry_delay(self, attempt: int) -> float:
        return float(min(self.retry_base_seconds * 2 ** (attempt - 1), 300.0))

    async def _dead_letter(self, raw: Msg, exc: Exception) -> None:
        """Park the message in LF_DLQ, then stop its redelivery. If parking fails, nak it:
        the dead-letter decision is ours (the server's max_deliver is unlimited), so it
        comes back and is parked next time instead of vanishing."""
        try:
            await self._publish_dead_letter(raw, exc)
        except Exception as publish_error:
            log.error("dead_letter_publish_failed", subject=raw.subject, error=repr(publish_error))
            await raw.nak(delay=self.retry_delay(raw.metadata.num_delivered))
            return
        await raw.term()
        EVENTS_DEAD.labels(self.name).inc()

    async def _publish_dead_letter(self, raw: Msg, exc: Exception) -> None:
        headers = dict(raw.headers or {})
        event_id = headers.get("Nats-Msg-Id", f"seq{raw.metadata.sequence.stream}")
        await self.broker.publish(
            raw.data,
            dlq_subject(self.name, raw.subject),
            headers={
                "Nats-Msg-Id": f"dlq-{self.name}-{event_id}",
                "lf-original-subject": raw.subject,
                "lf-consumer": self.name,
                "lf-error": repr(exc)[:500],
                "lf-attempts": str(raw.metadata.num_delivered),
            },
            stream=DLQ_STREAM,
            timeout=5.0,
        )
        log.error(
            "event_dead_lettered",
            consumer=self.name,
            subject=raw.subject,
            event_id=event_id,
            error=repr(exc),
        )


class DurableConsumer:
    """A durable JetStream pull consumer and the loop that feeds `_Consumer.handle_batch`.

    Our own loop rather than FastStream's pull subscriber: with nats-py 2.16 a fetch can end
    in a plain asyncio.TimeoutError that FastStream 0.7 does not catch, and its supervisor
    then restarts the task with an ERROR line (and sometimes a duplicate hand-off). Here a
    fetch timeout is simply "nothing to do"; an idle loop costs one pull request per
    `fetch_timeout` seconds (see `FETCH_TIMEOUT`) and no store query.
    """

    def __init__(
        self,
        state: _Consumer,
        *,
        producer: str,
        durable: str,
        config: ConsumerConfig,
        batch_size: int,
        fetch_timeout: float,
        lease_holder: str | None = None,
        lease_ttl: float | None = None,
    ) -> None:
        self.state = state
        self.producer = producer
        self.durable = durable
        self.config = config
        self.batch_size = batch_size
        self.fetch_timeout = fetch_timeout
        self._task: asyncio.Task[None] | None = None
        self._subscription: Any = None
        self._lease_holder = lease_holder
        self._lease_ttl = lease_ttl
        self.lease: ConsumerLease | None = None
        self._awaiting = False  # in the idle wait for a batch's first message
        self._forget_reconnect: Callable[[], None] | None = None

    async def start(self) -> None:
        js = self.state.broker.connection.jetstream()
        if self._lease_ttl is not None:
            stream = await js.stream_info(stream_for(self.producer))
            self.lease = ConsumerLease(
                js,
                self.durable,
                ttl=self._lease_ttl,
                replicas=stream.config.num_replicas or 1,
                holder=self._lease_holder,
            )
            self.lease.start()
        stream_name = stream_for(self.producer)
        # Create or update: nats-py's pull_subscribe only creates a missing durable, so a
        # changed ack wait or ack-pending limit (LEAVEFLOW_ACK_WAIT, the batch size) never
        # reached one that already existed. The server applies the editable fields.
        await js.add_consumer(
            stream_name, config=self.config.evolve(filter_subject=stream_subjects(self.producer)[0])
        )
        subscription = await js.pull_subscribe_bind(durable=self.durable, stream=stream_name)
        self._subscription = subscription
        self._forget_reconnect = on_reconnect(self.state.broker, self.rearm)
        self._task = asyncio.create_task(self._run(subscription), name=f"consume-{self.durable}")

    async def rearm(self) -> None:
        """Ask again for the message an idle fetch waits on (after a reconnect).

        A restarted nats-server has forgotten the pull request, and the fetch would sit out
        the rest of `fetch_timeout` while events wait. The new request answers into the
        same inbox, so whatever it brings is what the waiting fetch (or the next one, from
        the subscription's queue) returns, in the stream's order; should the old request
        have survived (a mere connection blip), it expires unanswered or its message
        queues behind."""
        subscription = self._subscription
        if not self._awaiting or subscription is None:
            return
        expires = int(self._wait_seconds() * 1_000_000_000)
        await self.state.broker.connection.publish(
            subscription._nms,
            json.dumps({"batch": 1, "expires": expires}).encode(),
            reply=subscription._deliver,
        )

    async def stop(self) -> None:
        if self._forget_reconnect is not None:
            self._forget_reconnect()
            self._forget_reconnect = None
        await cancel(self._task)
        self._task = None
        if self._subscription is not None:
            # Without this, the connection's drain waits on the cancelled fetch's inbox.
            # The durable consumer itself stays on the server for the next start.
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
                # Once the server has the unsubscribe, the cancelled fetch's pull request
                # has no interest and gets no message. Handing the lease over before that
                # let the server give the next event to the dead pull, to come back only
                # after the ack wait, behind the events after it: out of order.
                await self.state.broker.connection.flush(timeout=2)
            self._subscription = None
        if self.lease is not None:
            await self.lease.stop()

    async def _next_batch(self, subscription: Any) -> list[Msg]:
        """Wait for one message, then take whatever else is already waiting.

        nats-py's lingering fetch(n) waits until n messages or the timeout, so a plain
        fetch(100, 5 s) would hold a lone event for 5 s. A fetch first asks the server
        without waiting and returns at once when anything is there, so the second call
        only waits (briefly) when the first message came alone.
        """
        self._awaiting = True
        try:
            msgs: list[Msg] = await subscription.fetch(1, timeout=self._wait_seconds())
        finally:
            self._awaiting = False
        if self.batch_size > 1:
            with contextlib.suppress(TimeoutError):
                msgs += await subscription.fetch(self.batch_size - 1, timeout=DRAIN_TIMEOUT)
        return msgs

    def _wait_seconds(self) -> float:
        """`fetch_timeout`, but never past what the lease allows (`ConsumerLease.safe_wait`)."""
        if self.lease is None:
            return self.fetch_timeout
        return min(self.fetch_timeout, self.lease.safe_wait())

    async def _handle_with_heartbeat(self, msgs: list[Msg]) -> None:
        """Handle a batch, telling the server every third of the ack wait that its messages
        are still being worked on. So the ack wait can be short (a crashed consumer's
        messages come back soon after its restart) without a slow batch being redelivered
        to another replica while it runs.

        A timer, not a task per batch: almost every batch ends long before the first beat,
        and creating and cancelling a task cost about 50 µs a batch, i.e. per event when
        events come one at a time."""
        interval = float(self.config.ack_wait or 30.0) / 3
        loop = asyncio.get_running_loop()
        beats: set[asyncio.Task[None]] = set()
        timers: list[asyncio.TimerHandle] = []

        def beat() -> None:
            task = loop.create_task(_still_working(msgs), name=f"heartbeat-{self.durable}")
            beats.add(task)
            task.add_done_callback(beats.discard)
            timers[0] = loop.call_later(interval, beat)

        timers.append(loop.call_later(interval, beat))
        try:
            await self.state.handle_batch(msgs)
        finally:
            timers[0].cancel()
            await cancel(*beats)

    async def _run(self, subscription: Any) -> None:
        while True:
            if self.lease is not None:
                await self.lease.wait_held()
            try:
                msgs = await self._next_batch(subscription)
            except TimeoutError:  # nats.errors.TimeoutError subclasses it too
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection trouble: nats-py reconnects by itself
                log.warning("consumer_fetch_failed", durable=self.durable, error=repr(exc))
                await asyncio.sleep(1.0)
                continue
            try:
                await self._handle_with_heartbeat(msgs)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Unacked messages come back after ack_wait; nothing is lost.
                log.error("consumer_batch_failed", durable=self.durable, error=repr(exc))
                await asyncio.sleep(1.0)


async def _still_working(msgs: list[Msg]) -> None:
    for msg in msgs:
        if not msg.is_acked:
            with contextlib.suppress(Exception):
                await msg.in_progress()


def subscribe_events(
    broker: NatsBroker,
    store: Store,
    *,
    consumer: str,
    producer: str,
    handlers: Mapping[str, EventHandler],
    max_deliver: int = 5,
    ack_wait_seconds: float = 6.0,
    batch_size: int = 100,
    fetch_timeout: float = FETCH_TIMEOUT,
    after_commit: Callable[[], None] | None = None,
    retry_base_seconds: float = 2.0,
    lease_ttl: float | None = None,
    lease_holder: str | None = None,
) -> DurableConsumer:
    """A durable pull consumer `<consumer>_<producer>` on the producer's stream.

    With `lease_ttl`, replicas consume one at a time (`lease.ConsumerLease`), so events of
    one employee are never applied concurrently on two replicas. Start it
    (`await consumer.start()`) once the broker is connected and streams exist.
    """
    state = _Consumer(
        broker=broker,
        store=store,
        name=consumer,
        handlers=dict(handlers),
        max_deliver=max_deliver,
        after_commit=after_commit,
        retry_base_seconds=retry_base_seconds,
    )
    durable = f"{consumer}_{producer}".replace(".", "_")
    return DurableConsumer(
        state,
        producer=producer,
        durable=durable,
        config=ConsumerConfig(
            durable_name=durable,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            # Unlimited on the server: after `max_deliver` attempts *we* dead-letter the
            # message. A server-side limit would silently drop a message whose last
            # delivery was nak'ed (e.g. held back behind a failed event of the same key).
            max_deliver=-1,
            ack_wait=ack_wait_seconds,
            max_ack_pending=max(batch_size * 10, 1000),
        ),
        batch_size=batch_size,
        fetch_timeout=fetch_timeout,
        lease_holder=lease_holder,
        lease_ttl=lease_ttl,
    )
