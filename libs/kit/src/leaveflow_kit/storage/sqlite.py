"""SQLite adapter (WAL): the embedded default.

Three connections per process. The writer runs every transaction under an asyncio.Lock
with BEGIN IMMEDIATE, and the point reader answers `get`, and `find` and `count` that
finish within a millisecond: both are plain sqlite3 connections used on the event loop's
own thread. A read-only aiosqlite connection answers the outbox and the queries that take
longer (interrupted on the point reader, then run again there), on its thread, so a long
scan never stalls the loop more than that millisecond. WAL gives the readers the last
committed state, so they never see the half-done writes of a transaction in progress on
the writer, and never wait for it.

Why the writer is not on a thread (ADR 0013): a thread hop costs ~150 µs, and under load
far more, because its answer queues behind every other ready callback of the loop while
the transaction holds the one write lock; issue 19's profile found them the requests
process's main cost. A statement of a transaction (a key lookup, an indexed find, one row
written) takes microseconds, so running it inline is cheaper than any hop, and a
transaction holds the lock only for its own work. The two things that could block the
loop are handled: another process's lock (a replica on the same file) is waited for
asynchronously (busy_timeout is 0 on the loop's connections; BEGIN is retried after
SQLite's own back-off steps, for as long as busy_timeout allowed before), and a long
transaction yields to the loop every few hundred statements.

Documents live in one table keyed by (collection, key). Secondary indexes are partial
expression indexes (`WHERE collection = '...'` on `json_extract(body, '$.field')`), and
queries spell the collection and paths as literals so that SQLite can match them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import aiosqlite

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

# busy_timeout first: two replicas opening one new file at once both switch it to WAL and
# create the schema, and the second must wait for the first rather than fail "locked".
_PRAGMAS = """
PRAGMA busy_timeout=5000;
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
PRAGMA foreign_keys=ON;
"""

# A rowid table (ADR 0013): documents of 0.4-1 KB are far above the size where SQLite
# advises WITHOUT ROWID, and a write transaction of a submit cost about 40 % more there.
_DOCS_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (collection, key)
)"""

_SCHEMA = (
    _DOCS_TABLE.format(name="docs")
    + """;
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    envelope TEXT NOT NULL,
    published_at TEXT NULL
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
CREATE TABLE IF NOT EXISTS inbox (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    processed_at TEXT NOT NULL,
    PRIMARY KEY (consumer, event_id)
) WITHOUT ROWID;
"""
)

_GET = "SELECT body FROM docs WHERE collection = ? AND key = ?"
_CLEAR = "DELETE FROM docs WHERE collection = ?"
_INSERT = "INSERT INTO docs (collection, key, body) VALUES (?, ?, ?)"
_PUT = (
    "INSERT INTO docs (collection, key, body) VALUES (?, ?, ?) "
    "ON CONFLICT (collection, key) DO UPDATE SET body = excluded.body"
)
_DELETE = "DELETE FROM docs WHERE collection = ? AND key = ?"
_OUTBOX_INSERT = "INSERT INTO outbox (event_id, subject, envelope) VALUES (?, ?, ?)"
_OUTBOX_FETCH = (
    "SELECT seq, subject, envelope FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT ?"
)
_OUTBOX_MARK = (
    "UPDATE outbox SET published_at = ? "
    "WHERE published_at IS NULL AND seq IN (SELECT value FROM json_each(?))"
)
_INBOX_GET = "SELECT 1 FROM inbox WHERE consumer = ? AND event_id = ?"
_INBOX_INSERT = "INSERT INTO inbox (consumer, event_id, processed_at) VALUES (?, ?, ?)"


def _path_of(field: str) -> str:
    return f"json_extract(body, '$.{field}')"


def _type_of(field: str) -> str:
    return f"json_type(body, '$.{field}')"


def _sqlite_index_name(spec: IndexSpec) -> str:
    # A new name for the new shape (key last), so a file made before it gets the new index
    # and `_drop_old_indexes` removes the old one.
    return index_name(spec) if spec.unique else f"{index_name(spec)}__key"


def _index_ddl(spec: IndexSpec) -> str:
    columns = [_path_of(name) for name in spec.fields]
    # The key last: a page (equality on every field, `key > cursor ORDER BY key LIMIT n`)
    # is then a range of the index, read in order, instead of a sort of every match (the
    # 50,000-person tenant's employee pages: O(tenant) each, issue 19). Not for a unique
    # index, whose uniqueness is over its fields alone and which matches one document.
    if not spec.unique:
        columns.append("key")
    unique = "UNIQUE " if spec.unique else ""
    return (
        f'CREATE {unique}INDEX IF NOT EXISTS "{_sqlite_index_name(spec)}" '
        f"ON docs ({', '.join(columns)}) WHERE collection = '{spec.collection}'"
    )


def _drop_old_indexes(
    conn: sqlite3.Connection, wanted: Sequence[IndexSpec], retired: Sequence[IndexSpec]
) -> None:
    """Drop each wanted index's old shape (without the key, under the old name) and both
    shapes of each retired one: they cost every write. Only those: another process may
    open the file with other specs."""
    for spec in wanted:
        if not spec.unique:
            conn.execute(f'DROP INDEX IF EXISTS "{index_name(spec)}"')
    for spec in retired:
        for name in {index_name(spec), _sqlite_index_name(spec)}:
            conn.execute(f'DROP INDEX IF EXISTS "{name}"')


def _best_index(collection: str, where: WhereItems, indexes: Sequence[IndexSpec]) -> str | None:
    """The index that serves the most leading fields of `where` (None: no index does).

    Named in the query (INDEXED BY) because SQLite, without statistics, prefers the
    primary key's (collection, key) index, which spares it the ORDER BY key sort, to an
    expression index that finds the few matching documents: a scan of the collection.
    """
    names = {name for name, _ in where}
    best: tuple[int, int, str] | None = None
    for spec in indexes:
        if spec.collection != collection:
            continue
        served = 0
        for field_name in spec.fields:
            if field_name not in names:
                break
            served += 1
        if served and (best is None or (served, -len(spec.fields)) > best[:2]):
            best = (served, -len(spec.fields), _sqlite_index_name(spec))
    return None if best is None else best[2]


def _between_sql(path: str, kind: str, between: Between) -> str:
    if isinstance(between.low, str):
        # An array's or object's json_extract is its JSON text, which starts with [ or {
        # and so sorts after a bound that starts below "[": then the index answers alone.
        if str(between.high)[:1] < "[":
            return f"{path} BETWEEN ? AND ?"
        return f"{path} BETWEEN ? AND ? AND {kind} = 'text'"
    return f"{path} BETWEEN ? AND ? AND {kind} IN ('integer', 'real')"


def _select_sql(
    collection: str,
    where: WhereItems,
    *,
    count: bool,
    after_key: str | None,
    limit: int | None,
    indexes: Sequence[IndexSpec] = (),
) -> tuple[str, list[Any]]:
    # Names were checked against a strict alphabet, so inlining them is safe; it lets
    # SQLite match the partial expression indexes, which bound parameters would not.
    clauses = [f"collection = '{collection}'"]
    params: list[Any] = []
    if after_key is not None:
        clauses.append("key > ?")
        params.append(after_key)
    for name, value in where:
        path, kind = _path_of(name), _type_of(name)
        if isinstance(value, Between):
            clauses.append(_between_sql(path, kind, value))
            params += [value.low, value.high]
        elif value is None:
            clauses.append(f"{path} IS NULL")
        elif isinstance(value, bool):
            # json_extract turns true into 1: the type check keeps true apart from 1.
            clauses.append(f"{path} = ? AND {kind} = '{'true' if value else 'false'}'")
            params.append(int(value))
        elif isinstance(value, str) and value[:1] not in ("[", "{"):
            # json_extract gives text only for a JSON string, or for an array or object
            # (its JSON, which starts with [ or {): equal to this value, the field can only
            # be a string. Then the index's values answer alone, without json_type reading
            # and parsing each candidate's body (a third of an indexed find's time).
            clauses.append(f"{path} = ?")
            params.append(value)
        elif isinstance(value, str):
            clauses.append(f"{path} = ? AND {kind} = 'text'")
            params.append(value)
        else:
            clauses.append(f"{path} = ? AND {kind} IN ('integer', 'real')")
            params.append(value)
    index = _best_index(collection, where, indexes)
    source = f'docs INDEXED BY "{index}"' if index else "docs"
    sql = f"SELECT {'count(*)' if count else 'body'} FROM {source} WHERE {' AND '.join(clauses)}"
    if not count:
        sql += " ORDER BY key"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
    return sql, params


class _Translated:
    """sqlite3 errors a caller may handle, as the port's errors; others unchanged.

    A class, not a @contextmanager: it wraps every statement, and a generator-based
    context manager costs 0.8 µs a use against 0.15 µs (issue 19)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if isinstance(exc, sqlite3.IntegrityError):  # only UNIQUE/PRIMARY KEY constraints
            raise DuplicateKey(str(exc)) from exc
        if isinstance(exc, sqlite3.OperationalError) and (
            "locked" in str(exc) or "busy" in str(exc)
        ):
            raise TransientConflict(str(exc)) from exc


_translated = _Translated()


def _now() -> str:
    return datetime.now(UTC).isoformat()


# SQLite's own busy handler sleeps these steps (sqliteDefaultBusyCallback); the loop's
# connections wait the same way, but asynchronously, for as long as busy_timeout allowed.
_BUSY_STEPS = (0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.025, 0.025, 0.05, 0.05, 0.1)
_BUSY_PATIENCE = 5.0
# A transaction of many statements (an import) lets the loop run between its batches.
_YIELD_EVERY = 256
# A query outside a transaction first runs on the loop's point reader for at most this
# long (checked every _INLINE_STEPS virtual-machine steps), and only if it takes longer
# goes to the reader's thread: a person's ledger or a tenant's policies take 0.1-0.5 ms,
# less than the hop (issue 19: four hops were most of a balance query), while a scan of a
# tenant stalls the loop no longer than this before it moves.
_INLINE_SECONDS = 0.001
_INLINE_STEPS = 100


async def _when_not_busy(fn: Callable[[], T]) -> T:
    """`fn()` now, or once another process's lock on the file is gone (waiting async)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _BUSY_PATIENCE
    step = 0
    while True:
        try:
            with _translated:
                return fn()
        except TransientConflict:
            if loop.time() >= deadline:
                raise
        await asyncio.sleep(_BUSY_STEPS[min(step, len(_BUSY_STEPS) - 1)])
        step += 1


def _finish(
    conn: sqlite3.Connection,
    outbox: Sequence[Sequence[Any]],
    inbox: Sequence[Sequence[Any]],
) -> None:
    """A transaction's outbox rows, inbox marks and COMMIT."""
    if outbox:
        conn.executemany(_OUTBOX_INSERT, outbox)
    if inbox:
        conn.executemany(_INBOX_INSERT, inbox)
    conn.execute("COMMIT")


def _docs_as_a_rowid_table(conn: sqlite3.Connection) -> None:
    """Rebuild a first-wave file's WITHOUT ROWID `docs` table as a rowid table, once.

    In one transaction, so a crash leaves the old table whole, and a second replica
    starting at the same time finds the work done. The indexes go with the old table and
    are made again by the schema script that follows.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'docs'"
        ).fetchone()
        if row is not None and "WITHOUT ROWID" in str(row[0]).upper():
            conn.execute(_DOCS_TABLE.format(name="docs_rowid"))
            conn.execute(
                "INSERT INTO docs_rowid (collection, key, body) "
                "SELECT collection, key, body FROM docs"
            )
            conn.execute("DROP TABLE docs")
            conn.execute("ALTER TABLE docs_rowid RENAME TO docs")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _open_writer(
    path: Path, schema: str, indexes: Sequence[IndexSpec], retired: Sequence[IndexSpec]
) -> sqlite3.Connection:
    conn = _connect(path, _PRAGMAS)
    try:
        _docs_as_a_rowid_table(conn)
        conn.executescript(schema)
        _drop_old_indexes(conn, indexes, retired)
    except BaseException:
        conn.close()
        raise
    return conn


def _connect(path: Path, script: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.executescript(script)
    except BaseException:
        conn.close()
        raise
    return conn


class SqliteStore:
    def __init__(
        self,
        path: str | Path,
        indexes: Sequence[IndexSpec] = (),
        *,
        retry: RetryPolicy | None = None,
    ) -> None:
        if str(path) in ("", ":memory:"):
            raise ValueError("SqliteStore needs a file (use memory:// for an in-process store)")
        self.path = Path(path)
        self.stats = StoreStats()
        self.outbox_signal = asyncio.Event()
        specs = [check_index(spec) for spec in indexes]
        self._indexes = tuple(spec for spec in specs if not spec.retired)
        self._retired = tuple(spec for spec in specs if spec.retired)
        self.retry = retry or RetryPolicy()
        self._writer: sqlite3.Connection | None = None
        self._point_reader: sqlite3.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        if self._writer is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Start-up may wait on busy_timeout: another replica creating the same schema.
        schema = _SCHEMA + "".join(f"{_index_ddl(s)};\n" for s in self._indexes)
        writer = await asyncio.to_thread(
            _open_writer, self.path, schema, self._indexes, self._retired
        )
        read_only = "PRAGMA foreign_keys=ON; PRAGMA query_only=ON;"
        try:
            writer.execute("PRAGMA busy_timeout=0")
            point_reader = _connect(self.path, "PRAGMA busy_timeout=0; " + read_only)
        except BaseException:
            writer.close()
            raise
        try:
            reader = await aiosqlite.connect(self.path, isolation_level=None)
            try:
                await reader.executescript("PRAGMA busy_timeout=5000; " + read_only)
            except BaseException:
                await reader.close()
                raise
        except BaseException:
            point_reader.close()
            writer.close()
            raise
        self.stats.queries += 3
        self._writer, self._point_reader, self._reader = writer, point_reader, reader

    async def close(self) -> None:
        writer, point_reader, reader = self._writer, self._point_reader, self._reader
        self._writer = self._point_reader = self._reader = None
        async with self._write_lock:
            if reader is not None:
                await reader.close()
            if point_reader is not None:
                point_reader.close()
            if writer is not None:
                writer.close()

    def _read_connection(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise StorageError("SqliteStore is not started")
        return self._reader

    def _write_connection(self) -> sqlite3.Connection:
        if self._writer is None:
            raise StorageError("SqliteStore is not started")
        return self._writer

    async def _fetch(
        self, conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
    ) -> Iterable[sqlite3.Row]:
        self.stats.queries += 1
        with _translated:
            return await conn.execute_fetchall(sql, params)

    async def _query(self, sql: str, params: Sequence[Any]) -> Iterable[sqlite3.Row]:
        """A read outside any transaction: inline if it is quick, else on the thread."""
        rows = self._quick_read(sql, params)
        if rows is None:
            return await self._fetch(self._read_connection(), sql, params)
        return rows

    def _quick_read(self, sql: str, params: Sequence[Any]) -> list[Any] | None:
        """The rows of `sql` read on the point reader, or None if that took longer than
        _INLINE_SECONDS (interrupted: a read-only statement leaves nothing behind) or met
        another process's lock, for the thread to read them."""
        conn = self._point_reader
        if conn is None:
            raise StorageError("SqliteStore is not started")
        deadline = time.perf_counter() + _INLINE_SECONDS

        def too_long() -> bool:
            return time.perf_counter() > deadline

        self.stats.queries += 1
        conn.set_progress_handler(too_long, _INLINE_STEPS)
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            message = str(exc)
            if "interrupted" in message or "locked" in message or "busy" in message:
                return None
            raise
        finally:
            conn.set_progress_handler(None, 0)

    def _run(
        self, conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()
    ) -> sqlite3.Cursor:
        """One statement on a loop-thread connection."""
        self.stats.queries += 1
        with _translated:
            return conn.execute(sql, params)

    def _rollback(self, conn: sqlite3.Connection) -> None:
        # The original error matters more than a failed rollback; the next transaction
        # rolls back whatever is still open.
        with contextlib.suppress(sqlite3.Error, StorageError):
            self._run(conn, "ROLLBACK")

    async def _begin(self, conn: sqlite3.Connection) -> None:
        self.stats.queries += 1
        await _when_not_busy(functools.partial(conn.execute, "BEGIN IMMEDIATE"))

    async def ping(self) -> None:
        await self._fetch(self._read_connection(), "SELECT 1")

    # -- transactions ------------------------------------------------------------------

    async def atomic(self, fn: Callable[[Transaction], Awaitable[T]]) -> T:
        return await run_atomic(self, self._attempt, fn, self.retry)

    async def _attempt(self, fn: Callable[[Transaction], Awaitable[T]]) -> T:
        async with self._write_lock:
            conn = self._write_connection()
            if conn.in_transaction:  # left open by a failed rollback
                self._rollback(conn)
            tx = _SqliteTransaction(self, conn)
            try:
                result = await tx.state.run(fn, tx)
                tx.state.finished = True
                if tx.begun or tx.events or tx.marks:
                    if not tx.begun:
                        await self._begin(conn)
                    now = _now()
                    self.stats.queries += 1
                    with _translated:
                        _finish(conn, tx.outbox_rows(), [(c, e, now) for c, e in tx.marks])
            except BaseException:
                tx.state.finished = True
                if conn.in_transaction:
                    self._rollback(conn)
                raise
        self.stats.transactions += 1
        if tx.events:
            self.outbox_signal.set()
        return result

    # -- reads outside transactions ----------------------------------------------------

    async def get(self, collection: str, key: str) -> Doc | None:
        check_collection(collection)
        check_key(key)
        if self._point_reader is None:
            raise StorageError("SqliteStore is not started")
        cursor = await _when_not_busy(
            functools.partial(self._run, self._point_reader, _GET, (collection, key))
        )
        row = cursor.fetchone()
        return decode_doc(row[0]) if row else None

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
        sql, params = _select_sql(
            collection, items, count=False, after_key=after_key, limit=limit, indexes=self._indexes
        )
        return [decode_doc(row[0]) for row in await self._query(sql, params)]

    async def count(self, collection: str, where: Mapping[str, Any]) -> int:
        check_collection(collection)
        items = check_where(where)
        sql, params = _select_sql(
            collection, items, count=True, after_key=None, limit=None, indexes=self._indexes
        )
        rows = list(await self._query(sql, params))
        return int(rows[0][0])

    async def clear(self, collection: str) -> int:
        check_collection(collection)
        async with self._write_lock:
            conn = self._write_connection()
            cursor = await _when_not_busy(functools.partial(self._run, conn, _CLEAR, (collection,)))
            return cursor.rowcount

    # -- outbox ------------------------------------------------------------------------

    async def fetch_unpublished(self, limit: int) -> list[OutboxRecord]:
        check_limit(limit)
        self.stats.outbox_polls += 1
        rows = await self._fetch(self._read_connection(), _OUTBOX_FETCH, (limit,))
        return [
            OutboxRecord(seq=seq, envelope=Envelope.model_validate_json(body), subject=subject)
            for seq, subject, body in rows
        ]

    async def mark_published(self, seqs: Sequence[OutboxKey]) -> None:
        if not seqs:
            return
        payload = "[" + ",".join(str(int(seq)) for seq in seqs) + "]"
        async with self._write_lock:
            conn = self._write_connection()
            # Outside BEGIN, one statement is its own transaction.
            await _when_not_busy(
                functools.partial(self._run, conn, _OUTBOX_MARK, (_now(), payload))
            )


class _SqliteTransaction:
    def __init__(self, store: SqliteStore, conn: sqlite3.Connection) -> None:
        self._store = store
        self._conn = conn
        self.state = TransactionState()
        self.events: list[tuple[Envelope, str]] = []
        self.marks: dict[tuple[str, str], None] = {}
        self.begun = False  # BEGIN IMMEDIATE sent (before the first statement)
        self._statements = 0

    async def _statement(self, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        """One statement of the transaction; the first begins it."""
        if not self.begun:
            await self._store._begin(self._conn)
            self.begun = True
        self._statements += 1
        if self._statements % _YIELD_EVERY == 0:
            await asyncio.sleep(0)
        return self._store._run(self._conn, sql, params)

    async def _statement_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement run for each of `rows` (executemany), in chunks between which the
        loop runs, as it does between `_statement`s."""
        if not self.begun:
            await self._store._begin(self._conn)
            self.begun = True
        for first in range(0, len(rows), _YIELD_EVERY):
            if first:
                await asyncio.sleep(0)
            self._store.stats.queries += 1
            with _translated:
                self._conn.executemany(sql, rows[first : first + _YIELD_EVERY])

    def outbox_rows(self) -> list[tuple[str, str, str]]:
        return [
            (envelope.event_id, subject, envelope.model_dump_json())
            for envelope, subject in self.events
        ]

    async def get(self, collection: str, key: str) -> Doc | None:
        check_collection(collection)
        check_key(key)
        with self.state.operation():
            row = (await self._statement(_GET, (collection, key))).fetchone()
            return decode_doc(row[0]) if row else None

    async def find(
        self, collection: str, where: Mapping[str, Any], *, limit: int | None = None
    ) -> list[Doc]:
        check_collection(collection)
        items = check_where(where)
        if check_limit(limit) == 0:
            self.state.check()
            return []
        sql, params = _select_sql(
            collection,
            items,
            count=False,
            after_key=None,
            limit=limit,
            indexes=self._store._indexes,
        )
        with self.state.operation():
            rows = (await self._statement(sql, params)).fetchall()
            return [decode_doc(row[0]) for row in rows]

    async def insert(self, collection: str, key: str, doc: Doc) -> None:
        check_collection(collection)
        check_key(key)
        body = encode_doc(doc)
        with self.state.operation():
            await self._statement(_INSERT, (collection, key, body))

    async def put(self, collection: str, key: str, doc: Doc) -> None:
        check_collection(collection)
        check_key(key)
        body = encode_doc(doc)
        with self.state.operation():
            await self._statement(_PUT, (collection, key, body))

    async def put_many(self, collection: str, docs: Sequence[tuple[str, Doc]]) -> None:
        check_collection(collection)
        rows = [(collection, check_key(key), encode_doc(doc)) for key, doc in docs]
        with self.state.operation():
            if rows:
                await self._statement_many(_PUT, rows)

    async def delete(self, collection: str, key: str) -> bool:
        check_collection(collection)
        check_key(key)
        with self.state.operation():
            return (await self._statement(_DELETE, (collection, key))).rowcount > 0

    def publish(self, envelope: Envelope, subject: str) -> None:
        self.state.check()
        self.events.append((envelope, subject))

    async def already_processed(self, consumer: str, event_id: str) -> bool:
        with self.state.operation():
            if (consumer, event_id) in self.marks:
                return True
            return (await self._statement(_INBOX_GET, (consumer, event_id))).fetchone() is not None

    def mark_processed(self, consumer: str, event_id: str) -> None:
        self.state.check()
        self.marks[(consumer, event_id)] = None
