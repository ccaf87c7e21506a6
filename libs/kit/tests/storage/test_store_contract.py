"""The storage contract: every behaviour below holds on every adapter (memory, SQLite,
MongoDB), so a service tested against the in-memory store behaves the same in production.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leaveflow_contracts import Envelope, new_id
from leaveflow_kit.storage import (
    Between,
    DuplicateKey,
    IndexSpec,
    OutboxKey,
    RetryPolicy,
    Store,
    Transaction,
    TransientConflict,
    open_store,
)

SUBJECT = "leaveflow.tests.happened"
StoreFactory = Callable[[str], Awaitable[Store]]

pytestmark = pytest.mark.timeout(60)


def event(n: int = 0, tenant: str = "t1") -> Envelope:
    return Envelope(type="test.happened", tenant_id=tenant, data={"n": n})


class Boom(Exception):
    pass


async def put(store: Store, collection: str, key: str, doc: dict[str, Any]) -> None:
    async def write(tx: Transaction) -> None:
        await tx.put(collection, key, doc)

    await store.atomic(write)


async def insert(store: Store, collection: str, key: str, doc: dict[str, Any]) -> None:
    async def write(tx: Transaction) -> None:
        await tx.insert(collection, key, doc)

    await store.atomic(write)


async def drain(store: Store) -> list[OutboxKey]:
    """Seqs of every unpublished row, marking none."""
    return [record.seq for record in await store.fetch_unpublished(10_000)]


# -- documents ---------------------------------------------------------------------------


async def test_inserted_document_comes_back_as_an_independent_copy(store: Store) -> None:
    key = new_id()
    doc = {"name": "Ada", "days": 2.5, "tags": ["a", "b"], "meta": {"x": None}, "ok": True}
    await insert(store, "people", key, doc)

    got = await store.get("people", key)
    assert got == doc
    assert got is not None
    got["name"] = "changed"
    assert await store.get("people", key) == doc


async def test_get_of_a_missing_key_is_none(store: Store) -> None:
    assert await store.get("people", new_id()) is None


async def test_insert_of_an_existing_key_raises_and_keeps_the_original(store: Store) -> None:
    key = new_id()
    await insert(store, "people", key, {"v": 1})

    with pytest.raises(DuplicateKey):
        await insert(store, "people", key, {"v": 2})
    assert await store.get("people", key) == {"v": 1}


async def test_put_inserts_then_replaces_the_whole_document(store: Store) -> None:
    key = new_id()
    await put(store, "people", key, {"v": 1, "old": True})
    await put(store, "people", key, {"v": 2})
    assert await store.get("people", key) == {"v": 2}


async def test_delete_reports_whether_it_removed_something(store: Store) -> None:
    key = new_id()
    await insert(store, "people", key, {"v": 1})
    results: list[bool] = []

    async def delete(tx: Transaction) -> None:
        results.append(await tx.delete("people", key))
        results.append(await tx.delete("people", key))

    await store.atomic(delete)
    assert results == [True, False]
    assert await store.get("people", key) is None


async def test_clear_empties_one_collection_and_only_it(store: Store) -> None:
    cleared, kept = f"cleared_{new_id()}", f"kept_{new_id()}"
    for n in range(3):
        await insert(store, cleared, f"k{n}", {"tenant_id": "t", "n": n})
    await insert(store, kept, "k0", {"tenant_id": "t"})

    assert await store.clear(cleared) == 3
    assert await store.find(cleared, {}) == []
    assert await store.get(kept, "k0") == {"tenant_id": "t"}
    assert await store.clear(cleared) == 0
    await insert(store, cleared, "k0", {"again": True})  # the key is free again
    assert await store.get(cleared, "k0") == {"again": True}


async def test_collections_do_not_share_keys(store: Store) -> None:
    key = new_id()
    await insert(store, "people", key, {"kind": "person"})
    await insert(store, "teams", key, {"kind": "team"})
    assert await store.get("people", key) == {"kind": "person"}
    assert await store.get("teams", key) == {"kind": "team"}


async def test_non_json_documents_and_bad_names_are_refused(store: Store) -> None:
    from datetime import date

    with pytest.raises(TypeError):
        await insert(store, "people", new_id(), {"when": date(2026, 1, 1)})
    with pytest.raises(ValueError, match="_id"):
        await insert(store, "people", new_id(), {"_id": "x"})
    with pytest.raises(ValueError, match="reserved"):
        await insert(store, "outbox", new_id(), {})
    with pytest.raises(ValueError, match="collection"):
        await store.get("no spaces", new_id())
    with pytest.raises(TypeError):
        await store.find("people", {"tags": ["a"]})
    with pytest.raises(TypeError, match="64 bits"):
        await insert(store, "people", new_id(), {"deep": [{"n": 2**63}]})
    assert await store.count("people", {}) == 0


async def test_integers_at_the_edges_of_64_bits_and_long_digit_strings_read_back_exactly(
    store: Store,
) -> None:
    doc = {"low": -(2**63), "high": 2**63 - 1, "digits": "1" * 40, "flag": True, "x": 1.5}
    key = new_id()
    await insert(store, "people", key, doc)
    back = await store.get("people", key)
    assert back == doc
    assert back is not None
    assert isinstance(back["high"], int)
    assert isinstance(back["x"], float)


# -- put_many ----------------------------------------------------------------------------


async def test_put_many_inserts_and_replaces_in_order_the_last_of_a_key_winning(
    store: Store,
) -> None:
    kept, replaced, twice = new_id(), new_id(), new_id()
    await insert(store, "people", kept, {"team": "a", "v": 0})
    await insert(store, "people", replaced, {"team": "a", "v": 0})
    # More documents than one of SQLite's executemany chunks, so chunking is exercised.
    fresh = [(new_id(), {"team": "b", "v": n}) for n in range(600)]

    async def write(tx: Transaction) -> None:
        await tx.put_many(
            "people",
            [(replaced, {"team": "b", "v": 1}), *fresh, (twice, {"v": 1}), (twice, {"v": 2})],
        )
        await tx.put_many("people", [])
        # The transaction sees its own writes.
        assert await tx.get("people", replaced) == {"team": "b", "v": 1}

    await store.atomic(write)
    assert await store.get("people", kept) == {"team": "a", "v": 0}
    assert await store.get("people", replaced) == {"team": "b", "v": 1}
    assert await store.get("people", twice) == {"v": 2}
    assert await store.count("people", {"team": "b"}) == 601
    back = await store.find("people", {"team": "b"})
    assert sorted(d["v"] for d in back) == sorted([1, *range(600)])


async def test_put_many_commits_with_the_transaction_or_not_at_all(store: Store) -> None:
    keys = [new_id() for _ in range(3)]

    async def fail(tx: Transaction) -> None:
        await tx.put_many("people", [(k, {"n": 1}) for k in keys])
        raise Boom()

    with pytest.raises(Boom):
        await store.atomic(fail)
    assert [await store.get("people", k) for k in keys] == [None, None, None]


async def test_put_many_refuses_bad_documents_before_writing_any(store: Store) -> None:
    good = new_id()

    async def wide(tx: Transaction) -> None:
        await tx.put_many("people", [(good, {"n": 1}), (new_id(), {"n": 2**64})])

    async def bad_key(tx: Transaction) -> None:
        await tx.put_many("people", [(good, {"n": 1}), ("", {"n": 2})])

    with pytest.raises(TypeError, match="64 bits"):
        await store.atomic(wide)
    with pytest.raises(ValueError, match="key"):
        await store.atomic(bad_key)
    assert await store.get("people", good) is None


async def test_put_many_keeps_unique_indexes_and_a_clash_aborts_the_transaction(
    store: Store,
) -> None:
    email = f"{new_id()}@example.com"
    owner, other, bystander = new_id(), new_id(), new_id()
    await insert(store, "users", owner, {"email": email})

    async def clash(tx: Transaction) -> None:
        await tx.put("users", bystander, {"email": "by@example.com"})
        with contextlib.suppress(DuplicateKey):  # caught, yet the transaction is doomed
            await tx.put_many("users", [(owner, {"email": email}), (other, {"email": email})])

    with pytest.raises(DuplicateKey):
        await store.atomic(clash)
    assert await store.get("users", other) is None
    assert await store.get("users", bystander) is None


# -- unique indexes ----------------------------------------------------------------------


async def test_unique_index_refuses_a_second_document_with_the_same_value(store: Store) -> None:
    email = f"{new_id()}@example.com"
    first, second = new_id(), new_id()
    await insert(store, "users", first, {"email": email})

    with pytest.raises(DuplicateKey):
        await insert(store, "users", second, {"email": email})
    with pytest.raises(DuplicateKey):
        await put(store, "users", second, {"email": email})
    assert await store.get("users", second) is None
    # Rewriting the owner itself is not a conflict.
    await put(store, "users", first, {"email": email, "name": "Ada"})
    assert await store.get("users", first) == {"email": email, "name": "Ada"}


async def test_a_retired_unique_index_constrains_nothing(store_url: str) -> None:
    # What an earlier version asked for is dropped (ADR 0014), uniqueness with it.
    retired = open_store(store_url, (IndexSpec("users", ("email",), unique=True, retired=True),))
    await retired.start()
    try:
        email = f"{new_id()}@example.com"
        await insert(retired, "users", new_id(), {"email": email})
        await insert(retired, "users", new_id(), {"email": email})
        assert await retired.count("users", {"email": email}) == 2
    finally:
        await retired.close()


async def test_a_unique_value_can_move_to_another_document_in_one_transaction(
    store: Store,
) -> None:
    email = f"{new_id()}@example.com"
    old, new, late = new_id(), new_id(), new_id()
    await insert(store, "users", old, {"email": email})

    async def move(tx: Transaction) -> None:
        await tx.delete("users", old)
        await tx.insert("users", new, {"email": email})

    await store.atomic(move)
    assert await store.find("users", {"email": email}) == [{"email": email}]
    with pytest.raises(DuplicateKey):
        await insert(store, "users", late, {"email": email})
    await put(store, "users", new, {"email": "other@example.com"})
    await insert(store, "users", late, {"email": email})
    assert await store.count("users", {"email": email}) == 1


async def test_unique_index_does_not_constrain_missing_or_null_values(store: Store) -> None:
    for doc in ({}, {}, {"email": None}, {"email": None}):
        await insert(store, "users", new_id(), doc)
    assert await store.count("users", {}) == 4
    assert await store.count("users", {"email": None}) == 4
    assert len(await store.find("users", {"email": None})) == 4


async def test_compound_unique_index_constrains_the_combination(store: Store) -> None:
    await insert(store, "slots", new_id(), {"tenant": "a", "day": "2026-01-05"})
    await insert(store, "slots", new_id(), {"tenant": "a", "day": "2026-01-06"})
    await insert(store, "slots", new_id(), {"tenant": "b", "day": "2026-01-05"})
    with pytest.raises(DuplicateKey):
        await insert(store, "slots", new_id(), {"tenant": "a", "day": "2026-01-05"})
    assert await store.count("slots", {}) == 3


async def test_unique_index_belongs_to_its_collection_only(store: Store) -> None:
    email = f"{new_id()}@example.com"
    await insert(store, "users", new_id(), {"email": email})
    await insert(store, "invites", new_id(), {"email": email})
    await insert(store, "invites", new_id(), {"email": email})
    assert await store.count("invites", {"email": email}) == 2


# -- find and count ----------------------------------------------------------------------


async def test_find_filters_on_equality_and_returns_key_order(store: Store) -> None:
    keys = sorted(new_id() for _ in range(6))
    teams = ["red", "blue", "red", "red", "blue", "green"]

    async def write(tx: Transaction) -> None:
        # Written in reverse so that insertion order cannot pass for key order.
        for key, team in reversed(list(zip(keys, teams, strict=True))):
            await tx.insert("users", key, {"id": key, "team": team, "email": f"{key}@x"})

    await store.atomic(write)

    red = await store.find("users", {"team": "red"})
    assert [doc["id"] for doc in red] == [keys[0], keys[2], keys[3]]
    assert await store.count("users", {"team": "red"}) == 3
    assert await store.find("users", {"team": "red", "id": keys[2]}) == [red[1]]
    everyone = await store.find("users", {})
    assert [doc["id"] for doc in everyone] == keys
    assert await store.find("users", {"team": "purple"}) == []
    assert await store.count("users", {}) == 6


async def test_find_with_none_matches_missing_and_null(store: Store) -> None:
    missing, null, some = sorted(new_id() for _ in range(3))
    await insert(store, "people", missing, {"id": missing})
    await insert(store, "people", null, {"id": null, "manager": None})
    await insert(store, "people", some, {"id": some, "manager": "m1"})

    found = await store.find("people", {"manager": None})
    assert [doc["id"] for doc in found] == [missing, null]
    assert await store.count("people", {"manager": None}) == 2
    assert [doc["id"] for doc in await store.find("people", {"manager": "m1"})] == [some]


async def test_find_keeps_bools_numbers_and_strings_apart(store: Store) -> None:
    values: dict[str, Any] = {
        "true": True,
        "one": 1,
        "one_float": 1.0,
        "text": "1",
        "zero": 0,
        "object": {"a": 1},
        "list": ["x"],
    }
    keys = {name: new_id() for name in values}
    for name, value in values.items():
        await insert(store, "flags", keys[name], {"name": name, "v": value})

    async def names(value: Any) -> set[str]:
        return {doc["name"] for doc in await store.find("flags", {"v": value})}

    assert await names(True) == {"true"}
    assert await names(1) == {"one", "one_float"}
    assert await names(1.0) == {"one", "one_float"}
    assert await names("1") == {"text"}
    assert await names(False) == set()
    assert await names(0) == {"zero"}
    # A string never equals an object or a list, not even their JSON text.
    assert await names('{"a":1}') == set()
    assert await names('["x"]') == set()


async def test_between_matches_values_of_the_bounds_kind_both_ends_included(
    store: Store,
) -> None:
    values: dict[str, Any] = {
        "first": "2026-01-01",
        "mid": "2026-01-15",
        "last": "2026-01-31",
        "after": "2026-02-01",
        "bracket": "[2026-01-15",
        "list": ["2026-01-15"],
        "object": {"a": "2026-01-15"},
        "five": 5,
        "half": 5.5,
        "one": 1,
        "true": True,
        "null": None,
    }
    keys = {name: new_id() for name in values}
    for name, value in values.items():
        await insert(store, "spans", keys[name], {"name": name, "v": value, "g": "a"})
    await insert(store, "spans", new_id(), {"name": "missing", "g": "a"})

    async def names(where: dict[str, Any], **kwargs: Any) -> list[str]:
        return [doc["name"] for doc in await store.find("spans", where, **kwargs)]

    january = Between("2026-01-01", "2026-01-31")
    assert sorted(await names({"v": january})) == ["first", "last", "mid"]
    assert await store.count("spans", {"v": january, "g": "a"}) == 3
    assert await names({"v": january, "g": "b"}) == []
    # Results stay in key order, and page like any find.
    in_order = [n for n in values if n in ("first", "mid", "last")]
    assert await names({"v": january}) == in_order
    assert await names({"v": january}, limit=2) == in_order[:2]
    # A high bound past "[": strings only, still never a list or an object.
    assert sorted(await names({"v": Between("2026-01-15", "\uffff")})) == [
        "after",
        "bracket",
        "last",
        "mid",
    ]
    assert sorted(await names({"v": Between(1, 5.5)})) == ["five", "half", "one"]
    assert await names({"v": Between(0.5, 1.0)}) == ["one"]  # never the bool
    assert await names({"v": Between("2026-02-01", "2026-01-01")}) == []


async def test_between_on_an_indexed_field_with_an_equality_before_it(store: Store) -> None:
    team = new_id()
    keys = [new_id() for _ in range(5)]
    for n, key in enumerate(keys):
        await insert(store, "users", key, {"team": team, "email": f"{n}@x", "n": n})

    async def write(tx: Transaction) -> list[Any]:
        return await tx.find("users", {"team": team, "email": Between("1@x", "3@x")})

    inside = await store.atomic(write)
    assert [d["n"] for d in inside] == [1, 2, 3]
    assert [d["n"] for d in await store.find("users", {"team": Between(team, team)})] == [
        0,
        1,
        2,
        3,
        4,
    ]


def test_between_refuses_mixed_bool_or_infinite_bounds() -> None:
    from leaveflow_kit.storage._common import check_where

    with pytest.raises(TypeError):
        check_where({"v": Between("a", 1)})
    with pytest.raises(TypeError):
        check_where({"v": Between(True, 2)})
    with pytest.raises(ValueError, match="finite"):
        check_where({"v": Between(0, float("inf"))})


async def test_find_pages_with_after_key_and_limit(store: Store) -> None:
    keys = sorted(new_id() for _ in range(7))
    for key in keys:
        await insert(store, "items", key, {"id": key, "kind": "x"})

    pages: list[list[str]] = []
    after: str | None = None
    for _ in range(5):  # bounded: a cursor that ignores after_key must fail, not spin
        page = await store.find("items", {"kind": "x"}, limit=3, after_key=after)
        if not page:
            break
        pages.append([doc["id"] for doc in page])
        after = page[-1]["id"]
    assert pages == [keys[0:3], keys[3:6], keys[6:7]]
    assert await store.find("items", {}, limit=0) == []
    assert [d["id"] for d in await store.find("items", {}, after_key=keys[5])] == keys[6:]


# -- transactions ------------------------------------------------------------------------


async def test_atomic_returns_the_result_of_fn(store: Store) -> None:
    async def fn(tx: Transaction) -> str:
        await tx.insert("people", new_id(), {})
        return "done"

    assert await store.atomic(fn) == "done"


async def test_failing_transaction_discards_documents_and_events(store: Store) -> None:
    kept, dropped, replaced = new_id(), new_id(), new_id()
    await insert(store, "people", kept, {"v": "before"})
    await insert(store, "people", replaced, {"v": "before"})
    before = await drain(store)

    async def fail(tx: Transaction) -> None:
        await tx.insert("people", dropped, {"v": "new"})
        await tx.put("people", replaced, {"v": "after"})
        assert await tx.delete("people", kept)
        tx.publish(event(), SUBJECT)
        tx.mark_processed("consumer", new_id())
        raise Boom

    with pytest.raises(Boom):
        await store.atomic(fail)
    assert await store.get("people", dropped) is None
    assert await store.get("people", replaced) == {"v": "before"}
    assert await store.get("people", kept) == {"v": "before"}
    assert await drain(store) == before


async def test_writes_are_invisible_outside_until_commit(store: Store) -> None:
    key = new_id()
    seen_outside: list[Any] = []

    async def write(tx: Transaction) -> None:
        await tx.insert("people", key, {"v": 1})
        tx.publish(event(), SUBJECT)
        seen_outside.append(await store.get("people", key))
        seen_outside.append(await store.count("people", {}))
        seen_outside.append(len(await store.fetch_unpublished(100)))

    await store.atomic(write)
    assert seen_outside == [None, 0, 0]
    assert await store.get("people", key) == {"v": 1}


async def test_transaction_reads_its_own_writes(store: Store) -> None:
    kept, gone, fresh = sorted(new_id() for _ in range(3))
    await insert(store, "users", kept, {"id": kept, "team": "red", "email": f"{kept}@x"})
    await insert(store, "users", gone, {"id": gone, "team": "red", "email": f"{gone}@x"})
    seen: dict[str, Any] = {}

    async def work(tx: Transaction) -> None:
        await tx.insert("users", fresh, {"id": fresh, "team": "red", "email": f"{fresh}@x"})
        await tx.delete("users", gone)
        await tx.put("users", kept, {"id": kept, "team": "blue", "email": f"{kept}@x"})
        seen["fresh"] = await tx.get("users", fresh)
        seen["gone"] = await tx.get("users", gone)
        seen["red"] = [doc["id"] for doc in await tx.find("users", {"team": "red"})]
        seen["first"] = [doc["id"] for doc in await tx.find("users", {}, limit=1)]

    await store.atomic(work)
    assert seen == {
        "fresh": {"id": fresh, "team": "red", "email": f"{fresh}@x"},
        "gone": None,
        "red": [fresh],
        "first": [kept],
    }


async def test_duplicate_key_aborts_the_transaction_even_if_caught(store: Store) -> None:
    taken, other = new_id(), new_id()
    await insert(store, "people", taken, {"v": 1})

    async def swallow(tx: Transaction) -> None:
        await tx.insert("people", other, {"v": 1})
        with pytest.raises(DuplicateKey):
            await tx.insert("people", taken, {"v": 2})
        tx.publish(event(), SUBJECT)

    before = await drain(store)
    with pytest.raises(DuplicateKey):
        await store.atomic(swallow)
    assert await store.get("people", other) is None
    assert await drain(store) == before


async def test_transaction_cannot_be_used_after_it_ended(store: Store) -> None:
    leaked: list[Transaction] = []

    async def keep(tx: Transaction) -> None:
        leaked.append(tx)

    await store.atomic(keep)
    with pytest.raises(Exception, match="ended"):
        await leaked[0].get("people", new_id())
    with pytest.raises(Exception, match="ended"):
        leaked[0].publish(event(), SUBJECT)


async def test_nested_atomic_is_refused(store: Store) -> None:
    async def inner(tx: Transaction) -> None:
        return None

    async def outer(tx: Transaction) -> None:
        # A deadlock would be the alternative: fail fast instead of hanging the suite.
        await asyncio.wait_for(store.atomic(inner), 5)

    with pytest.raises(RuntimeError, match="nested"):
        await store.atomic(outer)


async def test_transient_conflict_from_fn_is_retried(store: Store) -> None:
    attempts: list[int] = []
    key = new_id()

    async def flaky(tx: Transaction) -> int:
        attempts.append(1)
        await tx.put("people", key, {"attempt": len(attempts)})
        if len(attempts) < 3:
            raise TransientConflict("try again")
        return len(attempts)

    assert await store.atomic(flaky) == 3
    assert await store.get("people", key) == {"attempt": 3}


async def test_retries_are_bounded(store: Store) -> None:
    store.retry = RetryPolicy(max_attempts=4, base_delay=0.0, max_delay=0.0)  # type: ignore[attr-defined]
    attempts: list[int] = []

    async def hopeless(tx: Transaction) -> None:
        attempts.append(1)
        raise TransientConflict("never")

    with pytest.raises(TransientConflict):
        await store.atomic(hopeless)
    assert len(attempts) == 4


async def test_concurrent_increments_lose_no_update(store: Store) -> None:
    key = new_id()
    await insert(store, "counters", key, {"n": 0})

    async def increment(tx: Transaction) -> None:
        doc = await tx.get("counters", key)
        assert doc is not None
        await asyncio.sleep(0)  # let the other tasks interleave
        await tx.put("counters", key, {"n": doc["n"] + 1})

    results = await asyncio.gather(
        *(store.atomic(increment) for _ in range(50)), return_exceptions=True
    )
    for result in results:
        if isinstance(result, BaseException):
            raise result
    assert await store.get("counters", key) == {"n": 50}


# -- outbox ------------------------------------------------------------------------------


async def test_outbox_returns_events_in_commit_order(store: Store) -> None:
    sent: list[Envelope] = []
    for batch in range(4):
        events = [event(batch * 10 + i) for i in range(batch + 1)]
        sent.extend(events)

        async def publish(tx: Transaction, events: list[Envelope] = events) -> None:
            await tx.put("people", new_id(), {})
            for envelope in events:
                tx.publish(envelope, f"{SUBJECT}.{envelope.data['n']}")

        await store.atomic(publish)

    records = await store.fetch_unpublished(100)
    assert [r.envelope for r in records] == sent
    assert [r.subject for r in records] == [f"{SUBJECT}.{e.data['n']}" for e in sent]
    seqs = [r.seq for r in records]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    assert [r.envelope.event_id for r in await store.fetch_unpublished(3)] == [
        e.event_id for e in sent[:3]
    ]


async def test_mark_published_hides_rows(store: Store) -> None:
    async def publish(tx: Transaction) -> None:
        for n in range(5):
            tx.publish(event(n), SUBJECT)

    await store.atomic(publish)
    records = await store.fetch_unpublished(100)
    await store.mark_published([records[0].seq, records[2].seq])
    await store.mark_published([])

    left = await store.fetch_unpublished(100)
    assert [r.seq for r in left] == [records[1].seq, records[3].seq, records[4].seq]
    await store.mark_published([r.seq for r in left])
    assert await store.fetch_unpublished(100) == []


async def test_an_event_id_is_accepted_once(store: Store) -> None:
    envelope = event()

    async def publish(tx: Transaction) -> None:
        tx.publish(envelope, SUBJECT)

    await store.atomic(publish)
    with pytest.raises(DuplicateKey):
        await store.atomic(publish)
    assert len(await store.fetch_unpublished(100)) == 1


async def test_outbox_signal_is_set_only_by_commits_with_events(store: Store) -> None:
    store.outbox_signal.clear()

    async def no_events(tx: Transaction) -> None:
        await tx.put("people", new_id(), {})

    async def failing_with_events(tx: Transaction) -> None:
        tx.publish(event(), SUBJECT)
        raise Boom

    async def with_events(tx: Transaction) -> None:
        tx.publish(event(), SUBJECT)

    await store.atomic(no_events)
    assert not store.outbox_signal.is_set()
    with pytest.raises(Boom):
        await store.atomic(failing_with_events)
    assert not store.outbox_signal.is_set()
    await store.atomic(with_events)
    assert store.outbox_signal.is_set()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("mongo", marks=pytest.mark.mongo)])
async def test_outbox_and_inbox_survive_reopening_the_store(
    store_url: str, open_test_store: StoreFactory
) -> None:
    first = await open_test_store(store_url)
    key, consumer, handled = new_id(), f"c-{new_id()}", new_id()
    events = [event(1), event(2), event(3)]

    async def work(tx: Transaction) -> None:
        await tx.insert("users", key, {"email": f"{key}@x"})
        for envelope in events:
            tx.publish(envelope, SUBJECT)
        tx.mark_processed(consumer, handled)

    await first.atomic(work)
    await first.mark_published([(await first.fetch_unpublished(1))[0].seq])
    await first.close()

    second = await open_test_store(store_url)
    assert await second.get("users", key) == {"email": f"{key}@x"}
    assert [r.envelope for r in await second.fetch_unpublished(100)] == events[1:]

    async def check(tx: Transaction) -> bool:
        return await tx.already_processed(consumer, handled)

    assert await second.atomic(check)
    with pytest.raises(DuplicateKey):  # the unique index came back too
        await insert(second, "users", new_id(), {"email": f"{key}@x"})

    async def more(tx: Transaction) -> None:
        tx.publish(event(4), SUBJECT)

    await second.atomic(more)
    seqs = [r.seq for r in await second.fetch_unpublished(100)]
    assert seqs == sorted(seqs)
    assert len(seqs) == 3


# -- inbox -------------------------------------------------------------------------------


async def test_inbox_remembers_an_event_once_committed(store: Store) -> None:
    consumer, event_id = f"c-{new_id()}", new_id()

    async def handle(tx: Transaction) -> bool:
        if await tx.already_processed(consumer, event_id):
            return False
        await tx.put("people", new_id(), {"from": event_id})
        tx.mark_processed(consumer, event_id)
        return True

    assert await store.atomic(handle) is True
    assert await store.atomic(handle) is False
    assert await store.count("people", {"from": event_id}) == 1

    async def other_consumer(tx: Transaction) -> bool:
        return await tx.already_processed(f"other-{consumer}", event_id)

    assert await store.atomic(other_consumer) is False


async def test_inbox_forgets_the_event_when_the_transaction_fails(store: Store) -> None:
    consumer, event_id = f"c-{new_id()}", new_id()

    async def fail(tx: Transaction) -> None:
        tx.mark_processed(consumer, event_id)
        assert await tx.already_processed(consumer, event_id)
        raise Boom

    with pytest.raises(Boom):
        await store.atomic(fail)

    async def check(tx: Transaction) -> bool:
        return await tx.already_processed(consumer, event_id)

    assert await store.atomic(check) is False


async def test_marking_an_event_twice_fails_the_second_commit(store: Store) -> None:
    consumer, event_id = f"c-{new_id()}", new_id()
    key = new_id()

    async def careless(tx: Transaction) -> None:
        await tx.put("people", key, {"n": 1})
        tx.mark_processed(consumer, event_id)

    await store.atomic(careless)
    await put(store, "people", key, {"n": 0})
    with pytest.raises(DuplicateKey):
        await store.atomic(careless)
    assert await store.get("people", key) == {"n": 0}


# -- stats and health --------------------------------------------------------------------


async def test_stats_count_round_trips_commits_and_polls(store: Store) -> None:
    start = replace(store.stats)

    await store.get("people", new_id())
    assert store.stats.queries == start.queries + 1

    await store.ping()
    assert store.stats.queries == start.queries + 2

    await store.fetch_unpublished(10)
    assert store.stats.outbox_polls == start.outbox_polls + 1
    assert store.stats.queries == start.queries + 3

    async def write(tx: Transaction) -> None:
        await tx.insert("people", new_id(), {})
        tx.publish(event(), SUBJECT)

    await store.atomic(write)
    assert store.stats.transactions == start.transactions + 1
    assert store.stats.queries >= start.queries + 5

    async def fail(tx: Transaction) -> None:
        raise Boom

    with pytest.raises(Boom):
        await store.atomic(fail)
    assert store.stats.transactions == start.transactions + 1

    idle = replace(store.stats)
    await asyncio.sleep(0)
    assert store.stats == idle


# -- the same semantics, exhaustively ----------------------------------------------------

_VALUES = st.sampled_from([None, True, False, 0, 1, 1.0, 2, "1", "a", ""])
_MISSING = object()


def _oracle_matches(doc: dict[str, Any], where: dict[str, Any]) -> bool:
    for name, expected in where.items():
        actual = doc.get(name)
        if expected is None:
            if actual is not None:
                return False
        elif type(expected) is bool or type(actual) is bool:
            if type(actual) is not type(expected) or actual != expected:
                return False
        elif isinstance(expected, str) != isinstance(actual, str) or actual != expected:
            return False
    return True


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    docs=st.lists(
        st.dictionaries(st.sampled_from(["a", "b"]), _VALUES, max_size=2), min_size=1, max_size=8
    ),
    where=st.dictionaries(st.sampled_from(["a", "b"]), _VALUES, max_size=2),
    limit=st.one_of(st.none(), st.integers(0, 4)),
)
async def test_find_agrees_with_a_plain_python_oracle(
    store: Store, docs: list[dict[str, Any]], where: dict[str, Any], limit: int | None
) -> None:
    collection = f"prop_{new_id()}"
    keys = sorted(new_id() for _ in docs)

    async def write(tx: Transaction) -> None:
        for key, doc in zip(keys, docs, strict=True):
            await tx.insert(collection, key, {**doc, "key": key})

    await store.atomic(write)
    expected = [key for key, doc in zip(keys, docs, strict=True) if _oracle_matches(doc, where)]
    found = await store.find(collection, where, limit=limit)
    assert [doc["key"] for doc in found] == expected[:limit]
    assert await store.count(collection, where) == len(expected)
