"""Amounts, dates and ledger entries as people read them."""

# fixed-clock: pure functions of the values given (no clock)

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from leaveflow_web.wording import (
    amount,
    date_range,
    leave_year,
    ledger_entry,
    ledger_lines,
    standing,
)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1, "days", "1 day"),
        (1.0, "days", "1 day"),
        (Decimal("2.5"), "days", "2.5 days"),
        (0.5, "days", "0.5 days"),
        (30.0, "days", "30 days"),
        (-77.5, "days", "-77.5 days"),
        (-1, "days", "-1 day"),
        (2, "hours", "2 hours"),
        (1, "hours", "1 hour"),
        ("0.25", "hours", "0.25 hours"),
        (0, "days", "0 days"),
        (Decimal("0.1") + Decimal("0.2"), "days", "0.3 days"),
    ],
)
def test_amounts_read_as_people_write_them(value: Any, unit: str, expected: str) -> None:
    assert amount(value, unit) == expected


def test_something_that_is_no_number_is_shown_as_given() -> None:
    assert amount("lots", "days") == "lots"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-12-14", "2026-12-18", "14–18 Dec 2026"),
        ("2026-12-14", "2026-12-14", "14 Dec 2026"),
        ("2026-11-30", "2026-12-02", "30 Nov – 2 Dec 2026"),
        ("2026-12-30", "2027-01-02", "30 Dec 2026 – 2 Jan 2027"),
    ],
)
def test_date_ranges_say_the_month_once(start: str, end: str, expected: str) -> None:
    assert date_range(start, end) == expected


def test_a_range_without_the_year_for_a_sentence() -> None:
    assert date_range("2026-12-14", "2026-12-18", year=False) == "14–18 Dec"


def test_a_leave_year_is_named_by_its_calendar_year_or_both() -> None:
    assert leave_year("2026-01-01", "2026-12-31") == "2026"
    assert leave_year("2026-04-01", "2027-03-31") == "2026/27"


REQUESTS: dict[str, dict[str, Any]] = {
    "r1": {"start_date": "2026-12-14", "end_date": "2026-12-18", "status": "pending"},
    "r2": {"start_date": "2026-12-14", "end_date": "2026-12-18", "status": "cancelled"},
    "r3": {"start_date": "2026-11-02", "end_date": "2026-11-02", "status": "denied"},
}


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"kind": "reservation", "request_id": "r1"}, "Reserved for 14–18 Dec"),
        ({"kind": "reservation_release", "request_id": "r2"}, "Released (request cancelled)"),
        ({"kind": "reservation_release", "request_id": "r3"}, "Released (request denied)"),
        ({"kind": "deduction", "request_id": "r1"}, "Taken: 14–18 Dec"),
        ({"kind": "accrual", "effective_date": "2026-03-01"}, "Accrued for March"),
        ({"kind": "carryover", "effective_date": "2027-01-01"}, "Carried over from 2026"),
        ({"kind": "adjustment", "reason": "From old system"}, "Adjustment: From old system"),
        ({"kind": "carryover_expiry"}, "Carried-over days expired"),
        ({"kind": "restoration", "request_id": "r1"}, "Given back (approved leave cancelled)"),
    ],
)
def test_ledger_entries_are_sentences_not_kinds(entry: dict[str, Any], expected: str) -> None:
    text = ledger_entry(entry, REQUESTS)
    assert text == expected
    assert "_" not in text
    assert "r1" not in text


def test_a_denial_shows_the_approvers_note() -> None:
    denied = {
        "status": "denied",
        "history": [
            {"to": "pending", "note": None},
            {"to": "denied", "note": "Release week, sorry"},
        ],
    }
    assert standing(denied) == "Denied: “Release week, sorry”"


def test_a_rejection_says_why_in_words() -> None:
    rejected = {"status": "rejected", "rejection_reason": "insufficient_balance"}
    assert standing(rejected) == "Not accepted: not enough leave left"
    assert standing({"status": "pending"}) == "Waiting for approval"


def test_an_adjustment_names_no_one_by_id() -> None:
    entry = {"kind": "adjustment", "reason": "Moved from old system (by 01a2302836ff)"}
    assert ledger_entry(entry, {}) == "Adjustment: Moved from old system"


def test_the_only_accrual_of_a_year_is_its_grant_and_monthly_ones_name_the_month() -> None:
    upfront = [{"kind": "accrual", "effective_date": "2027-01-01"}]
    assert ledger_lines(upfront, {}) == ["Granted for the leave year"]
    monthly = [
        {"kind": "accrual", "effective_date": "2027-01-01"},
        {"kind": "accrual", "effective_date": "2027-02-01"},
    ]
    assert ledger_lines(monthly, {}) == ["Accrued for January", "Accrued for February"]
