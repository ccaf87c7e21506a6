"""SQLite adapter (aiosqlite, WAL): the embedded default.

Two connections per process: the single writer, which runs every transaction under an
asyncio.Lock with BEGIN IMMEDIATE (so other processes on the same file queue on
busy_timeout instead of failing mid-transaction), and a read-only connection for reads
outside transactions. WAL gives that reader the last committed state, so it never sees
the half-done writes of a transaction in progress on the writer, and never waits for it.

Each awaited call is a thread hop (~150 µs; issue 19's profile found them the requests
process's main cost), so a transaction costs one hop per statement of its own and one more
for the end: BEGIN IMMEDIATE goes with its first statement, and the outbox rows, inbox
marks and COMMIT go together in the last (a function run on aiosqlite's thread, where the
sqlite3 connection lives). The statements and their order are what they always were.

Documents live in one table keyed by (collection, key). Secondary indexes are partial
expression indexes (`WHERE collection = '...'` on `json_extract(body, '$.field')`), and
queries spell the collection and paths as literals so that SQLite can match them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
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

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (collection, key)
) WITHOUT ROWID;
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


def _index_ddl(spec: IndexSpec) -> str:
    columns = ", ".join(_path_of(name) for name in spec.fields)
    unique = "UNIQUE " if spec.unique else ""
    return (
        f'CREATE {unique}INDEX IF NOT EXISTS "{index_name(spec)}" '
        f"ON docs ({columns}) WHERE collection = '{spec.collection}'"
    )


def _select_sql(
    collection: str, where: WhereItems, *, count: bool, after_key: str | None, limit: int | None
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
        if value is None:
            clauses.append(f"{path} IS NULL")
        elif isinstance(value, bool):
            # json_extract turns true into 1: the type check keeps true apart from 1.
            clauses.append(f"{path} = ? AND {kind} = '{'true' if value else 'false'}'")
            params.append(int(value))
        elif isinstance(value, str):
            clauses.append(f"{path} = ? AND {kind} = 'text'")
            params.append(value)
        else:
            clauses.append(f"{path} = ? AND {kind} IN ('integer', 'real')")
            params.append(value)
    sql = f"SELECT {'count(*)' if count else 'body'} FROM docs WHERE {' AND '.join(clauses)}"
    if not count:
        sql += " ORDER BY key"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
    return sql, params


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    """sqlite3 errors a caller may handle, as the port's errors; others unchanged."""
    try:
        yield
    except sqlite3.IntegrityError as exc:  # only UNIQUE/PRIMARY KEY constraints exist
        raise DuplicateKey(str(exc)) from exc
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise TransientConflict(str(exc)) from exc
        raise


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _begin_then(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> tuple[list[Any], int]:
    """BEGIN IMMEDIATE and a transaction's first statement, in one hop (store thread)."""
    conn.execute("BEGIN IMMEDIATE")
    cursor = conn.execute(sql, params)
    return cursor.fetchall(), cursor.rowcount


def _finish(
    conn: sqlite3.Connection,
    begin: bool,
    outbox: Sequence[Sequence[Any]],
    inbox: Sequence[Sequence[Any]],
) -> None:
    """A transaction's outbox rows, inbox marks and COMMIT, in one hop (store thread)."""
    if begin:
        conn.execute("BEGIN IMMEDIATE")
    if outbox:
        conn.executemany(_OUTBOX_INSERT, outbox)
    if inbox:
        conn.executemany(_INBOX_INSERT, inbox)
    conn.execute("COMMIT")


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
        self._indexes = tuple(check_index(spec) for spec in indexes)
        self.retry = retry or RetryPolicy()
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        if self._writer is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            script = _PRAGMAS + _SCHEMA + "".join(f"{_index_ddl(s)};\n" for s in self._indexes)
            await writer.executescript(script)
            self.stats.queries += 1
            reader = await aiosqlite.connect(self.path, isolation_level=None)
        except BaseException:
            await writer.close()
            raise
        try:
            await reader.executescript(
                "PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON; PRAGMA query_only=ON;"
            )
            self.stats.queries += 1
        except BaseException:
            await reader.close()
            await writer.close()
            raise
        self._writer, self._reader = writer, reader

    async def close(self) -> None:
        writer, reader = self._writer, self._reader
        self._writer = self._reader = None
        async with self._write_lock:
            if reader is not None:
                await reader.close()
            if writer is not None:
                await writer.close()

    def _read_connection(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise StorageError("SqliteStore is not started")
        return self._reader

    async def _fetch(
        self, conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
    ) -> Iterable[sqlite3.Row]:
        self.stats.queries += 1
        with _translated():
            return await conn.execute_fetchall(sql, params)

    async def _execute(
        self, conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()
    ) -> int:
        self.stats.queries += 1
        with _translated():
            cursor = await conn.execute(sql, params)
        return cursor.rowcount

    async def _execute_many(
        self, conn: aiosqlite.Connection, sql: str, rows: Iterable[Sequence[Any]]
    ) -> None:
        self.stats.queries += 1
        with _translated():
            await conn.executemany(sql, rows)

    async def _on_thread(self, conn: aiosqlite.Connection, fn: Callable[[], T]) -> T:
        """`fn` on the connection's own thread: several statements for one hop.

        aiosqlite runs every call of a connection on one thread through `_execute`; the
        sqlite3 connection is only ever touched there, as aiosqlite's own calls do.
        """
        self.stats.queries += 1
        run: Callable[[Callable[[], T]], Awaitable[T]] = conn._execute
        with _translated():
            return await run(fn)

    async def ping(self) -> None:
        await self._fetch(self._read_connection(), "SELECT 1")

    # -- transactions ------------------------------------------------------------------

    async def atomic(self, fn: Callable[[Transaction], Awaitable[T]]) -> T:
        return await run_atomic(self, self._attempt, fn, self.retry)

    async def _attempt(self, fn: Callable[[Transaction], Awaitable[T]]) -> T:
        async with self._write_lock:
            conn = self._writer
            if conn is None:
                raise StorageError("SqliteStore is not started")
            if conn.in_transaction:  # left open by a rollback that was cancelled
                with contextlib.suppress(sqlite3.Error, StorageError):
                    await self._execute(conn, "ROLLBACK")
            tx = _SqliteTransaction(self, conn)
            try:
                result = await tx.state.run(fn, tx)
                tx.state.finished = True
                if tx.begun or tx.events or tx.marks:
                    now = _now()
                    finish = functools.partial(
                        _finish,
                        conn._conn,
                        not tx.begun,
                        tx.outbox_rows(),
                        [(c, e, now) for c, e in tx.marks],
                    )
                    await self._on_thread(conn, finish)
            except BaseException:
                tx.state.finished = True
                if conn.in_transaction:
                    # The original error matters more than a failed rollback; the next
                    # transaction rolls back whatever is still open.
                    with contextlib.suppress(sqlite3.Error, StorageError):
                        await self._execute(conn, "ROLLBACK")
                raise
        self.stats.transactions += 1
        if tx.events:
            self.outbox_signal.set()
        return result

    # -- reads outside transactions ----------------------------------------------------

    async def get(self, collection: str, key: str) -> Doc | None:
        check_collection(collection)
        check_key(key)
        rows = list(await self._fetch(self._read_connection(), _GET, (collection, key)))
        return decode_doc(rows[0][0]) if rows else None

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
        sql, params = _select_sql(collection, items, count=False, after_key=after_key, limit=limit)
        return [
            decode_doc(row[0]) for row in await self._fetch(self._read_connection(), sql, params)
        ]

    async def count(self, collection: str, where: Mapping[str, Any]) -> int:
        check_collection(collection)
        items = check_where(where)
        sql, params = _select_sql(collection, items, count=True, after_key=None, limit=None)
        rows = list(await self._fetch(self._read_connection(), sql, params))
        return int(rows[0][0])

    async def clear(self, collection: str) -> int:
        check_collection(collection)
        async with self._write_lock:
            conn = self._writer
            if conn is None:
                raise StorageError("SqliteStore is not started")
            return await self._execute(conn, _CLEAR, (collection,))

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
            conn = self._writer
            if conn is None:
                raise StorageError("SqliteStore is not started")
            # Outside BEGIN, one statement is its own transaction: one round trip.
            await self._execute(conn, _OUTBOX_MARK, (_now(), payload))


class _SqliteTransaction:
    def __init__(self, store: SqliteStore, conn: aiosqlite.Connection) -> None:
        self._store = store
        self._conn = conn
        self.state = TransactionState()
        self.events: list[tuple[Envelope, str]] = []
        self.marks: dict[tuple[str, str], None] = {}
        self.begun = False  # BEGIN IMMEDIATE sent (with the first statement)

    async def _statement(self, sql: str, params: Sequence[Any]) -> tuple[list[Any], int]:
        """Rows and rowcount of one statement; the first also begins the transaction."""
        if self.begun:
            cursor_rows = await self._store._fetch(self._conn, sql, params)
            return list(cursor_rows), -1
        outcome = await self._store._on_thread(
            self._conn, functools.partial(_begin_then, self._conn._conn, sql, params)
        )
        self.begun = True
        return outcome

    async def _write(self, sql: str, params: Sequence[Any]) -> int:
        if self.begun:
            return await self._store._execute(self._conn, sql, params)
        _, rowcount = await self._statement(sql, params)
        return rowcount

    def outbox_rows(self) -> list[tuple[str, str, str]]:
        return [
            (envelope.event_id, subject, envelope.model_dump_json())
            for envelope, subject in self.events
        ]

    async def get(self, collection: str, key: str) -> Doc | None:
        check_collection(collection)
        check_key(key)
        with self.state.operation():
            rows, _ = await self._statement(_GET, (collection, key))
            return decode_doc(rows[0][0]) if rows else None

    async def find(
        self, collection: str, where: Mapping[str, Any], *, limit: int | None = None
    ) -> list[Doc]:
        check_collection(collection)
        items = check_where(where)
        if check_limit(limit) == 0:
            self.state.check()
            return []
        sql, params = _select_sql(collection, items, count=False, after_key=None, limit=limit)
        with self.state.operation():
            rows, _ = await self._statement(sql, params)
            return [decode_doc(row[0]) for row in rows]

    async def insert(self, collection: str, key: str, doc: Doc) -> None:
        check_collection(collection)
        check_key(key)
        body = encode_doc(doc)
        with self.state.operation():
            await self._write(_INSERT, (collection, key, body))

    async def put(self, collection: str, key: str, doc: Doc) -> None:
        check_collection(collection)
        check_key(key)
        body = encode_doc(doc)
        with self.state.operation():
            await self._write(_PUT, (collection, key, body))

    async def delete(self, collection: str, key: str) -> bool:
        check_collection(collection)
        check_key(key)
        with self.state.operation():
            return await self._write(_DELETE, (collection, key)) > 0

    def publish(self, envelope: Envelope, subject: str) -> None:
        self.state.check()
        self.events.append((envelope, subject))

    async def already_processed(self, consumer: str, event_id: str) -> bool:
        with self.state.operation():
            if (consumer, event_id) in self.marks:
                return True
            rows, _ = await self._statement(_INBOX_GET, (consumer, event_id))
            return bool(rows)

    def mark_processed(self, consumer: str, event_id: str) -> None:
        self.state.check()
        self.marks[(consumer, event_id)] = None
