"""The storage port every service uses: JSON documents, an outbox and an inbox, in one
transaction.

Why one generic document port instead of a repository per aggregate at this level: the
SQLite and MongoDB adapters then stay small, one contract suite proves both, and each
service builds its typed repositories on top of it (``service_layer``/``adapters``).

Documents are JSON-compatible dicts (str, int, bool, None, list, dict; dates and Decimals
as strings). Every document is addressed by (collection, key). ``where`` filters are
equality on top-level fields, or a ``Between`` range. Keys should be time-ordered ids
(``new_id()``) so that key order is creation order, which the cursors rely on.

Rules every adapter keeps alike (the contract suite in libs/kit/tests/storage proves them):
- ``where`` values are scalars (str, number, bool, None); None matches a missing or null
  field; a bool never equals a number; 1 equals 1.0.
- ``Between(low, high)`` matches a field from low through high, both included, of the
  bounds' kind only (two strings: a string, in code point order, as ISO days sort; two
  numbers: a number, never a bool); never a list or an object.
- A unique index does not constrain documents whose indexed field is missing or null.
- Any error raised by a transaction operation (e.g. DuplicateKey) aborts the transaction,
  as MongoDB does: ``atomic`` raises it even if ``fn`` caught it. To insert-if-absent,
  ``get`` first instead of catching DuplicateKey.
- ``mark_processed`` of an event already recorded makes the commit fail with DuplicateKey,
  so an effect cannot be applied twice even if a handler forgot ``already_processed``.
- ``atomic`` cannot be nested on the same store (RuntimeError): pass the transaction down.
- Collection names are letters, digits and ``_``; ``outbox`` and ``inbox`` are reserved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from leaveflow_contracts import Envelope

Doc = dict[str, Any]
T = TypeVar("T")


class StorageError(Exception):
    """Base of storage errors a caller may handle."""


class DuplicateKey(StorageError):
    """An insert hit an existing key, or a unique index."""


class TransientConflict(StorageError):
    """Two writers collided; `Store.atomic` retries the whole function on this."""


@dataclass(frozen=True)
class Between:
    """A ``where`` condition: the field from `low` through `high`, both included.

    Served by an index whose earlier fields the other conditions fix (a person's ledger
    entries of one leave year: (tenant_id, employee_id, effective_date)), so a query reads
    the range instead of every document of the prefix."""

    low: str | int | float
    high: str | int | float


@dataclass(frozen=True)
class IndexSpec:
    """A secondary index on top-level fields of one collection.

    `retired`: an index an earlier version asked for. A store drops it at start and never
    uses it; without the mark it would stay and cost every write (ADR 0014)."""

    collection: str
    fields: tuple[str, ...]
    unique: bool = False
    retired: bool = False


OutboxKey = int | str
"""An outbox row's key: SQLite's autoincrement, MongoDB's time-ordered id."""


@dataclass(frozen=True)
class OutboxRecord:
    seq: OutboxKey
    envelope: Envelope
    subject: str


@dataclass
class StoreStats:
    """Counters for /metrics and for the idle-cost test: every round trip to the store."""

    queries: int = 0
    transactions: int = 0
    outbox_polls: int = 0


class Transaction(Protocol):
    """One atomic unit of work. Writes become visible only when the transaction commits."""

    async def get(self, collection: str, key: str) -> Doc | None: ...

    async def find(
        self, collection: str, where: Mapping[str, Any], *, limit: int | None = None
    ) -> list[Doc]: ...

    async def insert(self, collection: str, key: str, doc: Doc) -> None:
        """Raises DuplicateKey if the key (or a unique index) exists."""

    async def put(self, collection: str, key: str, doc: Doc) -> None:
        """Insert or replace."""

    async def put_many(self, collection: str, docs: Sequence[tuple[str, Doc]]) -> None:
        """`put` of each (key, document) in order (a key given twice: the last wins), in
        one statement or round trip where the database has one: a year end writes a
        thousand carry-overs a batch, and per-document statements were most of its cost."""

    async def delete(self, collection: str, key: str) -> bool: ...

    def publish(self, envelope: Envelope, subject: str) -> None:
        """Queue an event in the outbox; written in the same commit as the state change."""

    async def already_processed(self, consumer: str, event_id: str) -> bool:
        """Inbox: whether this consumer already committed the effect of this event."""

    def mark_processed(self, consumer: str, event_id: str) -> None:
        """Inbox: record, in this same commit, that the event's effect is done."""


class Store(Protocol):
    """A service's own database."""

    stats: StoreStats
    # Set after a commit that wrote outbox rows; the relay waits on it instead of polling.
    outbox_signal: asyncio.Event

    async def start(self) -> None:
        """Connect and create tables/indexes (idempotent migrations)."""

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raises if the store is unreachable (used by /readyz)."""

    async def atomic(self, fn: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run fn inside one transaction and commit; retry on TransientConflict.

        fn may run more than once, so it must not have side effects outside `tx`.
        """

    async def get(self, collection: str, key: str) -> Doc | None: ...

    async def find(
        self,
        collection: str,
        where: Mapping[str, Any],
        *,
        limit: int | None = None,
        after_key: str | None = None,
    ) -> list[Doc]:
        """Documents matching `where` in key order, starting after `after_key`."""

    async def count(self, collection: str, where: Mapping[str, Any]) -> int: ...

    async def clear(self, collection: str) -> int:
        """Delete every document of `collection`, outside any transaction; how many went.

        Start-up maintenance only (a replica rebuilt from its producer's stream): a
        transaction running at the same time may still write into the collection."""

    async def fetch_unpublished(self, limit: int) -> list[OutboxRecord]:
        """Outbox rows not yet marked published, in commit order."""

    async def mark_published(self, seqs: Sequence[OutboxKey]) -> None: ...
