"""In-process store for fast service-layer tests, with the semantics of the real ones.

Transactions are serialised (like SQLite's single writer) and buffer their writes; a
commit checks everything first and then applies it all, so a failing `atomic` leaves no
trace. Documents are kept as JSON text: what comes back is always a fresh copy, and what
is not JSON is refused exactly as the real stores refuse it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
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
from .port import Doc, DuplicateKey, IndexSpec, OutboxRecord, StoreStats, Transaction

T = TypeVar("T")


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
        self._unique: dict[str, list[tuple[str, ...]]] = {}
        for spec in indexes:
            check_index(spec)
            if spec.unique:
                self._unique.setdefault(spec.collection, []).append(spec.fields)
        self._docs: dict[str, dict[str, str]] = {}
        self._outbox: dict[int, _OutboxRow] = {}
        self._event_ids: set[str] = set()
        self._last_seq = 0
        self._inbox: dict[tuple[str, str], str] = {}
        self._writer = asyncio.Lock()

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
        for (collection, key), body in tx.writes.items():
            docs = self._docs.setdefault(collection, {})
            if body is None:
                docs.pop(key, None)
            else:
                docs[key] = body
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
        body = self._docs.get(collection, {}).get(key)
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
        return _select(self._docs.get(collection, {}), items, limit, after_key)

    async def count(self, collection: str, where: Mapping[str, Any]) -> int:
        check_collection(collection)
        items = check_where(where)
        self.stats.queries += 1
        return len(_select(self._docs.get(collection, {}), items, None, None))

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

    async def mark_published(self, seqs: Sequence[int]) -> None:
        if not seqs:
            return
        self.stats.queries += 1
        now = datetime.now(UTC).isoformat()
        for seq in seqs:
            row = self._outbox.get(seq)
            if row is not None and row.published_at is None:
                row.published_at = now


def _select(
    docs: Mapping[str, str], where: WhereItems, limit: int | None, after_key: str | None
) -> list[Doc]:
    found: list[Doc] = []
    if limit == 0:
        return found
    for key in sorted(docs):
        if after_key is not None and key <= after_key:
            continue
        doc = decode_doc(docs[key])
        if matches(doc, where):
            found.append(doc)
            if limit is not None and len(found) >= limit:
                break
    return found


class _MemoryTransaction:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.state = TransactionState()
        # (collection, key) -> JSON body, or None for a deletion.
        self.writes: dict[tuple[str, str], str | None] = {}
        self.events: list[tuple[Envelope, str]] = []
        self.marks: dict[tuple[str, str], None] = {}

    def _view(self, collection: str) -> dict[str, str]:
        """The collection as this transaction sees it: committed state plus own writes."""
        view = dict(self._store._docs.get(collection, {}))
        for (name, key), body in self.writes.items():
            if name != collection:
                continue
            if body is None:
                view.pop(key, None)
            else:
                view[key] = body
        return view

    def _current(self, collection: str, key: str) -> str | None:
        if (collection, key) in self.writes:
            return self.writes[(collection, key)]
        return self._store._docs.get(collection, {}).get(key)

    def _check_unique(self, collection: str, key: str, doc: Doc) -> None:
        specs = self._store._unique.get(collection)
        if not specs:
            return
        view = self._view(collection)
        view.pop(key, None)
        others = [decode_doc(body) for body in view.values()]
        for fields in specs:
            mine = unique_values(doc, fields)
            if mine is None:
                continue
            if any(unique_values(other, fields) == mine for other in others):
                raise DuplicateKey(f"unique index on {collection}{fields} already holds {mine}")

    async def get(self, collection: str, key: str) -> Doc | None:
        check_collection(collection)
        check_key(key)
        with self.state.operation():
            self._store.stats.queries += 1
            body = self._current(collection, key)
            return None if body is None else decode_doc(body)

    async def find(
        self, collection: str, where: Mapping[str, Any], *, limit: int | None = None
    ) -> list[Doc]:
        check_collection(collection)
        items = check_where(where)
        check_limit(limit)
        with self.state.operation():
            self._store.stats.queries += 1
            return _select(self._view(collection), items, limit, None)

    async def insert(self, collection: str, key: str, doc: Doc) -> None:
        check_collection(collection)
        check_key(key)
        body = encode_doc(doc)
        with self.state.operation():
            self._store.stats.queries += 1
            if self._current(collection, key) is not None:
                raise DuplicateKey(f"{collection}/{key} already exists")
            self._check_unique(collection, key, doc)
            self.writes[(collection, key)] = body

    async def put(self, collection: str, key: str, doc: Doc) -> None:
        check_collection(collection)
        check_key(key)
        body = encode_doc(doc)
        with self.state.operation():
            self._store.stats.queries += 1
            self._check_unique(collection, key, doc)
            self.writes[(collection, key)] = body

    async def delete(self, collection: str, key: str) -> bool:
        check_collection(collection)
        check_key(key)
        with self.state.operation():
            self._store.stats.queries += 1
            existed = self._current(collection, key) is not None
            if existed:
                self.writes[(collection, key)] = None
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
