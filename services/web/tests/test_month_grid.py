"""The team calendar's grid: who is off on which half of which day, each row by its own
work week and holidays; colours with codes; weeks and months."""

# fixed-clock: pure functions; today is an argument

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from leaveflow_web.month_grid import (
    AWAY_CLASS,
    Person,
    build_grid,
    month_period,
    parse_month,
    period_of,
    shift_month,
    text_color,
    type_class,
    type_color,
    type_rules,
    week_period,
    workweek_of,
)


def absence(
    who: str,
    start: str,
    end: str,
    status: str = "approved",
    type_id: str | None = "vac",
    type_name: str = "Vacation",
    **parts: str,
) -> dict[str, Any]:
    return {
        "employee_id": who.lower(),
        "employee_name": who,
        "leave_type_id": type_id,
        "leave_type_name": type_name,
        "leave_type_color": "#1f77b4" if type_id == "vac" else None,
        "start_date": start,
        "end_date": end,
        "start_part": parts.get("start_part", "full"),
        "end_part": parts.get("end_part", "full"),
        "status": status,
    }


MARCH = month_period(date(2027, 3, 1))  # Monday 1 March 2027
TODAY = date(2027, 3, 10)
EVAN = Person("evan", "Evan")
SUN_THU = frozenset({7, 1, 2, 3, 4})


def marked(row_cells: list[Any]) -> list[int]:
    return [c.day.day for c in row_cells if c.am or c.pm]


def test_each_working_day_of_a_leave_is_marked_with_its_type_and_status() -> None:
    header, rows, legend = build_grid(
        MARCH, [EVAN], [absence("Evan", "2027-03-08", "2027-03-12")], TODAY
    )
    assert len(header) == 31
    (row,) = rows
    assert marked(row.cells) == [8, 9, 10, 11, 12]
    cell = row.cells[7]
    assert cell.whole
    assert cell.am is not None
    assert (cell.am.status, cell.am.kind.name, cell.am.kind.code) == ("approved", "Vacation", "V")
    assert cell.words == "Vacation, approved"
    assert [(k.name, k.color) for k in legend] == [("Vacation", "#1f77b4")]


def test_a_leave_across_the_month_edge_shows_only_this_months_days() -> None:
    _, rows, _ = build_grid(MARCH, [EVAN], [absence("Evan", "2027-02-25", "2027-03-02")], TODAY)
    assert marked(rows[0].cells) == [1, 2]


def test_a_sunday_to_thursday_row_and_a_monday_to_friday_row_differ() -> None:
    """Tel Aviv works Sun–Thu; a week's leave from Sunday 7 March to Saturday 13 March is
    taken on different days in each office."""
    noa = Person("noa", "Noa", workweek=SUN_THU)
    items = [absence(who, "2027-03-07", "2027-03-13") for who in ("Evan", "Noa")]
    _, rows, _ = build_grid(MARCH, [EVAN, noa], items, TODAY)
    evan, noa_row = rows
    assert marked(evan.cells) == [8, 9, 10, 11, 12]
    assert marked(noa_row.cells) == [7, 8, 9, 10, 11]
    # Friday 5 March is a working day for Evan, not for Noa; Sunday 7 the other way round.
    assert (evan.cells[4].working, noa_row.cells[4].working) == (True, False)
    assert (evan.cells[6].working, noa_row.cells[6].working) == (False, True)
    assert noa_row.cells[4].words == "Not a working day"


def test_holidays_belong_to_the_row_of_their_location_only() -> None:
    berlin = Person("evan", "Evan", holidays={date(2027, 3, 8): "Frauentag"})
    tel_aviv = Person("noa", "Noa", workweek=SUN_THU, holidays={date(2027, 3, 23): "Purim"})
    items = [absence("Evan", "2027-03-08", "2027-03-09")]
    _, rows, _ = build_grid(MARCH, [berlin, tel_aviv], items, TODAY)
    evan, noa = rows
    assert (evan.cells[7].holiday, noa.cells[7].holiday) == ("Frauentag", None)
    assert (evan.cells[22].holiday, noa.cells[22].holiday) == (None, "Purim")
    # Nobody takes leave on their public holiday: only the 9th counts for Evan.
    assert marked(evan.cells) == [9]
    assert evan.cells[7].words == "Public holiday: Frauentag"


@pytest.mark.parametrize(
    ("start", "end", "parts", "day", "halves"),
    [
        ("2027-03-08", "2027-03-08", {"start_part": "am"}, 8, (True, False)),
        ("2027-03-08", "2027-03-08", {"start_part": "pm"}, 8, (False, True)),
        ("2027-03-08", "2027-03-08", {}, 8, (True, True)),
        ("2027-03-08", "2027-03-10", {"start_part": "pm"}, 8, (False, True)),
        ("2027-03-08", "2027-03-10", {"end_part": "am"}, 10, (True, False)),
        ("2027-03-08", "2027-03-10", {"end_part": "am"}, 9, (True, True)),
    ],
)
def test_half_days_fill_half_a_cell(
    start: str, end: str, parts: dict[str, str], day: int, halves: tuple[bool, bool]
) -> None:
    _, rows, _ = build_grid(MARCH, [EVAN], [absence("Evan", start, end, **parts)], TODAY)
    cell = rows[0].cells[day - 1]
    assert (cell.am is not None, cell.pm is not None) == halves
    assert cell.whole == all(halves)


def test_a_half_days_words_say_which_half() -> None:
    _, rows, _ = build_grid(
        MARCH, [EVAN], [absence("Evan", "2027-03-08", "2027-03-08", start_part="pm")], TODAY
    )
    assert rows[0].cells[7].words == "Afternoon: Vacation, approved"


def test_pending_is_shown_apart_from_approved_and_approved_wins_a_shared_day() -> None:
    items = [
        absence("Evan", "2027-03-08", "2027-03-09", status="pending"),
        absence("Evan", "2027-03-09", "2027-03-10"),
    ]
    _, rows, _ = build_grid(MARCH, [EVAN], items, TODAY)
    statuses = [c.am.status if c.am else None for c in rows[0].cells[7:10]]
    assert statuses == ["pending", "approved", "approved"]
    assert rows[0].cells[7].words == "Vacation, waiting for approval"


def test_every_person_gets_a_row_in_the_given_order_even_without_leave() -> None:
    people = [Person("adam", "Adam"), Person("zoe", "zoe")]
    zoe_off = [absence("Zoe", "2027-03-01", "2027-03-01")]
    _, rows, _ = build_grid(MARCH, people, zoe_off, TODAY)
    assert [r.name for r in rows] == ["Adam", "zoe"]
    assert marked(rows[0].cells) == []
    assert marked(rows[1].cells) == [1]
    # Leave of someone outside the rows (another page) is not drawn anywhere.
    _, only_adam, _ = build_grid(MARCH, people[:1], zoe_off, TODAY)
    assert marked(only_adam[0].cells) == []


def test_weekday_letters_and_today_are_in_the_header() -> None:
    header, rows, _ = build_grid(MARCH, [EVAN], [], TODAY)
    assert "".join(d.letter for d in header[:7]) == "MTWTFSS"
    assert [d.day.day for d in header if d.today] == [10]
    assert [c.day.day for c in rows[0].cells if c.today] == [10]


def test_days_before_someone_started_or_after_they_left_are_not_working_days() -> None:
    person = Person("evan", "Evan", start_date=date(2027, 3, 3), end_date=date(2027, 3, 24))
    _, rows, _ = build_grid(MARCH, [person], [], TODAY)
    working = [c.day.day for c in rows[0].cells if c.working]
    assert (working[0], working[-1]) == (3, 24)
    assert person.active_during(date(2027, 3, 24), date(2027, 3, 31))
    assert not person.active_during(date(2027, 3, 25), date(2027, 3, 31))


def test_private_leave_seen_as_away_has_its_own_grey_kind() -> None:
    away = absence("Evan", "2027-03-08", "2027-03-08", type_id=None, type_name="Away")
    _, rows, legend = build_grid(MARCH, [EVAN], [away], TODAY)
    cell = rows[0].cells[7]
    assert cell.am is not None
    assert (cell.am.kind.name, cell.am.kind.css) == ("Away", AWAY_CLASS)
    assert [(k.name, k.private) for k in legend] == [("Away", False)]


def test_a_private_type_the_viewer_may_see_says_so_in_the_legend() -> None:
    sick = absence("Evan", "2027-03-08", "2027-03-08", type_id="sick", type_name="Sick leave")
    _, _, legend = build_grid(MARCH, [EVAN], [{**sick, "private": True}], TODAY)
    assert [(k.name, k.code, k.private) for k in legend] == [("Sick leave", "S", True)]


def test_codes_differ_when_initials_clash() -> None:
    items = [
        absence("Evan", "2027-03-08", "2027-03-08"),
        absence("Evan", "2027-03-09", "2027-03-09", type_id="vol", type_name="Volunteering"),
        absence("Evan", "2027-03-10", "2027-03-10", type_id="sick", type_name="Sick leave"),
    ]
    _, _, legend = build_grid(MARCH, [EVAN], items, TODAY)
    codes = {k.name: k.code for k in legend}
    assert codes["Sick leave"] == "S"
    assert codes["Vacation"] != codes["Volunteering"]
    assert {codes["Vacation"], codes["Volunteering"]} == {"Va", "Vo"}


def test_colours_are_the_types_own_or_a_stable_one_and_text_stays_readable() -> None:
    assert type_color("vac", "#1F77B4") == "#1f77b4"
    assert type_color("vac", "red; background: url(x)") == type_color("vac", None)
    assert type_color("other", None) == type_color("other", None)
    assert text_color("#ffff00") == "#000000"
    assert text_color("#0b2a4a") == "#ffffff"
    assert type_class("vac") != type_class("vol")
    assert type_class(None) == AWAY_CLASS
    rules = type_rules([("vac", "#1f77b4"), ("bad", "expression(alert(1))")])
    assert f".{type_class('vac')}{{background-color:#1f77b4;color:#ffffff}}" in rules
    assert f".{AWAY_CLASS}{{" in rules
    assert "expression" not in rules


def test_a_person_works_their_own_pattern_else_their_locations_week() -> None:
    assert workweek_of([7, 1, 2, 3, 4], None) == SUN_THU
    assert workweek_of([1, 2, 3, 4, 5], {"1": 8, "2": 8, "3": 0}) == frozenset({1, 2})
    assert workweek_of(None, None) == frozenset({1, 2, 3, 4, 5})


def test_a_week_runs_monday_to_sunday_and_steps_by_seven_days() -> None:
    week = period_of("week", "2027-03-10", TODAY)
    assert (week.first, week.last) == (date(2027, 3, 8), date(2027, 3, 14))
    assert week.shifted(-1).first == date(2027, 3, 1)
    assert week.anchor == "2027-03-08"
    assert week.title == "8–14 March 2027"
    across = week_period(date(2026, 12, 31))
    assert across.title == "28 Dec 2026 – 3 Jan 2027"
    assert across.years() == [2026, 2027]
    assert period_of("week", "nonsense", TODAY) == week


def test_a_month_view_takes_a_month_or_a_day_of_it() -> None:
    assert period_of("month", "2027-03", TODAY) == MARCH
    assert period_of("month", "2027-03-17", TODAY) == MARCH
    assert MARCH.title == "March 2027"
    assert MARCH.shifted(1).first == date(2027, 4, 1)
    assert MARCH.anchor == "2027-03"


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
    assert parse_month("2027-03", date(2026, 11, 24)) == MARCH.first
    assert MARCH.last == MARCH.first + timedelta(days=30)
