"""The team calendar's month grid: one row per person, one cell per day (pure, no I/O)."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class Day:
    day: date
    holiday: str | None  # the public holiday's name, if any location shown has one

    @property
    def weekend(self) -> bool:
        return self.day.isoweekday() >= 6


@dataclass
class Row:
    name: str
    # Per day of the month: None, or (status, leave type name, part)
    cells: list[tuple[str, str, str] | None] = field(default_factory=list)


def parse_month(value: str, today: date) -> date:
    """The first day of ``YYYY-MM``; this month when absent or malformed."""
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def month_days(first: date) -> list[date]:
    count = calendar.monthrange(first.year, first.month)[1]
    return [first + timedelta(days=i) for i in range(count)]


def shift_month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _part(item: Mapping[str, Any], day: date) -> str:
    if day.isoformat() == item["start_date"] and item.get("start_part") in ("am", "pm"):
        return str(item["start_part"])
    if day.isoformat() == item["end_date"] and item.get("end_part") == "am":
        return "am"
    return "full"


def build_grid(
    first: date,
    absences: Iterable[Mapping[str, Any]],
    holidays: Mapping[str, str],
) -> tuple[list[Day], list[Row]]:
    """Days of the month with their holidays, and who is off on which of them.

    Approved leave wins over pending on a day that has both (a person can have one of each
    only when a pending request overlaps an approved one, which the API refuses anyway).
    """
    days = month_days(first)
    header = [Day(d, holidays.get(d.isoformat())) for d in days]
    rows: dict[str, Row] = {}
    for item in absences:
        key = str(item.get("employee_id") or item.get("employee_name"))
        row = rows.setdefault(key, Row(str(item.get("employee_name") or key), [None] * len(days)))
        for index, day in enumerate(days):
            if not item["start_date"] <= day.isoformat() <= item["end_date"]:
                continue
            current = row.cells[index]
            if current is not None and current[0] == "approved":
                continue
            status = str(item.get("status") or "approved")
            row.cells[index] = (status, str(item.get("leave_type_name") or ""), _part(item, day))
    return header, sorted(rows.values(), key=lambda r: r.name.lower())
