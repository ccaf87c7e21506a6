"""What only the MongoDB adapter promises: error mapping, database from the URL, real
transactions, the outbox counter."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from leaveflow_contracts import Envelope, new_id
from leaveflow_kit.storage import DuplicateKey, Store, Transaction, TransientConflict
from leaveflow_kit.storage.mongo import MongoStore, _translate


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
    counter = await db["_counters"].find_one({"_id": "outbox_seq"})
    assert counter is not None
    assert counter["value"] == (await store.fetch_unpublished(10))[-1].seq


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
