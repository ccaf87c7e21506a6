"""What only the MongoDB adapter promises: error mapping, database from the URL, real
transactions, the per-partition outbox sequence (no document every writer touches)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from leaveflow_contracts import Envelope, new_id
from leaveflow_kit.storage import DuplicateKey, IndexSpec, Store, Transaction, TransientConflict
from leaveflow_kit.storage.mongo import MongoStore, _in_partition_order, _translate

from .conftest import INDEXES, StoreFactory


def test_duplicate_key_errors_become_duplicate_key() -> None:
    assert isinstance(_translate(DuplicateKeyError("E11000", 11000)), DuplicateKey)
    bulk = BulkWriteError({"writeErrors": [{"code": 11000, "errmsg": "E11000 dup"}]})
    assert isinstance(_translate(bulk), DuplicateKey)


def test_write_conflicts_and_transient_labels_become_transient_conflict() -> None:
    assert isinstance(_translate(OperationFailure("WriteConflict", 112)), TransientConflict)
    labelled = OperationFailure("x", 251, {"errorLabels": ["TransientTransactionError"]})
    assert isinstance(_translate(labelled), TransientConflict)
    # The label wins over the duplicate key a write conflict may look like.
    racing = DuplicateKeyError("E11000", 11000, {"errorLabels": ["TransientTransactionError"]})
    assert isinstance(_translate(racing), TransientConflict)


def test_the_standins_unlabelled_commit_conflict_is_transient() -> None:
    standin = OperationFailure(
        "Write conflict during transaction commit",
        None,
        {"ok": 0.0, "errmsg": "Write conflict during transaction commit"},
    )
    assert isinstance(_translate(standin), TransientConflict)
    # An unrelated failure that merely has no code stays what it is.
    other = OperationFailure("not authorized on leaveflow", None)
    assert _translate(other) is other


def _row(key: str, partition: str | None, n: int = 0) -> dict[str, Any]:
    return {"_id": key} if partition is None else {"_id": key, "p": partition, "n": n}


@pytest.mark.parametrize(
    ("rows", "later", "expected"),
    [
        # Nothing missed: the scan's order stands.
        ([_row("a", "P", 1), _row("b", "Q", 1)], [], ["a", "b"]),
        # The scan saw P's 2nd row but not its 1st: the 1st joins and goes first.
        ([_row("b", "P", 2), _row("c", "Q", 1)], [_row("z", "P", 1)], ["z", "c", "b"]),
        # A later row of P that is *after* every batch row of P stays for the next batch.
        ([_row("a", "P", 1)], [_row("z", "P", 2)], ["a"]),
        # Clocks disagree: _id order inverts n order within P; the slots keep n order.
        ([_row("a", "P", 2), _row("b", "Q", 1), _row("c", "P", 1)], [], ["c", "b", "a"]),
        # Old rows (before partitions) pass through in place.
        ([_row("a", None), _row("b", "P", 1)], [], ["a", "b"]),
    ],
)
def test_rows_go_out_in_partition_order(
    rows: list[dict[str, Any]], later: list[dict[str, Any]], expected: list[str]
) -> None:
    assert [row["_id"] for row in _in_partition_order(rows, later)] == expected


@given(
    st.lists(st.sampled_from("PQR"), min_size=1, max_size=30),
    st.randoms(use_true_random=False),
    st.integers(min_value=0, max_value=30),
)
def test_any_scan_and_clock_order_keeps_each_partition_in_sequence(
    partitions: list[str], shuffle: Any, cut: int
) -> None:
    """Rows numbered per partition in commit order, seen with _ids in any order and a scan
    that returned only some of them: what goes out is gap-free and in order per partition."""
    seen: dict[str, int] = {}
    rows = []
    for partition in partitions:
        seen[partition] = seen.get(partition, 0) + 1
        rows.append({"p": partition, "n": seen[partition]})
    keys = [f"k{i:03d}" for i in range(len(rows))]
    shuffle.shuffle(keys)
    for row, key in zip(rows, keys, strict=True):
        row["_id"] = key
    by_id = sorted(rows, key=lambda row: str(row["_id"]))
    batch, later = by_id[: max(cut, 1)], by_id[max(cut, 1) :]
    out = _in_partition_order(batch, later)
    for partition in set(partitions):
        numbers = [row["n"] for row in out if row["p"] == partition]
        assert numbers == list(range(1, len(numbers) + 1))
    assert {row["_id"] for row in batch} <= {row["_id"] for row in out}


def test_other_errors_pass_through_unchanged() -> None:
    other = OperationFailure("unauthorized", 13)
    assert _translate(other) is other


@pytest.fixture
def backend() -> str:
    return "mongo"


@pytest.mark.mongo
async def test_database_comes_from_the_url_and_transactions_are_used(
    store_url: str, store: Store
) -> None:
    assert isinstance(store, MongoStore)
    assert store._database().name == store_url.split("/")[3].split("?")[0]
    assert store.transactions is True


@pytest.mark.mongo
async def test_documents_are_stored_under_their_key_as_id(store: Store) -> None:
    assert isinstance(store, MongoStore)
    key = new_id()

    async def write(tx: Transaction) -> None:
        await tx.insert("people", key, {"name": "Ada"})
        tx.publish(Envelope(type="t", tenant_id="t1", data={}), "leaveflow.tests.x")

    await store.atomic(write)
    db = store._database()
    raw: dict[str, Any] | None = await db["people"].find_one({"_id": key})
    assert raw == {"_id": key, "name": "Ada"}
    counter = await db["_counters"].find_one({"_id": "outbox:t1:"})
    assert counter == {"_id": "outbox:t1:", "value": 1}
    row = await db["outbox"].find_one({})
    assert row is not None
    assert (row["p"], row["n"]) == ("t1:", 1)
    assert row["_id"] == (await store.fetch_unpublished(10))[-1].seq


def _employee_event(tenant: str, employee: str, n: int) -> Envelope:
    return Envelope(type="t", tenant_id=tenant, data={"employee_id": employee, "n": n})


@pytest.mark.mongo
async def test_two_replicas_publishing_for_different_employees_never_conflict(
    store_url: str, open_test_store: StoreFactory
) -> None:
    """No document every transaction writes: 40 writers for 40 employees, spread over two
    stores on one database (two replicas), each write only its own partition's counter,
    and on a real MongoDB all commit on their first attempt. (The stand-in conflicts any
    two concurrent transactions, whatever they touch: there they are retried.)"""
    replicas = [await open_test_store(store_url), await open_test_store(store_url)]
    attempts: list[str] = []

    async def write(store: Store, employee: str) -> None:
        async def fn(tx: Transaction) -> None:
            attempts.append(employee)
            await tx.put("people", employee, {"v": 1})
            tx.publish(_employee_event("t1", employee, 1), "leaveflow.tests.x")

        await store.atomic(fn)

    employees = [new_id() for _ in range(40)]
    await asyncio.gather(*(write(replicas[i % 2], e) for i, e in enumerate(employees)))
    records = await replicas[0].fetch_unpublished(100)
    assert sorted(r.envelope.data["employee_id"] for r in records) == sorted(employees)
    store = replicas[0]
    assert isinstance(store, MongoStore)
    counters = await store._database()["_counters"].find({}).to_list()
    assert sorted((c["_id"], c["value"]) for c in counters) == sorted(
        (f"outbox:t1:{e}", 1) for e in employees
    )
    if not store.standin:
        assert sorted(attempts) == sorted(employees)  # nobody retried


@pytest.mark.mongo
async def test_one_employees_events_from_two_replicas_come_out_gap_free_in_commit_order(
    store_url: str, open_test_store: StoreFactory
) -> None:
    """Writers of one employee collide on its counter and are retried; what the relay reads
    is that employee's events numbered 1..N with no gap, in the order they committed."""
    replicas = [await open_test_store(store_url), await open_test_store(store_url)]
    employee = new_id()
    committed: list[int] = []

    async def write(store: Store, n: int) -> None:
        async def fn(tx: Transaction) -> None:
            await tx.put("people", new_id(), {"n": n})
            await asyncio.sleep(0)  # let the writers interleave
            tx.publish(_employee_event("t1", employee, n), "leaveflow.tests.x")

        await store.atomic(fn)
        committed.append(n)

    await asyncio.gather(*(write(replicas[n % 2], n) for n in range(20)))
    db = replicas[0]
    assert isinstance(db, MongoStore)
    rows = await db._database()["outbox"].find({}).sort("n", 1).to_list()
    assert [row["n"] for row in rows] == list(range(1, 21))
    records = await replicas[1].fetch_unpublished(100)
    assert [r.envelope.data["n"] for r in records] == [row["envelope"]["data"]["n"] for row in rows]
    assert sorted(committed) == list(range(20))


@pytest.mark.mongo
async def test_a_failed_transaction_does_not_poison_the_next_one(store: Store) -> None:
    """The stand-in keeps a session whose commit failed unusable; the store must not hand
    that session to the next transaction."""
    key = new_id()

    async def boom(tx: Transaction) -> None:
        await tx.put("people", key, {"v": 1})
        raise RuntimeError("boom")

    for _ in range(3):
        with pytest.raises(RuntimeError):
            await store.atomic(boom)

    async def write(tx: Transaction) -> None:
        await tx.put("people", key, {"v": 2})

    await store.atomic(write)
    assert await store.get("people", key) == {"v": 2}


@pytest.mark.mongo
async def test_without_transactions_writes_still_land_but_are_not_atomic(store: Store) -> None:
    """The fallback for servers without transactions: it works, and is honestly not atomic."""
    assert isinstance(store, MongoStore)
    store.transactions = False
    key, lost = new_id(), new_id()

    async def write(tx: Transaction) -> None:
        await tx.insert("people", key, {"v": 1})
        tx.publish(Envelope(type="t", tenant_id="t1", data={}), "leaveflow.tests.x")

    async def fail(tx: Transaction) -> None:
        await tx.insert("people", lost, {"v": 1})
        raise RuntimeError("boom")

    await store.atomic(write)
    with pytest.raises(RuntimeError):
        await store.atomic(fail)
    assert await store.get("people", key) == {"v": 1}
    assert len(await store.fetch_unpublished(10)) == 1
    assert await store.get("people", lost) == {"v": 1}  # no rollback without a transaction


async def _users_indexed_before(
    store_url: str, open_test_store: StoreFactory, *shapes: tuple[str, ...]
) -> None:
    """The database as an earlier version left it: `users` indexes of these fields, each
    under the name the fields make."""
    first = await open_test_store(store_url)
    assert isinstance(first, MongoStore)
    for fields in shapes:
        keys = [(name, 1) for name in fields]
        await first._database()["users"].create_index(keys, name=f"ix_users__{'__'.join(fields)}")
    await first.close()


async def _users_index_shapes(store: MongoStore) -> dict[str, list[tuple[str, Any]]]:
    return {
        index["name"]: list(index["key"].items())
        async for index in await store._database()["users"].list_indexes()
    }


@pytest.mark.mongo
async def test_a_non_unique_index_ends_with_id_and_replaces_its_old_shape(
    store_url: str, open_test_store: StoreFactory
) -> None:
    # _id last: a page (equality, then _id order) is a range of the index, no sort.
    await _users_indexed_before(store_url, open_test_store, ("team",))  # the shape before
    second = await open_test_store(store_url)
    assert isinstance(second, MongoStore)
    shapes = await _users_index_shapes(second)
    assert shapes["ix_users__team___id"] == [("team", 1), ("_id", 1)]
    assert "ix_users__team" not in shapes


@pytest.mark.mongo
async def test_a_retired_index_is_dropped_in_either_shape(
    store_url: str, open_test_store: StoreFactory
) -> None:
    await _users_indexed_before(store_url, open_test_store, ("role",), ("role", "_id"))
    second = MongoStore(store_url, (*INDEXES, IndexSpec("users", ("role",), retired=True)))
    await second.start()
    try:
        names = set(await _users_index_shapes(second))
        assert not {"ix_users__role", "ix_users__role___id"} & names
        assert "ix_users__team___id" in names
    finally:
        await second.close()
