"""Issue 17's seniority steps and label extras with written-out numbers: the anniversary
crossing mid-year with each rounding, from the leave year's start, 29 February, leavers;
labels held all year, added and removed mid-year."""

# fixed-clock: pure functions of the dates given (`as_of` is an argument)

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from leaveflow_balances.domain import ledger
from leaveflow_balances.domain.accrual import Employment
from leaveflow_balances.domain.calendar import leave_year_labelled
from leaveflow_balances.domain.entitlements import (
    LabelPeriod,
    anniversary,
    close_periods,
    label_grants,
    seniority_grants,
)
from leaveflow_balances.domain.ledger import YearContext
from leaveflow_balances.domain.policy import LabelExtra, Policy, SeniorityStep

D = Decimal
Y2026 = leave_year_labelled(2026, "01-01")


def policy(**fields: object) -> Policy:
    fields = {"annual_allowance": D(20), **fields}
    return Policy(tenant_id="t", location_id="l", leave_type_id="v", **fields)  # type: ignore[arg-type]


def steps(*pairs: tuple[int, str]) -> list[SeniorityStep]:
    return [SeniorityStep(years, D(extra)) for years, extra in pairs]


def grants(p: Policy, employment: Employment, year: object = Y2026) -> list[tuple[date, str]]:
    return [(g.day, str(g.amount)) for g in seniority_grants(p, Y2026, employment)]


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (date(2023, 10, 1), 3, date(2026, 10, 1)),
        (date(2020, 2, 29), 3, date(2023, 2, 28)),  # 29 February -> 28 February
        (date(2020, 2, 29), 4, date(2024, 2, 29)),  # a leap year keeps it
    ],
)
def test_the_work_anniversary(start: date, years: int, expected: date) -> None:
    assert anniversary(start, years) == expected


@pytest.mark.parametrize(
    ("rounding", "amount"),
    # 5 x 92/365 (1 October to 31 December) = 1.2603
    [("half_day", "1.50"), ("day", "1.00"), ("none", "1.26")],
)
def test_an_anniversary_mid_year_prorates_the_rest_of_the_year(rounding: str, amount: str) -> None:
    p = policy(seniority=steps((3, "5")), rounding=rounding)
    assert grants(p, Employment(date(2023, 10, 1))) == [(date(2026, 10, 1), amount)]


def test_from_the_leave_year_start_the_whole_extra_counts_from_1_january() -> None:
    p = policy(seniority=steps((3, "5")), seniority_from="leave_year_start")
    assert grants(p, Employment(date(2023, 10, 1))) == [(date(2026, 1, 1), "5.00")]
    # The year before the anniversary's year: nothing.
    earlier = seniority_grants(p, leave_year_labelled(2025, "01-01"), Employment(date(2023, 10, 1)))
    assert earlier == []


@pytest.mark.parametrize(
    ("rounding", "march"),
    # Step 3 (2 days) in force all year; on 1 March 2026 step 5 adds (5 - 2) x 306/365 = 2.5151.
    [("half_day", "2.50"), ("day", "3.00"), ("none", "2.52")],
)
def test_a_higher_step_adds_its_increase_from_the_anniversary(rounding: str, march: str) -> None:
    p = policy(seniority=steps((3, "2"), (5, "5")), rounding=rounding)
    assert grants(p, Employment(date(2021, 3, 1))) == [
        (date(2026, 1, 1), "2.00"),
        (date(2026, 3, 1), march),
    ]


def test_a_29_february_start_reaches_its_step_on_28_february() -> None:
    p = policy(seniority=steps((6, "3")), rounding="none")
    # 2020-02-29 + 6 years = 2026-02-28: 3 x 307/365 = 2.5233.
    assert grants(p, Employment(date(2020, 2, 29))) == [(date(2026, 2, 28), "2.52")]


def test_a_leaver_gets_the_step_for_the_days_employed() -> None:
    p = policy(seniority=steps((3, "2")))
    # 2 x 181/365 (to 30 June) = 0.99 -> 1.0 (half_day)
    assert grants(p, Employment(date(2016, 1, 1), date(2026, 6, 30))) == [
        (date(2026, 1, 1), "1.00")
    ]


def test_no_start_date_or_no_step_reached_grants_nothing() -> None:
    p = policy(seniority=steps((3, "2")))
    assert grants(p, Employment(None)) == []
    assert grants(p, Employment(date(2025, 1, 1))) == []


def test_seniority_counts_in_the_balance_from_its_day() -> None:
    p = policy(seniority=steps((3, "5")))
    c = YearContext(p, D(20), Y2026, Employment(date(2023, 10, 1)))
    before = ledger.balance(c, "e", [], date(2026, 9, 30))
    after = ledger.balance(c, "e", [], date(2026, 10, 1))
    assert (before.seniority, before.remaining) == (D(0), D(20))
    assert (after.seniority, after.remaining, after.available) == (D("1.5"), D("21.5"), D("21.5"))
    (entry,) = [
        e for e in ledger.entries_for_year(c, "e", [], date(2026, 12, 31)) if e.kind == "seniority"
    ]
    assert (entry.amount, entry.reason) == (D("1.50"), "3 years of service")


SENIOR = (LabelExtra("senior", D(3)),)


@pytest.mark.parametrize(
    ("periods", "rounding", "expected"),
    [
        # All year: the whole extra.
        ([LabelPeriod("senior")], "half_day", [(date(2026, 1, 1), "3.00")]),
        # Added on 1 July: 3 x 184/365 = 1.5123.
        ([LabelPeriod("senior", date(2026, 7, 1))], "half_day", [(date(2026, 7, 1), "1.50")]),
        ([LabelPeriod("senior", date(2026, 7, 1))], "none", [(date(2026, 7, 1), "1.51")]),
        ([LabelPeriod("senior", date(2026, 7, 1))], "day", [(date(2026, 7, 1), "2.00")]),
        # Removed after 31 March: 3 x 90/365 = 0.7397.
        (
            [LabelPeriod("senior", None, date(2026, 3, 31))],
            "half_day",
            [(date(2026, 1, 1), "0.50")],
        ),
        ([LabelPeriod("senior", None, date(2026, 3, 31))], "none", [(date(2026, 1, 1), "0.74")]),
        # Removed and added again: 0.5 + 3 x 92/365 = 0.756 -> 1.0.
        (
            [
                LabelPeriod("senior", None, date(2026, 3, 31)),
                LabelPeriod("senior", date(2026, 10, 1)),
            ],
            "half_day",
            [(date(2026, 1, 1), "0.50"), (date(2026, 10, 1), "1.00")],
        ),
        # A label no rule names, or held only in another year: nothing.
        ([LabelPeriod("lead")], "half_day", []),
        ([LabelPeriod("senior", None, date(2025, 12, 31))], "half_day", []),
    ],
)
def test_a_label_adds_its_extra_for_the_days_it_is_held(
    periods: list[LabelPeriod], rounding: str, expected: list[tuple[date, str]]
) -> None:
    p = policy(label_extra=list(SENIOR), rounding=rounding)
    found = label_grants(p, Y2026, Employment(date(2020, 1, 1)), tuple(periods))
    assert [(g.day, str(g.amount)) for g in found] == expected


def test_a_joiner_with_a_label_gets_it_prorated_like_the_allowance() -> None:
    p = policy(label_extra=list(SENIOR))
    found = label_grants(p, Y2026, Employment(date(2026, 7, 1)), (LabelPeriod("senior"),))
    assert [(g.day, str(g.amount)) for g in found] == [(date(2026, 7, 1), "1.50")]


def test_label_periods_follow_the_records() -> None:
    first = close_periods([], ["senior"], date(2026, 1, 10), first_record=True)
    assert first == [LabelPeriod("senior")]
    added = close_periods(first, ["senior", "lead"], date(2026, 5, 4), first_record=False)
    assert added == [LabelPeriod("senior"), LabelPeriod("lead", date(2026, 5, 4))]
    removed = close_periods(added, ["lead"], date(2026, 9, 1), first_record=False)
    assert removed == [
        LabelPeriod("senior", None, date(2026, 8, 31)),
        LabelPeriod("lead", date(2026, 5, 4)),
    ]
    # Added and removed on one day never counted.
    again = close_periods(removed, ["lead", "temp"], date(2026, 10, 1), first_record=False)
    gone = close_periods(again, ["lead"], date(2026, 10, 1), first_record=False)
    assert gone == removed


def test_labels_count_in_the_balance() -> None:
    p = policy(label_extra=list(SENIOR))
    periods = (LabelPeriod("senior", date(2026, 7, 1)),)
    c = YearContext(p, D(20), Y2026, Employment(date(2020, 1, 1)), periods)
    b = ledger.balance(c, "e", [], date(2026, 7, 1))
    assert (b.label_extra, b.remaining) == (D("1.5"), D("21.5"))
    assert ledger.balance(c, "e", [], date(2026, 6, 30)).label_extra == D(0)
