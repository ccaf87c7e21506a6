"""A person's requests around some days, read from the real stores: only those that can
overlap are read, however long the person's history."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest

from leaveflow_kit.documents import to_doc
from leaveflow_kit.storage import Between, Store, open_store
from leaveflow_kit.storage._common import check_where
from leaveflow_kit.storage.sqlite import _select_sql
from leaveflow_requests.adapters.repository import INDEXES, LEAVE_REQUESTS, StoreReads
from leaveflow_requests.domain.model import LeaveRequest

BASE = date.today()  # any day: nothing here reads a clock


class CountingStore:
    """The store, counting the documents its finds hand back."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.found = 0

    async def get(self, collection: str, key: str) -> dict[str, Any] | None:
        return await self.store.get(collection, key)

    async def find(
        self, collection: str, where: Mapping[str, Any], **kw: Any
    ) -> list[dict[str, Any]]:
        docs = await self.store.find(collection, where, **kw)
        self.found += len(docs)
        return docs


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path}/requests.db"
    opened = open_store(url, INDEXES)
    await opened.start()
    yield opened
    await opened.close()


def leave(n: int, first: int, last: int, status: str, employee: str = "ana") -> LeaveRequest:
    return LeaveRequest(
        id=f"r{n:04d}",
        tenant_id="t1",
        employee_id=employee,
        leave_type_id="vacation",
        start_date=BASE + timedelta(days=first),
        end_date=BASE + timedelta(days=last),
        amount=Decimal(last - first + 1),
        status=status,
    )


async def put(store: Store, *requests: LeaveRequest) -> None:
    async def write(tx: Any) -> None:
        for request in requests:
            await tx.put(LEAVE_REQUESTS, request.id, to_doc(request))

    await store.atomic(write)


async def test_the_overlap_is_exact_at_both_edges_and_skips_ended_requests(store: Store) -> None:
    # Days 10-14 asked about: touching either edge overlaps, a day off either does not.
    await put(
        store,
        leave(1, 5, 9, "approved"),  # ends the day before
        leave(2, 5, 10, "approved"),  # ends on the first day
        leave(3, 14, 20, "pending"),  # starts on the last day
        leave(4, 15, 16, "submitted"),  # starts the day after
        leave(5, 11, 12, "cancelled"),  # inside, but not live
        leave(6, 0, 40, "submitted"),  # around the whole window
        leave(7, 11, 12, "approved", employee="ben"),  # someone else
    )
    found = await StoreReads(store).live_requests_overlapping(
        "t1", "ana", BASE + timedelta(days=10), BASE + timedelta(days=14)
    )
    assert sorted(r.id for r in found) == ["r0002", "r0003", "r0006"]


async def test_years_of_history_are_not_read_to_check_a_new_request(store: Store) -> None:
    past = [leave(n, -3 * n - 1, -3 * n, "approved") for n in range(1, 201)]
    await put(store, *past, leave(900, 7, 8, "pending"), leave(901, 30, 31, "approved"))
    counting = CountingStore(store)
    reads = StoreReads(cast(Store, counting))
    found = await reads.live_requests_overlapping(
        "t1", "ana", BASE + timedelta(days=8), BASE + timedelta(days=9)
    )
    assert [r.id for r in found] == ["r0900"]
    assert counting.found == 2  # the two that end after day 8, not the 200 before


async def test_an_approver_is_on_leave_only_on_the_days_of_approved_leave(store: Store) -> None:
    await put(
        store,
        *(leave(n, -2 * n, -2 * n, "approved") for n in range(1, 50)),
        leave(100, 3, 5, "approved"),
        leave(101, 8, 8, "pending"),
    )
    reads = StoreReads(store)
    on_leave = [
        day
        for day in range(0, 10)
        if await reads.on_approved_leave("t1", "ana", BASE + timedelta(days=day))
    ]
    assert on_leave == [3, 4, 5]


def test_a_page_of_a_persons_requests_and_their_overlaps_each_have_an_index() -> None:
    # A page is a range of the index of exactly its fields (ADR 0014); the overlap, a
    # range of the one that ends in end_date.
    specs = [spec for spec in INDEXES if not spec.retired]
    page, _ = _select_sql(
        LEAVE_REQUESTS,
        check_where({"tenant_id": "t1", "employee_id": "ana"}),
        count=False,
        after_key=None,
        limit=50,
        indexes=specs,
    )
    overlap, _ = _select_sql(
        LEAVE_REQUESTS,
        check_where({"tenant_id": "t1", "employee_id": "ana", "end_date": Between("a", "b")}),
        count=False,
        after_key=None,
        limit=None,
        indexes=specs,
    )
    assert '"ix_leave_requests__tenant_id__employee_id__key"' in page
    assert '"ix_leave_requests__tenant_id__employee_id__end_date__key"' in overlap
