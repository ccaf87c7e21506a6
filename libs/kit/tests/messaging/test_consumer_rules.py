"""The consumer's retry, ordering and dead-letter rules, on hand-made JetStream messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from leaveflow_contracts import Envelope, LeaveApproved, LeaveCancelled, subject_for
from leaveflow_kit.messaging.consumer import HandledEvent, InvalidEvent, _Consumer
from leaveflow_kit.storage import Transaction, open_store
from leaveflow_kit.testing import deliver


@dataclass
class FakeMsg:
    """The parts of nats.aio.msg.Msg the consumer uses; records what was done to it."""

    data: bytes
    subject: str
    num_delivered: int
    headers: dict[str, str] = field(default_factory=dict)
    outcome: list[str] = field(default_factory=list)

    @property
    def metadata(self) -> Any:
        msg = self

        class _Seq:
            stream = 1

        class _Meta:
            num_delivered = msg.num_delivered
            sequence = _Seq()

        return _Meta()

    async def ack(self) -> None:
        self.outcome.append("ack")

    async def nak(self, delay: float | None = None) -> None:
        self.outcome.append(f"nak {delay}")

    async def term(self) -> None:
        self.outcome.append("term")


@dataclass
class FakeBroker:
    published: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    fail: bool = False

    async def publish(self, data: bytes, subject: str, **kw: Any) -> None:
        if self.fail:
            raise ConnectionError("nats down")
        self.published.append((subject, kw["headers"]))


FACTS = {
    "request_id": "r1",
    "employee_id": "e1",
    "leave_type_id": "t",
    "start_date": "2026-03-02",
    "end_date": "2026-03-02",
    "amount": "1",
}


def message(data: Any, delivered: int) -> FakeMsg:
    env = Envelope.wrap(data, tenant_id="t1")
    return FakeMsg(
        env.model_dump_json().encode(),
        subject_for("requests", env.type),
        delivered,
        {"Nats-Msg-Id": env.event_id},
    )


async def always_fails(tx: Transaction, event: HandledEvent) -> None:
    raise RuntimeError("store down")


async def consumer(broker: FakeBroker, handler: Any, max_deliver: int = 3) -> _Consumer:
    store = open_store("memory://")
    await store.start()
    return _Consumer(
        broker=broker,  # type: ignore[arg-type]
        store=store,
        name="probe",
        handlers={"LeaveApproved": handler, "LeaveCancelled": handler},
        max_deliver=max_deliver,
        retry_base_seconds=1.0,
    )


async def test_an_event_held_back_on_its_last_attempt_is_dead_lettered_not_dropped() -> None:
    broker = FakeBroker()
    c = await consumer(broker, always_fails)
    first = message(LeaveApproved(**FACTS), delivered=1)
    held = message(LeaveCancelled(**FACTS, previous_status="approved"), delivered=3)
    await c.handle_batch([first, held])  # type: ignore[list-item]
    assert first.outcome == ["nak 1.0"]
    assert held.outcome == ["term"]
    assert [s for s, _ in broker.published] == [f"lf.dlq.probe.{held.subject}"]


async def test_a_held_back_event_keeps_its_order_while_attempts_remain() -> None:
    c = await consumer(FakeBroker(), always_fails)
    first = message(LeaveApproved(**FACTS), delivered=2)
    held = message(LeaveCancelled(**FACTS, previous_status="approved"), delivered=1)
    await c.handle_batch([first, held])  # type: ignore[list-item]
    assert first.outcome == ["nak 2.0"]
    assert held.outcome == ["nak 1.0"]


async def test_when_dead_lettering_fails_the_message_comes_back() -> None:
    broker = FakeBroker(fail=True)
    c = await consumer(broker, always_fails)
    last = message(LeaveApproved(**FACTS), delivered=3)
    await c.handle_batch([last])  # type: ignore[list-item]
    assert last.outcome == ["nak 4.0"]


async def test_retry_delays_double_and_are_capped() -> None:
    c = await consumer(FakeBroker(), always_fails)
    assert [c.retry_delay(n) for n in (1, 2, 3, 9, 20)] == [1.0, 2.0, 4.0, 256.0, 300.0]


async def test_garbage_goes_straight_to_dead_letters() -> None:
    broker = FakeBroker()
    c = await consumer(broker, always_fails)
    junk = FakeMsg(b"not json", "lf.requests.LeaveApproved.v1", 1)
    await c.handle_batch([junk])  # type: ignore[list-item]
    assert junk.outcome == ["term"]
    assert broker.published[0][1]["lf-consumer"] == "probe"


# ---- events that can never be applied ----------------------------------------------------


def invalid_with_record(
    reason: str = "the dates are out of range", calls: list[str] | None = None
) -> Any:
    async def handler(tx: Transaction, event: HandledEvent) -> None:
        await tx.put("effects", event.envelope.event_id, {"half": "done"})  # rolled back

        async def record(tx: Transaction) -> None:
            if calls is not None:
                calls.append(event.envelope.event_id)
            await tx.put("rejections", event.envelope.event_id, {"reason": reason})

        raise InvalidEvent(reason, record=record)

    return handler


async def test_an_invalid_event_is_recorded_as_a_rejection_and_acked() -> None:
    broker = FakeBroker()
    recorded: list[str] = []
    c = await consumer(broker, invalid_with_record(calls=recorded))
    msg = message(LeaveApproved(**FACTS), delivered=1)
    await c.handle_batch([msg])  # type: ignore[list-item]
    assert msg.outcome == ["ack"]
    assert broker.published == []
    event_id = msg.headers["Nats-Msg-Id"]
    assert await c.store.get("rejections", event_id) == {"reason": "the dates are out of range"}
    assert await c.store.get("effects", event_id) is None  # the handler's writes rolled back
    # a redelivery finds it in the inbox: neither handled nor recorded twice
    again = FakeMsg(msg.data, msg.subject, 2, msg.headers)
    await c.handle_batch([again])  # type: ignore[list-item]
    assert again.outcome == ["ack"]
    assert recorded == [event_id]


async def test_an_invalid_event_does_not_hold_back_the_next_of_its_employee() -> None:
    applied: list[str] = []

    async def handler(tx: Transaction, event: HandledEvent) -> None:
        if event.envelope.type == "LeaveApproved":
            await invalid_with_record()(tx, event)
        applied.append(event.envelope.type)

    c = await consumer(FakeBroker(), handler)
    invalid = message(LeaveApproved(**FACTS), delivered=1)
    after = message(LeaveCancelled(**FACTS, previous_status="approved"), delivered=1)
    await c.handle_batch([invalid, after])  # type: ignore[list-item]
    assert (invalid.outcome, after.outcome) == (["ack"], ["ack"])
    assert applied == ["LeaveCancelled"]


async def test_an_invalid_event_without_a_record_is_dead_lettered_at_once() -> None:
    broker = FakeBroker()

    async def handler(tx: Transaction, event: HandledEvent) -> None:
        raise InvalidEvent("names no known location")

    c = await consumer(broker, handler, max_deliver=8)
    msg = message(LeaveApproved(**FACTS), delivered=1)
    await c.handle_batch([msg])  # type: ignore[list-item]
    assert msg.outcome == ["term"]
    ((subject, headers),) = broker.published
    assert subject == f"lf.dlq.probe.{msg.subject}"
    assert "names no known location" in headers["lf-error"]


async def test_a_failing_record_is_retried_like_any_failure() -> None:
    async def handler(tx: Transaction, event: HandledEvent) -> None:
        async def record(tx: Transaction) -> None:
            raise RuntimeError("store down")

        raise InvalidEvent("bad", record=record)

    broker = FakeBroker()
    c = await consumer(broker, handler)
    msg = message(LeaveApproved(**FACTS), delivered=1)
    await c.handle_batch([msg])  # type: ignore[list-item]
    assert msg.outcome == ["nak 1.0"]
    assert broker.published == []


async def test_deliver_records_the_rejection_as_the_consumer_does() -> None:
    store = open_store("memory://")
    await store.start()
    handlers = {"LeaveApproved": invalid_with_record("too far ahead")}
    env = await deliver(store, handlers, LeaveApproved(**FACTS), tenant_id="t1")
    assert await store.get("rejections", env.event_id) == {"reason": "too far ahead"}

    async def no_record(tx: Transaction, event: HandledEvent) -> None:
        raise InvalidEvent("bad")

    with pytest.raises(InvalidEvent, match="bad"):
        await deliver(store, {"LeaveApproved": no_record}, LeaveApproved(**FACTS), tenant_id="t1")


# ---- types the consumer does not handle --------------------------------------------------


async def test_an_unhandled_type_is_acked_on_its_subject_without_decoding() -> None:
    broker = FakeBroker()
    c = await consumer(broker, always_fails)
    # Not even JSON: had it been decoded it would have gone to the dead letters.
    other = FakeMsg(b"not json", "lf.requests.LeaveRequested.v1", 1)
    await c.handle_batch([other])  # type: ignore[list-item]
    assert other.outcome == ["ack"]
    assert broker.published == []


async def test_the_type_header_decides_before_the_subject() -> None:
    c = await consumer(FakeBroker(), always_fails)
    other = FakeMsg(b"not json", "lf.requests.LeaveApproved.v1", 1, {"lf-type": "LeavePending"})
    await c.handle_batch([other])  # type: ignore[list-item]
    assert other.outcome == ["ack"]


async def test_an_unhandled_type_beside_handled_ones_leaves_them_to_the_handler() -> None:
    applied: list[str] = []

    async def handler(tx: Transaction, event: HandledEvent) -> None:
        applied.append(event.envelope.type)

    c = await consumer(FakeBroker(), handler)
    handled = message(LeaveApproved(**FACTS), delivered=1)
    other = FakeMsg(b"{}", "lf.requests.LeaveRequested.v1", 1)
    await c.handle_batch([handled, other])  # type: ignore[list-item]
    assert (handled.outcome, other.outcome, applied) == (["ack"], ["ack"], ["LeaveApproved"])


async def test_a_subject_that_names_no_type_is_decoded_to_decide() -> None:
    applied: list[str] = []

    async def handler(tx: Transaction, event: HandledEvent) -> None:
        applied.append(event.envelope.type)

    c = await consumer(FakeBroker(), handler)
    handled = message(LeaveApproved(**FACTS), delivered=1)
    handled.subject = "legacy.subject"
    await c.handle_batch([handled])  # type: ignore[list-item]
    assert (handled.outcome, applied) == (["ack"], ["LeaveApproved"])
