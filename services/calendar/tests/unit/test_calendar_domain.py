"""Pure rules of the calendar: status lattice, replicas, summaries, holidays, the VEVENTs."""

# fixed-clock: pure functions of the dates and years given (no clock)

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from leaveflow_calendar.domain.absence import (
    APPROVED,
    ENDED,
    PENDING,
    SUBMITTED,
    PersonReplica,
    advance,
    later_status,
)
from leaveflow_calendar.domain.ical import HolidayView, render_feed
from leaveflow_calendar.domain.leave_view import LeaveView, summary
from leaveflow_calendar.domain.public_holidays import public_holidays
from leaveflow_contracts.requests import HolidaySource

STATUSES = [SUBMITTED, PENDING, APPROVED, ENDED]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@given(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=8), st.randoms())
def test_the_status_does_not_depend_on_arrival_order(statuses: list[str], rnd: object) -> None:
    shuffled = list(statuses)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]

    def fold(seq: list[str]) -> str:
        result = SUBMITTED
        for s in seq:
            result = later_status(result, s)
        return result

    assert fold(statuses) == fold(shuffled)
    assert fold(statuses) == (ENDED if ENDED in statuses else max(statuses, key=STATUSES.index))


def test_replicas_ignore_old_news_and_count_only_visible_changes() -> None:
    ana = PersonReplica(id="e1", tenant_id="t", name="Ana")
    first = advance(None, ana, T0)
    assert first is not None
    assert first.revision == 1
    same = advance(first, ana, T0 + timedelta(minutes=1))
    assert same is not None
    assert (same.revision, same.as_of) == (1, T0 + timedelta(minutes=1))
    renamed = advance(same, PersonReplica(id="e1", tenant_id="t", name="Ana S"), T0 + timedelta(2))
    assert renamed is not None
    assert (renamed.name, renamed.revision, renamed.modified_at) == ("Ana S", 2, T0 + timedelta(2))
    assert advance(renamed, ana, T0 + timedelta(1)) is None  # happened before the rename


def view(**kw: object) -> LeaveView:
    base: dict[str, object] = {
        "request_id": "r1",
        "employee_id": "e1",
        "employee_name": "Ana Lima",
        "department_id": None,
        "location_id": None,
        "leave_type_id": "vac",
        "leave_type_name": "Vacation",
        "start_date": date(2026, 3, 2),
        "end_date": date(2026, 3, 2),
        "start_part": "full",
        "end_part": "full",
        "status": APPROVED,
        "amount": Decimal("1"),
        "unit": "days",
        "sequence": 1,
        "modified_at": T0,
    }
    return LeaveView(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "Ana Lima — Vacation"),
        ({"start_part": "pm"}, "Ana Lima — Vacation (half day, afternoon)"),
        ({"start_part": "am"}, "Ana Lima — Vacation (half day, morning)"),
        (
            {"end_date": date(2026, 3, 4), "start_part": "pm"},
            "Ana Lima — Vacation (from the afternoon)",
        ),
        (
            {"end_date": date(2026, 3, 4), "end_part": "am"},
            "Ana Lima — Vacation (until the morning)",
        ),
        (
            {"end_date": date(2026, 3, 4), "start_part": "pm", "end_part": "am"},
            "Ana Lima — Vacation (from the afternoon, until the morning)",
        ),
        ({"unit": "hours", "amount": Decimal("2.50")}, "Ana Lima — Vacation (2.5 h)"),
        ({"employee_name": None, "leave_type_name": None}, "Someone — Leave"),
    ],
)
def test_summaries_say_who_what_and_which_half(changes: dict[str, object], expected: str) -> None:
    assert summary(view(**changes)) == expected


@pytest.mark.parametrize(
    ("country", "subdivision", "day", "expected"),
    [
        ("DE", "BY", date(2026, 8, 15), "Assumption Day"),  # catholic category, as requests
        ("DE", "BE", date(2026, 8, 15), None),
        ("DE", "BE", date(2026, 3, 8), "Women's Day"),
        ("DE", "BY", date(2026, 3, 8), None),
        ("US", None, date(2026, 7, 3), "Independence Day (observed)"),
        ("XX", None, date(2026, 1, 1), None),  # unknown to the library: none, no crash
        (None, None, date(2026, 1, 1), None),
    ],
)
def test_public_holidays_per_subdivision(
    country: str | None,
    subdivision: str | None,
    day: date,
    expected: str | None,
    holiday_source: Callable[[str, str | None], HolidaySource],
) -> None:
    if country in (None, "XX"):
        found = public_holidays(country, subdivision, [], [2026])
    else:
        source = holiday_source(country, subdivision)
        found = public_holidays(
            source.country,
            source.subdivision,
            [],
            [2026],
            categories=tuple(source.categories),
            language=source.language,
        )
    assert found.get(day) == expected


def test_extra_holidays_join_the_public_ones_by_name() -> None:
    extra = [(date(2026, 12, 24), "Christmas Eve (office)"), (date(2026, 12, 25), "Party")]
    found = public_holidays("DE", "BY", extra, [2026])
    assert found[date(2026, 12, 24)] == "Christmas Eve (office)"
    assert found[date(2026, 12, 25)] == "Christmas Day; Party"
    assert date(2027, 1, 1) not in found


def test_the_document_is_stable_bytes_with_exclusive_all_day_ends() -> None:
    leave = view(end_date=date(2026, 3, 4))
    holiday = HolidayView("l1", "Munich", date(2026, 8, 15), "Assumption Day", 1, T0)
    body = render_feed("Acme — who's off", [leave], [holiday])
    assert body == render_feed("Acme — who's off", [leave], [holiday])
    (event, _) = Calendar.from_ical(body).walk("VEVENT")
    assert event.decoded("DTSTART") == date(2026, 3, 2)
    assert event.decoded("DTEND") == date(2026, 3, 5)
    assert event.decoded("DTSTAMP") == T0
    assert body.endswith(b"END:VCALENDAR\r\n")
