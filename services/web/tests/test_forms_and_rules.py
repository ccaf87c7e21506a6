"""Pure rules of the web: admin form bodies, approval overlaps, who approves where."""

# fixed-clock: pure functions of the dates given (no clock)

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import FormData

from leaveflow_web.entrypoints.admin_forms import (
    given_fields,
    leave_type_body,
    location_body,
    number,
    policy_body,
)
from leaveflow_web.entrypoints.approvals import my_departments, overlaps
from leaveflow_web.session import SignedIn


@pytest.mark.parametrize(
    ("text", "expected"),
    [("25", 25), ("2.5", 2.5), ("-1", -1), ("0.25", 0.25), ("abc", "abc"), ("NaN", "NaN")],
)
def test_numbers_go_out_as_json_numbers_and_anything_else_as_given(
    text: str, expected: Any
) -> None:
    assert number(text) == expected
    assert type(number(text)) is type(expected)


def test_a_location_body_has_the_checked_work_week_and_the_holiday_source() -> None:
    form = FormData([("workweek", "5"), ("workweek", "1"), ("workweek", "x")])
    fields = {"name": "Munich", "timezone": "", "country": "de", "subdivision": "by"}
    assert location_body(form, fields) == {
        "name": "Munich",
        "timezone": "UTC",
        "workweek": [1, 5],
        "holidays": {"country": "DE", "subdivision": "BY"},
    }


def test_a_location_without_a_country_has_no_holiday_source() -> None:
    body = location_body(
        FormData([("workweek", "1")]),
        {"name": "HQ", "timezone": "Europe/Berlin", "country": "", "subdivision": "BY"},
    )
    assert "holidays" not in body


def test_unchecked_boxes_mean_false_on_a_leave_type() -> None:
    body = leave_type_body(
        FormData([("requires_approval", "on")]), {"name": "Sick", "unit": "", "color": ""}
    )
    assert body == {
        "name": "Sick",
        "unit": "days",
        "requires_approval": True,
        "allow_half_days": False,
        "private": False,
    }


def test_a_policy_body_leaves_out_what_was_not_given() -> None:
    fields = {
        "annual_allowance": "25",
        "accrual": "monthly",
        "carryover_max": "5",
        "carryover_expiry_months": "",
        "negative_allowance": "",
    }
    assert policy_body(FormData([("prorate_first_year", "on")]), fields) == {
        "annual_allowance": 25,
        "accrual": "monthly",
        "prorate_first_year": True,
        "unlimited": False,
        "carryover_max": 5,
    }


def test_empty_integration_fields_are_not_sent_so_saved_secrets_stay() -> None:
    fields = {"smtp_host": "mail.test", "smtp_port": "587", "password": ""}
    assert given_fields(fields, ("smtp_port",)) == {"smtp_host": "mail.test", "smtp_port": 587}


def leave(id_: str, start: str, end: str, status: str = "pending") -> dict[str, Any]:
    return {"id": id_, "start_date": start, "end_date": end, "status": status}


@pytest.mark.parametrize(
    ("other", "shares_a_day"),
    [
        (leave("b", "2027-03-01", "2027-03-08"), True),  # ends on the first day
        (leave("b", "2027-03-12", "2027-03-20"), True),  # starts on the last day
        (leave("b", "2027-03-09", "2027-03-10", "approved"), True),
        (leave("b", "2027-03-01", "2027-03-07"), False),
        (leave("b", "2027-03-13", "2027-03-14"), False),
        (leave("b", "2027-03-09", "2027-03-10", "denied"), False),
        (leave("b", "2027-03-09", "2027-03-10", "cancelled"), False),
        (leave("a", "2027-03-08", "2027-03-12"), False),  # the request itself
    ],
)
def test_overlap_is_teammates_pending_or_approved_leave_sharing_a_day(
    other: dict[str, Any], shares_a_day: bool
) -> None:
    request = leave("a", "2027-03-08", "2027-03-12")
    assert (overlaps(request, [other]) == [other]) is shares_a_day


def person(role: str, employee_id: str = "me") -> SignedIn:
    return SignedIn("t1", employee_id, role, "me@acme.test", "token")


DEPARTMENTS = [
    {"id": "eng", "approver_ids": ["me", "other"]},
    {"id": "sales", "approver_ids": ["other"]},
    {"id": "ops", "approver_ids": []},
]


def test_an_approver_sees_only_the_departments_that_name_them() -> None:
    assert [d["id"] for d in my_departments(person("approver"), DEPARTMENTS)] == ["eng"]


def test_an_admin_sees_every_department() -> None:
    assert len(my_departments(person("admin", "x"), DEPARTMENTS)) == 3


def test_a_user_named_nowhere_approves_nothing() -> None:
    assert my_departments(person("user", "nobody"), DEPARTMENTS) == []
