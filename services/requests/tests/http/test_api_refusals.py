"""The requests API's refusals, in-process: one company on one app for the whole module
(a refused call changes nothing, so the rows cannot disturb each other). Each row names
the rule, the caller, the call, and the problem it gets: status, type and field."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest
import pytest_asyncio

from .conftest import Api, Company, day, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def company(api: Api) -> Company:
    """The company, with Ana's Monday and Tuesday of next week taken and Ada working
    Remote (where nothing is offered)."""
    company = await sign_up(api)
    first = await company.submit("ana")
    assert first.status_code == 202, first.text
    ada_at_remote = {"location_id": company.ids["remote"]}
    await company.ok("ada", "PATCH", f"/v1/employees/{company.ids['ada']}", ada_at_remote)
    return company


class Refusal(NamedTuple):
    who: str | None
    call: str
    body: Any
    expect: str


class Submission(NamedTuple):
    who: str
    changes: dict[str, Any]
    expect: str


# Under what it shows, each row gives who calls (None: no token), the call (`{name}` in it
# is the id of that record of the company), its JSON body, and what comes back:
# "<status> <problem type>[ <field>]".
ROWS: dict[str, Refusal] = {
    "no token": Refusal(None, "GET /v1/employees", None, "401 unauthorized"),
    "a user adds no location": Refusal("ana", "POST /v1/locations", {"name": "X"}, "403 forbidden"),
    "a user adds no employee": Refusal(
        "ana", "POST /v1/employees", {"name": "X", "email": "x@a.test"}, "403 forbidden"
    ),
    "an approver adds no department": Refusal(
        "bob", "POST /v1/departments", {"name": "X"}, "403 forbidden"
    ),
    "a user adds no leave type": Refusal(
        "ana", "POST /v1/leave-types", {"name": "X"}, "403 forbidden"
    ),
    "a user changes no leave type": Refusal(
        "ana", "PATCH /v1/leave-types/{vacation}", {"name": "X"}, "403 forbidden"
    ),
    "a user removes no location": Refusal(
        "ana", "DELETE /v1/locations/{remote}", None, "403 forbidden"
    ),
    "unknown holiday country": Refusal(
        "ada",
        "POST /v1/locations",
        {"name": "X", "holidays": {"country": "XX"}},
        "422 validation-error holidays.country",
    ),
    "unknown time zone": Refusal(
        "ada",
        "POST /v1/locations",
        {"name": "X", "timezone": "Mars/Base"},
        "422 validation-error timezone",
    ),
    "no leave year starts on 29 February": Refusal(
        "ada",
        "POST /v1/locations",
        {"name": "X", "leave_year_start": "02-29"},
        "422 validation-error leave_year_start",
    ),
    "holidays of an unknown location": Refusal(
        "ada", "GET /v1/locations/nope/holidays", None, "404 not-found"
    ),
    "holidays of a year out of range": Refusal(
        "ada", "GET /v1/locations/{office}/holidays?year=1800", None, "422 validation-error year"
    ),
    "a user cannot approve for a department": Refusal(
        "ada",
        "POST /v1/departments",
        {"name": "X", "approver_ids": ["{ana}"]},
        "422 validation-error approver_ids",
    ),
    "an unknown department": Refusal("ada", "GET /v1/departments/nope", None, "404 not-found"),
    "email is unique in the tenant": Refusal(
        "ada", "POST /v1/employees", {"name": "X", "email": "ANA@acme.test"}, "409 duplicate-email"
    ),
    "an unknown department for an employee": Refusal(
        "ada",
        "POST /v1/employees",
        {"name": "X", "email": "x@acme.test", "department_id": "nope"},
        "422 validation-error department_id",
    ),
    "an unknown location for an employee": Refusal(
        "ada",
        "POST /v1/employees",
        {"name": "X", "email": "x@acme.test", "location_id": "nope"},
        "422 validation-error location_id",
    ),
    "employment ends before it starts": Refusal(
        "ada",
        "POST /v1/employees",
        {"name": "X", "email": "x@acme.test", "start_date": day(5), "end_date": day(1)},
        "422 validation-error end_date",
    ),
    "not an email": Refusal(
        "ada", "POST /v1/employees", {"name": "X", "email": "x@"}, "422 validation-error email"
    ),
    "a name cannot be cleared": Refusal(
        "ada", "PATCH /v1/employees/{ana}", {"name": None}, "422 validation-error name"
    ),
    "the last admin stays admin": Refusal(
        "ada", "PATCH /v1/employees/{ada}", {"role": "user"}, "409 last-admin"
    ),
    "a second location of the same name": Refusal(
        "ada", "POST /v1/locations", {"name": "  office "}, "409 duplicate-name name"
    ),
    "renaming a location to another's name": Refusal(
        "ada", "PATCH /v1/locations/{remote}", {"name": "OFFICE"}, "409 duplicate-name name"
    ),
    "a second department of the same name": Refusal(
        "ada", "POST /v1/departments", {"name": "sales"}, "409 duplicate-name name"
    ),
    "a second leave type of the same name": Refusal(
        "ada", "POST /v1/leave-types", {"name": "Vacation "}, "409 duplicate-name name"
    ),
    "renaming a leave type to another's name": Refusal(
        "ada", "PATCH /v1/leave-types/{doctor}", {"name": "vacation"}, "409 duplicate-name name"
    ),
    "an unknown employee": Refusal("ada", "GET /v1/employees/nope", None, "404 not-found"),
    "a colour is #rrggbb": Refusal(
        "ada", "POST /v1/leave-types", {"name": "X", "color": "red"}, "422 validation-error color"
    ),
    "an unknown leave type": Refusal("ada", "GET /v1/leave-types/nope", None, "404 not-found"),
    "a window that ends before it starts": Refusal(
        "ada", f"GET /v1/leave-requests?from={day(5)}&to={day(1)}", None, "422 validation-error to"
    ),
    "a page of at most 1000": Refusal(
        "ada", "GET /v1/leave-requests?limit=1001", None, "422 validation-error limit"
    ),
    "an unknown request": Refusal("ada", "GET /v1/leave-requests/nope", None, "404 not-found"),
    "cancelling an unknown request": Refusal(
        "ana", "POST /v1/leave-requests/nope/cancel", None, "404 not-found"
    ),
    "a denial needs a note": Refusal(
        "ada", "POST /v1/leave-requests/nope/deny", {}, "422 validation-error note"
    ),
    "working days of an unknown employee": Refusal(
        "ada",
        f"GET /v1/working-days?start_date={day(0)}&end_date={day(1)}&employee_id=nope",
        None,
        "422 validation-error employee_id",
    ),
    "working days need dates": Refusal(
        "ada", f"GET /v1/working-days?start_date={day(0)}", None, "422 validation-error end_date"
    ),
}


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids) if "{" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _check(response: Any, expect: str) -> None:
    status, problem, *field = expect.split(" ")
    assert response.status_code == int(status), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    found = response.json()
    assert (found["status"], found["type"].rsplit("/", 1)[-1]) == (int(status), problem)
    if field:
        assert [e["field"] for e in found["errors"]] == field, found


@pytest.mark.parametrize(("who", "call", "body", "expect"), ROWS.values(), ids=ROWS)
async def test_the_api_refuses(
    company: Company, who: str | None, call: str, body: Any, expect: str
) -> None:
    method, _, path = call.partition(" ")
    response = await company.call(who, method, _fill(path, company.ids), _fill(body, company.ids))
    _check(response, expect)


# A submission on top of Ana's Monday and Tuesday of next week, under what it shows: who
# submits, what differs
# from a Vacation request for those two days, and what comes back.
SUBMISSIONS: dict[str, Submission] = {
    "a day already taken": Submission(
        "ana", {"start_date": day(1), "end_date": day(1)}, "409 overlapping-request"
    ),
    "half days on a whole-days type": Submission(
        "ana",
        {"leave_type_id": "{whole}", "start_part": "pm", "start_date": day(7), "end_date": day(8)},
        "422 validation-error start_part",
    ),
    "a type not offered where they work": Submission(
        "ada",
        {"employee_id": "{ada}", "start_date": day(7), "end_date": day(7)},
        "422 validation-error leave_type_id",
    ),
    "a user asks for someone else": Submission(
        "ana", {"employee_id": "{ben}", "start_date": day(7), "end_date": day(7)}, "403 forbidden"
    ),
    "hours on a day-unit type": Submission(
        "ana",
        {"hours": "2", "start_date": day(7), "end_date": day(7)},
        "422 validation-error hours",
    ),
    "an hour-unit type without hours": Submission(
        "ana",
        {"leave_type_id": "{doctor}", "start_date": day(7), "end_date": day(7)},
        "422 validation-error hours",
    ),
    "an unknown leave type": Submission(
        "ana", {"leave_type_id": "nope"}, "422 validation-error leave_type_id"
    ),
    "a weekend only": Submission(
        "ana", {"start_date": day(5), "end_date": day(6)}, "422 validation-error start_date"
    ),
    "the office holiday only": Submission(
        "ana", {"start_date": day(2), "end_date": day(2)}, "422 validation-error start_date"
    ),
    "the end before the start": Submission(
        "ana", {"start_date": day(3), "end_date": day(1)}, "422 validation-error end_date"
    ),
    "a part that is not one": Submission(
        "ana", {"start_part": "evening"}, "422 validation-error start_part"
    ),
}


@pytest.mark.parametrize(("who", "changes", "expect"), SUBMISSIONS.values(), ids=SUBMISSIONS)
async def test_a_submission_is_refused(
    company: Company, who: str, changes: dict[str, Any], expect: str
) -> None:
    _check(await company.submit(who, **_fill(changes, company.ids)), expect)
