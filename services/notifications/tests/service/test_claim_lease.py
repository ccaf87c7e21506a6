"""A send's claim is a short lease renewed while the send runs: a slow send keeps it, a
sender that died mid-send gives it up within one lease, and the next dispatcher (a restart
of the same process, or another replica) sends the message within seconds, not minutes."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from leaveflow_kit.clock import SystemClock
from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.storage import Transaction
from leaveflow_kit.testing import WebhookSink
from leaveflow_notifications.domain.delivery import (
    CLAIM_LEASE_SECONDS,
    PENDING,
    SENDING,
    Delivery,
)
from leaveflow_notifications.service_layer.dispatcher import DeliveryDispatcher, RetryPolicy
from leaveflow_notifications.service_layer.ports import SendResult

wall_clock = SystemClock()


def _delivery() -> Delivery:
    return Delivery(
        id="e1:slack:bo",
        tenant_id="t1",
        event_id="e1",
        event_type="LeavePending",
        channel="slack",
        recipient="bo",
        payload={},
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
    )


def test_a_claim_is_a_short_lease_only_its_holder_renews() -> None:
    at = datetime(2026, 3, 1, 9, tzinfo=UTC)
    d = _delivery()
    d.claim_for("me", at)
    assert d.status == SENDING
    assert CLAIM_LEASE_SECONDS <= 10, "a crashed send must be retried within seconds"
    assert not d.is_due(at + timedelta(seconds=CLAIM_LEASE_SECONDS - 0.1))
    assert d.is_due(at + timedelta(seconds=CLAIM_LEASE_SECONDS))
    later = at + timedelta(seconds=4)
    assert d.renew("me", later)
    assert d.due_at() == later + timedelta(seconds=CLAIM_LEASE_SECONDS)
    assert not d.renew("someone-else", later)
    d.retry_now(later)  # an admin's retry takes the claim away
    assert d.status == PENDING
    assert not d.renew("me", later)


async def _claimed_by_a_dead_sender(world: Any, sink: WebhookSink, lease: float) -> Delivery:
    await world.connect(
        "slack", tenant="t1", team_id="T-t1", webhook_url=sink.url, signing_secret="s"
    )
    await world.feed(world.pending())
    (doc,) = await world.deliveries()
    stuck = from_doc(Delivery, doc)
    stuck.claim_for("previous-incarnation", wall_clock.now(), lease)

    async def save(tx: Transaction) -> None:
        await tx.put("deliveries", stuck.id, to_doc(stuck))

    await world.store.atomic(save)
    return stuck


async def test_a_restarted_dispatcher_resends_a_dead_senders_message_within_the_lease(
    world: Any, sink: WebhookSink
) -> None:
    lease = 1.0
    await _claimed_by_a_dead_sender(world, sink, lease)
    sent = asyncio.Event()

    async def send(delivery: Delivery) -> SendResult:
        result: SendResult = await world.outbound.send(delivery)
        sent.set()
        return result

    # The default 120 s heartbeat: only the lease's end may wake it this early.
    dispatcher = DeliveryDispatcher(
        world.records, "slack", send, wall_clock, policy=RetryPolicy(claim_lease_seconds=lease)
    )
    started = time.monotonic()
    dispatcher.start()
    try:
        await asyncio.wait_for(sent.wait(), 10)
    finally:
        await dispatcher.stop()
    elapsed = time.monotonic() - started
    assert len(sink.snapshot()) == 1
    assert elapsed < lease + 3, f"resent after {elapsed:.1f}s"
    (d,) = await world.deliveries()
    assert (d["status"], d["claim"]) == ("sent", None)


async def test_a_slow_send_keeps_its_claim_by_renewing_it(world: Any, sink: WebhookSink) -> None:
    lease = 0.3
    await world.connect(
        "slack", tenant="t1", team_id="T-t1", webhook_url=sink.url, signing_secret="s"
    )
    await world.feed(world.pending())
    sends = 0

    async def slow_send(delivery: Delivery) -> SendResult:
        nonlocal sends
        sends += 1
        await asyncio.sleep(lease * 4)  # several leases long
        return SendResult(ok=True)

    policy = RetryPolicy(claim_lease_seconds=lease)
    slow = DeliveryDispatcher(world.records, "slack", slow_send, wall_clock, policy=policy)
    other = DeliveryDispatcher(world.records, "slack", slow_send, wall_clock, policy=policy)
    first = asyncio.create_task(slow.send_due())
    probes = []
    for _ in range(4):  # another sender looks again and again while the send runs
        await asyncio.sleep(lease)
        probes.append(await other.send_due())
    assert await first == 1
    assert probes == [0, 0, 0, 0]
    assert sends == 1
    (d,) = await world.deliveries()
    assert (d["status"], d["attempts"], d["claim"]) == ("sent", 1, None)
