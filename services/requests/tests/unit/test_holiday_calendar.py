"""HolidayCalendar over real calendars from the `holidays` library (expectations by hand)."""

# fixed-clock: pure functions of the dates given (no clock)

from datetime import date
from typing import Any

import pytest

from leaveflow_requests.domain.errors import InvalidRequest
from leaveflow_requests.domain.holiday_calendar import HolidayCalendar


@pytest.mark.parametrize(
    ("country", "subdivision", "day", "name"),
    [
        ("DE", "BY", date(2026, 6, 4), "Corpus Christi"),
        ("DE", "BY", date(2026, 5, 14), "Ascension Day"),
        ("DE", "BE", date(2026, 5, 14), "Ascension Day"),
        ("DE", "BY", date(2025, 8, 15), "Assumption Day"),  # `catholic` category
        ("DE", "BE", date(2027, 3, 8), "Women's Day"),
        ("US", "CA", date(2026, 11, 26), "Thanksgiving Day"),
        ("US", None, date(2026, 7, 3), "Independence Day (observed)"),
        ("US", None, date(2026, 7, 4), "Independence Day"),
        # New Year 2022 fell on a Saturday: observed on Friday 2021-12-31, in the year before
        ("US", None, date(2021, 12, 31), "New Year's Day (observed)"),
        ("GB", "SCT", date(2026, 11, 30), "Saint Andrew's Day"),
        ("GB", "SCT", date(2026, 12, 28), "Boxing Day (observed)"),
        ("IL", None, date(2026, 9, 21), "Yom Kippur"),
    ],
)
def test_knows_the_holiday_in_english(country: Any, subdivision: Any, day: Any, name: Any) -> None:
    calendar = HolidayCalendar(country, subdivision)
    assert calendar.holidays_between(day, day) == {day: name}
    assert day in calendar


@pytest.mark.parametrize(
    ("country", "subdivision", "day"),
    [
        ("DE", "BE", date(2026, 6, 4)),  # Corpus Christi is not a Berlin holiday
        ("DE", "BE", date(2025, 8, 15)),  # nor Assumption Day
        ("DE", "BY", date(2027, 3, 8)),  # Women's Day is Berlin's only
        ("GB", "ENG", date(2026, 11, 30)),  # St Andrew's Day is Scotland's
        ("US", None, date(2026, 12, 24)),
        ("DE", "BY", date(2026, 12, 24)),  # Christmas Eve is not a public holiday
    ],
)
def test_not_a_holiday_there(country: Any, subdivision: Any, day: Any) -> None:
    calendar = HolidayCalendar(country, subdivision)
    assert calendar.holidays_between(day, day) == {}
    assert day not in calendar


def test_observed_days_are_separate_entries() -> None:
    calendar = HolidayCalendar("GB", "SCT")
    assert calendar.holidays_between(date(2026, 12, 24), date(2026, 12, 31)) == {
        date(2026, 12, 25): "Christmas Day",
        date(2026, 12, 26): "Boxing Day",
        date(2026, 12, 28): "Boxing Day (observed)",
    }


def test_bavaria_over_a_summer_spans_years_and_lists_in_order() -> None:
    calendar = HolidayCalendar("DE", "BY")
    assert calendar.holidays_between(date(2025, 12, 24), date(2026, 1, 6)) == {
        date(2025, 12, 25): "Christmas Day",
        date(2025, 12, 26): "Second Day of Christmas",
        date(2026, 1, 1): "New Year's Day",
        date(2026, 1, 6): "Epiphany",
    }
    assert calendar.holidays_between(date(2026, 1, 7), date(2026, 1, 6)) == {}


def test_names_stay_english_whatever_the_process_locale(monkeypatch: Any) -> None:
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    monkeypatch.setenv("LANGUAGE", "de")
    calendar = HolidayCalendar("DE", "BE")
    assert calendar.holidays_between(date(2031, 12, 26), date(2031, 12, 26)) == {
        date(2031, 12, 26): "Second Day of Christmas"
    }


def test_extra_company_holidays_join_the_public_ones() -> None:
    calendar = HolidayCalendar(
        "DE",
        "BE",
        extra_holidays=[(date(2026, 12, 24), "Christmas Eve"), (date(2026, 12, 25), "Party")],
    )
    assert calendar.holidays_between(date(2026, 12, 24), date(2026, 12, 26)) == {
        date(2026, 12, 24): "Christmas Eve",
        date(2026, 12, 25): "Christmas Day; Party",
        date(2026, 12, 26): "Second Day of Christmas",
    }


@pytest.mark.parametrize(
    ("country", "subdivision", "categories"),
    [
        ("DE", "BY", ("catholic", "public")),
        ("DE", None, ("catholic", "public")),
        ("GB", "SCT", ("public",)),
        ("US", "CA", ("public",)),
    ],
)
def test_default_categories(country: Any, subdivision: Any, categories: Any) -> None:
    assert HolidayCalendar(country, subdivision).categories == categories


def test_categories_can_be_narrowed() -> None:
    calendar = HolidayCalendar("DE", "BY", categories=("public",))
    assert calendar.holidays_between(date(2025, 8, 15), date(2025, 8, 15)) == {}


@pytest.mark.parametrize(
    ("given", "expected"),
    [(("de", "by"), ("DE", "BY")), ((" DE ", "Bayern"), ("DE", "BY")), (("US", ""), ("US", None))],
)
def test_normalises_codes(given: Any, expected: Any) -> None:
    calendar = HolidayCalendar(*given)
    assert (calendar.country, calendar.subdivision) == expected


@pytest.mark.parametrize(
    ("country", "subdivision", "categories", "field"),
    [
        ("XX", None, None, "holidays.country"),
        ("", None, None, "holidays.country"),
        ("DE", "XX", None, "holidays.subdivision"),
        ("DE", "Bavaria", None, "holidays.subdivision"),
        ("GB", None, ("catholic",), "holidays.categories"),
    ],
)
def test_rejects_unknown_locations(
    country: Any, subdivision: Any, categories: Any, field: Any
) -> None:
    with pytest.raises(InvalidRequest) as info:
        HolidayCalendar(country, subdivision, categories=categories)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("country", "workweek"),
    [("DE", {1, 2, 3, 4, 5}), ("IL", {7, 1, 2, 3, 4}), ("US", {1, 2, 3, 4, 5})],
)
def test_the_country_work_week(country: Any, workweek: Any) -> None:
    assert HolidayCalendar(country).workweek == workweek


def test_calendars_are_values() -> None:
    assert HolidayCalendar("DE", "BY") == HolidayCalendar("de", "Bayern")
    assert hash(HolidayCalendar("DE", "BY")) == hash(HolidayCalendar("de", "by"))
