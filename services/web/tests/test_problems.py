"""Every API problem as a sentence for people: by type, by status and by field."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from leaveflow_web import problems
from leaveflow_web.api import Api, ApiError, ServiceApis
from leaveflow_web.wording import date_range, standing

TYPE = "https://leaveflow.dev/problems/"

# The raw texts of issue 15 that reached people, each with the field it came with.
RAW = [
    ("end_date", "end_date is before start_date"),
    ("color", "String should match pattern '^#[0-9a-fA-F]{6}$'"),
    ("workweek", "List should have at least 1 item after validation, not 0"),
    ("name", "String should have at least 1 character"),
    ("email", "value is not a valid email address: An email address must have an @-sign."),
    ("name", "String should have at most 200 characters"),
    ("hours", "Input should be greater than 0"),
    ("unit", "Input should be 'days' or 'hours'"),
    ("start_date", "Input should be a valid date or datetime, input is too short"),
    ("amount", "Decimal input should have no more than 2 decimal places"),
]


def api_error(status: int, slug: str = "", detail: str = "", **kw: object) -> ApiError:
    return ApiError(status, "Some title", detail, type=f"{TYPE}{slug}" if slug else "", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("field", "message"), RAW)
def test_no_raw_message_reaches_a_field(field: str, message: str) -> None:
    said = problems.field_sentence(field, message)
    assert said.endswith(".")
    assert said[0].isupper()
    for machine in ("String", "pattern", "Input should", "validation", "_", "tenant"):
        assert machine not in said, (machine, said)


def test_the_raw_messages_of_the_issue_read_as_these_sentences() -> None:
    said = problems.field_sentences({"field": f, "message": m} for f, m in RAW[:5])
    assert said == {
        "end_date": "The last day is before the first day. Pick a last day on or after it.",
        "color": "Pick a colour written like #1f6f43 (a # and six digits or letters a–f).",
        "workweek": "Choose at least one of the working days.",
        "name": "Fill in the name.",
        "email": "Enter an email address like name@example.com.",
    }


def test_limits_keep_their_number() -> None:
    assert problems.field_sentence("name", "String should have at most 80 characters") == (
        "The name can be at most 80 characters long."
    )
    assert problems.field_sentence("hours", "Input should be less than or equal to 24") == (
        "The hours must be 24 or less."
    )


def test_an_item_of_a_list_is_about_the_list() -> None:
    said = problems.field_sentences([{"field": "workweek.0", "message": "Input should be 1"}])
    assert said == {"workweek": "Choose one of the offered values for the working days."}


def test_an_unknown_message_still_names_the_field_in_words() -> None:
    assert problems.field_sentence("leave_type_id", "zorglub") == "Check the leave type."
    assert problems.field_sentence("carry_days", "zorglub") == "Check the carry days."


def test_only_the_first_message_of_a_field_is_shown() -> None:
    said = problems.field_sentences(
        [{"field": "name", "message": "Field required"}, {"field": "name", "message": "x"}]
    )
    assert said == {"name": "Fill in the name."}


def test_an_overlap_names_the_days_and_where_they_stand() -> None:
    start = date.today() + timedelta(days=30)
    end = start + timedelta(days=4)
    said = problems.overlap_sentence(problems.Overlap("r1", "approved", start, end))
    assert said == f"You already have leave on {date_range(start, end, year=False)} (approved)."
    assert "r1" not in said


def test_an_overlap_without_dates_keeps_its_status_and_drops_the_id() -> None:
    problem = api_error(409, "overlapping-request", "overlaps request 01a2302836ff (pending)")
    said = problems.sentence(problem)
    assert said == "You already have leave on some of these days (waiting for approval)."


@pytest.mark.parametrize(
    ("start", "end", "said"),
    [
        (date(2025, 12, 15), date(2025, 12, 19), "15–19 Dec"),
        (date(2025, 12, 15), date(2025, 12, 15), "15 Dec"),
        (date(2025, 11, 28), date(2025, 12, 2), "28 Nov – 2 Dec"),
        (date(2025, 12, 30), date(2026, 1, 2), "30 Dec 2025 – 2 Jan 2026"),
    ],
)
def test_overlap_dates_read_as_people_write_them(start: date, end: date, said: str) -> None:
    assert date_range(start, end, year=False) == said


@pytest.mark.parametrize(
    ("problem", "said"),
    [
        (api_error(429, "rate-limited", retry_after=7),
         "Too many attempts - try again in 7 seconds."),
        (api_error(429), "Too many attempts - try again in 60 seconds."),
        (api_error(413, "payload-too-large"), problems.BY_TYPE["payload-too-large"]),
        (api_error(413), problems.BY_TYPE["payload-too-large"]),
        (api_error(409, "duplicate-email"),
         "Someone in your company already has this email address."),
        (api_error(409, "last-admin"), "Your company must keep at least one administrator."),
        (api_error(403, "forbidden", "approvers only"), problems.BY_STATUS[403]),
        (api_error(503, detail="ConnectError"), problems.UNREACHABLE),
        (api_error(500, detail="Traceback"), problems.BROKEN),
        (api_error(418, detail="I'm a teapot"), problems.GENERIC),
        (ApiError(404, "not available", "x"), problems.NOT_OFFERED),
        (api_error(404, "not-found", "no such employee in this tenant"), problems.BY_STATUS[404]),
        (api_error(409, "invalid-transition", "cannot cancel a denied request"),
         "This request can no longer be changed that way. Reload to see where it stands."),
    ],
)  # fmt: skip
def test_problems_read_as_one_sentence(problem: ApiError, said: str) -> None:
    assert problems.sentence(problem) == said
    assert problem.detail not in said or not problem.detail


def test_a_duplicate_name_is_said_at_its_field() -> None:
    problem = api_error(
        409, "duplicate-name", "a location named berlin exists",
        errors=[{"field": "name", "message": "a location named berlin exists"}],
    )  # fmt: skip
    assert problems.sentence(problem) == "This name is taken already. Choose another one."
    assert set(problem.field_errors) == {"name"}


def test_a_422_reads_as_its_fields_sentences_once_each() -> None:
    problem = api_error(
        422, "validation-error", "the request is not valid: end_date: end_date is before ...",
        errors=[
            {"field": "end_date", "message": "end_date is before start_date"},
            {"field": "name", "message": "Field required"},
        ],
    )  # fmt: skip
    assert problems.sentence(problem) == (
        "The last day is before the first day. Pick a last day on or after it. Fill in the name."
    )


def test_rejection_reasons_read_as_sentences_from_the_one_map() -> None:
    def rejected(reason: str) -> str:
        return standing({"status": "rejected", "rejection_reason": reason})

    assert rejected("insufficient_balance") == "Not accepted: not enough leave left"
    assert "_" not in rejected("no_policy")
    assert rejected("zorglub") == "Not accepted"


async def test_a_refused_overlap_learns_the_dates_of_the_request_it_runs_into() -> None:
    start = date.today() + timedelta(days=40)
    end = start + timedelta(days=4)

    def requests_service(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(
                409,
                json={
                    "type": f"{TYPE}overlapping-request",
                    "title": "Overlapping request",
                    "status": 409,
                    "detail": "overlaps request r-77 (approved)",
                },
            )
        assert request.url.path == "/v1/leave-requests/r-77"
        body = {"id": "r-77", "status": "approved", "start_date": start.isoformat(),
                "end_date": end.isoformat()}  # fmt: skip
        return httpx.Response(200, json=body)

    apis = ServiceApis({"requests": "http://svc"}, transport=httpx.MockTransport(requests_service))
    with pytest.raises(ApiError) as caught:
        await Api(apis, "tok").post("requests", "/v1/leave-requests", {})
    await apis.aclose()
    assert caught.value.sentence == (
        f"You already have leave on {date_range(start, end, year=False)} (approved)."
    )


async def test_an_overlap_whose_request_cannot_be_read_still_reads_well() -> None:
    def requests_service(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            detail = "overlaps request r-9 (pending)"
            body = {"type": f"{TYPE}overlapping-request", "detail": detail}
            return httpx.Response(409, json=body)
        return httpx.Response(404, json={"detail": "no such request"})

    apis = ServiceApis({"requests": "http://svc"}, transport=httpx.MockTransport(requests_service))
    with pytest.raises(ApiError) as caught:
        await Api(apis, "tok").post("requests", "/v1/leave-requests", {})
    await apis.aclose()
    assert caught.value.sentence == (
        "You already have leave on some of these days (waiting for approval)."
    )
