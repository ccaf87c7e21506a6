"""MongoDB adapter (PyMongo's AsyncMongoClient; Motor is deprecated).

A collection per port collection, documents stored as ``{"_id": key, **doc}``. Every
`atomic` is a multi-document transaction (snapshot reads, majority commit).

The outbox: a per-partition sequence, no document every writer touches.
- Each outbox row has ``_id`` = a time-ordered id made at flush (``new_id()``), its
  partition ``p`` (``tenant:employee`` or ``tenant:request``, else the tenant: the ordering
  key of the consumers, coarsened) and ``n``, the partition's sequence number, taken in the
  same transaction from the partition's counter document ``_counters/outbox:<p>``.
- Two transactions that publish for the same partition both write its counter, so one of
  them hits a write conflict and is retried: within a partition, ``n`` order is commit
  order, and there are no gaps. Transactions of different partitions (other employees,
  other tenants, another replica) share no document and commit in parallel.
- The relay reads unpublished rows in ``_id`` order (roughly commit order across
  partitions). A scan that runs while rows commit can still miss a row of partition P
  whose successor it saw, and clocks of two hosts can disagree; so after the scan
  ``fetch_unpublished`` asks once more for every unpublished row of the batch's partitions.
  Any row it finds with a lower ``n`` than a batch row of its partition committed before
  that batch row, i.e. before the scan began, so this second read is sure to see it; it
  joins the batch, and each partition's rows are put back in ``n`` order. So the relay
  publishes each partition strictly in commit order and never skips a row: rows are
  found by ``published: false``, not by a cursor that could move past a late commit.
- The mongoeco stand-in (``buildInfo.gitVersion == "mongoeco"``) validates transactions
  globally: any two that overlap in time conflict at commit, whatever they touched, even
  in different databases. Against it the store runs one transaction at a time per process
  and retries longer; conflicts between processes remain, and are retried.
- Failed transactions leave their server session dirty (pymongo then discards it rather
  than pooling it): the mongoeco stand-in keeps a session that failed a commit unusable.

Unique indexes are partial (`$type` of a non-null value), so documents whose indexed
field is missing or null are not constrained, as in SQLite. Queries on such fields repeat
the `$type` condition, which is what lets MongoDB's planner pick a partial index.

A server without transactions (a standalone mongod) is detected at `start()`; the store
then runs `atomic` without a session and says so in the log: fine for a quick local try,
not for production (a failing `fn` keeps the writes it already made).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from pymongo import AsyncMongoClient, ReplaceOne, ReturnDocument, UpdateOne
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

from leaveflow_contracts import Envelope, new_id

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
    Between,
    Doc,
    DuplicateKey,
    IndexSpec,
    OutboxKey,
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
PROBE = "_probe"
# BSON types a JSON value other than null can have; the partial filter of unique indexes.
_NON_NULL = ["string", "number", "bool", "object", "array"]
_DUPLICATE_KEY = 11000
_WRITE_CONFLICT = 112
_ILLEGAL_OPERATION = 20  # "Transaction numbers are only allowed on a replica set member"
_COMMIT_ATTEMPTS = 3
_STANDIN_BUILD = "mongoeco"
# Other processes' transactions conflict with ours on the stand-in: retry longer, wider.
_STANDIN_RETRY = RetryPolicy(max_attempts=100, base_delay=0.005, max_delay=0.25)

MongoDoc = dict[str, Any]


def _translate(exc: PyMongoError) -> Exception:
    if exc.has_error_label("TransientTransactionError"):
        return TransientConflict(str(exc))
    # The mongoeco stand-in reports a commit-time conflict with neither label nor code.
    if isinstance(exc, OperationFailure) and exc.code is None and "Write conflict" in str(exc):
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


@contextmanager
def _racing(upserts: bool) -> Iterator[None]:
    """Two transactions creating the same counter: the loser sees a duplicate key, which
    there only means "someone else wrote it first" and is retried like a write conflict."""
    try:
        yield
    except DuplicateKey as exc:
        if not upserts:
            raise
        raise TransientConflict(str(exc)) from exc


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
        specs = [check_index(spec) for spec in indexes]
        self._indexes = tuple(spec for spec in specs if not spec.retired)
        self._retired = tuple(spec for spec in specs if spec.retired)
        self._unique_fields: dict[str, set[str]] = {}
        for spec in self._indexes:
            if spec.unique:
                self._unique_fields.setdefault(spec.collection, set()).update(spec.fields)
        self.retry = retry or RetryPolicy()
        self._client_options = dict(client_options or {})
        self._client: AsyncMongoClient[MongoDoc] | None = None
        self._db: AsyncDatabase[MongoDoc] | None = None
        self.transactions = True
        self.standin = False
        self._one_at_a_time: asyncio.Lock | None = None

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
            await self._drop_indexes(db, self._unwanted_indexes())
            for spec in self._indexes:
                keys = [(f, 1) for f in spec.fields]
                options: dict[str, Any] = {"name": index_name(spec), "unique": spec.unique}
                if spec.unique:
                    options["partialFilterExpression"] = {
                        name: {"$type": _NON_NULL} for name in spec.fields
                    }
                else:
                    # _id last, as SQLite's key (sqlite.py): a page is then a range of the
                    # index in _id order, not an in-memory sort of every match. A new name
                    # for the new shape; the old one is dropped (`_unwanted_indexes`).
                    keys.append(("_id", 1))
                    options["name"] = f"{index_name(spec)}___id"
                await self._create_index(db, spec.collection, keys, options)
            await self._create_index(
                db, OUTBOX, [("event_id", 1)], {"name": "ux_event_id", "unique": True}
            )
            await self._create_index(
                db, OUTBOX, [("published", 1), ("_id", 1)], {"name": "ix_unpublished"}
            )
            await self._create_index(
                db, OUTBOX, [("published", 1), ("p", 1), ("n", 1)], {"name": "ix_partition"}
            )
            self.transactions = await self._supports_transactions(client, db)
            self.stats.queries += 1
            build = await db.command("buildInfo")
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
        if build.get("gitVersion") == _STANDIN_BUILD:
            self.standin = True
            self._one_at_a_time = asyncio.Lock()
            self.retry = _STANDIN_RETRY
            log.warning(
                "mongo_store_on_standin",
                database=db.name,
                detail="the mongoeco stand-in is not a real MongoDB: it conflicts any two "
                "concurrent transactions, so this process runs one at a time",
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

    def _unwanted_indexes(self) -> dict[str, set[str]]:
        """By collection: each wanted index's old shape (before `_id` was added) and both
        shapes of each retired one."""
        unwanted: dict[str, set[str]] = {}
        for spec in self._indexes:
            if not spec.unique:
                unwanted.setdefault(spec.collection, set()).add(index_name(spec))
        for spec in self._retired:
            names = {index_name(spec), f"{index_name(spec)}___id"}
            unwanted.setdefault(spec.collection, set()).update(names)
        return unwanted

    async def _drop_indexes(
        self, db: AsyncDatabase[MongoDoc], unwanted: Mapping[str, set[str]]
    ) -> None:
        """Drop those present: one listing per collection."""
        for collection, names in unwanted.items():
            self.stats.queries += 1
            present = {index["name"] async for index in await db[collection].list_indexes()}
            for name in sorted(names & present):
                self.stats.queries += 1
                await db[collection].drop_index(name)

    async def _supports_transactions(
        self, client: AsyncMongoClient[MongoDoc], db: AsyncDatabase[MongoDoc]
    ) -> bool:
        """Probe with a real transaction (on a document of its own: replicas starting
        together may collide on it, which still proves transactions work)."""
        try:
            async with (
                client.start_session() as session,
                await session.start_transaction(**_txn_options()),
            ):
                self.stats.queries += 2
                await db[PROBE].update_one(
                    {"_id": "transactions"},
                    {"$setOnInsert": {"at": _now()}},
                    upsert=True,
                    session=session,
                )
        except (ConfigurationError, OperationFailure) as exc:
            if isinstance(exc, OperationFailure) and (
                isinstance(_translate(exc), TransientConflict)
                or exc.code in (_DUPLICATE_KEY, _WRITE_CONFLICT)
            ):
                return True  # another process probed at the same time: transactions work
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
        if self._one_at_a_time is None:
            return await self._attempt_now(fn)
        async with self._one_at_a_time:
            return await self._attempt_now(fn)

    async def _attempt_now(self, fn: Callable[[Transaction], Awaitable[T]]) -> T:
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
                    _discard_server_session(session)
                    if session.in_transaction:
                        if tx.round_trips:
                            self.stats.queries += 1
                        with contextlib.suppress(PyMongoError):
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
            if isinstance(value, Between):
                # $type: MongoDB matches an array by any of its elements, and orders values
                # of other types apart; the port matches only a value of the bounds' kind.
                kind = "string" if isinstance(value.low, str) else "number"
                query.setdefault("$and", []).append({name: {"$gte": value.low, "$lte": value.high}})
                query["$and"].append({name: {"$not": {"$type": "array"}}})
                query["$and"].append({name: {"$type": kind}})
            elif value is not None and name in unique:
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

    async def clear(self, collection: str) -> int:
        check_collection(collection)
        self.stats.queries += 1
        with _translated():
            result = await self._database()[collection].delete_many({})
        return int(result.deleted_count)

    # -- outbox ------------------------------------------------------------------------

    async def fetch_unpublished(self, limit: int) -> list[OutboxRecord]:
        if check_limit(limit) == 0:
            return []
        self.stats.queries += 1
        self.stats.outbox_polls += 1
        with _translated():
            outbox = self._database()[OUTBOX]
            rows = await outbox.find({"published": False}, sort=[("_id", 1)], limit=limit).to_list()
            partitions = sorted({row["p"] for row in rows if "p" in row})
            if partitions:
                # See the module docstring: a row of these partitions that the scan missed.
                self.stats.queries += 1
                seen = [row["_id"] for row in rows]
                later = await outbox.find(
                    {"published": False, "p": {"$in": partitions}, "_id": {"$nin": seen}}
                ).to_list()
                rows = _in_partition_order(rows, later)
        return [
            OutboxRecord(
                seq=row["_id"],
                envelope=Envelope.model_validate(row["envelope"]),
                subject=row["subject"],
            )
            for row in rows
        ]

    async def mark_published(self, seqs: Sequence[OutboxKey]) -> None:
        if not seqs:
            return
        self.stats.queries += 1
        with _translated():
            await self._database()[OUTBOX].update_many(
                {"_id": {"$in": list(seqs)}, "published": False},
                {"$set": {"published": True, "published_at": _now()}},
            )


def _in_partition_order(rows: list[MongoDoc], later: list[MongoDoc]) -> list[MongoDoc]:
    """`rows` (in _id order) plus those of `later` that must go before a row of their
    partition already in `rows`; each partition's rows in `n` order, in the slots its rows
    take in `_id` order."""
    highest: dict[str, int] = {}
    for row in rows:
        if "p" in row:
            highest[row["p"]] = max(highest.get(row["p"], -1), row["n"])
    missed = [row for row in later if row["n"] < highest.get(row["p"], -1)]
    merged = sorted([*rows, *missed], key=lambda row: row["_id"])
    by_partition: dict[str, list[MongoDoc]] = {}
    for row in merged:
        if "p" in row:
            by_partition.setdefault(row["p"], []).append(row)
    queues = {p: iter(sorted(group, key=lambda row: row["n"])) for p, group in by_partition.items()}
    return [next(queues[row["p"]]) if "p" in row else row for row in merged]


def _partition(envelope: Envelope) -> str:
    """The consumers' ordering key (`leaveflow_contracts.ordering_key`) within a tenant;
    events with neither an employee nor a request share their tenant's partition."""
    data = envelope.data
    return f"{envelope.tenant_id}:{data.get('employee_id') or data.get('request_id') or ''}"


def _discard_server_session(session: AsyncClientSession) -> None:
    """Keep pymongo from pooling the session's server session (lsid) for reuse: a
    transaction that failed may leave it unusable on the server (the stand-in does)."""
    server_session = getattr(session, "_server_session", None)
    if server_session is not None:
        server_session.mark_dirty()


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
    def _operation(self, *, racing_upserts: bool = False) -> Iterator[None]:
        with self.state.operation(), _racing(racing_upserts), _translated():
            self.round_trips += 1
            self._store.stats.queries += 1
            yield

    async def flush(self) -> None:
        """Write the queued outbox and inbox rows, just before the commit."""
        if self.events:
            counts: dict[str, int] = {}
            partitions = [_partition(envelope) for envelope, _ in self.events]
            for partition in partitions:
                counts[partition] = counts.get(partition, 0) + 1
            last = await self._advance_counters(counts)
            first = {p: last[p] - counts[p] + 1 for p in counts}
            rows = []
            for partition, (envelope, subject) in zip(partitions, self.events, strict=True):
                rows.append(
                    {
                        "_id": new_id(),
                        "p": partition,
                        "n": first[partition],
                        "event_id": envelope.event_id,
                        "subject": subject,
                        "envelope": envelope.model_dump(mode="json"),
                        "published": False,
                    }
                )
                first[partition] += 1
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

    async def _advance_counters(self, counts: Mapping[str, int]) -> dict[str, int]:
        """Add each partition's count to its counter; return the new values. One round trip
        for the usual single partition, two (read, then write) for several."""
        ids = {f"outbox:{p}": p for p in counts}
        if len(counts) == 1:
            ((partition, count),) = counts.items()
            with self._operation(racing_upserts=True):
                counter = await self._db[COUNTERS].find_one_and_update(
                    {"_id": f"outbox:{partition}"},
                    {"$inc": {"value": count}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                    session=self._session,
                )
            if counter is None:  # pragma: no cover - upsert with AFTER always returns one
                raise StorageError("the outbox counter vanished")
            return {partition: int(counter["value"])}
        with self._operation():
            found = (
                await self._db[COUNTERS]
                .find({"_id": {"$in": list(ids)}}, session=self._session)
                .to_list()
            )
        current = {ids[doc["_id"]]: int(doc["value"]) for doc in found}
        last = {p: current.get(p, 0) + count for p, count in counts.items()}
        # Setting what was read conflicts with any writer that committed since: retried.
        with self._operation(racing_upserts=True):
            await self._db[COUNTERS].bulk_write(
                [
                    UpdateOne({"_id": f"outbox:{p}"}, {"$set": {"value": value}}, upsert=True)
                    for p, value in last.items()
                ],
                ordered=False,
                session=self._session,
            )
        return last

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

    async def put_many(self, collection: str, docs: Sequence[tuple[str, Doc]]) -> None:
        check_collection(collection)
        replacements = []
        for key, doc in docs:
            check_key(key)
            encode_doc(doc)
            replacements.append(ReplaceOne({"_id": key}, {"_id": key, **doc}, upsert=True))
        if not replacements:
            self.state.check()
            return
        # Ordered: a key given twice ends as its last document, as with `put` one by one.
        with self._operation():
            await self._db[collection].bulk_write(replacements, ordered=True, session=self._session)

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
