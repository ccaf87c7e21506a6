"""`eventually`, the wait used by e2e tests for effects that travel through events."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from leaveflow_devstack.testing import coming_monday, coming_mondays, eventually, this_monday


def test_eventually_returns_the_first_truthy_result() -> None:
    counter = itertools.count()
    assert eventually(lambda: next(counter) >= 3 and "done", interval=0) == "done"


def test_eventually_treats_exceptions_as_not_yet() -> None:
    attempts = iter([KeyError("not there"), None, {"status": "pending"}])

    def check() -> dict[str, str] | None:
        attempt = next(attempts)
        if isinstance(attempt, Exception):
            raise attempt
        return attempt

    assert eventually(check, interval=0) == {"status": "pending"}


def test_eventually_reports_what_and_the_last_failure_when_time_runs_out() -> None:
    def check() -> bool:
        raise LookupError("status is 'submitted'")

    with pytest.raises(AssertionError, match=r"request pending not met within 0.05s.*submitted"):
        eventually(check, timeout=0.05, interval=0.01, what="request pending")


# The date helpers take an injected `today`: these literal (past) dates never expire.
# Wednesday 3 December 2025; Monday 29 December to Friday 2 January spans two months.
WEDNESDAY = date(2025, 12, 3)


def test_this_monday_is_the_monday_of_the_week() -> None:
    assert this_monday(WEDNESDAY) == date(2025, 12, 1)
    assert this_monday(date(2025, 12, 1)) == date(2025, 12, 1)
    assert this_monday(date(2025, 12, 7)) == date(2025, 12, 1)  # Sunday


def test_coming_mondays_skip_weeks_across_months_and_with_excluded_days() -> None:
    mondays = coming_mondays(4, weeks_ahead=1, today=WEDNESDAY, free_of={date(2025, 12, 17)})
    # 8 Dec; 15 Dec holds the 17th; 22 Dec; 29 Dec ends in January; 5 Jan; 12 Jan.
    assert mondays == [date(2025, 12, 8), date(2025, 12, 22), date(2026, 1, 5), date(2026, 1, 12)]
    assert all(m.weekday() == 0 for m in mondays)


def test_coming_monday_honours_weeks_ahead_and_where() -> None:
    assert coming_monday(0, today=WEDNESDAY) == date(2025, 12, 1)  # this week
    assert coming_monday(0, today=date(2025, 10, 1)) == date(2025, 10, 6)  # 29 Sep: 2 months
    assert coming_monday(3, today=WEDNESDAY) == date(2025, 12, 22)
    holiday = date(2026, 1, 6)
    assert coming_monday(today=WEDNESDAY, where=lambda week: holiday in week) == date(2026, 1, 5)


def test_coming_mondays_gives_up_instead_of_looping() -> None:
    with pytest.raises(LookupError):
        coming_monday(today=WEDNESDAY, where=lambda week: False)
    with pytest.raises(ValueError, match="count must be positive"):
        coming_mondays(0)


def test_coming_mondays_default_to_the_real_today() -> None:
    monday = coming_monday()
    assert monday.weekday() == 0
    assert date.today() < monday <= date.today() + timedelta(weeks=3)
