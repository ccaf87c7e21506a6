"""What only the SQLite adapter promises: its pragmas, its round trips, its indexes."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from leaveflow_contracts import Envelope, new_id
from leaveflow_kit.storage import (
    Between,
    DuplicateKey,
    IndexSpec,
    Transaction,
    TransientConflict,
    open_store,
    sqlite_path,
)
from leaveflow_kit.storage import sqlite as sqlite_module
from leaveflow_kit.storage._common import RetryPolicy, check_where
from leaveflow_kit.storage.sqlite import SqliteStore, _select_sql

INDEXES = (IndexSpec("users", ("email",), unique=True), IndexSpec("users", ("team",)))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(tmp_path / "store.db", INDEXES)
    await store.start()
    yield store
    await store.close()


def _event() -> Envelope:
    return Envelope(type="test.happened", tenant_id="t1", data={})


async def test_file_is_in_wal_mode_with_the_schema(store: SqliteStore) -> None:
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"docs", "outbox", "inbox", "ux_users__email", "ix_users__team__key"} <= tables


async def test_a_transaction_runs_without_handing_the_loop_to_anyone(store: SqliteStore) -> None:
    # A thread hop per statement let every other ready task run while the transaction
    # held the one write lock; inline statements never do.
    ran: list[str] = []

    async def other() -> None:
        ran.append("other")

    async def work(tx: Transaction) -> int:
        asyncio.get_running_loop().create_task(other())
        await tx.insert("users", new_id(), {"email": f"{new_id()}@x"})
        await tx.get("users", new_id())
        await tx.find("users", {"team": "r"})
        tx.publish(_event(), "leaveflow.tests.happened")
        tx.mark_processed("c", new_id())
        return len(ran)

    assert await store.atomic(work) == 0
    await asyncio.sleep(0)
    assert ran == ["other"]
    assert len(await store.fetch_unpublished(10)) == 1


async def test_a_long_transaction_lets_the_loop_run_between_its_statements(
    store: SqliteStore,
) -> None:
    ticks: list[int] = []

    async def ticker() -> None:
        while True:
            ticks.append(1)
            await asyncio.sleep(0)

    async def work(tx: Transaction) -> int:
        for number in range(1000):
            await tx.put("users", f"k{number}", {"email": f"{number}@x"})
        return len(ticks)

    task = asyncio.get_running_loop().create_task(ticker())
    await asyncio.sleep(0)
    try:
        before = len(ticks)
        assert await store.atomic(work) > before
    finally:
        task.cancel()
    assert await store.count("users", {}) == 1000


async def test_a_lock_held_by_another_process_is_waited_for_without_blocking_the_loop(
    store: SqliteStore,
) -> None:
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another replica's write transaction on the file
    ticks: list[int] = []

    async def ticker() -> None:
        while True:
            ticks.append(1)
            await asyncio.sleep(0.005)

    async def release() -> None:
        await asyncio.sleep(0.3)
        other.execute("COMMIT")

    key = new_id()
    task = asyncio.get_running_loop().create_task(ticker())
    releaser = asyncio.get_running_loop().create_task(release())
    try:
        await asyncio.wait_for(store.atomic(lambda tx: tx.put("users", key, {"email": "w@x"})), 5)
    finally:
        task.cancel()
        other.close()
    await releaser
    assert len(ticks) >= 20  # the loop kept running while the writer waited ~0.3 s
    assert await store.get("users", key) == {"email": "w@x"}


async def test_a_lock_never_released_ends_in_a_transient_conflict(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_module, "_BUSY_PATIENCE", 0.05)
    store.retry = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.001)
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(TransientConflict):
            await store.atomic(lambda tx: tx.put("users", new_id(), {"email": "n@x"}))
    finally:
        other.execute("ROLLBACK")
        other.close()
    # Nothing was left open: the next transaction goes through.
    await store.atomic(lambda tx: tx.put("users", new_id(), {"email": "y@x"}))
    assert await store.count("users", {}) == 1


async def test_stats_count_every_statement(store: SqliteStore) -> None:
    before = store.stats.queries

    async def work(tx: Transaction) -> None:
        await tx.insert("users", new_id(), {"email": f"{new_id()}@x"})
        tx.publish(_event(), "leaveflow.tests.happened")

    await store.atomic(work)
    # BEGIN IMMEDIATE, the INSERT, then outbox rows, inbox marks and COMMIT together.
    assert store.stats.queries - before == 3


async def test_a_failed_first_statement_leaves_no_transaction_open(store: SqliteStore) -> None:
    key = new_id()

    async def insert(tx: Transaction) -> None:
        await tx.insert("users", key, {"email": f"{key}@x"})

    await store.atomic(insert)
    with pytest.raises(DuplicateKey):
        await store.atomic(insert)  # BEGIN went with the failing INSERT: rolled back
    await store.atomic(lambda tx: tx.put("users", new_id(), {"email": "other@x"}))
    assert await store.count("users", {}) == 2


@pytest.mark.parametrize(
    ("where", "index"),
    [
        ({"email": "a@x"}, "ux_users__email"),
        ({"team": "r"}, "ix_users__team__key"),
        ({"team": "r", "role": "admin"}, "ix_users__team__role__key"),  # most fields served
        ({"role": "admin", "team": "r", "email": None}, "ix_users__team__role__key"),
        ({"role": "admin"}, None),  # no index leads with role: the collection's range
    ],
)
async def test_a_find_names_the_index_that_serves_most_of_its_filter(
    tmp_path: Path, where: dict[str, str | None], index: str | None
) -> None:
    indexes = (*INDEXES, IndexSpec("users", ("team", "role")))
    store = SqliteStore(tmp_path / "plan.db", indexes)
    await store.start()
    try:
        await store.atomic(lambda tx: tx.put("users", "k1", {"email": "a@x", "team": "r"}))
        await store.atomic(lambda tx: tx.put("users", "k2", {"email": "b@x", "team": "s"}))
        sql, params = _select_sql(
            "users", check_where(where), count=False, after_key=None, limit=10, indexes=indexes
        )
        with sqlite3.connect(store.path) as conn:
            plan = " ".join(str(row) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        # Without the hint SQLite took the primary key's index (no sort) over the expression
        # index: a scan of the whole collection for a handful of documents.
        assert (index or "sqlite_autoindex_docs_1") in plan
        doc = {"email": "a@x", "team": "r"}
        expected = [doc] if all(doc.get(k) == v for k, v in where.items()) else []
        assert await store.find("users", where) == expected
        assert await store.count("users", where) == len(expected)
    finally:
        await store.close()


def _docs_table_sql(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'docs'").fetchone()
    return str(row[0])


async def test_a_first_wave_file_gets_its_documents_in_a_rowid_table_intact(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:  # the first wave's schema, with data and an index
        conn.executescript(
            "CREATE TABLE docs (collection TEXT NOT NULL, key TEXT NOT NULL, "
            "body TEXT NOT NULL, PRIMARY KEY (collection, key)) WITHOUT ROWID;"
            "CREATE INDEX ix_users__team ON docs (json_extract(body, '$.team')) "
            "WHERE collection = 'users';"
        )
        conn.executemany(
            "INSERT INTO docs VALUES ('users', ?, ?)",
            [(f"k{n}", f'{{"email": "{n}@x", "team": "t{n % 3}"}}') for n in range(50)],
        )
    for _ in range(2):  # and a second start (another replica) finds nothing to do
        store = SqliteStore(path, INDEXES)
        await store.start()
        try:
            assert "WITHOUT ROWID" not in _docs_table_sql(path).upper()
            assert await store.count("users", {}) == 50
            assert await store.get("users", "k7") == {"email": "7@x", "team": "t1"}
            assert len(await store.find("users", {"team": "t2"})) == 16
            with pytest.raises(DuplicateKey):  # the unique index was made again
                await store.atomic(lambda tx: tx.insert("users", new_id(), {"email": "7@x"}))
        finally:
            await store.close()


async def test_starting_again_on_the_same_file_is_harmless(tmp_path: Path) -> None:
    path = tmp_path / "again.db"
    for _ in range(2):
        store = SqliteStore(path, INDEXES)
        await store.start()
        await store.start()
        await store.close()


async def test_a_reader_is_not_blocked_by_an_open_transaction(store: SqliteStore) -> None:
    key = new_id()
    inside = asyncio.Event()
    release = asyncio.Event()

    async def slow(tx: Transaction) -> None:
        await tx.insert("users", key, {"email": "slow@x"})
        inside.set()
        await release.wait()

    writer = asyncio.create_task(store.atomic(slow))
    await asyncio.wait_for(inside.wait(), 5)
    assert await asyncio.wait_for(store.get("users", key), 5) is None
    release.set()
    await writer
    assert await store.get("users", key) == {"email": "slow@x"}


def test_sqlite_urls_follow_the_three_and_four_slash_convention() -> None:
    assert sqlite_path("sqlite:///data/x.db") == Path("data/x.db")
    assert sqlite_path("sqlite:////abs/x.db") == Path("/abs/x.db")
    with pytest.raises(ValueError, match="memory"):
        sqlite_path("sqlite:///:memory:")
    with pytest.raises(ValueError, match="expected"):
        sqlite_path("sqlite://x.db")


async def test_a_relative_url_creates_its_directories_under_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store("sqlite:///.data/nested/svc.db")
    await store.start()
    try:
        await store.ping()
    finally:
        await store.close()
    assert (tmp_path / ".data" / "nested" / "svc.db").is_file()


async def test_a_page_on_an_index_of_exactly_its_fields_is_read_in_key_order(
    tmp_path: Path,
) -> None:
    # The key ends every non-unique index, so `field = ? AND key > ? ORDER BY key LIMIT n`
    # reads n entries of the index instead of sorting every match: pages of a big tenant.
    indexes = (*INDEXES, IndexSpec("users", ("team", "role")))
    store = SqliteStore(tmp_path / "pages.db", indexes)
    await store.start()
    try:
        keys = sorted(new_id() for _ in range(7))

        async def fill(tx: Transaction) -> None:
            for n, key in enumerate(keys):
                await tx.put("users", key, {"email": f"{n}@x", "team": "r", "role": f"{n % 2}"})

        await store.atomic(fill)
        sql, params = _select_sql(
            "users",
            check_where({"team": "r"}),
            count=False,
            after_key=keys[2],
            limit=3,
            indexes=indexes,
        )
        with sqlite3.connect(store.path) as conn:
            plan = " ".join(str(row) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "ix_users__team__key" in plan
        assert "TEMP B-TREE" not in plan
        page = await store.find("users", {"team": "r"}, limit=3, after_key=keys[2])
        assert [doc["email"] for doc in page] == ["3@x", "4@x", "5@x"]
    finally:
        await store.close()


async def _made_with_role_and_an_old_shaped_index(path: Path, field: str) -> None:
    """A file made with an extra index on role and one admin in it, plus an index on
    `field` of the shape before the key was added."""
    first = SqliteStore(path, (*INDEXES, IndexSpec("users", ("role",))))
    await first.start()
    await first.atomic(lambda tx: tx.put("users", "k1", {"email": "a@x", "role": "admin"}))
    await first.close()
    with sqlite3.connect(path) as conn:
        conn.execute(
            f"CREATE INDEX ix_users__{field} ON docs (json_extract(body, '$.{field}')) "
            "WHERE collection = 'users'"
        )


async def test_start_drops_the_old_shape_of_its_indexes_and_nothing_else(
    tmp_path: Path,
) -> None:
    path = tmp_path / "stale.db"
    await _made_with_role_and_an_old_shaped_index(path, "team")
    second = SqliteStore(path, INDEXES)  # another process's specs may be fewer
    await second.start()
    await second.close()
    with sqlite3.connect(path) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"ux_users__email", "ix_users__team__key", "ix_users__role__key"} <= names
    assert "ix_users__team" not in names


async def _fill_team(store: SqliteStore, n: int) -> None:
    async def fill(tx: Transaction) -> None:
        await tx.put_many(
            "users", [(f"k{i:05d}", {"email": f"{i}@x", "team": "r"}) for i in range(n)]
        )

    await store.atomic(fill)


def _thread_hops(store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The statements the store sends to its reader thread from now on."""
    hops: list[str] = []
    fetch = store._fetch

    async def counted(conn: object, sql: str, params: object = ()) -> object:
        hops.append(sql)
        return await fetch(conn, sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "_fetch", counted)
    return hops


async def test_a_quick_find_is_answered_on_the_loop_without_a_thread_hop(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _fill_team(store, 20)
    # Ample time on the loop: a busy machine may preempt a 20-document read for 1 ms.
    monkeypatch.setattr(sqlite_module, "_INLINE_SECONDS", 10.0)
    hops = _thread_hops(store, monkeypatch)
    found = await store.find("users", {"team": "r"})
    assert [d["email"] for d in found] == [f"{i}@x" for i in range(20)]
    assert await store.count("users", {"team": "r"}) == 20
    assert hops == []


async def test_a_find_slower_than_the_inline_budget_moves_to_the_thread_whole(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _fill_team(store, 3000)
    # No time at all on the loop: the first progress check interrupts the inline read.
    monkeypatch.setattr(sqlite_module, "_INLINE_SECONDS", -1.0)
    hops = _thread_hops(store, monkeypatch)
    found = await store.find("users", {"team": "r"})
    assert [d["email"] for d in found] == [f"{i}@x" for i in range(3000)]
    assert await store.count("users", {}) == 3000
    assert len(hops) == 2
    # The point reader is left without the budget's handler: a get still answers.
    assert await store.get("users", "k00007") == {"email": "7@x", "team": "r"}


async def test_a_string_filter_on_an_index_is_answered_by_the_index_alone(
    store: SqliteStore,
) -> None:
    sql, _ = _select_sql(
        "users",
        check_where({"team": "r"}),
        count=False,
        after_key=None,
        limit=None,
        indexes=INDEXES,
    )
    assert "json_type" not in sql
    # A value that could be an array's or an object's JSON text keeps the type check.
    for value in ('["r"]', '{"a":1}'):
        sql, _ = _select_sql(
            "users",
            check_where({"team": value}),
            count=False,
            after_key=None,
            limit=None,
            indexes=INDEXES,
        )
        assert "json_type(body, '$.team') = 'text'" in sql


async def test_a_between_after_an_equality_is_a_range_of_the_index(tmp_path: Path) -> None:
    indexes = (*INDEXES, IndexSpec("users", ("team", "joined")))
    store = SqliteStore(tmp_path / "range.db", indexes)
    await store.start()
    try:
        where = check_where({"team": "r", "joined": Between("2026-01-01", "2026-12-31")})
        sql, params = _select_sql(
            "users", where, count=False, after_key=None, limit=None, indexes=indexes
        )
        with sqlite3.connect(store.path) as conn:
            plan = " ".join(str(row) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "ix_users__team__joined__key" in plan
        # Both bounds are searched in the index, not checked on every document of the team.
        assert "(<expr>=? AND <expr>>? AND <expr><?)" in plan
        assert "json_type" not in sql
    finally:
        await store.close()


async def test_a_retired_index_is_dropped_in_either_shape_and_never_named(
    tmp_path: Path,
) -> None:
    path = tmp_path / "retired.db"
    await _made_with_role_and_an_old_shaped_index(path, "role")
    retired = IndexSpec("users", ("role",), retired=True)
    second = SqliteStore(path, (*INDEXES, retired))
    await second.start()
    try:
        with sqlite3.connect(path) as conn:
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert not {"ix_users__role", "ix_users__role__key"} & names
        assert {"ux_users__email", "ix_users__team__key"} <= names
        assert retired not in second._indexes  # so no find names it
        sql, _ = _select_sql(
            "users",
            check_where({"role": "admin"}),
            count=False,
            after_key=None,
            limit=None,
            indexes=second._indexes,
        )
        assert "INDEXED BY" not in sql
        assert await second.find("users", {"role": "admin"}) == [{"email": "a@x", "role": "admin"}]
    finally:
        await second.close()
