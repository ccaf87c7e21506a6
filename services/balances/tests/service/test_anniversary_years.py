"""Issue 17's anniversary leave years on the in-memory store: balances and bookings follow
each person's year, and the year end runs for each person on their day (with carry-over cap
and expiry), once however often it is asked, and an admin's close covers the years already
ended."""

# fixed-clock: the harness runs on FakeClock, moved by hand (`clock.move_to`)

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from leaveflow_balances.adapters.repository import CARRYOVERS
from leaveflow_balances.service_layer.projection import employee_balances
from leaveflow_balances.service_layer.scheduler import YearEndScheduler
from leaveflow_kit.clock import local_midnight

from ..harness import Harness, T, weekdays

D = Decimal
BERLIN = "Europe/Berlin"


async def _setup(harness: Harness) -> None:
    # e1 joined on 15 March 2019, e2 on 1 July 2020, e3 on 29 February 2020.
    await harness.setup(
        year_start="anniversary",
        start=date(2019, 3, 15),
        carryover_max=D(5),
        carryover_expiry_months=3,
    )
    await harness.employee("e2", start=date(2020, 7, 1))
    await harness.employee("e3", start=date(2020, 2, 29))


async def _year_of(harness: Harness, employee: str, day: date) -> tuple[date, date]:
    found = await harness.reads.employee(T, employee)
    assert found is not None
    year, _ = await employee_balances(harness.reads, found, day)
    return year.start, year.end


async def _carried(harness: Harness) -> dict[str, list[tuple[int, str]]]:
    sheets = await harness.store.find(CARRYOVERS, {"tenant_id": T})
    return {
        s["employee_id"]: [(s["year"], e["amount"]) for e in s["entries"]]
        for s in sorted(sheets, key=lambda s: str(s["employee_id"]))
    }


async def _day_passes(harness: Harness, scheduler: YearEndScheduler, day: date) -> None:
    """Berlin's midnight starting `day`: the scheduler's tick runs what is due."""
    harness.clock.move_to(local_midnight(day, BERLIN) + timedelta(minutes=1))
    await scheduler.tick()
    await scheduler.settle()


async def test_each_person_has_their_own_leave_year(harness: Harness) -> None:
    await _setup(harness)
    expected = [
        ("e1", date(2026, 6, 1), date(2026, 3, 15), date(2027, 3, 14)),
        ("e2", date(2026, 6, 1), date(2025, 7, 1), date(2026, 6, 30)),
        ("e3", date(2027, 3, 1), date(2027, 2, 28), date(2028, 2, 28)),
        ("e3", date(2028, 2, 29), date(2028, 2, 29), date(2029, 2, 27)),
    ]
    for employee, day, first, last in expected:
        assert await _year_of(harness, employee, day) == (first, last)
    # Whole years: 10 each, no proration.
    assert (await harness.balance(date(2026, 6, 1), "e2")).accrued == D(10)


async def test_a_request_across_a_persons_year_boundary_splits_there(harness: Harness) -> None:
    await _setup(harness)
    days = weekdays(date(2027, 3, 11), 4)  # Thu 11, Fri 12, Mon 15, Tue 16 March
    await harness.request("r1", days)
    old = await harness.balance(date(2027, 3, 12))
    new = await harness.balance(date(2027, 3, 15))
    assert (old.pending, new.pending) == (D(2), D(2))


async def test_the_year_end_runs_for_each_person_on_their_day(harness: Harness) -> None:
    harness.clock.move_to(datetime(2026, 6, 1, tzinfo=UTC))
    await _setup(harness)
    used = weekdays(date(2026, 5, 4), 3)  # e1: 10 - 3 = 7 left in the year to 14 March 2027
    await harness.request("r1", used)
    await harness.approve("r1", used)
    scheduler = YearEndScheduler(harness.uow, harness.reads, harness.clock)
    await _day_passes(harness, scheduler, date(2026, 7, 1))  # e2's year ended 30 June
    assert await _carried(harness) == {"e2": [(2026, "5")]}
    await _day_passes(harness, scheduler, date(2027, 2, 28))  # e3's (29 February) year
    await _day_passes(harness, scheduler, date(2027, 3, 14))
    assert set(await _carried(harness)) == {"e2", "e3"}
    await _day_passes(harness, scheduler, date(2027, 3, 15))
    carried = await _carried(harness)
    assert carried["e1"] == [(2027, "5")]  # 7 left, capped at 5
    # Again, and a replica's tick at the same moment: nothing twice.
    await scheduler.tick()
    await scheduler.settle()
    assert await _carried(harness) == carried
    b = await harness.balance(date(2027, 3, 15))
    assert (b.carried_over, b.carryover_expires_on, b.remaining) == (D(5), date(2027, 6, 15), D(15))
    # 2 days before the expiry use carried days first; the other 3 expire on 15 June.
    april = weekdays(date(2027, 4, 5), 2)
    await harness.request("r2", april)
    await harness.approve("r2", april)
    after = await harness.balance(date(2027, 6, 15))
    assert (after.carried_over, after.used, after.remaining) == (D(2), D(2), D(10))


async def test_a_day_missed_while_down_is_caught_up(harness: Harness) -> None:
    harness.clock.move_to(datetime(2026, 6, 1, tzinfo=UTC))
    await _setup(harness)
    scheduler = YearEndScheduler(harness.uow, harness.reads, harness.clock)
    # Down from 29 June to 3 July: e2's day (1 July) is run when the service is back.
    await _day_passes(harness, scheduler, date(2026, 7, 3))
    assert await _carried(harness) == {"e2": [(2026, "5")]}


async def test_years_before_the_location_was_known_do_not_close_by_themselves(
    harness: Harness,
) -> None:
    harness.clock.move_to(datetime(2026, 7, 1, 12, tzinfo=UTC))  # after e2's day
    await _setup(harness)
    scheduler = YearEndScheduler(harness.uow, harness.reads, harness.clock)
    await scheduler.tick()
    await scheduler.settle()
    assert await _carried(harness) == {}


async def test_an_admins_close_covers_the_years_ended_by_today(harness: Harness) -> None:
    harness.clock.move_to(datetime(2027, 5, 1, 10, tzinfo=UTC))
    await _setup(harness)
    scheduler = YearEndScheduler(harness.uow, harness.reads, harness.clock)
    jobs, not_ended = await scheduler.close_year(T, 2026, "admin")
    await scheduler.settle()
    assert (len(jobs), not_ended) == (1, [])
    # e1's year 2026 ended 14 March 2027 and e3's 27 February; e2's ends 30 June 2027.
    assert set(await _carried(harness)) == {"e1", "e3"}
    # The calendar year 2027 has not ended: no year labelled 2027 has.
    assert (await scheduler.close_year(T, 2027, "admin"))[1] == ["loc"]
