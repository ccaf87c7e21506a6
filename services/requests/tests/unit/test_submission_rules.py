"""The submission rules on the aggregate: `LeaveRequest.submit` given what was loaded.

Pure: no store, no clock, no service layer. Each row names the rule it breaks (the error
and the field a client is told about) or, for the rows that pass, what the request costs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from leaveflow_requests.domain.directory import Employee, LeaveType, Location
from leaveflow_requests.domain.errors import InvalidRequest, OverlappingRequest
from leaveflow_requests.domain.model import LeaveRequest, count_leave

AT = datetime(2024, 2, 20, 9, tzinfo=UTC)
MON = date(2024, 3, 4)  # a Monday; the week's days below are offsets from it
TUE, WED, THU, FRI, SAT, SUN = (MON + timedelta(days=n) for n in range(1, 7))

ANA = Employee(id="ana", tenant_id="t", name="Ana", email="ana@acme.test", department_id="sales")
VACATION = LeaveType(id="vac", tenant_id="t", name="Vacation")
DOCTOR = LeaveType(id="doc", tenant_id="t", name="Doctor", unit="hours", allow_half_days=False)
# No country: only the company's own extra holiday counts (Wednesday).
OFFICE = Location(
    id="office",
    tenant_id="t",
    name="Office",
    extra_holidays=[{"date": WED.isoformat(), "name": "Fête"}],
)


def live(start: date, end: date, **fields: Any) -> LeaveRequest:
    return LeaveRequest(
        id="other",
        tenant_id="t",
        employee_id="ana",
        leave_type_id="vac",
        start_date=start,
        end_date=end,
        amount=Decimal(1),
        **fields,
    )


def submit(**given: Any) -> LeaveRequest:
    args: dict[str, Any] = {
        "id": "new",
        "employee": ANA,
        "leave_type": VACATION,
        "location": None,
        "offered_at_location": True,
        "live_requests": [],
        "start_date": MON,
        "end_date": FRI,
        "by": "ana",
        "at": AT,
    }
    args.update(given)
    return LeaveRequest.submit(**args)


REFUSED: list[tuple[str, dict[str, Any], type[Exception], str | None, str]] = [
    ("unknown leave type", {"leave_type": None}, InvalidRequest, "leave_type_id", "unknown"),
    (
        "inactive leave type",
        {"leave_type": replace(VACATION, active=False)},
        InvalidRequest,
        "leave_type_id",
        "unknown",
    ),
    (
        "half day on a type without half days",
        {"leave_type": replace(VACATION, allow_half_days=False), "start_part": "pm"},
        InvalidRequest,
        "start_part",
        "does not allow half days",
    ),
    (
        "a half last day counts as a half day too",
        {"leave_type": replace(VACATION, allow_half_days=False), "end_part": "am"},
        InvalidRequest,
        "start_part",
        "does not allow half days",
    ),
    (
        "the half-day rule comes before the policy",
        {
            "leave_type": replace(VACATION, allow_half_days=False),
            "start_part": "pm",
            "location": OFFICE,
            "offered_at_location": False,
        },
        InvalidRequest,
        "start_part",
        "half days",
    ),
    (
        "no policy for the type at the location",
        {"location": OFFICE, "offered_at_location": False},
        InvalidRequest,
        "leave_type_id",
        "not available at Office (no policy)",
    ),
    (
        "hours on a day-unit type",
        {"hours": Decimal(2)},
        InvalidRequest,
        "hours",
        "taken in days",
    ),
    (
        "no hours on an hour-unit type",
        {"leave_type": DOCTOR, "end_date": MON},
        InvalidRequest,
        "hours",
        "taken in hours",
    ),
    (
        "an hour request over two days",
        {"leave_type": DOCTOR, "end_date": TUE, "hours": Decimal(2)},
        InvalidRequest,
        "end_date",
        "covers one day",
    ),
    (
        "only a weekend",
        {"start_date": SAT, "end_date": SUN},
        InvalidRequest,
        "start_date",
        "no working day",
    ),
    (
        "only the location's holiday",
        {"location": OFFICE, "start_date": WED, "end_date": WED},
        InvalidRequest,
        "start_date",
        "no working day",
    ),
    (
        "before the employee starts",
        {"employee": replace(ANA, start_date=TUE)},
        InvalidRequest,
        "start_date",
        f"not employed on {MON.isoformat()}",
    ),
    (
        "after the employee leaves",
        {"employee": replace(ANA, end_date=THU)},
        InvalidRequest,
        "start_date",
        f"not employed on {FRI.isoformat()}",
    ),
    (
        "the employment rule comes before the overlap",
        {"employee": replace(ANA, end_date=THU), "live_requests": [live(MON, MON)]},
        InvalidRequest,
        "start_date",
        "not employed",
    ),
    (
        "a day already taken",
        {"live_requests": [live(WED, WED, status="approved")]},
        OverlappingRequest,
        None,
        "overlaps request other (approved)",
    ),
    (
        "a half day on a day taken in full",
        {"start_date": FRI, "end_date": FRI, "start_part": "am", "live_requests": [live(FRI, FRI)]},
        OverlappingRequest,
        None,
        "overlaps request other (submitted)",
    ),
    (
        "the same afternoon",
        {
            "start_date": FRI,
            "end_date": FRI,
            "start_part": "pm",
            "live_requests": [live(THU, FRI, end_part="full")],
        },
        OverlappingRequest,
        None,
        "overlaps",
    ),
]


@pytest.mark.parametrize(
    ("given", "error", "field", "message"),
    [row[1:] for row in REFUSED],
    ids=[row[0] for row in REFUSED],
)
def test_a_submission_that_breaks_a_rule_is_refused(
    given: dict[str, Any], error: type[Exception], field: str | None, message: str
) -> None:
    with pytest.raises(error) as raised:
        submit(**given)
    assert message in str(raised.value)
    if isinstance(raised.value, InvalidRequest):
        assert raised.value.field == field


ACCEPTED: list[tuple[str, dict[str, Any], Decimal, list[date]]] = [
    ("a full week, no location", {}, Decimal(5), [MON, TUE, WED, THU, FRI]),
    (
        "the location's holiday is not counted",
        {"location": OFFICE},
        Decimal(4),
        [MON, TUE, THU, FRI],
    ),
    (
        "from the afternoon to the morning",
        {"start_part": "pm", "end_part": "am"},
        Decimal(4),
        [MON, TUE, WED, THU, FRI],
    ),
    (
        "the morning of a day whose afternoon is taken",
        {
            "start_date": FRI,
            "end_date": FRI,
            "start_part": "am",
            "live_requests": [live(FRI, FRI, start_part="pm")],
        },
        Decimal("0.5"),
        [FRI],
    ),
    (
        "over a cancelled request",
        {"live_requests": [live(MON, FRI, status="cancelled")]},
        Decimal(5),
        [MON, TUE, WED, THU, FRI],
    ),
    (
        "hours on one working day",
        {"leave_type": DOCTOR, "end_date": MON, "hours": Decimal("2.5")},
        Decimal("2.5"),
        [MON],
    ),
    (
        "on the last day of employment",
        {"employee": replace(ANA, start_date=MON, end_date=FRI)},
        Decimal(5),
        [MON, TUE, WED, THU, FRI],
    ),
]


@pytest.mark.parametrize(
    ("given", "amount", "days"),
    [row[1:] for row in ACCEPTED],
    ids=[row[0] for row in ACCEPTED],
)
def test_a_valid_submission_is_priced(
    given: dict[str, Any], amount: Decimal, days: list[date]
) -> None:
    request = submit(**given)
    assert request.amount == amount
    assert request.working_days == days


def test_a_new_request_is_submitted_with_the_types_terms_and_its_history() -> None:
    no_approval = replace(VACATION, requires_approval=False)
    request = submit(leave_type=no_approval, reason="sun", by="boss", end_part="am")
    assert (request.id, request.tenant_id, request.employee_id) == ("new", "t", "ana")
    assert (request.status, request.unit, request.requires_approval) == ("submitted", "days", False)
    assert (request.start_part, request.end_part, request.reason) == ("full", "am", "sun")
    assert request.department_id == "sales"
    assert request.created_at == AT
    assert request.history == [
        {"from": None, "to": "submitted", "at": AT.isoformat(), "by": "boss", "note": "sun"}
    ]


def test_a_part_time_pattern_prices_by_the_hours_of_each_day() -> None:
    part_timer = replace(ANA, work_pattern={"1": "8", "2": "4"})
    request = submit(employee=part_timer, location=OFFICE)
    # Monday counts in full, Tuesday by half; the rest of the week is not worked.
    assert request.amount == Decimal("1.5")
    assert request.working_days == [MON, TUE]


def test_count_leave_prices_a_stored_request_the_way_a_submission_does() -> None:
    counted = count_leave(VACATION, MON, FRI, start_part="pm", holidays=[WED])
    assert counted.amount == Decimal("3.5")
    assert list(counted.days) == [MON, TUE, THU, FRI]
