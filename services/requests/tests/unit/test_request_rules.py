"""Request rules of a policy (issue 17) on written-out calendars.

December 2026: Mon 7 … Fri 11, Sat 12, Sun 13, Mon 14 … Fri 18, Sat 19, Sun 20, Mon 21 …
Thu 24, Fri 25 (a holiday in the tables that say so), Sat 26, Sun 27, Mon 28.
"""

# fixed-clock: pure functions of the dates given (no clock)

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leaveflow_requests.domain.errors import InvalidRequest
from leaveflow_requests.domain.request_rules import (
    DayKind,
    RequestRules,
    Span,
    consecutive_amount,
    day_kind,
)


def d(day: int, month: int = 12) -> date:
    return date(2026, month, day)


MON_FRI = day_kind(lambda day: day.isoweekday() <= 5, ())
CHRISTMAS = frozenset({d(25)})
MON_FRI_XMAS = day_kind(lambda day: day.isoweekday() <= 5, CHRISTMAS)
SUN_THU = day_kind(lambda day: day.isoweekday() in {7, 1, 2, 3, 4}, ())
TODAY = d(1)  # a Tuesday


def span(start: int, end: int, amount: str) -> Span:
    return Span(d(start), d(end), Decimal(amount))


def refused(check: Callable[[], None]) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        check()
    return caught.value


# --- notice, how far ahead, probation --------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "start", "end", "employed_since", "field", "names"),
    [
        # 14 days' notice from Tue 1 Dec: Tue 15 Dec is the first day allowed.
        (RequestRules(min_notice_days=14), d(14), d(14), None, "start_date", "min_notice_days"),
        (RequestRules(min_notice_days=14), d(15), d(16), None, None, None),
        # 0 days' notice: today itself is fine.
        (RequestRules(min_notice_days=0), d(1), d(1), None, None, None),
        # 30 days ahead from 1 Dec: 31 Dec is the last day allowed, a range ending 1 Jan not.
        (RequestRules(max_days_ahead=30), d(28), d(31), None, None, None),
        (
            RequestRules(max_days_ahead=30),
            d(28),
            date(2027, 1, 1),
            None,
            "end_date",
            "max_days_ahead",
        ),
        # Probation of 90 days from 2 Oct ends on Thu 31 Dec: leave from 31 Dec on.
        (RequestRules(probation_days=90), d(30), d(31), d(2, 10), "start_date", "probation_days"),
        (RequestRules(probation_days=90), d(31), d(31), d(2, 10), None, None),
        # Probation ending on a weekend (Sat 12 Dec): a Friday before is refused, the
        # Monday after is fine.
        (RequestRules(probation_days=71), d(11), d(11), d(2, 10), "start_date", "probation_days"),
        (RequestRules(probation_days=71), d(14), d(14), d(2, 10), None, None),
        # No start date known: probation cannot apply.
        (RequestRules(probation_days=90), d(2), d(2), None, None, None),
    ],
)
def test_dates_against_notice_ahead_and_probation(
    rules: RequestRules,
    start: date,
    end: date,
    employed_since: date | None,
    field: str | None,
    names: str | None,
) -> None:
    def check() -> None:
        rules.check_dates(
            start=start, end=end, today=TODAY, employed_since=employed_since, type_name="Vacation"
        )

    if field is None:
        check()
        return
    error = refused(check)
    assert error.field == field
    assert names is not None
    assert names in str(error)
    assert str(error).startswith("Vacation ")


def test_the_messages_say_which_day_would_do() -> None:
    rules = RequestRules(min_notice_days=14, max_days_ahead=30, probation_days=90)
    notice = refused(
        lambda: rules.check_dates(
            start=d(2), end=d(2), today=TODAY, employed_since=None, type_name="Vacation"
        )
    )
    assert str(notice) == (
        "Vacation needs 14 days' notice (min_notice_days): the first day can be 2026-12-15 "
        "at the earliest"
    )
    ahead = refused(
        lambda: rules.check_dates(
            start=d(20),
            end=date(2027, 1, 4),
            today=TODAY,
            employed_since=None,
            type_name="Vacation",
        )
    )
    assert "at most 30 days ahead" in str(ahead)
    assert "2026-12-31 at the latest" in str(ahead)


def test_an_admin_override_lifts_notice_and_ahead_but_never_probation() -> None:
    rules = RequestRules(min_notice_days=14, max_days_ahead=10, probation_days=90)
    rules.check_dates(
        start=date(2027, 1, 4),
        end=date(2027, 1, 4),
        today=TODAY,
        employed_since=d(2, 9),
        type_name="Vacation",
        override=True,
    )
    error = refused(
        lambda: rules.check_dates(
            start=d(2),
            end=d(2),
            today=TODAY,
            employed_since=d(2, 10),
            type_name="Vacation",
            override=True,
        )
    )
    assert error.field == "start_date"
    assert "probation_days" in str(error)


# --- max_consecutive ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "others", "kind", "total"),
    [
        # Four adjacent one-day requests Mon-Thu count as four.
        (span(10, 10, "1"), [span(7, 7, "1"), span(8, 8, "1"), span(9, 9, "1")], MON_FRI, "4"),
        # Fri + the next Mon: only a weekend between them, so one run of 2.
        (span(14, 14, "1"), [span(11, 11, "1")], MON_FRI, "2"),
        # A working day (Wed 9) between: two runs.
        (span(10, 11, "2"), [span(7, 8, "2")], MON_FRI, "2"),
        # Across a public holiday: Thu 24 + (Fri 25 holiday, weekend) + Mon 28 = one run.
        (span(28, 28, "1"), [span(21, 24, "4")], MON_FRI_XMAS, "5"),
        # The same without the holiday: Fri 25 is a working day and breaks the run.
        (span(28, 28, "1"), [span(21, 24, "4")], MON_FRI, "1"),
        # A Sun-Thu location: Thu 10 and Sun 13 join over Fri-Sat.
        (span(13, 13, "1"), [span(10, 10, "1")], SUN_THU, "2"),
        # ... while for Mon-Fri a Thursday and a Sunday are apart by a working Friday.
        (span(13, 13, "1"), [span(10, 10, "1")], MON_FRI, "1"),
        # Runs on both sides of the new request join through it.
        (span(9, 9, "1"), [span(7, 8, "2"), span(10, 11, "2")], MON_FRI, "5"),
        # Half days count by their amount.
        (span(8, 8, "0.5"), [span(7, 7, "0.5")], MON_FRI, "1.0"),
    ],
)
def test_the_run_a_request_belongs_to(
    new: Span, others: list[Span], kind: DayKind, total: str
) -> None:
    assert consecutive_amount(new, others, kind) == Decimal(total)


def test_max_consecutive_refuses_the_request_that_makes_the_run_too_long() -> None:
    rules = RequestRules(max_consecutive=Decimal(3))
    others = [span(7, 7, "1"), span(8, 8, "1")]
    rules.check_consecutive(span(9, 9, "1"), others, MON_FRI, unit="days", type_name="Vacation")
    error = refused(
        lambda: rules.check_consecutive(
            span(10, 10, "1"),
            [*others, span(9, 9, "1")],
            MON_FRI,
            unit="days",
            type_name="Vacation",
        )
    )
    assert error.field == "end_date"
    assert str(error) == (
        "Vacation is at most 3 days in a row (max_consecutive): with the requests next to it "
        "this would be 4 days"
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=8, unique=True),
    st.integers(min_value=0, max_value=60),
)
def test_a_run_is_never_less_than_the_request_nor_more_than_everything(
    offsets: list[int], mine: int
) -> None:
    base = date(2026, 11, 2)
    days = [base + timedelta(days=o) for o in offsets if o != mine]
    others = [Span(day, day, Decimal(1)) for day in days]
    mine_day = base + timedelta(days=mine)
    new = Span(mine_day, mine_day, Decimal(1))
    total = consecutive_amount(new, others, MON_FRI)
    assert Decimal(1) <= total <= Decimal(1 + len(others))


# --- sandwich -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "start", "end", "leave_days", "others", "kind", "expected"),
    [
        # Fri 11 to Mon 14 in one request: the weekend between counts when weekends do.
        ("weekends", 11, 14, [11, 14], [], MON_FRI, [12, 13]),
        ("holidays", 11, 14, [11, 14], [], MON_FRI, []),
        ("both", 11, 14, [11, 14], [], MON_FRI, [12, 13]),
        ("off", 11, 14, [11, 14], [], MON_FRI, []),
        # Thu 24 to Mon 28 over the Christmas holiday and a weekend.
        ("holidays", 24, 28, [24, 28], [], MON_FRI_XMAS, [25]),
        ("weekends", 24, 28, [24, 28], [], MON_FRI_XMAS, [26, 27]),
        ("both", 24, 28, [24, 28], [], MON_FRI_XMAS, [25, 26, 27]),
        # A range that starts on a Saturday: days before the first leave day are not
        # between two leave days.
        ("weekends", 12, 15, [14, 15], [], MON_FRI, []),
        # Adjacent requests: Fri 11 is taken, the new one is Mon 14: charged the weekend.
        ("weekends", 14, 14, [14], [span(11, 11, "1")], MON_FRI, [12, 13]),
        # ... and the other way round: Fri 11 new, Mon 14 taken.
        ("weekends", 11, 11, [11], [span(14, 14, "1")], MON_FRI, [12, 13]),
        # The gap holds a holiday but the mode counts only weekends: nothing.
        ("weekends", 28, 28, [28], [span(24, 24, "1")], MON_FRI_XMAS, []),
        ("both", 28, 28, [28], [span(24, 24, "1")], MON_FRI_XMAS, [25, 26, 27]),
        # A working day in the gap: not adjacent.
        ("both", 14, 14, [14], [span(10, 10, "1")], MON_FRI, []),
    ],
)
def test_sandwiched_days(
    mode: str,
    start: int,
    end: int,
    leave_days: list[int],
    others: list[Span],
    kind: DayKind,
    expected: list[int],
) -> None:
    rules = RequestRules(sandwich=mode)
    got = rules.sandwiched(d(start), d(end), [d(x) for x in leave_days], others, kind)
    assert got == tuple(d(x) for x in expected)


def test_an_unknown_sandwich_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="sandwich"):
        RequestRules(sandwich="sometimes")


def test_rules_without_any_setting_are_none() -> None:
    assert not RequestRules().any
    assert RequestRules(sandwich="both").any
