"""MongoDB adapter (PyMongo's AsyncMongoClient; Motor is deprecated).

A collection per port collection, documents stored as ``{"_id": key, **doc}``. Every
`atomic` is a multi-document transaction (snapshot reads, majority commit). Outbox rows
take their `seq` from a counter document incremented inside the same transaction: two
transactions that both publish collide on that document (a write conflict, retried), so
`seq` order is commit order and the relay never sees a gap that fills in later.

Unique indexes are partial (`$type` of a non-null value), so documents whose indexed
field is missing or null are not constrained, as in SQLite. Queries on such fields repeat
the `$type` condition, which is what lets MongoDB's planner pick a partial index.

A server without transactions (a standalone mongod) is detected at `start()`; the store
then runs `atomic` without a session and says so in the log: fine for a quick local try,
not for production (a failing `fn` keeps the writes it already made).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    BulkWriteError,
    ConfigurationError,
    DuplicateKeyError,
    OperationFailure,
    PyMongoError,
)
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from leaveflow_contracts import Envelope

from ..logging import get_logger
from ._common import (
    RetryPolicy,
    TransactionState,
    WhereItems,
    check_collection,
    check_index,
    check_key,
    check_limit,
    check_where,
    encode_doc,
    index_name,
    run_atomic,
)
from .port import (
    Doc,
    DuplicateKey,
    IndexSpec,
    OutboxRecord,
    StorageError,
    StoreStats,
    Transaction,
    TransientConflict,
)

T = TypeVar("T")
log = get_logger(__name__)

DEFAULT_DATABASE = "leaveflow"
OUTBOX = "outbox"
INBOX = "inbox"
COUNTERS = "_counters"
_OUTBOX_SEQ = "outbox_seq"
# BSON types a JSON value other than null can have; the partial filter of unique indexes.
_NON_NULL = ["string", "number", "bool", "object", "array"]
_DUPLICATE_KEY = 11000
_WRITE_CONFLICT = 112
_ILLEGAL_OPERATION = 20  # "Transaction numbers are only allowed on a replica set member"
_COMMIT_ATTEMPTS = 3

MongoDoc = dict[str, Any]


def _translate(exc: PyMongoError) -> Exception:
    if exc.has_error_label("TransientTransactionError"):
        return TransientConflict(str(exc))
    if isinstance(exc, DuplicateKeyError):
        return DuplicateKey(str(exc))
    if isinstance(exc, BulkWriteError):
        errors = exc.details.get("writeErrors") or [{}]
        if errors[0].get("code") == _DUPLICATE_KEY:
            return DuplicateKey(str(errors[0].get("errmsg", exc)))
        if errors[0].get("code") == _WRITE_CONFLICT:
            return TransientConflict(str(exc))
    if isinstance(exc, OperationFailure) and exc.code == _WRITE_CONFLICT:
        return TransientConflict(str(exc))
    return exc


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except PyMongoError as exc:
        translated = _translate(exc)
        if translated is exc:
            raise
        raise translated from exc


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _strip(doc: MongoDoc) -> Doc:
    doc.pop("_id", None)
    return doc


class MongoStore:
    def __init__(
        self,
        url: str,
        indexes: Sequence[IndexSpec] = (),
        *,
        retry: RetryPolicy | None = None,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.url = url
        self.stats = StoreStats()
        self.outbox_signal = asyncio.Event()
        self._indexes = tuple(check_index(spec) for spec in indexes)
        self._unique_fields: dict[str, set[str]] = {}
        for spec in self._indexes:
            if spec.unique:
                self._unique_fields.setdefault(spec.collection, set()).update(spec.fields)
        self.retry = retry or RetryPolicy()
        self._client_options = dict(client_options or {})
        self._client: AsyncMongoClient[MongoDoc] | None = None
        self._db: AsyncDatabase[MongoDoc] | None = None
        self.transactions = True

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        if self._client is not None:
            return
        client: AsyncMongoClient[MongoDoc] = AsyncMongoClient(
            self.url, appname="leaveflow", **self._client_options
        )
        try:
            db = client.get_default_database(default=DEFAULT_DATABASE)
            await self._command(db, "ping")
            for spec in self._indexes:
                options: dict[str, Any] = {"name": index_name(spec), "unique": spec.unique}
                if spec.unique:
                    options["partialFilterExpression"] = {
                        name: {"$type": _NON_NULL} for name in spec.fields
                    }
                await self._create_index(
                    db, spec.collection, [(f, 1) for f in spec.fields], options
                )
            await self._create_index(
                db, OUTBOX, [("event_id", 1)], {"name": "ux_event_id", "unique": True}
            )
            await self._create_index(
                db, OUTBOX, [("published", 1), ("_id", 1)], {"name": "ix_unpublished"}
            )
            self.transactions = await self._supports_transactions(client, db)
        except BaseException:
            await client.close()
            raise
        if not self.transactions:
            log.warning(
                "mongo_store_without_transactions",
                database=db.name,
                detail="the server does not support multi-document transactions (not a "
                "replica set?): atomic() runs without a session and is NOT atomic",
            )
        self._client, self._db = client, db

    async def _command(self, db: AsyncDatabase[MongoDoc], name: str) -> None:
        self.stats.queries += 1
        await db.command(name)

    async def _create_index(
        self,
        db: AsyncDatabase[MongoDoc],
        collection: str,
        keys: list[tuple[str, int]],
        options: dict[str, Any],
    ) -> None:
        self.stats.queries += 1
        await db[collection].create_index(keys, **options)

    async def _supports_transactions(
        self, client: AsyncMongoClient[MongoDoc], db: AsyncDatabase[MongoDoc]
    ) -> bool:
        """Probe with a real transaction that also creates the outbox counter."""
        try:
            async with (
                client.start_session() as session,
                await session.start_transaction(**_txn_options()),
            ):
                self.stats.queries += 2
                await db[COUNTERS].update_one(
                    {"_id": _OUTBOX_SEQ},
                    {"$setOnInsert": {"value": 0}},
                    upsert=True,
                    session=session,
                )
        except (ConfigurationError, OperationFailure) as exc:
            if isinstance(exc, OperationFailure) and (
                exc.has_error_label("TransientTransactionError")
                or exc.code in (_DUPLICATE_KEY, _WRITE_CONFLICT)
            ):
                return True  # another process initialised the counter: transactions work
            if (
                isinstance(exc, ConfigurationError)
                or exc.code == _ILLEGAL_OPERATION
                or "Transaction numbers are only allowed" in str(exc)
            ):
                return False
            raise
        return True

    async def close(self) -> None:
        client, self._client, self._db = self._client, None, None
        if client is not None:
            await client.close()

    def _database(self) -> AsyncDatabase[MongoDoc]:
        if self._db is None:
            raise StorageError("MongoStore is not started")
        return self._db

    async def ping(self) -> None:
        await self._command(self._database(), "ping")

    # -- transactions ------------------------------------------------------------------

    async def atomic(self, fn: Callable[[Transaction], Awaitable[T]]) -> T:
        return await run_atomic(self, self._attempt, fn, self.retry)

    async def _attempt(self, fn: Callable[[Transaction], Awaitable[T]]) -> T:
        db = self._database()
        assert self._client is not None
        if not self.transactions:
            tx = _MongoTransaction(self, db, None)
            try:
                result = await tx.state.run(fn, tx)
                await tx.flush()
            finally:
                tx.state.finished = True
        else:
            async with self._client.start_session() as session:
                # No round trip: startTransaction rides on the first operation.
                await session.start_transaction(**_txn_options())
                tx = _MongoTransaction(self, db, session)
                try:
                    result = await tx.state.run(fn, tx)
                    await tx.flush()
                    tx.state.finished = True
                    await self._commit(session)
                except BaseException:
                    tx.state.finished = True
                    if session.in_transaction:
                        if tx.round_trips:
                            self.stats.queries += 1
                        await session.abort_transaction()
                    raise
        self.stats.transactions += 1
        if tx.events:
            self.outbox_signal.set()
        return result

    async def _commit(self, session: AsyncClientSession) -> None:
        for attempt in range(1, _COMMIT_ATTEMPTS + 1):
            self.stats.queries += 1
            try:
                await session.commit_transaction()
                return
            except PyMongoError as exc:
                # The commit may or may not have happened: committing again is safe.
                if exc.has_error_label("UnknownTransactionCommitResult") and (
                    attempt < _COMMIT_ATTEMPTS
                ):
                    continue
                translated = _translate(exc)
                if translated is exc:
                    raise
                raise translated from exc

    # -- reads outside transactions ----------------------------------------------------

    def _filter(self, collection: str, where: WhereItems) -> MongoDoc:
        unique = self._unique_fields.get(collection, set())
        query: MongoDoc = {}
        for name, value in where:
            if value is not None and name in unique:
                query[name] = {"$eq": value, "$type": _NON_NULL}
            else:
                query[name] = value
        return query

    async def get(self, collection: str, key: str) -> Doc | None:
        check_collection(collection)
        check_key(key)
        self.stats.queries += 1
        with _translated():
            doc = await self._database()[collection].find_one({"_id": key})
        return None if doc is None else _strip(doc)

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
        if check_limit(limit) == 0:
            return []
        query = self._filter(collection, items)
        if after_key is not None:
            query["_id"] = {"$gt": after_key}
        self.stats.queries += 1
        with _translated():
            cursor = self._database()[collection].find(query, sort=[("_id", 1)], limit=limit or 0)
            return [_strip(doc) for doc in await cursor.to_list()]

    async def count(self, collection: str, where: Mapping[str, Any]) -> int:
        check_collection(collection)
        query = self._filter(collection, check_where(where))
        self.stats.queries += 1
        with _translated():
            return await self._database()[collection].count_documents(query)

    # -- outbox ------------------------------------------------------------------------

    async def fetch_unpublished(self, limit: int) -> list[OutboxRecord]:
        if check_limit(limit) == 0:
            return []
        self.stats.queries += 1
        self.stats.outbox_polls += 1
        with _translated():
            cursor = self._database()[OUTBOX].find(
                {"published": False}, sort=[("_id", 1)], limit=limit
            )
            rows = await cursor.to_list()
        return [
            OutboxRecord(
                seq=row["_id"],
                envelope=Envelope.model_validate(row["envelope"]),
                subject=row["subject"],
            )
            for row in rows
        ]

    async def mark_published(self, seqs: Sequence[int]) -> None:
        if not seqs:
            return
        self.stats.queries += 1
        with _translated():
            await self._database()[OUTBOX].update_many(
                {"_id": {"$in": [int(seq) for seq in seqs]}, "published": False},
                {"$set": {"published": True, "published_at": _now()}},
            )


def _txn_options() -> dict[str, Any]:
    return {"read_concern": ReadConcern("snapshot"), "write_concern": WriteConcern("majority")}


class _MongoTransaction:
    def __init__(
        self, store: MongoStore, db: AsyncDatabase[MongoDoc], session: AsyncClientSession | None
    ) -> None:
        self._store = store
        self._db = db
        self._session = session
        self.state = TransactionState()
        self.events: list[tuple[Envelope, str]] = []
        self.marks: dict[tuple[str, str], None] = {}
        self.round_trips = 0

    @contextmanager
    def _operation(self) -> Iterator[None]:
        with self.state.operation(), _translated():
            self.round_trips += 1
            self._store.stats.queries += 1
            yield

    async def flush(self) -> None:
        """Write the queued outbox and inbox rows, just before the commit."""
        if self.events:
            count = len(self.events)
            with self._operation():
                counter = await self._db[COUNTERS].find_one_and_update(
                    {"_id": _OUTBOX_SEQ},
                    {"$inc": {"value": count}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                    session=self._session,
                )
            if counter is None:  # pragma: no cover - upsert with AFTER always returns one
                raise StorageError("the outbox counter vanished")
            first = int(counter["value"]) - count + 1
            rows = [
                {
                    "_id": first + offset,
                    "event_id": envelope.event_id,
                    "subject": subject,
                    "envelope": envelope.model_dump(mode="json"),
                    "published": False,
                }
                for offset, (envelope, subject) in enumerate(self.events)
            ]
            with self._operation():
                await self._db[OUTBOX].insert_many(rows, session=self._session)
        if self.marks:
            now = _now()
            marks = [
                {
                    "_id": f"{consumer}:{event_id}",
                    "consumer": consumer,
                    "event_id": event_id,
                    "processed_at": now,
                }
                for consumer, event_id in self.marks
            ]
            with self._operation():
                await self._db[INBOX].insert_many(marks, session=self._session)

    async def get(self, collection: str, key: str) -> Doc | None:
        check_collection(collection)
        check_key(key)
        with self._operation():
            doc = await self._db[collection].find_one({"_id": key}, session=self._session)
        return None if doc is None else _strip(doc)

    async def find(
        self, collection: str, where: Mapping[str, Any], *, limit: int | None = None
    ) -> list[Doc]:
        check_collection(collection)
        items = check_where(where)
        if check_limit(limit) == 0:
            self.state.check()
            return []
        query = self._store._filter(collection, items)
        with self._operation():
            cursor = self._db[collection].find(
                query, sort=[("_id", 1)], limit=limit or 0, session=self._session
            )
            return [_strip(doc) for doc in await cursor.to_list()]

    async def insert(self, collection: str, key: str, doc: Doc) -> None:
        check_collection(collection)
        check_key(key)
        encode_doc(doc)
        with self._operation():
            await self._db[collection].insert_one({"_id": key, **doc}, session=self._session)

    async def put(self, collection: str, key: str, doc: Doc) -> None:
        check_collection(collection)
        check_key(key)
        encode_doc(doc)
        with self._operation():
            await self._db[collection].replace_one(
                {"_id": key}, {"_id": key, **doc}, upsert=True, session=self._session
            )

    async def delete(self, collection: str, key: str) -> bool:
        check_collection(collection)
        check_key(key)
        with self._operation():
            result = await self._db[collection].delete_one({"_id": key}, session=self._session)
        return result.deleted_count > 0

    def publish(self, envelope: Envelope, subject: str) -> None:
        self.state.check()
        self.events.append((envelope, subject))

    async def already_processed(self, consumer: str, event_id: str) -> bool:
        if (consumer, event_id) in self.marks:
            self.state.check()
            return True
        with self._operation():
            found = await self._db[INBOX].find_one(
                {"_id": f"{consumer}:{event_id}"}, projection={"_id": 1}, session=self._session
            )
        return found is not None

    def mark_processed(self, consumer: str, event_id: str) -> None:
        self.state.check()
        self.marks[(consumer, event_id)] = None
