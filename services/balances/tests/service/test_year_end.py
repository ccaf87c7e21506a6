"""The year end (docs/api.md, `POST /v1/year-end`) on the in-memory store: closing a year
carries days over (capped, owed days in full), twice is once, a crash resumes, the clock
closes years at local midnight, and the expiry takes only carried days not used before it."""

# fixed-clock: the harness runs on FakeClock, moved by hand (`clock.move_to`)

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from leaveflow_balances.adapters.repository import CARRYOVERS, YEAR_ENDS
from leaveflow_balances.service_layer.scheduler import YearEndScheduler
from leaveflow_balances.service_layer.year_end import open_job, run_job
from leaveflow_kit.clock import local_midnight

from ..harness import Harness, T, weekdays

D = Decimal


async def close(harness: Harness, year: int) -> None:
    job = await open_job(harness.uow, T, "loc", year, "admin")
    await run_job(harness.uow, harness.reads, job)


async def test_year_end_carries_remaining_days_up_to_the_cap(harness: Harness) -> None:
    await harness.setup(carryover_max=D(5))
    await harness.request("r1", weekdays(date(2026, 3, 2), 3))
    await harness.approve("r1", weekdays(date(2026, 3, 2), 3))
    await close(harness, 2026)
    b = await harness.balance(date(2027, 1, 1))
    # 10 - 3 = 7 remaining, capped at 5.
    assert (b.carried_over, b.accrued, b.remaining) == (D(5), D(10), D(15))


async def test_owed_days_carry_over_in_full(harness: Harness) -> None:
    await harness.setup(carryover_max=D(5), negative_allowance=D(3))
    await harness.request("r1", weekdays(date(2026, 3, 2), 12))
    await harness.approve("r1", weekdays(date(2026, 3, 2), 12))
    await close(harness, 2026)
    b = await harness.balance(date(2027, 1, 1))
    assert (b.carried_over, b.remaining) == (D(-2), D(8))


async def test_year_end_twice_is_once(harness: Harness) -> None:
    await harness.setup(carryover_max=None)
    await close(harness, 2026)
    await close(harness, 2026)
    job = await open_job(harness.uow, T, "loc", 2026, "admin")
    assert (job.state, job.processed, job.carried) == ("done", 1, 1)
    b = await harness.balance(date(2027, 1, 1))
    assert b.carried_over == D(10)
    carried = [e for e in await harness.ledger(to=date(2027, 1, 1)) if e.kind == "carryover"]
    assert [(e.amount, e.effective_date) for e in carried] == [(D(10), date(2027, 1, 1))]


async def test_a_crashed_year_end_resumes_where_it_stopped(harness: Harness) -> None:
    await harness.setup(carryover_max=D(5))
    for n in range(2, 8):
        await harness.employee(f"e{n}")
    job = await open_job(harness.uow, T, "loc", 2026, "admin")

    def crash_after_first_batch(done: int, total: int) -> None:
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        await run_job(harness.uow, harness.reads, job, batch=3, progress=crash_after_first_batch)
    assert len(await harness.store.find(CARRYOVERS, {"tenant_id": T})) == 3
    resumed = await open_job(harness.uow, T, "loc", 2026, "admin")
    assert (resumed.state, resumed.processed) == ("running", 3)
    finished = await run_job(harness.uow, harness.reads, resumed, batch=3)
    assert (finished.state, finished.processed, finished.carried) == ("done", 7, 7)
    sheets = await harness.store.find(CARRYOVERS, {"tenant_id": T})
    assert sorted(s["employee_id"] for s in sheets) == sorted(
        ["e1"] + [f"e{n}" for n in range(2, 8)]
    )
    assert all(len(s["entries"]) == 1 for s in sheets)


async def test_expiry_removes_only_the_unused_carried_days(harness: Harness) -> None:
    await harness.setup(carryover_max=D(5), carryover_expiry_months=3)
    await close(harness, 2026)  # 10 remaining -> 5 carried, expiring 1 April 2027
    february = weekdays(date(2027, 2, 1), 2)
    await harness.request("r1", february)
    await harness.approve("r1", february)
    before = await harness.balance(date(2027, 3, 31))
    assert (before.carried_over, before.carryover_expires_on) == (D(5), date(2027, 4, 1))
    after = await harness.balance(date(2027, 4, 1))
    assert (after.carried_over, after.used, after.remaining) == (D(2), D(2), D(10))
    (expiry,) = [
        e for e in await harness.ledger(to=date(2027, 4, 1)) if e.kind == "carryover_expiry"
    ]
    assert (expiry.amount, expiry.effective_date) == (D(-3), date(2027, 4, 1))


async def test_carried_days_serve_only_leave_before_the_expiry(harness: Harness) -> None:
    await harness.setup(carryover_max=D(5), carryover_expiry_months=3)
    await close(harness, 2026)
    # 15 available in March, but a May request can use only the 10 of 2027.
    await harness.request("r1", weekdays(date(2027, 5, 3), 11))
    await harness.request("r2", weekdays(date(2027, 3, 1), 12))
    types = [e.type for e in await harness.outbox() if e.type.startswith("Leave")]
    assert types == ["LeaveReservationRejected", "LeaveReserved"]
    (rejected,) = [e for e in await harness.outbox() if e.type == "LeaveReservationRejected"]
    assert rejected.data["available"] == "10.00"


async def test_the_clock_closes_the_year_at_local_midnight(harness: Harness) -> None:
    harness.clock.move_to(datetime(2026, 12, 31, 12, tzinfo=UTC))
    await harness.setup(carryover_max=D(5))  # Europe/Berlin, first seen in 2026
    scheduler = YearEndScheduler(harness.uow, harness.reads, harness.clock, heartbeat_seconds=3600)
    scheduler.start()
    try:
        await asyncio.sleep(0.05)
        assert (await harness.balance(date(2027, 1, 1))).carried_over == D(0)
        # One minute before Berlin's midnight (23:00 UTC): nothing yet.
        harness.clock.move_to(
            local_midnight(date(2027, 1, 1), "Europe/Berlin") - timedelta(minutes=1)
        )
        await asyncio.sleep(0.05)
        await scheduler.settle()
        assert await harness.store.find(CARRYOVERS, {"tenant_id": T}) == []
        harness.clock.move_to(local_midnight(date(2027, 1, 1), "Europe/Berlin"))
        for _ in range(50):
            await asyncio.sleep(0.01)
            await scheduler.settle()
            if await harness.store.find(CARRYOVERS, {"tenant_id": T}):
                break
        assert (await harness.balance(date(2027, 1, 1))).carried_over == D(5)
    finally:
        await scheduler.stop()


async def test_years_before_the_location_was_known_do_not_close_by_themselves(
    harness: Harness,
) -> None:
    harness.clock.move_to(datetime(2026, 6, 1, tzinfo=UTC))
    await harness.setup(carryover_max=D(5))
    scheduler = YearEndScheduler(harness.uow, harness.reads, harness.clock)
    await scheduler.tick()
    await scheduler.settle()
    assert await harness.store.find(CARRYOVERS, {"tenant_id": T}) == []


async def test_two_replicas_running_one_job_close_each_employee_once(harness: Harness) -> None:
    """Both balances replicas are asked at once (or both find the job running at start-up):
    one runs it, the other leaves it alone, and the job's counts are those of one run."""
    await harness.setup(carryover_max=D(5))
    for n in range(2, 8):
        await harness.employee(f"e{n}")
    mine = await open_job(harness.uow, T, "loc", 2026, "admin")
    theirs = await open_job(harness.uow, T, "loc", 2026, "admin")  # the other replica's copy
    batches: dict[str, int] = {"a": 0, "b": 0}

    def counted(replica: str) -> Callable[[int, int], None]:
        def progress(done: int, total: int) -> None:
            batches[replica] += 1

        return progress

    await asyncio.gather(
        run_job(harness.uow, harness.reads, mine, batch=2, progress=counted("a"), runner="a"),
        run_job(harness.uow, harness.reads, theirs, batch=2, progress=counted("b"), runner="b"),
    )
    assert sorted(batches.values()) == [0, 4], batches  # 7 employees, 2 a batch, one runner
    stored = await open_job(harness.uow, T, "loc", 2026, "admin")
    assert (stored.state, stored.processed, stored.carried) == ("done", 7, 7)
    sheets = await harness.store.find(CARRYOVERS, {"tenant_id": T})
    assert sorted(s["employee_id"] for s in sheets) == sorted(f"e{n}" for n in range(1, 8))


async def test_a_replica_takes_over_a_job_whose_runner_died(harness: Harness) -> None:
    await harness.setup(carryover_max=D(5))
    for n in range(2, 8):
        await harness.employee(f"e{n}")
    job = await open_job(harness.uow, T, "loc", 2026, "admin")

    def die(done: int, total: int) -> None:
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        await run_job(harness.uow, harness.reads, job, batch=3, progress=die, runner="a")
    # Replica b leaves it alone while a's lease holds ...
    held = await run_job(harness.uow, harness.reads, job, batch=3, runner="b")
    assert (held.state, held.runner, held.processed) == ("running", "a", 3)
    # ... and finishes it from the cursor once the lease has lapsed.
    stored = await harness.store.get(YEAR_ENDS, job.id)
    assert stored is not None
    await harness.store.atomic(lambda tx: tx.put(YEAR_ENDS, job.id, {**stored, "lease_until": 0}))
    done = await run_job(harness.uow, harness.reads, job, batch=3, runner="b")
    assert (done.state, done.processed, done.carried) == ("done", 7, 7)
    # a, back from the dead with its stale copy, writes nothing over it.
    again = await run_job(harness.uow, harness.reads, job, batch=3, runner="a")
    assert (again.state, again.processed, again.carried) == ("done", 7, 7)
