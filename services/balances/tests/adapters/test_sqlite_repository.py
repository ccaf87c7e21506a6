"""The balances queries on the real SQLite adapter: a year's entries by leave year (an int
field), carry-over sheets joined into an employee's ledger, and a year end end to end."""

# fixed-clock: the harness runs on FakeClock(2026-06-01); balances take `as_of` dates

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

from leaveflow_balances.adapters.repository import INDEXES, LEDGER
from leaveflow_balances.domain.calendar import LeaveYear, leave_year_labelled
from leaveflow_balances.domain.ledger import LedgerEntry
from leaveflow_balances.domain.replicas import EmployeeReplica
from leaveflow_balances.service_layer.ports import Repository
from leaveflow_balances.service_layer.year_end import open_job, run_job
from leaveflow_kit.storage import Store, open_store
from leaveflow_kit.testing import FakeClock
from leaveflow_kit.testing.stores import EMBEDDED_KINDS, started_store

from ..harness import Harness, T


async def _save_carryover(
    year: int, employee: EmployeeReplica, entry: LedgerEntry, repo: Repository
) -> None:
    await repo.save_carryovers(year, [(employee, [entry])])


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    store: Store = open_store(f"sqlite:///{tmp_path / 'balances.db'}", INDEXES)
    await store.start()
    yield Harness(store, FakeClock(datetime(2026, 6, 1, tzinfo=UTC)))
    await store.close()


async def test_year_end_and_expiry_on_sqlite(harness: Harness) -> None:
    await harness.setup(
        annual_allowance=Decimal(10), carryover_max=Decimal(4), carryover_expiry_months=2
    )
    march = [date(2026, 3, 2) + timedelta(days=i) for i in range(3)]
    await harness.request("r1", march)
    await harness.approve("r1", march)
    found = await harness.store.find(LEDGER, {"tenant_id": T, "leave_year": 2026})
    assert sorted(d["kind"] for d in found) == ["deduction", "reservation", "reservation_release"]
    opened = await open_job(harness.uow, T, "loc", 2026, "admin")
    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    job = await run_job(harness.uow, harness.reads, opened)
    assert (job.state, job.carried) == ("done", 1)
    # The job paused and froze the collector while it ran: it is back on, and the heap
    # unfrozen (or still frozen, if something had frozen it before).
    assert gc.isenabled()
    if frozen_before == 0:
        assert gc.get_freeze_count() == 0
    else:
        assert gc.get_freeze_count() >= frozen_before
    employee = await harness.reads.employee(T, "e1")
    assert employee is not None
    entries = await harness.reads.entries(T, "e1")
    (carry,) = [e for e in entries if e.kind == "carryover"]
    assert (carry.amount, carry.expires_on) == (Decimal(4), date(2027, 3, 1))
    assert (await harness.balance(date(2027, 2, 28))).carried_over == Decimal(4)
    assert (await harness.balance(date(2027, 3, 1))).carried_over == Decimal(0)


@pytest.fixture(params=EMBEDDED_KINDS)
async def memory_or_sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with started_store(request.param, tmp_path, INDEXES) as store:
        yield store


async def test_entries_within_a_leave_year_are_exactly_those_effective_in_it(
    memory_or_sqlite: Store,
) -> None:
    store = memory_or_sqlite
    harness = Harness(store, FakeClock(datetime(2026, 6, 1, tzinfo=UTC)))
    await harness.setup(year_start="04-01", annual_allowance=Decimal(10))
    # Each side of both ends of the leave year 2026-04-01 .. 2027-03-31.
    days = [date(2026, 3, 31), date(2026, 4, 1), date(2027, 3, 31), date(2027, 4, 1)]
    for n, day in enumerate(days):
        await harness.request(f"r{n}", [day])
    year = LeaveYear(2026, date(2026, 4, 1), date(2027, 3, 31))
    within = await harness.reads.entries(T, "e1", within=year)
    assert sorted({e.effective_date for e in within}) == days[1:3]
    every = await harness.reads.entries(T, "e1")
    assert {e.id for e in within} == {e.id for e in every if e.effective_date in year}
    assert {e.effective_date for e in every} == set(days)


async def test_a_windows_carry_overs_are_found_even_after_the_year_start_moved(
    memory_or_sqlite: Store,
) -> None:
    store = memory_or_sqlite
    harness = Harness(store, FakeClock(datetime(2026, 6, 1, tzinfo=UTC)))
    await harness.setup()
    employee = await harness.reads.employee(T, "e1")
    assert employee is not None
    # Sheets written while the year started on 1 January: each effective that day.
    for label in range(2024, 2029):
        carry = LedgerEntry(
            f"carryover:e1:vac:{label}",
            T,
            "e1",
            "vac",
            "carryover",
            Decimal(1),
            date(label, 1, 1),
            leave_year=label,
        )
        await harness.uow.run(partial(_save_carryover, label, employee, carry))
    every = await harness.reads.entries(T, "e1")
    for month_day in ("01-01", "07-01", "12-31"):  # the start as it is now
        for label in (2025, 2026, 2027):
            year = leave_year_labelled(label, month_day)
            within = await harness.reads.entries(T, "e1", within=year)
            expected = {e.id for e in every if e.effective_date in year}
            assert expected
            assert {e.id for e in within} == expected
