"""WorkSchedule: day weights and hours."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from leaveflow_requests.domain.errors import InvalidRequest
from leaveflow_requests.domain.work_schedule import WorkSchedule

PART_TIME = {1: Decimal(8), 2: Decimal(8), 3: Decimal(4), 4: Decimal(0), 5: Decimal(0)}
MON, WED, THU, SAT = date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 5), date(2026, 3, 7)


@pytest.mark.parametrize(
    ("schedule", "day", "weight", "hours"),
    [
        (WorkSchedule(), MON, "1", "8"),
        (WorkSchedule(), SAT, "0", "0"),
        (WorkSchedule(pattern=PART_TIME), MON, "1", "8"),
        (WorkSchedule(pattern=PART_TIME), WED, "0.5", "4"),
        (WorkSchedule(pattern=PART_TIME), THU, "0", "0"),
        (WorkSchedule(pattern={1: Decimal(8)}), WED, "0", "0"),  # missing from the pattern
        (WorkSchedule(pattern={6: Decimal(8)}), SAT, "0", "0"),  # outside the work week
        (WorkSchedule(hours_per_day=Decimal("7.5"), pattern={3: Decimal(6)}), WED, "0.8", "6"),
        (WorkSchedule(workweek=frozenset({6, 7})), SAT, "1", "8"),
    ],
)
def test_day_weight_and_hours(schedule: Any, day: Any, weight: Any, hours: Any) -> None:
    assert schedule.day_weight(day) == Decimal(weight)
    assert schedule.day_hours(day) == Decimal(hours)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"workweek": frozenset()},
        {"workweek": frozenset({0, 1})},
        {"hours_per_day": Decimal(0)},
        {"hours_per_day": Decimal(25)},
        {"pattern": {8: Decimal(1)}},
        {"pattern": {1: Decimal(-1)}},
        {"pattern": {1: Decimal(9)}},  # more than a full day
    ],
)
def test_rejects_impossible_schedules(kwargs: Any) -> None:
    with pytest.raises(InvalidRequest) as info:
        WorkSchedule(**kwargs)
    assert info.value.field == "schedule"


def test_rejects_float_hours() -> None:
    with pytest.raises(TypeError):
        WorkSchedule(hours_per_day=7.5)  # type: ignore[arg-type]


def test_schedules_are_immutable_values() -> None:
    pattern = dict(PART_TIME)
    schedule = WorkSchedule(pattern=pattern)
    pattern[4] = Decimal(8)
    assert schedule.day_weight(THU) == 0
    assert schedule == WorkSchedule(pattern=PART_TIME)
    assert hash(schedule) == hash(WorkSchedule(pattern=PART_TIME))
    with pytest.raises(TypeError):
        schedule.pattern[4] = Decimal(8)  # type: ignore[index]
