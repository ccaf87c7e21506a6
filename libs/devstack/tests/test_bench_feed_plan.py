"""The feed bench's year of leave: every request valid on its own and free of overlaps."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest

from leaveflow_devstack.bench import percentile
from leaveflow_devstack.bench_feed import LEAVE_DAYS, LEAVES_PER_EMPLOYEE, leave_plan


@pytest.mark.parametrize("year", [2026, 2027, 2028])
def test_each_employee_gets_separate_weekday_leaves_inside_the_year(year: int) -> None:
    plan = leave_plan(year, 1000)
    assert len(plan) == 1000 * LEAVES_PER_EMPLOYEE
    by_employee: dict[int, list[date]] = defaultdict(list)
    for employee, first in plan:
        last = first + timedelta(days=LEAVE_DAYS - 1)
        assert first.isoweekday() == 1
        assert (first.year, last.year) == (year, year)
        by_employee[employee].append(first)
    for firsts in by_employee.values():
        assert len(set(firsts)) == LEAVES_PER_EMPLOYEE  # different weeks: no overlap
    # Spread over the year rather than piled on one week.
    assert len({first for _, first in plan}) >= 40


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.99)) == (50.0, 99.0)
