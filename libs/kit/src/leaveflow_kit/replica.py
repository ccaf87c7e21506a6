"""Replicas of another service's records, kept from its events (docs/adr/0004).

One rule for every service:
- keys are scoped by tenant (`tenant:id`), and a read names the tenant: an id of one
  tenant never reads, or overwrites, a record of another;
- the event that *happened* last wins: a record is replaced only by an event with a newer
  `(occurred_at, event_id)` than the one it came from (the id breaks ties, so every
  instance picks the same winner whatever the arrival order);
- a deletion leaves a tombstone that keeps its stamp, so an older upsert arriving late
  cannot resurrect the record.
So redelivery, reordering and replay all converge to the same state.

A replica whose stored shape changes is rebuilt on start-up: `ReplicaSet` records a
schema version per set of collections; when the stored one differs from the code's, the
collections are emptied and the producer's stream is replayed from its first event
through the same handlers (no inbox: the durable consumer already marked those events).
The producers' streams keep every event (limits retention with no limit, see
`messaging.broker.ensure_streams`), so a replay sees the whole history.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nats.js.api import DeliverPolicy
from pydantic import ValidationError

from leaveflow_contracts import Envelope, parse_data
from leaveflow_contracts.subjects import stream_for, stream_subjects

from .logging import get_logger
from .messaging.consumer import EventHandler, HandledEvent
from .storage import Doc, Reader, Store, Transaction

__all__ = [
    "REPLICA_VERSIONS",
    "Replica",
    "ReplicaSet",
    "Stamp",
    "rebuild",
    "rebuild_if_stale",
    "replica_key",
]

log = get_logger(__name__)

# Bookkeeping fields on every replica document (services' own fields must not use them).
AT, EVENT, DELETED = "replica_at", "replica_event", "replica_deleted"
REPLICA_VERSIONS = "replica_versions"

Merge = Callable[[Doc | None, Doc], Doc]


def replica_key(tenant_id: str, record_id: str) -> str:
    return f"{tenant_id}:{record_id}"


@dataclass(frozen=True, order=True)
class Stamp:
    """When the fact behind a record happened; the event id breaks ties."""

    occurred_at: datetime
    event_id: str

    @classmethod
    def of(cls, envelope: Envelope) -> Stamp:
        return cls(envelope.occurred_at.astimezone(UTC), envelope.event_id)

    @classmethod
    def read(cls, doc: Doc) -> Stamp | None:
        at, event_id = doc.get(AT), doc.get(EVENT)
        if not isinstance(at, str):
            return None
        return cls(datetime.fromisoformat(at).astimezone(UTC), str(event_id or ""))

    def fields(self) -> Doc:
        return {AT: self.occurred_at.astimezone(UTC).isoformat(), EVENT: self.event_id}


@dataclass(frozen=True)
class Replica:
    """One collection of replicated records."""

    collection: str

    def key(self, tenant_id: str, record_id: str) -> str:
        return replica_key(tenant_id, record_id)

    async def get(self, reader: Reader, tenant_id: str, record_id: str) -> Doc | None:
        """The tenant's live record; None when absent, deleted, or another tenant's."""
        if not tenant_id or not record_id:
            return None
        doc = await reader.get(self.collection, self.key(tenant_id, record_id))
        if doc is None or doc.get("tenant_id") != tenant_id or doc.get(DELETED):
            return None
        return doc

    async def find(
        self, reader: Store | Transaction, tenant_id: str, where: Mapping[str, Any] | None = None
    ) -> list[Doc]:
        """The tenant's live records whose fields equal `where`, in key order."""
        return await reader.find(
            self.collection, {**(where or {}), "tenant_id": tenant_id, DELETED: None}
        )

    async def upsert(
        self,
        tx: Transaction,
        tenant_id: str,
        record_id: str,
        doc: Doc,
        at: Envelope | Stamp,
        *,
        merge: Merge | None = None,
    ) -> Doc | None:
        """Store `doc` as the record, if `at` is newer than what the record came from.

        `merge(current, doc)` (current is None for a new or deleted record) lets the caller
        build the stored document from both, e.g. to count revisions. Returns what was
        stored, or None when the event is old news."""
        stamp = at if isinstance(at, Stamp) else Stamp.of(at)
        key = self.key(tenant_id, record_id)
        found = await tx.get(self.collection, key)
        if not _newer(stamp, found):
            return None
        current = None if found is None or found.get(DELETED) else found
        body = merge(current, doc) if merge is not None else doc
        stored = {**_own(body), "id": record_id, "tenant_id": tenant_id, **stamp.fields()}
        await tx.put(self.collection, key, stored)
        return stored

    async def delete(
        self, tx: Transaction, tenant_id: str, record_id: str, at: Envelope | Stamp
    ) -> bool:
        """Replace the record by a tombstone, if `at` is newer; whether it was applied."""
        stamp = at if isinstance(at, Stamp) else Stamp.of(at)
        key = self.key(tenant_id, record_id)
        if not _newer(stamp, await tx.get(self.collection, key)):
            return False
        tombstone = {"id": record_id, "tenant_id": tenant_id, DELETED: True, **stamp.fields()}
        await tx.put(self.collection, key, tombstone)
        return True


def _newer(stamp: Stamp, found: Doc | None) -> bool:
    if found is None:
        return True
    known = Stamp.read(found)
    return known is None or stamp > known


def _own(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k not in (AT, EVENT, DELETED)}


@dataclass(frozen=True)
class ReplicaSet:
    """Collections one service fills from one producer's events, at a schema version.

    `handlers` are the ones that fill them (the same the durable consumer runs); bump
    `version` whenever the stored shape or keys of these collections change."""

    name: str
    version: int
    producer: str
    collections: Sequence[str]
    handlers: Mapping[str, EventHandler]


async def stored_version(store: Reader, name: str) -> int | None:
    doc = await store.get(REPLICA_VERSIONS, name)
    return None if doc is None else int(doc["version"])


async def rebuild_if_stale(
    store: Store, js: Any, replicas: ReplicaSet, *, idle_timeout: float = 5.0
) -> bool:
    """Rebuild `replicas` when their stored version is not the code's; whether it did."""
    if await stored_version(store, replicas.name) == replicas.version:
        return False
    await rebuild(store, js, replicas, idle_timeout=idle_timeout)
    return True


async def rebuild(store: Store, js: Any, replicas: ReplicaSet, *, idle_timeout: float = 5.0) -> int:
    """Empty the collections, replay the producer's stream through the handlers, then
    record the version. Returns how many events were applied.

    A crash half-way leaves the old version recorded, so the next start rebuilds again;
    replaying is harmless because the handlers apply the newest-wins rule. `js` is a
    nats-py JetStream context."""
    started = time.monotonic()
    for collection in replicas.collections:
        await store.clear(collection)
    applied = await _replay(store, js, replicas, idle_timeout=idle_timeout)

    async def mark(tx: Transaction) -> None:
        await tx.put(
            REPLICA_VERSIONS,
            replicas.name,
            {"id": replicas.name, "version": replicas.version},
        )

    await store.atomic(mark)
    log.info(
        "replica_rebuilt",
        replicas=replicas.name,
        version=replicas.version,
        events=applied,
        seconds=round(time.monotonic() - started, 3),
    )
    return applied


BATCH = 200


async def _replay(store: Store, js: Any, replicas: ReplicaSet, *, idle_timeout: float) -> int:
    stream = stream_for(replicas.producer)
    info = await js.stream_info(stream)
    if not info.state.messages:
        return 0
    # An ordered consumer: ephemeral, in stream order, no acks. Deleted when done; the
    # inactivity threshold removes it should this process die half-way.
    subscription = await js.subscribe(
        stream_subjects(replicas.producer)[0],
        stream=stream,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
        inactive_threshold=30.0,
    )
    applied = 0
    try:
        pending: list[tuple[Envelope, str]] = []
        done = False
        while not done:
            try:
                msg = await subscription.next_msg(timeout=idle_timeout)
            except TimeoutError:
                break  # nothing more arrives: the stream is read (or purged meanwhile)
            done = msg.metadata.num_pending == 0
            try:
                envelope = Envelope.model_validate_json(msg.data)
            except (ValidationError, ValueError):
                continue  # the durable consumer dead-lettered it: nothing to replay
            if envelope.type in replicas.handlers:
                pending.append((envelope, msg.subject))
            if len(pending) >= BATCH or (done and pending):
                applied += await _apply(store, replicas.handlers, pending)
                pending = []
        if pending:
            applied += await _apply(store, replicas.handlers, pending)
    finally:
        await _remove(js, stream, subscription)
    return applied


async def _remove(js: Any, stream: str, subscription: Any) -> None:
    name: str | None = None
    with contextlib.suppress(Exception):
        name = (await subscription.consumer_info()).name
    with contextlib.suppress(Exception):
        await subscription.unsubscribe()
    if name is not None:
        with contextlib.suppress(Exception):
            await js.delete_consumer(stream, name)


async def _apply_all(
    handlers: Mapping[str, EventHandler], events: list[tuple[Envelope, str]], tx: Transaction
) -> None:
    for envelope, subject in events:
        event = HandledEvent(envelope=envelope, data=parse_data(envelope), subject=subject)
        await handlers[envelope.type](tx, event)


async def _apply(
    store: Store, handlers: Mapping[str, EventHandler], batch: list[tuple[Envelope, str]]
) -> int:
    """Apply a batch in one transaction; if that fails, each event alone, skipping (and
    logging) one that fails: the durable consumer dead-lettered it already, and a replica
    must not keep its service from starting over it."""

    if len(batch) > 1:
        try:
            await store.atomic(functools.partial(_apply_all, handlers, batch))
            return len(batch)
        except Exception:
            pass  # find the one that fails
    applied = 0
    for one in batch:
        try:
            await store.atomic(functools.partial(_apply_all, handlers, [one]))
        except Exception as exc:
            log.warning(
                "replica_replay_skipped",
                event_type=one[0].type,
                event_id=one[0].event_id,
                error=repr(exc),
            )
            continue
        applied += 1
    return applied
