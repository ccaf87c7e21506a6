"""The replica rule: tenant-scoped keys, the newest (occurred_at, event id) wins, and a
tombstone keeps an older upsert from resurrecting a record."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import permutations
from pathlib import Path

import pytest

from leaveflow_kit.replica import Replica, Stamp
from leaveflow_kit.storage import Doc, Store, Transaction, tenant_get
from leaveflow_kit.testing.stores import EMBEDDED_KINDS, started_store

PEOPLE = Replica("people")
T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=EMBEDDED_KINDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with started_store(request.param, tmp_path) as s:
        yield s


def at(seconds: int, event_id: str = "e") -> Stamp:
    return Stamp(T0 + timedelta(seconds=seconds), event_id)


async def upsert(store: Store, tenant: str, rid: str, doc: Doc, stamp: Stamp) -> Doc | None:
    async def run(tx: Transaction) -> Doc | None:
        return await PEOPLE.upsert(tx, tenant, rid, doc, stamp)

    return await store.atomic(run)


async def delete(store: Store, tenant: str, rid: str, stamp: Stamp) -> bool:
    async def run(tx: Transaction) -> bool:
        return await PEOPLE.delete(tx, tenant, rid, stamp)

    return await store.atomic(run)


async def test_a_newer_event_replaces_an_older_one_does_not(store: Store) -> None:
    assert await upsert(store, "t1", "p", {"name": "Ana"}, at(10)) is not None
    assert await upsert(store, "t1", "p", {"name": "Old"}, at(5)) is None
    assert await upsert(store, "t1", "p", {"name": "Ana Lima"}, at(20)) is not None
    found = await PEOPLE.get(store, "t1", "p")
    assert found is not None
    assert found["name"] == "Ana Lima"
    assert (found["id"], found["tenant_id"]) == ("p", "t1")


async def test_any_arrival_order_converges_to_the_newest_fact(store: Store) -> None:
    facts = [({"name": f"v{n}"}, at(n % 2, f"e{n}")) for n in range(4)]  # ties on purpose
    finals = set()
    for n, order in enumerate(permutations(facts)):
        tenant = f"t{n}"
        for doc, stamp in order:
            await upsert(store, tenant, "p", doc, stamp)
        found = await PEOPLE.get(store, tenant, "p")
        assert found is not None
        finals.add(found["name"])
    # Newest occurred_at is 1 s (e1, e3); the larger event id breaks the tie.
    assert finals == {"v3"}


async def test_the_same_event_twice_is_old_news(store: Store) -> None:
    assert await upsert(store, "t1", "p", {"name": "Ana"}, at(1, "e1")) is not None
    assert await upsert(store, "t1", "p", {"name": "Ana"}, at(1, "e1")) is None


async def test_a_tombstone_stops_an_older_upsert_a_newer_one_revives(store: Store) -> None:
    await upsert(store, "t1", "p", {"name": "Ana"}, at(1))
    assert await delete(store, "t1", "p", at(10)) is True
    assert await PEOPLE.get(store, "t1", "p") is None
    assert await upsert(store, "t1", "p", {"name": "late"}, at(5)) is None
    assert await PEOPLE.get(store, "t1", "p") is None
    assert await delete(store, "t1", "p", at(3)) is False  # older delete: old news too
    assert await upsert(store, "t1", "p", {"name": "back"}, at(11)) is not None
    found = await PEOPLE.get(store, "t1", "p")
    assert found is not None
    assert found["name"] == "back"


async def test_a_delete_before_any_upsert_still_wins_over_older_ones(store: Store) -> None:
    assert await delete(store, "t1", "p", at(10)) is True
    assert await upsert(store, "t1", "p", {"name": "Ana"}, at(2)) is None
    assert await PEOPLE.find(store, "t1") == []


async def test_tenants_never_see_or_overwrite_each_other(store: Store) -> None:
    await upsert(store, "t1", "p", {"name": "Ana"}, at(1))
    await upsert(store, "t2", "p", {"name": "Bo"}, at(0))  # same id, older, other tenant
    one, two = await PEOPLE.get(store, "t1", "p"), await PEOPLE.get(store, "t2", "p")
    assert one is not None
    assert one["name"] == "Ana"
    assert two is not None
    assert two["name"] == "Bo"
    assert await PEOPLE.get(store, "t3", "p") is None
    assert await PEOPLE.get(store, "", "p") is None
    assert await PEOPLE.get(store, "t1", "") is None
    assert [d["name"] for d in await PEOPLE.find(store, "t1")] == ["Ana"]


async def test_find_skips_tombstones_and_filters(store: Store) -> None:
    await upsert(store, "t1", "a", {"name": "A", "dept": "d1"}, at(1))
    await upsert(store, "t1", "b", {"name": "B", "dept": "d1"}, at(1))
    await upsert(store, "t1", "c", {"name": "C", "dept": "d2"}, at(1))
    await delete(store, "t1", "b", at(2))
    assert [d["name"] for d in await PEOPLE.find(store, "t1", {"dept": "d1"})] == ["A"]


async def test_merge_sees_the_live_record_only(store: Store) -> None:
    seen: list[Doc | None] = []

    def merge(current: Doc | None, incoming: Doc) -> Doc:
        seen.append(current)
        return {**incoming, "revision": (current or {}).get("revision", 0) + 1}

    async def up(doc: Doc, stamp: Stamp) -> Doc | None:
        async def run(tx: Transaction) -> Doc | None:
            return await PEOPLE.upsert(tx, "t1", "p", doc, stamp, merge=merge)

        return await store.atomic(run)

    await up({"name": "A"}, at(1))
    stored = await up({"name": "B"}, at(2))
    assert stored is not None
    assert stored["revision"] == 2
    await delete(store, "t1", "p", at(3))
    revived = await up({"name": "C"}, at(4))
    assert revived is not None
    assert revived["revision"] == 1
    assert seen[0] is None
    assert seen[2] is None
    assert seen[1] is not None
    assert seen[1]["name"] == "A"


async def test_tenant_get_reads_only_the_tenants_document(store: Store) -> None:
    async def put(tx: Transaction) -> None:
        await tx.put("feeds", "f1", {"tenant_id": "t1", "x": 1})
        await tx.put("tenants", "t2", {"id": "t2"})

    await store.atomic(put)
    assert await tenant_get(store, "feeds", "t1", "f1") == {"tenant_id": "t1", "x": 1}
    assert await tenant_get(store, "feeds", "t2", "f1") is None
    assert await tenant_get(store, "feeds", "t1", "missing") is None
    assert await tenant_get(store, "feeds", "t1", "") is None
    assert await tenant_get(store, "feeds", "", "f1") is None
    assert await tenant_get(store, "tenants", "t2", "t2", field="id") == {"id": "t2"}

    async def in_tx(tx: Transaction) -> object:
        return await tenant_get(tx, "feeds", "t1", "f1")

    assert await store.atomic(in_tx) == {"tenant_id": "t1", "x": 1}
