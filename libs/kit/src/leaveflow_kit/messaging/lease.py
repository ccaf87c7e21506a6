"""One active consumer per durable across replicas: a lease in a NATS key-value bucket.

Why: replicas pulling from one durable consumer each get different messages, so two
events of one employee could be applied at the same time on two replicas, in either
order (a re-price handled before the request it re-prices is lost). Events of one employee
must be applied in order (docs/architecture.md), so consumption runs active/standby: the
replica holding `LF_LEASES/<durable>` consumes; the others wait and take over when it lets
go (graceful stop: at once) or dies (its entry ages out after `ttl`). HTTP, the relay and
scheduled work keep running on every replica.

The holder counts as holding only until `2/3 ttl` after it asked for its last renewal, so
a holder cut off from NATS stops consuming a third of the ttl before anyone else can have
taken over. It renews a little before that (`renew_lead`), not on a fixed `ttl / 3`: each
renewal is a write to a file-backed stream, and on an idle stack these writes were the
larger part of nats-server's wake-ups. Takeover still happens `ttl` after the holder dies.
Work in flight when a lease is lost is still applied once (inbox).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time

from nats.js.api import KeyValueConfig, StorageType
from nats.js.client import JetStreamContext
from nats.js.errors import BucketNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from leaveflow_contracts import new_id

from ..logging import get_logger
from ..tasks import cancel

log = get_logger(__name__)

BUCKET = "LF_LEASES"
DEFAULT_TTL_SECONDS = 6.0


def holder_id(port: int | None = None) -> str:
    """Who holds a lease, readable in `nats kv get`. With the service's port it is stable
    across restarts and unique among live processes (one port, one process per host), so
    a replica restarted after a crash takes its own stale lease back at once instead of
    waiting for it to age out. Without a port: unique per process start."""
    if port is not None:
        return f"{socket.gethostname()}:{port}"
    return f"{socket.gethostname()}-{os.getpid()}-{new_id()[-6:]}"


async def lease_bucket(js: JetStreamContext, ttl: float, replicas: int = 1) -> KeyValue:
    """The bucket, created on first use (replicas: as many as the streams have); one made
    with a shorter ttl is given ours (`_ages_no_sooner_than`)."""
    try:
        bucket = await js.key_value(BUCKET)
    except BucketNotFoundError:
        config = KeyValueConfig(
            bucket=BUCKET, history=1, ttl=ttl, storage=StorageType.FILE, replicas=replicas
        )
        with contextlib.suppress(Exception):  # another replica may create it at once
            return await js.create_key_value(config)
        bucket = await js.key_value(BUCKET)
    await _ages_no_sooner_than(js, ttl)
    return bucket


async def _ages_no_sooner_than(js: JetStreamContext, ttl: float) -> None:
    """An entry must not age out before its holder renews it, or a standby takes over
    while the holder still consumes. The bucket keeps the ttl it was created with, so
    after `LEAVEFLOW_CONSUMER_LEASE` is raised the old, shorter one is raised too. A longer
    one is left: it only makes a standby wait longer; replicas on different settings
    therefore settle on the longest."""
    stream = f"KV_{BUCKET}"
    config = (await js.stream_info(stream)).config
    if config.max_age and config.max_age < ttl:
        config.max_age = ttl
        await js.update_stream(config)
        log.info("consumer_lease_ttl_raised", bucket=BUCKET, ttl=ttl)


class ConsumerLease:
    """Acquires and renews the lease named `key`; `wait_held()` blocks while another
    process holds it."""

    def __init__(
        self,
        js: JetStreamContext,
        key: str,
        *,
        ttl: float = DEFAULT_TTL_SECONDS,
        replicas: int = 1,
        holder: str | None = None,
    ) -> None:
        self._js = js
        self.key = key
        self.ttl = ttl
        # How long a renewal keeps us holding (the rest of the ttl is the margin against
        # the standby), and how early before that we renew (covers the round trip).
        self.valid_for = ttl * 2 / 3
        self.renew_lead = ttl / 8
        self.renew_every = self.valid_for - self.renew_lead
        self._replicas = replicas
        self.holder = holder or holder_id()
        self._kv: KeyValue | None = None
        self._revision: int | None = None
        self._valid_until = 0.0
        self._task: asyncio.Task[None] | None = None
        self._taken = asyncio.Event()

    @property
    def held(self) -> bool:
        return self._revision is not None and time.monotonic() < self._valid_until

    def safe_wait(self) -> float:
        """How long a pull request sent now may wait on the server without outliving our
        hold: what is left of the validity plus half the margin before a standby can take
        over (the other half covers the request's way to the server). A pull that outlived
        it could hand an event to a holder that has lost the lease (stalled, cut off)
        while the new holder takes the next one: two replicas, one employee's events."""
        left = max(0.0, self._valid_until - time.monotonic())
        return left + (self.ttl - self.valid_for) / 2

    async def wait_held(self) -> None:
        while not self.held:
            self._taken.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._taken.wait(), self.renew_every)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"lease-{self.key}")

    async def stop(self) -> None:
        """Let go at once, so a standby takes over without waiting for the entry to age."""
        await cancel(self._task)
        self._task = None
        if self._kv is not None and self._revision is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._kv.delete(self.key, last=self._revision), 2.0)
        self._revision = None

    async def _run(self) -> None:
        while True:
            try:
                if self._kv is None:
                    self._kv = await lease_bucket(self._js, self.ttl, self._replicas)
                await (self._renew() if self._revision is not None else self._acquire())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS away: keep trying; `held` lapses on its own
                log.warning("consumer_lease_unreachable", lease=self.key, error=repr(exc))
            await asyncio.sleep(self._pause())

    def _pause(self) -> float:
        """Until just before the validity ends while holding (a failed renewal leaves less
        than the lead, so the retry comes soon); a standby asks again within a second."""
        if not self.held:
            return min(1.0, self.renew_every)
        left = self._valid_until - time.monotonic()
        return max(left - self.renew_lead, min(0.25, self.renew_lead))

    async def _acquire(self) -> None:
        assert self._kv is not None
        started = time.monotonic()
        try:
            revision = await self._kv.create(self.key, self.holder.encode())
        except KeyWrongLastSequenceError:
            entry = await self._kv.get(self.key)
            if entry.value != self.holder.encode() or entry.revision is None:
                return  # someone else holds it
            # Our own previous run held it (we crashed): take it back.
            try:
                revision = await self._kv.update(
                    self.key, self.holder.encode(), last=entry.revision
                )
            except KeyWrongLastSequenceError:
                return
        self._took(revision, started)
        log.info("consumer_lease_acquired", lease=self.key, holder=self.holder)

    async def _renew(self) -> None:
        assert self._kv is not None
        assert self._revision is not None
        started = time.monotonic()
        try:
            revision = await self._kv.update(self.key, self.holder.encode(), last=self._revision)
        except KeyWrongLastSequenceError:
            # It aged out (we were cut off) and maybe someone else took it.
            self._revision = None
            log.warning("consumer_lease_lost", lease=self.key, holder=self.holder)
            return
        self._took(revision, started)

    def _took(self, revision: int, asked_at: float) -> None:
        self._revision = revision
        # Counted from before the request: the server's clock started no earlier.
        self._valid_until = asked_at + self.valid_for
        self._taken.set()
