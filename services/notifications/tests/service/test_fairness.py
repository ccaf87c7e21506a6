"""One tenant's hanging webhook never delays another tenant; a destination that keeps
failing is left alone (circuit breaker)."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from leaveflow_kit.testing import WebhookSink
from leaveflow_notifications.adapters.senders import HttpPoster
from leaveflow_notifications.domain.delivery import Delivery
from leaveflow_notifications.service_layer.fairness import (
    Breakers,
    FairnessPolicy,
    Slots,
    destination_of,
)
from leaveflow_notifications.service_layer.ports import SendResult

from ..conftest import World


@pytest.fixture
def hanging() -> Iterator[WebhookSink]:
    with WebhookSink(hang_seconds=3) as s:
        yield s


async def _tenant(world: World, tenant: str, url: str) -> None:
    await world.directory(tenant)
    await world.connect("slack", tenant, team_id=f"T-{tenant}", webhook_url=url)


async def test_a_hanging_tenant_never_delays_a_healthy_one(
    world: World, sink: WebhookSink, hanging: WebhookSink
) -> None:
    # Short read timeout: the hanging sends end within the test, as they would (5 s) live.
    await world.poster.close()
    world.poster = HttpPoster(world.destinations, httpx.Timeout(1.5, connect=1.0))
    world.rewire()
    await _tenant(world, "t1", hanging.url)
    await _tenant(world, "t2", sink.url)
    dispatcher = world.dispatcher("slack", send_timeout_seconds=3.0)
    for n in range(4):  # a backlog for the hanging tenant
        await world.feed(world.pending("t1", request_id=f"slow-{n}"), "t1")
    dispatcher.start()
    dispatcher.wake()
    try:
        await asyncio.sleep(0.2)  # the hanging sends are in flight
        latencies = []
        for n in range(15):
            began = time.monotonic()
            await world.feed(world.pending("t2", request_id=f"fast-{n}"), "t2")
            dispatcher.wake()
            for _ in range(500):  # up to ~5 s
                if len(sink.snapshot()) > n:
                    break
                await asyncio.sleep(0.01)
            latencies.append(time.monotonic() - began)
        assert len(sink.snapshot()) == 15
        p99 = statistics.quantiles(latencies, n=100)[98]
        assert p99 < 1.0, latencies
        assert len(hanging.snapshot()) <= 2, "at most two sends in flight per destination"
    finally:
        await dispatcher.stop()


def _delivery(tenant: str, channel: str = "slack") -> Delivery:
    from datetime import UTC, datetime

    return Delivery(
        id=f"e:{channel}:{tenant}",
        tenant_id=tenant,
        event_id="e",
        event_type="LeavePending",
        channel=channel,
        recipient="r",
        payload={},
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
    )


def test_slots_bound_a_tenant_and_a_destination_but_not_the_others() -> None:
    slots = Slots(FairnessPolicy(per_tenant=3, per_destination=2))
    slack, teams = destination_of(_delivery("t1")), destination_of(_delivery("t1", "teams"))
    assert slots.acquire("t1", slack)
    assert slots.acquire("t1", slack)
    assert not slots.acquire("t1", slack), "per destination"
    assert slots.acquire("t1", teams)
    assert not slots.acquire("t1", teams), "per tenant, across channels"
    assert slots.acquire("t2", destination_of(_delivery("t2")))
    slots.release("t1", slack)
    assert slots.acquire("t1", slack)


async def test_a_failing_destination_is_left_alone_then_probed(world: World) -> None:
    calls: list[str] = []
    answers: list[SendResult] = [SendResult(ok=False, error="timed out", retryable=True)] * 3

    async def send(delivery: Delivery) -> SendResult:
        calls.append(delivery.id)
        return answers.pop(0) if answers else SendResult(ok=True)

    breakers = Breakers(FairnessPolicy(breaker_failures=3, cooldown_seconds=30))
    from leaveflow_notifications.service_layer.dispatcher import DeliveryDispatcher, RetryPolicy

    dispatcher = DeliveryDispatcher(
        world.records,
        "slack",
        send,
        world.clock,
        policy=RetryPolicy(max_backoff_seconds=1),
        breakers=breakers,
    )
    await world.connect("slack", "t1", team_id="T1", webhook_url="http://127.0.0.1:9/")
    await world.feed(world.pending())
    for _ in range(3):
        await dispatcher.send_due()
        world.clock.advance(timedelta(seconds=2))
    assert len(calls) == 3
    assert breakers.is_open("t1/slack", world.clock.now())
    world.clock.advance(timedelta(seconds=5))
    assert await dispatcher.send_due() == 0, "open: not even tried"
    assert len(calls) == 3
    world.clock.advance(timedelta(seconds=30))
    assert await dispatcher.send_due() == 1, "the probe succeeds and closes it"
    assert not breakers.is_open("t1/slack", world.clock.now())
    (delivery,) = await world.deliveries()
    assert delivery["status"] == "sent"


async def test_breakers_ignore_answers_that_are_not_the_destinations_fault() -> None:
    from datetime import UTC, datetime

    breakers = Breakers(FairnessPolicy(breaker_failures=2))
    now = datetime(2026, 3, 1, tzinfo=UTC)
    for _ in range(5):
        breakers.record("t1/teams", now, destination_failed=False)
    assert breakers.allows("t1/teams", now)
    breakers.record("t1/teams", now, destination_failed=True)
    breakers.record("t1/teams", now, destination_failed=True)
    assert not breakers.allows("t1/teams", now)
    assert breakers.allows("t2/teams", now), "per destination"
    extra: Any = breakers.next_close(now)
    assert extra == now + timedelta(seconds=30)


def test_a_probe_that_was_not_sent_leaves_the_next_candidate_free_to_probe() -> None:
    from datetime import UTC, datetime

    breakers = Breakers(FairnessPolicy(breaker_failures=1, cooldown_seconds=5))
    opened = datetime(2026, 3, 1, tzinfo=UTC)
    breakers.record("t1/slack", opened, destination_failed=True)
    later = opened + timedelta(seconds=6)
    assert breakers.allows("t1/slack", later)  # the probe
    assert not breakers.allows("t1/slack", later), "one probe at a time"
    # Its delivery found no free slot (or another sender took it): without this the
    # destination stayed open forever, and nothing was ever sent to it again.
    breakers.withdraw_probe("t1/slack")
    assert breakers.allows("t1/slack", later)
