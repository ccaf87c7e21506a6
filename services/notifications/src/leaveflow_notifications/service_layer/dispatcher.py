"""Sends due deliveries, records each attempt, and sleeps until there is work.

One dispatcher per channel, so a slow or dead Slack never delays email. Within a channel
sends run concurrently, bounded per tenant and per destination (`fairness.Slots`), and a
destination that keeps failing is left alone for a while (`fairness.Breakers`): one
tenant's hanging webhook holds its own two slots, never anyone else's message. Woken by
the consumer after it commits new deliveries, and whenever a send ends; otherwise it
sleeps until the next retry is due (or a slow heartbeat), so an idle service issues
almost no queries.

A claim is a short lease (`Delivery.claim_for`) that the sender renews while its send is
in flight. If the process dies mid-send, the lease runs out within seconds and whoever
runs next (the restarted process, or another replica) sends it again: the message in
flight at a crash may reach the peer twice, never zero times, and never after minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from leaveflow_contracts import new_id
from leaveflow_kit.clock import Clock
from leaveflow_kit.logging import get_logger
from leaveflow_kit.tasks import cancel
from leaveflow_kit.telemetry import span

from ..domain.delivery import (
    CLAIM_LEASE_SECONDS,
    MAX_ATTEMPTS,
    PENDING,
    RETRYING,
    SENDING,
    Delivery,
)
from .fairness import Breakers, FairnessPolicy, Slots, destination_of
from .ports import DeliveryRecords, SendResult

log = get_logger(__name__)

SendFn = Callable[[Delivery], Awaitable[SendResult]]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = MAX_ATTEMPTS
    max_backoff_seconds: float = 300.0
    send_timeout_seconds: float = 10.0
    # Renewed every quarter of itself while a send runs: a sender stalled for up to three
    # quarters of a lease (a busy machine) keeps its claim, so no other replica sends it
    # too; one that died gives it up within one lease, well inside 10 s of a restart.
    claim_lease_seconds: float = CLAIM_LEASE_SECONDS


class DeliveryDispatcher:
    def __init__(
        self,
        records: DeliveryRecords,
        channel: str,
        send: SendFn,
        clock: Clock,
        *,
        policy: RetryPolicy | None = None,
        # Only a safety net: local commits wake us, and retries set their own deadline.
        # Three channels poll, so keep it slow enough for an idle stack to stay quiet.
        heartbeat_seconds: float = 120.0,
        slots: Slots | None = None,
        breakers: Breakers | None = None,
    ) -> None:
        self._records = records
        self.channel = channel
        self._send = send
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._heartbeat = heartbeat_seconds
        self._slots = slots or Slots(FairnessPolicy())
        self._breakers = breakers or Breakers(FairnessPolicy())
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[bool]] = set()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"dispatcher-{self.channel}")

    async def stop(self) -> None:
        """Let a send in flight finish and be recorded (a graceful restart then sends
        nothing twice); cancel only if it outlives its own timeout."""
        if not self._task:
            return
        self._stopping = True
        self._wake.set()
        grace = self._policy.send_timeout_seconds + 1
        await asyncio.wait({self._task, *self._in_flight}, timeout=grace)
        await cancel(self._task)  # at once if it finished
        for task in list(self._in_flight):
            await cancel(task)

    async def _due(self) -> list[Delivery]:
        now = self._clock.now()
        due = []
        for status in (PENDING, RETRYING, SENDING):
            for delivery in await self._records.waiting(self.channel, status, limit=200):
                if delivery.is_due(now):
                    due.append(delivery)
        return due

    async def _claim(self, delivery_id: str) -> Delivery | None:
        """Compare-and-set in one transaction, so two instances never send the same one."""
        token = new_id()

        def claim(delivery: Delivery) -> Delivery | None:
            now = self._clock.now()
            if not delivery.is_due(now):
                return None
            delivery.claim_for(token, now, self._policy.claim_lease_seconds)
            return delivery

        return await self._records.change(delivery_id, claim)

    async def _renew(self, delivery_id: str, token: str) -> bool:
        def renew(delivery: Delivery) -> Delivery | None:
            lease = self._policy.claim_lease_seconds
            return delivery if delivery.renew(token, self._clock.now(), lease) else None

        return await self._records.change(delivery_id, renew) is not None

    async def _keep_claim(self, delivery_id: str, token: str, done: asyncio.Event) -> None:
        """Renew the lease until `done`; never cancelled mid-transaction (it waits on
        `done` between renewals), so the store sees whole transactions only."""
        interval = self._policy.claim_lease_seconds / 4
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), interval)
                return
            try:
                held = await self._renew(delivery_id, token)
            except Exception as exc:  # the store hiccuped: try again at the next tick
                log.warning("claim_renewal_failed", delivery_id=delivery_id, error=repr(exc))
                continue
            if not held:
                log.warning("claim_lost", delivery_id=delivery_id, channel=self.channel)
                return

    async def _record(self, outcome: Delivery, token: str | None) -> None:
        """Store the attempt unless someone (an admin retry) changed the delivery meanwhile."""

        def record(current: Delivery) -> Delivery | None:
            return outcome if current.claim == token else None

        await self._records.change(outcome.id, record)

    async def _next_due_in(self, seen_at: datetime | None = None) -> float:
        """Until the next retry, or the end of a lease a dead sender (perhaps our own
        previous incarnation) left behind: a restart then resends it within one lease.
        What was already due at `seen_at` and still waits was held back by a full slot
        (the end of a send wakes us) or an open circuit (its cooldown is counted)."""
        times = []
        for status in (RETRYING, SENDING):
            for delivery in await self._records.waiting(self.channel, status, limit=200):
                times.append(delivery.due_at())
        pending = [t for t in times if t is not None and (seen_at is None or t > seen_at)]
        reopening = self._breakers.next_close(self._clock.now())
        if reopening is not None:
            pending.append(reopening)
        if not pending:
            return self._heartbeat
        seconds = (min(pending) - self._clock.now()).total_seconds()
        return max(0.05, min(seconds, self._heartbeat))

    async def _attempt(self, delivery: Delivery) -> SendResult:
        try:
            return await asyncio.wait_for(
                self._send(delivery), timeout=self._policy.send_timeout_seconds
            )
        except TimeoutError:
            return SendResult(ok=False, error="timed out", retryable=True)
        except Exception as exc:  # a bug must cost one attempt, not a stuck claim
            return SendResult(ok=False, error=f"send failed: {type(exc).__name__}", retryable=True)

    async def send_due(self) -> int:
        """Send everything due now, concurrently within the limits, and wait for those
        sends (tests and the digest use this; the loop in `_run` does not wait)."""
        sent = 0
        while not self._stopping:
            started = await self._start_due()
            if not started:
                return sent
            sent += sum(await asyncio.gather(*started))
        return sent

    async def _start_due(self) -> list[asyncio.Task[bool]]:
        started: list[asyncio.Task[bool]] = []
        for candidate in await self._due():
            if self._stopping:
                break
            destination = destination_of(candidate)
            if not self._breakers.allows(destination, self._clock.now()):
                continue  # left alone until its cooldown ends; the loop wakes then
            if not self._slots.acquire(candidate.tenant_id, destination):
                self._breakers.withdraw_probe(destination)
                continue  # picked up when one of its sends ends
            try:
                delivery = await self._claim(candidate.id)
            except BaseException:
                self._slots.release(candidate.tenant_id, destination)
                self._breakers.withdraw_probe(destination)
                raise
            if delivery is None:  # another sender took it, or it is no longer due
                self._slots.release(candidate.tenant_id, destination)
                self._breakers.withdraw_probe(destination)
                continue
            task = asyncio.create_task(self._deliver(delivery, destination))
            self._in_flight.add(task)
            task.add_done_callback(self._finished(delivery.tenant_id, destination))
            started.append(task)
        return started

    def _finished(self, tenant_id: str, destination: str) -> Callable[[asyncio.Task[bool]], None]:
        def done(task: asyncio.Task[bool]) -> None:
            self._in_flight.discard(task)
            self._slots.release(tenant_id, destination)
            self._wake.set()  # a slot is free: what waited for it may go now

        return done

    async def _deliver(self, delivery: Delivery, destination: str) -> bool:
        token = delivery.claim
        assert token is not None
        done = asyncio.Event()
        keeper = asyncio.create_task(self._keep_claim(delivery.id, token, done))
        try:
            with span(
                f"deliver {delivery.event_type} by {delivery.channel}",
                parent=delivery.trace,
                attributes={"leaveflow.delivery.id": delivery.id},
            ):
                result = await self._attempt(delivery)
        finally:
            done.set()
            # Shielded: cancelling the keeper while its wait_for completes would
            # swallow our own cancellation (Python 3.11) and `stop()` would hang.
            await asyncio.shield(keeper)
        # Retryable failures are the ones a dead or hanging destination causes.
        self._breakers.record(
            destination, self._clock.now(), destination_failed=not result.ok and result.retryable
        )
        if result.ok:
            delivery.succeeded(self._clock.now(), result.ref)
        else:
            delivery.failed(
                self._clock.now(),
                result.error or "failed",
                retryable=result.retryable,
                retry_after=result.retry_after,
                max_attempts=self._policy.max_attempts,
                max_backoff=self._policy.max_backoff_seconds,
            )
            log.warning(
                "delivery_failed",
                delivery_id=delivery.id,
                channel=delivery.channel,
                attempts=delivery.attempts,
                status=delivery.status,
                error=delivery.last_error,
            )
        await self._record(delivery, token)
        return result.ok

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                seen_at = self._clock.now()
                await self._start_due()
                wait = await self._next_due_in(seen_at)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("dispatcher_failed", channel=self.channel, error=repr(exc))
                wait = 2.0
            if self._stopping:
                return
            await self._clock.sleep_until(self._clock.now() + timedelta(seconds=wait), self._wake)


class Dispatchers:
    """The per-channel dispatchers, started and woken together."""

    def __init__(self, dispatchers: list[DeliveryDispatcher]) -> None:
        self.by_channel = {d.channel: d for d in dispatchers}

    def wake(self) -> None:
        for d in self.by_channel.values():
            d.wake()

    def start(self) -> None:
        for d in self.by_channel.values():
            d.start()

    async def stop(self) -> None:
        # Together: each may wait for its send in flight, and the grace is shared.
        await asyncio.gather(*(d.stop() for d in self.by_channel.values()))
