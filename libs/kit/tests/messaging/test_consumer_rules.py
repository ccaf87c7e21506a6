"""The consumer's retry, ordering and dead-letter rules, on hand-made JetStream messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leaveflow_contracts import Envelope, LeaveApproved, LeaveCancelled, subject_for
from leaveflow_kit.messaging.consumer import HandledEvent, _Consumer
from leaveflow_kit.storage import Transaction, open_store


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
