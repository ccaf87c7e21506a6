"""A delivery: one message to one recipient on one channel, for one event.

Its id is derived from (event, channel, recipient), so a redelivered event can never
create a second delivery, and so never a second message.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

PENDING, RETRYING, SENDING, SENT, DEAD = "pending", "retrying", "sending", "sent", "dead"
MAX_ATTEMPTS = 6
# A sender holds its claim for a short lease and renews it while the send is in flight
# (a send may take up to its timeout, longer than one lease). A sender that died mid-send
# (kill -9, a lost machine) stops renewing, so its delivery is due again within one lease
# instead of waiting out a long fixed claim: the message in flight at a crash is resent
# seconds after the restart, or by another replica.
CLAIM_LEASE_SECONDS = 8.0


def delivery_id(event_id: str, channel: str, recipient: str) -> str:
    return f"{event_id}:{channel}:{recipient}"


def backoff(
    attempt: int, rng: random.Random | None = None, *, cap_seconds: float = 300.0
) -> timedelta:
    """Exponential backoff with jitter: 2, 4, 8 ... s (each drawn from its upper half),
    capped at 5 minutes by default."""
    ceiling = min(2.0**attempt, cap_seconds)
    return timedelta(seconds=(rng or random).uniform(ceiling / 2, ceiling))


@dataclass
class Delivery:
    id: str
    tenant_id: str
    event_id: str
    event_type: str
    channel: str
    recipient: str
    payload: dict[str, Any]
    created_at: datetime
    status: str = PENDING
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    claim: str | None = None
    claimed_until: datetime | None = None
    # W3C trace context of the event handling that created it (when tracing): the send
    # continues that trace, however much later it happens.
    trace: dict[str, str] | None = None
    # The leave request it is about: its later events find the messages to update.
    request_id: str | None = None
    # Where the peer keeps the message sent (Slack's `channel` and `ts`), so a later state
    # of the request can update it in place; None where the peer gives no handle (webhooks).
    message_ref: dict[str, str] | None = None

    def is_due(self, at: datetime) -> bool:
        if self.status == SENDING:
            return self.claimed_until is not None and self.claimed_until <= at
        if self.status not in (PENDING, RETRYING):
            return False
        return self.next_attempt_at is None or self.next_attempt_at <= at

    def due_at(self) -> datetime | None:
        """When a waiting or claimed delivery next becomes due (None: now, or never)."""
        if self.status == SENDING:
            return self.claimed_until
        if self.status in (PENDING, RETRYING):
            return self.next_attempt_at
        return None

    def claim_for(
        self, token: str, at: datetime, lease_seconds: float = CLAIM_LEASE_SECONDS
    ) -> None:
        """One sender at a time: whoever commits the claim first sends."""
        self.status, self.claim = SENDING, token
        self.claimed_until = at + timedelta(seconds=lease_seconds)

    def renew(self, token: str, at: datetime, lease_seconds: float = CLAIM_LEASE_SECONDS) -> bool:
        """Extend the lease of the sender holding `token`; False if it no longer holds it
        (an admin retry, or its lease ran out and another sender claimed it)."""
        if self.status != SENDING or self.claim != token:
            return False
        self.claimed_until = at + timedelta(seconds=lease_seconds)
        return True

    def succeeded(self, at: datetime, ref: dict[str, str] | None = None) -> None:
        self.attempts += 1
        self.message_ref = ref or self.message_ref
        self.claim = self.claimed_until = None
        self.status, self.sent_at, self.last_error, self.next_attempt_at = SENT, at, None, None

    def failed(
        self,
        at: datetime,
        error: str,
        *,
        retryable: bool,
        retry_after: float | None,
        max_attempts: int = MAX_ATTEMPTS,
        max_backoff: float = 300.0,
    ) -> None:
        self.attempts += 1
        self.claim = self.claimed_until = None
        self.last_error = error[:500]
        if not retryable or self.attempts >= max_attempts:
            self.status, self.next_attempt_at = DEAD, None
            return
        self.status = RETRYING
        wait = (
            timedelta(seconds=retry_after)
            if retry_after
            else backoff(self.attempts, cap_seconds=max_backoff)
        )
        self.next_attempt_at = at + wait

    def retry_now(self, at: datetime) -> None:
        self.status, self.next_attempt_at = PENDING, at
        self.claim = self.claimed_until = None
