"""The team calendar's month grid: who is off on which day, holidays marked."""

# fixed-clock: pure functions; `parse_month` takes today as an argument

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from leaveflow_web.month_grid import build_grid, parse_month, shift_month


def absence(
    name: str, start: str, end: str, status: str = "approved", **parts: str
) -> dict[str, Any]:
    return {
        "employee_id": name.lower(),
        "employee_name": name,
        "leave_type_name": "Vacation",
        "start_date": start,
        "end_date": end,
        "start_part": parts.get("start_part", "full"),
        "end_part": parts.get("end_part", "full"),
        "status": status,
    }


MARCH = date(2027, 3, 1)


def test_each_day_of_a_leave_is_marked_with_its_status_and_nothing_else() -> None:
    header, rows = build_grid(MARCH, [absence("Evan", "2027-03-08", "2027-03-12")], {})
    assert len(header) == 31
    (row,) = rows
    marked = [i + 1 for i, cell in enumerate(row.cells) if cell]
    assert marked == [8, 9, 10, 11, 12]
    assert row.cells[7] == ("approved", "Vacation", "full")


def test_a_leave_across_the_month_edge_shows_only_this_months_days() -> None:
    _, rows = build_grid(MARCH, [absence("Evan", "2027-02-25", "2027-03-02")], {})
    assert [i + 1 for i, cell in enumerate(rows[0].cells) if cell] == [1, 2]


@pytest.mark.parametrize(
    ("parts", "day", "expected"),
    [
        ({"start_part": "pm"}, 8, "pm"),
        ({"start_part": "am"}, 8, "am"),
        ({"end_part": "am"}, 10, "am"),
        ({"end_part": "am"}, 9, "full"),
    ],
)
def test_half_days_are_marked_on_their_day(parts: dict[str, str], day: int, expected: str) -> None:
    _, rows = build_grid(MARCH, [absence("Evan", "2027-03-08", "2027-03-10", **parts)], {})
    cell = rows[0].cells[day - 1]
    assert cell is not None
    assert cell[2] == expected


def test_pending_is_shown_apart_from_approved_and_approved_wins_a_shared_day() -> None:
    items = [
        absence("Evan", "2027-03-08", "2027-03-09", status="pending"),
        absence("Evan", "2027-03-09", "2027-03-10"),
    ]
    _, rows = build_grid(MARCH, items, {})
    statuses = [cell[0] if cell else None for cell in rows[0].cells[7:10]]
    assert statuses == ["pending", "approved", "approved"]


def test_people_are_listed_by_name_and_holidays_and_weekends_are_marked() -> None:
    items = [
        absence("zoe", "2027-03-01", "2027-03-01"),
        absence("Adam", "2027-03-02", "2027-03-02"),
    ]
    header, rows = build_grid(MARCH, items, {"2027-03-08": "Women's Day"})
    assert [r.name for r in rows] == ["Adam", "zoe"]
    assert header[7].holiday == "Women's Day"
    assert header[6].weekend  # Sunday 7 March 2027
    assert not header[7].weekend


@pytest.mark.parametrize(
    ("first", "months", "expected"),
    [
        (date(2027, 1, 1), -1, date(2026, 12, 1)),
        (date(2027, 12, 1), 1, date(2028, 1, 1)),
        (date(2027, 3, 1), 0, date(2027, 3, 1)),
    ],
)
def test_shift_month_crosses_years(first: date, months: int, expected: date) -> None:
    assert shift_month(first, months) == expected


@pytest.mark.parametrize("value", ["", "2027", "2027-13", "march", "2027-03-01"])
def test_a_missing_or_malformed_month_means_this_month(value: str) -> None:
    assert parse_month(value, date(2026, 11, 24)) == date(2026, 11, 1)


def test_a_month_is_parsed() -> None:
    assert parse_month("2027-03", date(2026, 11, 24)) == MARCH
