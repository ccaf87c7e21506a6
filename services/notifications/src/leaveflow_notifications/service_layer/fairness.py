"""What keeps one tenant's slow or dead destination from delaying anyone else: bounded
sends in flight per tenant and per destination (a tenant's integration on one channel),
and a circuit breaker per destination.

Both are per process and in memory: they shape this replica's own sending, and a restart
starting them afresh costs at most a few extra attempts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..domain.delivery import Delivery


def destination_of(delivery: Delivery) -> str:
    """A tenant has one destination per channel (its webhook, its SMTP server, its Slack
    workspace): that pair is what can hang."""
    return f"{delivery.tenant_id}/{delivery.channel}"


@dataclass(frozen=True)
class FairnessPolicy:
    per_tenant: int = 4
    per_destination: int = 2
    # Consecutive failures that could be the destination's fault (timeouts, network, 5xx)
    # before it is left alone for `cooldown_seconds`; then one probe decides.
    breaker_failures: int = 3
    cooldown_seconds: float = 30.0


class Slots:
    """Non-blocking counters: a send that would exceed a limit is not started now (its
    delivery stays due and is picked up when a slot frees), so nobody waits in a queue
    behind a hanging destination. Shared by the channels' dispatchers."""

    def __init__(self, policy: FairnessPolicy) -> None:
        self._policy = policy
        self._tenants: dict[str, int] = {}
        self._destinations: dict[str, int] = {}

    def acquire(self, tenant_id: str, destination: str) -> bool:
        if self._tenants.get(tenant_id, 0) >= self._policy.per_tenant:
            return False
        if self._destinations.get(destination, 0) >= self._policy.per_destination:
            return False
        self._tenants[tenant_id] = self._tenants.get(tenant_id, 0) + 1
        self._destinations[destination] = self._destinations.get(destination, 0) + 1
        return True

    def release(self, tenant_id: str, destination: str) -> None:
        for counts, key in ((self._tenants, tenant_id), (self._destinations, destination)):
            left = counts.get(key, 0) - 1
            if left > 0:
                counts[key] = left
            else:
                counts.pop(key, None)

    def in_flight(self, tenant_id: str) -> int:
        return self._tenants.get(tenant_id, 0)


@dataclass
class _Circuit:
    failures: int = 0
    open_until: datetime | None = None
    probing: bool = False


@dataclass
class Breakers:
    policy: FairnessPolicy
    _circuits: dict[str, _Circuit] = field(default_factory=dict)

    def allows(self, destination: str, now: datetime) -> bool:
        """Closed: yes. Open: no, until the cooldown ends; then one probe at a time."""
        circuit = self._circuits.get(destination)
        if circuit is None or circuit.open_until is None:
            return True
        if now < circuit.open_until or circuit.probing:
            return False
        circuit.probing = True
        return True

    def withdraw_probe(self, destination: str) -> None:
        """The probe `allows` granted was not sent after all (no free slot, or another
        sender took the delivery): the next candidate may probe instead."""
        circuit = self._circuits.get(destination)
        if circuit is not None:
            circuit.probing = False

    def record(self, destination: str, now: datetime, *, destination_failed: bool) -> None:
        circuit = self._circuits.setdefault(destination, _Circuit())
        circuit.probing = False
        if not destination_failed:
            self._circuits.pop(destination, None)
            return
        circuit.failures += 1
        if circuit.open_until is not None or circuit.failures >= self.policy.breaker_failures:
            circuit.open_until = now + timedelta(seconds=self.policy.cooldown_seconds)

    def is_open(self, destination: str, now: datetime) -> bool:
        circuit = self._circuits.get(destination)
        return bool(circuit and circuit.open_until and now < circuit.open_until)

    def next_close(self, now: datetime) -> datetime | None:
        """When the earliest open circuit may be probed (the dispatcher wakes then)."""
        ends = [
            c.open_until
            for c in self._circuits.values()
            if c.open_until is not None and c.open_until > now
        ]
        return min(ends) if ends else None
