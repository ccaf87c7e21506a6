"""In-process store for fast service-layer tests, with the semantics of the real ones.

Transactions are serialised (like SQLite's single writer) and buffer their writes; a
commit checks everything first and then applies it all, so a failing `atomic` leaves no
trace. Documents are kept as JSON text: what comes back is always a fresh copy, and what
is not JSON is refused exactly as the real stores refuse it. Keys are kept sorted and
unique indexes hashed, so a test with thousands of documents stays fast.
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from leaveflow_contracts import Envelope

from ._common import (
    RetryPolicy,
    TransactionState,
    WhereItems,
    check_collection,
    check_index,
    check_key,
    check_limit,
    check_where,
    decode_doc,
    encode_doc,
    matches,
    run_atomic,
    unique_values,
)
from .port import Doc, DuplicateKey, IndexSpec, OutboxKey, OutboxRecord, StoreStats, Transaction

T = TypeVar("T")
Fields = tuple[str, ...]


@dataclass
class _Collection:
    keys: list[str] = field(default_factory=list)  # sorted
    bodies: dict[str, str] = field(default_factory=dict)  # what callers get (a fresh copy)
    docs: dict[str, Doc] = field(default_factory=dict)  # parsed, for matching only
    unique: dict[Fields, dict[tuple[Any, ...], str]] = field(default_factory=dict)

    def remove(self, key: str) -> None:
        doc = self.docs.pop(key, None)
        if doc is None:
            return
        del self.bodies[key]
        del self.keys[bisect.bisect_left(self.keys, key)]
        for fields, owners in self.unique.items():
            values = unique_values(doc, fields)
            if values is not None and owners.get(values) == key:
                del owners[values]

    def add(self, key: str, body: str) -> None:
        doc = decode_doc(body)
        bisect.insort(self.keys, key)
        self.bodies[key], self.docs[key] = body, doc
        for fields, owners in self.unique.items():
            values = unique_values(doc, fields)
            if values is not None:
                owners[values] = key


@dataclass
class _OutboxRow:
    event_id: str
    subject: str
    envelope: str
    published_at: str | None = None


class MemoryStore:
    def __init__(
        self, indexes: Sequence[IndexSpec] = (), *, retry: RetryPolicy | None = None
    ) -> None:
        self.stats = StoreStats()
        self.outbox_signal = asyncio.Event()
        self.retry = retry or RetryPolicy()
        self._unique: dict[str, list[Fields]] = {}
        for spec in indexes:
            check_index(spec)
            if spec.unique and not spec.retired:
                self._unique.setdefault(spec.collection, []).append(spec.fields)
        self._collections: dict[str, _Collection] = {}
        self._outbox: dict[int, _OutboxRow] = {}
        self._event_ids: set[str] = set()
        self._last_seq = 0
        self._inbox: dict[tuple[str, str], str] = {}
        self._writer = asyncio.Lock()

    def _collection(self, name: str) -> _Collection:
        collection = self._collections.get(name)
        if collection is None:
            collection = _Collection(unique={f: {} for f in self._unique.get(name, [])})
            self._collections[name] = collection
        return collection

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def ping(self) -> None:
        self.stats.queries += 1

    async def atomic(self, fn: Callable[[Transaction], Awaitable[T]]) -> T:
        return await run_atomic(self, self._attempt, fn, self.retry)

    async def _attempt(self, fn: Callable[[Transaction], Awaitable[T]]) -> T:
        async with self._writer:
            tx = _MemoryTransaction(self)
            try:
                result = await tx.state.run(fn, tx)
                self._commit(tx)
            finally:
                tx.state.finished = True
        self.stats.transactions += 1
        if tx.events:
            self.outbox_signal.set()
        return result

    def _commit(self, tx: _MemoryTransaction) -> None:
        self.stats.queries += 1
        # Check everything before changing anything, so a failed commit leaves no trace.
        new_ids = [envelope.event_id for envelope, _ in tx.events]
        if len(set(new_ids)) != len(new_ids) or self._event_ids.intersection(new_ids):
            raise DuplicateKey("an event with this event_id is already in the outbox")
        for mark in tx.marks:
            if mark in self._inbox:
                raise DuplicateKey(f"inbox already holds {mark[0]}:{mark[1]}")
        for (name, key), body in tx.writes.items():
            collection = self._collection(name)
            collection.remove(key)  # drops only the unique entries this key still owns
            if body is not None:
                collection.add(key, body)
        now = datetime.now(UTC).isoformat()
        for envelope, subject in tx.events:
            self._last_seq += 1
            self._outbox[self._last_seq] = _OutboxRow(
                envelope.event_id, subject, envelope.model_dump_json()
            )
            self._event_ids.add(envelope.event_id)
        for mark in tx.marks:
            self._inbox[mark] = now

    async def get(self, collection: str, key: str) -> Doc | None:
        check_collection(collection)
        check_key(key)
        self.stats.queries += 1
        body = self._collections.get(collection, _EMPTY).bodies.get(key)
        return None if body is None else decode_doc(body)

    async def find(
        self,
        collection: str,
        where: Mapping[str, Any],
        *,
        limit: int | None = None,
        after_key: str | None = None,
    ) -> list[Doc]:
        check_collection(collection)
        items = check_where(where)
        check_limit(limit)
        self.stats.queries += 1
        stored = self._collections.get(collection, _EMPTY)
        start = 0 if after_key is None else bisect.bisect_right(stored.keys, after_key)
        rows = ((stored.docs[k], stored.bodies[k]) for k in stored.keys[start:])
        return _select(rows, items, limit)

    async def count(self, collection: str, where: Mapping[str, Any]) -> int:
        check_collection(collection)
        items = check_where(where)
        self.stats.queries += 1
        docs = self._collections.get(collection, _EMPTY).docs.values()
        return sum(1 for doc in docs if matches(doc, items))

    async def clear(self, collection: str) -> int:
        check_collection(collection)
        async with self._writer:  # not in the middle of a commit
            self.stats.queries += 1
            dropped = self._collections.pop(collection, None)
        return 0 if dropped is None else len(dropped.keys)

    async def fetch_unpublished(self, limit: int) -> list[OutboxRecord]:
        check_limit(limit)
        self.stats.queries += 1
        self.stats.outbox_polls += 1
        records: list[OutboxRecord] = []
        for seq, row in self._outbox.items():
            if len(records) >= limit:
                break
            if row.published_at is None:
                records.append(
                    OutboxRecord(seq, Envelope.model_validate_json(row.envelope), row.subject)
                )
        return records

    async def mark_published(self, seqs: Sequence[OutboxKey]) -> None:
        if not seqs:
            return
        self.stats.queries += 1
        now = datetime.now(UTC).isoformat()
        for seq in seqs:
            row = self._outbox.get(int(seq))
            if row is not None and row.published_at is None:
                row.published_at = now


_EMPTY = _Collection()


def _select(rows: Iterator[tuple[Doc, str]], where: WhereItems, limit: int | None) -> list[Doc]:
    found: list[Doc] = []
    if limit == 0:
        return found
    for doc, body in rows:
        if matches(doc, where):
            found.append(decode_doc(body))
            if limit is not None and len(found) >= limit:
                break
    return found


class _MemoryTransaction:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.state = TransactionState()
        # (collection, key) -> JSON body (None: deleted), and the same parsed.
        self.writes: dict[tuple[str, str], str | None] = {}
        self._parsed: dict[tuple[str, str], Doc | None] = {}
        self.events: list[tuple[Envelope, str]] = []
        self.marks: dict[tuple[str, str], None] = {}

    def _write(self, collection: str, key: str, body: str | None) -> None:
        self.writes[(collection, key)] = body
        self._parsed[(collection, key)] = None if body is None else decode_doc(body)

    def _current(self, collection: str, key: str) -> tuple[Doc, str] | None:
        """The document as this transaction sees it: its own write, else committed."""
        if (collection, key) in self.writes:
            body = self.writes[(collection, key)]
            doc = self._parsed[(collection, key)]
            return None if body is None or doc is None else (doc, body)
        stored = self._store._collections.get(collection, _EMPTY)
        body = stored.bodies.get(key)
        return None if body is None else (stored.docs[key], body)

    def _rows(self, collection: str) -> Iterator[tuple[Doc, str]]:
        stored = self._store._collections.get(collection, _EMPTY)
        mine = sorted(key for name, key in self.writes if name == collection)
        previous: str | None = None
        for key in heapq.merge(stored.keys, mine):
            if key == previous:
                continue
            previous = key
            current = self._current(collection, key)
            if current is not None:
                yield current

    def _check_unique(self, collection: str, key: str, doc: Doc) -> None:
        stored = self._store._collections.get(collection, _EMPTY)
        for fields in self._store._unique.get(collection, []):
            values = unique_values(doc, fields)
            if values is None:
                continue
            owner = stored.unique.get(fields, {}).get(values)
            clash = owner is not None and owner != key and (collection, owner) not in self.writes
            clash = clash or any(
                name == collection
                and other != key
                and parsed is not None
                and unique_values(parsed, fields) == values
                for (name, other), parsed in self._parsed.items()
            )
            if clash:
                raise DuplicateKey(f"unique index on {collection}{fields} already holds {values}")

    async def get(self, collection: str, key: str) -> Doc | None:
        check_collection(collection)
        check_key(key)
        with self.state.operation():
            self._store.stats.queries += 1
            current = self._current(collection, key)
            return None if current is None else decode_doc(current[1])

    async def find(
        self, collection: str, where: Mapping[str, Any], *, limit: int | None = None
    ) -> list[Doc]:
        check_collection(collection)
        items = check_where(where)
        check_limit(limit)
        with self.state.operation():
            self._store.stats.queries += 1
            return _select(self._rows(collection), items, limit)

    async def insert(self, collection: str, key: str, doc: Doc) -> None:
        check_collection(collection)
        check_key(key)
        body = encode_doc(doc)
        with self.state.operation():
            self._store.stats.queries += 1
            if self._current(collection, key) is not None:
                raise DuplicateKey(f"{collection}/{key} already exists")
            self._check_unique(collection, key, doc)
            self._write(collection, key, body)

    async def put(self, collection: str, key: str, doc: Doc) -> None:
        check_collection(collection)
        check_key(key)
        body = encode_doc(doc)
        with self.state.operation():
            self._store.stats.queries += 1
            self._check_unique(collection, key, doc)
            self._write(collection, key, body)

    async def put_many(self, collection: str, docs: Sequence[tuple[str, Doc]]) -> None:
        check_collection(collection)
        bodies = [(check_key(key), doc, encode_doc(doc)) for key, doc in docs]
        with self.state.operation():
            self._store.stats.queries += 1
            for key, doc, body in bodies:
                self._check_unique(collection, key, doc)
                self._write(collection, key, body)

    async def delete(self, collection: str, key: str) -> bool:
        check_collection(collection)
        check_key(key)
        with self.state.operation():
            self._store.stats.queries += 1
            existed = self._current(collection, key) is not None
            if existed:
                self._write(collection, key, None)
            return existed

    def publish(self, envelope: Envelope, subject: str) -> None:
        self.state.check()
        self.events.append((envelope, subject))

    async def already_processed(self, consumer: str, event_id: str) -> bool:
        with self.state.operation():
            if (consumer, event_id) in self.marks:
                return True
            self._store.stats.queries += 1
            return (consumer, event_id) in self._store._inbox

    def mark_processed(self, consumer: str, event_id: str) -> None:
        self.state.check()
        self.marks[(consumer, event_id)] = None
