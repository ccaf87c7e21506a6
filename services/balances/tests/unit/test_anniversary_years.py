"""Issue 17's anniversary leave years in the pure domain: each person's year starts on
their start date's anniversary, 29 February on 28 February in other years; a joiner's first
year is whole; accrual tiles each person's year."""

# fixed-clock: pure functions of the dates given (no clock)

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leaveflow_balances.domain.accrual import Employment, accrued
from leaveflow_balances.domain.calendar import (
    LEAP_DAY,
    leave_year_labelled,
    leave_year_of,
    person_year_start,
)
from leaveflow_balances.domain.ledger import LedgerEntry, YearContext
from leaveflow_balances.domain.policy import Policy
from leaveflow_balances.domain.replicas import EmployeeReplica
from leaveflow_balances.domain.year_end import carryover_entries

D = Decimal


@pytest.mark.parametrize(
    ("location_start", "start_date", "expected"),
    [
        ("anniversary", date(2019, 3, 15), "03-15"),
        ("anniversary", date(2020, 2, 29), LEAP_DAY),
        ("anniversary", None, "01-01"),  # no start date: the calendar year
        ("04-01", date(2019, 3, 15), "04-01"),  # elsewhere: the location's day
    ],
)
def test_a_persons_year_start(location_start: str, start_date: date | None, expected: str) -> None:
    assert person_year_start(location_start, start_date) == expected


@pytest.mark.parametrize(
    ("day", "start", "label", "first", "last"),
    [
        (date(2026, 6, 1), "03-15", 2026, date(2026, 3, 15), date(2027, 3, 14)),
        (date(2026, 3, 14), "03-15", 2025, date(2025, 3, 15), date(2026, 3, 14)),
        # 29 February: in leap years the year starts on it, in others on 28 February.
        (date(2028, 2, 29), LEAP_DAY, 2028, date(2028, 2, 29), date(2029, 2, 27)),
        (date(2028, 2, 28), LEAP_DAY, 2027, date(2027, 2, 28), date(2028, 2, 28)),
        (date(2029, 2, 28), LEAP_DAY, 2029, date(2029, 2, 28), date(2030, 2, 27)),
        (date(2032, 2, 28), LEAP_DAY, 2031, date(2031, 2, 28), date(2032, 2, 28)),
    ],
)
def test_anniversary_leave_years(
    day: date, start: str, label: int, first: date, last: date
) -> None:
    year = leave_year_of(day, start)
    assert (year.label, year.start, year.end) == (label, first, last)
    assert (year.next(start).start - year.end).days == 1


def test_a_joiners_first_anniversary_year_is_whole() -> None:
    p = Policy(tenant_id="t", location_id="l", leave_type_id="v", annual_allowance=D(25))
    year = leave_year_of(date(2026, 3, 15), "03-15")
    # Upfront, no proration: the year starts on the day they join.
    assert accrued(p, D(25), year, Employment(date(2026, 3, 15)), date(2026, 3, 15)) == D(25)


@given(
    label=st.integers(min_value=2020, max_value=2040),
    accrual=st.sampled_from(["monthly", "semimonthly", "biweekly"]),
)
def test_a_full_leap_day_year_of_accrual_is_exactly_the_allowance(label: int, accrual: str) -> None:
    year = leave_year_labelled(label, LEAP_DAY)
    p = Policy(
        tenant_id="t", location_id="l", leave_type_id="v", annual_allowance=D(25), accrual=accrual
    )
    assert accrued(p, D(25), year, Employment(date(2000, 1, 1)), year.end) == D(25)
    assert year.days in (365, 366)


def test_an_anniversary_year_end_caps_the_carry_and_sets_its_expiry() -> None:
    # Joined 15 March 2019; the year 15 March 2026 - 14 March 2027 leaves 7 of 10.
    start = person_year_start("anniversary", date(2019, 3, 15))
    year = leave_year_labelled(2026, start)
    p = Policy(
        tenant_id="t",
        location_id="l",
        leave_type_id="v",
        annual_allowance=D(10),
        carryover_max=D(5),
        carryover_expiry_months=3,
    )
    used = LedgerEntry(
        "d", "t", "e", "v", "deduction", D(3), date(2026, 5, 4), day_amounts={"2026-05-04": "3"}
    )
    employee = EmployeeReplica("e", "t", "E", start_date=date(2019, 3, 15))
    ctx = YearContext(p, D(10), year, employee.employment)
    (carried,) = carryover_entries(employee, [ctx], [used], year.next(start), "run")
    assert (carried.amount, carried.effective_date, carried.expires_on, carried.leave_year) == (
        D(5),
        date(2027, 3, 15),
        date(2027, 6, 15),
        2027,
    )
