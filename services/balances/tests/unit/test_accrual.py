"""Rules 2 and 3 with written-out numbers: upfront grants with proration and rounding, and
cumulative periodic accrual."""

# fixed-clock: pure functions of the dates given (no clock)

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leaveflow_balances.domain.accrual import Employment, accrued
from leaveflow_balances.domain.calendar import leave_year_labelled, leave_year_of, periods
from leaveflow_balances.domain.policy import Policy, round_grant

D = Decimal
Y2026 = leave_year_labelled(2026, "01-01")


def policy(**fields: object) -> Policy:
    return Policy(tenant_id="t", location_id="l", leave_type_id="v", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "rounding", "expected"),
    [
        ("12.60", "half_day", "12.50"),
        ("12.25", "half_day", "12.50"),  # halves round up
        ("12.74", "half_day", "12.50"),
        ("12.75", "half_day", "13.00"),
        ("12.60", "day", "13.00"),
        ("12.50", "day", "13.00"),
        ("12.49", "day", "12.00"),
        ("12.604", "none", "12.60"),
        ("12.605", "none", "12.61"),
    ],
)
def test_rounding_of_prorated_grants(amount: str, rounding: str, expected: str) -> None:
    assert round_grant(D(amount), rounding) == D(expected)


@pytest.mark.parametrize(
    ("day", "start", "label", "first", "last"),
    [
        (date(2026, 7, 1), "01-01", 2026, date(2026, 1, 1), date(2026, 12, 31)),
        (date(2026, 3, 31), "04-01", 2025, date(2025, 4, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), "04-01", 2026, date(2026, 4, 1), date(2027, 3, 31)),
        (date(2028, 2, 28), "02-29", 2028, date(2028, 2, 28), date(2029, 2, 27)),
    ],
)
def test_leave_year_starts_on_the_locations_day(
    day: date, start: str, label: int, first: date, last: date
) -> None:
    year = leave_year_of(day, start)
    assert (year.label, year.start, year.end) == (label, first, last)


@pytest.mark.parametrize(
    ("employment", "fields", "as_of", "expected"),
    [
        # Whole year: everything on 1 January.
        (Employment(date(2020, 1, 1)), {}, date(2026, 1, 1), "25"),
        (Employment(date(2020, 1, 1)), {}, date(2025, 12, 31), "0"),
        # Joiner on 1 July: 25 x 184/365 = 12.60 -> 12.5 (half_day), 12.60 (none), 13 (day).
        (Employment(date(2026, 7, 1)), {}, date(2026, 12, 31), "12.5"),
        (Employment(date(2026, 7, 1)), {"rounding": "none"}, date(2026, 12, 31), "12.60"),
        (Employment(date(2026, 7, 1)), {"rounding": "day"}, date(2026, 12, 31), "13"),
        (Employment(date(2026, 7, 1)), {}, date(2026, 6, 30), "0"),  # granted on the start
        (Employment(date(2026, 7, 1)), {"prorate_first_year": False}, date(2026, 7, 1), "25"),
        # Leaver on 30 June: 25 x 181/365 = 12.40 -> 12.5.
        (Employment(date(2020, 1, 1), date(2026, 6, 30)), {}, date(2026, 1, 1), "12.5"),
        # Not employed this year.
        (Employment(date(2027, 2, 1)), {}, date(2026, 12, 31), "0"),
    ],
)
def test_upfront_grant(
    employment: Employment, fields: dict[str, object], as_of: date, expected: str
) -> None:
    p = policy(annual_allowance=D(25), **fields)
    assert accrued(p, D(25), Y2026, employment, as_of) == D(expected)


EMPLOYED = Employment(date(2020, 1, 1))


@pytest.mark.parametrize(
    ("accrual", "accrue_at", "as_of", "expected"),
    [
        ("monthly", "period_start", date(2026, 1, 1), "2.08"),  # 25/12
        ("monthly", "period_start", date(2026, 1, 31), "2.08"),
        ("monthly", "period_start", date(2026, 2, 1), "4.17"),  # 50/12 = 4.1666
        ("monthly", "period_start", date(2026, 3, 1), "6.25"),  # cumulative, not 3 x 2.08
        ("monthly", "period_start", date(2026, 12, 1), "25.00"),
        ("monthly", "period_end", date(2026, 1, 30), "0"),
        ("monthly", "period_end", date(2026, 1, 31), "2.08"),
        ("monthly", "period_end", date(2026, 12, 31), "25.00"),
        ("semimonthly", "period_start", date(2026, 1, 14), "1.04"),  # 25/24
        ("semimonthly", "period_start", date(2026, 1, 15), "2.08"),
        ("semimonthly", "period_start", date(2026, 12, 15), "25.00"),
        ("biweekly", "period_start", date(2026, 1, 1), "0.96"),  # 25/26
        ("biweekly", "period_start", date(2026, 12, 31), "25.00"),
    ],
)
def test_periodic_accrual_is_cumulative(
    accrual: str, accrue_at: str, as_of: date, expected: str
) -> None:
    p = policy(annual_allowance=D(25), accrual=accrual, accrue_at=accrue_at)
    assert accrued(p, D(25), Y2026, EMPLOYED, as_of) == D(expected)


def test_joiner_gets_their_first_period_prorated() -> None:
    p = policy(annual_allowance=D(25), accrual="monthly")
    joiner = Employment(date(2026, 1, 16))  # 16 of January's 31 days
    # 25 x (16/31) / 12 = 1.0753 -> 1.08; then 25 x (1 + 16/31) / 12 = 3.1586 -> 3.16.
    assert accrued(p, D(25), Y2026, joiner, date(2026, 1, 15)) == D(0)
    assert accrued(p, D(25), Y2026, joiner, date(2026, 1, 16)) == D("1.08")
    assert accrued(p, D(25), Y2026, joiner, date(2026, 2, 1)) == D("3.16")


def test_biweekly_periods_follow_the_anchor_and_tile_the_year() -> None:
    tiles = periods(Y2026, "biweekly", biweekly_anchor=date(2025, 12, 29))
    assert len(tiles) == 26
    assert (tiles[0].start, tiles[0].end) == (date(2026, 1, 1), date(2026, 1, 11))
    assert tiles[1].start == date(2026, 1, 12)  # 29 Dec + 14 days
    assert tiles[-1].end == date(2026, 12, 31)
    assert sum(t.days for t in tiles) == 365


@given(
    allowance=st.decimals(min_value=0, max_value=400, places=2),
    accrual=st.sampled_from(["monthly", "semimonthly", "biweekly"]),
    accrue_at=st.sampled_from(["period_start", "period_end"]),
    month_day=st.sampled_from(["01-01", "04-01", "07-15", "10-31", "02-29"]),
    label=st.integers(min_value=2020, max_value=2040),
)
def test_a_full_year_of_periodic_accrual_is_exactly_the_allowance(
    allowance: Decimal, accrual: str, accrue_at: str, month_day: str, label: int
) -> None:
    year = leave_year_labelled(label, month_day)
    p = policy(annual_allowance=allowance, accrual=accrual, accrue_at=accrue_at)
    assert accrued(p, allowance, year, EMPLOYED, year.end) == allowance


@given(
    allowance=st.decimals(min_value=0, max_value=400, places=2),
    accrual=st.sampled_from(["monthly", "semimonthly", "biweekly"]),
    days=st.lists(st.integers(min_value=0, max_value=364), min_size=2, max_size=2),
)
def test_accrual_never_decreases_within_a_year(
    allowance: Decimal, accrual: str, days: list[int]
) -> None:
    from datetime import timedelta

    early, late = sorted(Y2026.start + timedelta(days=d) for d in days)
    p = policy(annual_allowance=allowance, accrual=accrual)
    assert accrued(p, allowance, Y2026, EMPLOYED, early) <= accrued(
        p, allowance, Y2026, EMPLOYED, late
    )
