"""Sends due deliveries, records each attempt, and sleeps until there is work.

One dispatcher per channel, so a slow or dead Slack never delays email. Woken by the
consumer after it commits new deliveries; otherwise it sleeps until the next retry is
due (or a slow heartbeat), so an idle service issues almost no queries.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from leaveflow_contracts import new_id
from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.logging import get_logger
from leaveflow_kit.storage import Store, Transaction
from leaveflow_kit.telemetry import span

from ..adapters.senders import SendResult
from ..domain.delivery import MAX_ATTEMPTS, PENDING, RETRYING, SENDING, Delivery
from .collections import DELIVERIES

log = get_logger(__name__)

SendFn = Callable[[Delivery], Awaitable[SendResult]]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = MAX_ATTEMPTS
    max_backoff_seconds: float = 300.0
    send_timeout_seconds: float = 10.0


class DeliveryDispatcher:
    def __init__(
        self,
        store: Store,
        channel: str,
        send: SendFn,
        clock: Callable[[], datetime],
        *,
        policy: RetryPolicy | None = None,
        # Only a safety net: local commits wake us, and retries set their own deadline.
        # Three channels poll, so keep it slow enough for an idle stack to stay quiet.
        heartbeat_seconds: float = 120.0,
    ) -> None:
        self._store = store
        self.channel = channel
        self._send = send
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._heartbeat = heartbeat_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"dispatcher-{self.channel}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _due(self) -> list[Delivery]:
        now = self._clock()
        due = []
        for status in (PENDING, RETRYING, SENDING):
            where = {"channel": self.channel, "status": status}
            for doc in await self._store.find(DELIVERIES, where, limit=200):
                delivery = from_doc(Delivery, doc)
                if delivery.is_due(now):
                    due.append(delivery)
        return due

    async def _claim(self, delivery_id: str) -> Delivery | None:
        """Compare-and-set in one transaction, so two instances never send the same one."""
        token = new_id()

        async def run(tx: Transaction) -> Delivery | None:
            doc = await tx.get(DELIVERIES, delivery_id)
            if doc is None:
                return None
            delivery = from_doc(Delivery, doc)
            if not delivery.is_due(self._clock()):
                return None
            delivery.claim_for(token, self._clock())
            await tx.put(DELIVERIES, delivery.id, to_doc(delivery))
            return delivery

        return await self._store.atomic(run)

    async def _record(self, outcome: Delivery, token: str | None) -> None:
        """Store the attempt unless someone (an admin retry) changed the delivery meanwhile."""

        async def run(tx: Transaction) -> None:
            doc = await tx.get(DELIVERIES, outcome.id)
            if doc is None or doc.get("claim") != token:
                return
            await tx.put(DELIVERIES, outcome.id, to_doc(outcome))

        await self._store.atomic(run)

    async def _next_due_in(self) -> float:
        where = {"channel": self.channel, "status": RETRYING}
        docs = await self._store.find(DELIVERIES, where, limit=200)
        times = [from_doc(Delivery, d).next_attempt_at for d in docs]
        pending = [t for t in times if t is not None]
        if not pending:
            return self._heartbeat
        seconds = (min(pending) - self._clock()).total_seconds()
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
        sent = 0
        for candidate in await self._due():
            delivery = await self._claim(candidate.id)
            if delivery is None:
                continue  # another sender took it, or it is no longer due
            token = delivery.claim
            with span(
                f"deliver {delivery.event_type} by {delivery.channel}",
                parent=delivery.trace,
                attributes={"leaveflow.delivery.id": delivery.id},
            ):
                result = await self._attempt(delivery)
            if result.ok:
                delivery.succeeded(self._clock())
                sent += 1
            else:
                delivery.failed(
                    self._clock(),
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
        return sent

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.send_due()
                wait = await self._next_due_in()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("dispatcher_failed", channel=self.channel, error=repr(exc))
                wait = 2.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)


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
        for d in self.by_channel.values():
            await d.stop()
