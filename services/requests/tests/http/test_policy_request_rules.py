"""The policy's request rules and blackout periods through the API (issue 17).

The rules arrive as balances sends them (`PolicyUpserted`); every refusal is a 422 whose
field names the request field and whose message names the rule. Dates are relative to the
app's clock: day(0) is next Monday, the Office's extra holiday is day(2) (Wednesday).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from leaveflow_contracts import LeaveRequested, PolicyUpserted, parse_data

from .conftest import NEXT_MONDAY, NOW, Company, day

pytestmark = pytest.mark.asyncio(loop_scope="module")

TODAY = NOW.date()


async def rules(company: Company, leave_type: str = "vacation", **given: Any) -> None:
    policy = PolicyUpserted(
        location_id=company.ids["office"],
        leave_type_id=company.ids[leave_type],
        active=True,
        **given,
    )
    await company.api.deliver(policy, company.tenant_id)


def problem(response: httpx.Response, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def error_on(response: httpx.Response, field: str) -> str:
    errors = problem(response)["errors"]
    assert [e["field"] for e in errors] == [field], errors
    message: str = errors[0]["message"]
    return message


async def requested_events(company: Company, request_id: str) -> list[LeaveRequested]:
    found = []
    for row in await company.api.store.fetch_unpublished(10_000):
        if row.envelope.tenant_id == company.tenant_id and row.envelope.type == "LeaveRequested":
            data = parse_data(row.envelope)
            assert isinstance(data, LeaveRequested)
            if data.request_id == request_id:
                found.append(data)
    return found


async def test_notice_counts_calendar_days_from_the_locations_today(company: Company) -> None:
    notice = (NEXT_MONDAY - TODAY).days + 1  # next Monday is one day short
    await rules(company, min_notice_days=notice)
    short = await company.submit("ana", start_date=day(0), end_date=day(1))
    message = error_on(short, "start_date")
    assert "min_notice_days" in message
    assert f"{notice} days' notice" in message
    assert (TODAY + timedelta(days=notice)).isoformat() in message
    fine = await company.submit("ana", start_date=day(1), end_date=day(1))
    assert fine.status_code == 202, fine.text


async def test_an_admin_may_override_notice_on_purpose_and_it_shows(company: Company) -> None:
    await rules(company, min_notice_days=60)
    body = {"employee_id": company.ids["ana"], "start_date": day(0), "end_date": day(0)}
    override = await company.submit("ada", **body, override_rules=True)
    assert override.status_code == 202, override.text
    request = override.json()
    assert request["rules_overridden"] is True
    assert "overridden" in request["history"][-1]["note"]
    events = await requested_events(company, request["id"])
    assert [e.rules_overridden for e in events] == [True]
    # Nobody else may: a person's own override is refused, not ignored.
    own = await company.submit("ana", start_date=day(3), end_date=day(3), override_rules=True)
    assert problem(own, 403)["detail"] == "only admins may override the leave rules"


async def test_how_far_ahead_is_checked_on_the_last_day(company: Company) -> None:
    ahead = (NEXT_MONDAY - TODAY).days + 3  # day(3) is the last day allowed
    await rules(company, max_days_ahead=ahead)
    assert (await company.submit("ana", start_date=day(1), end_date=day(3))).status_code == 202
    too_far = await company.submit("ben", start_date=day(3), end_date=day(4))
    message = error_on(too_far, "end_date")
    assert "max_days_ahead" in message
    assert (TODAY + timedelta(days=ahead)).isoformat() in message


async def test_probation_counts_from_the_start_date(company: Company) -> None:
    started = TODAY - timedelta(days=10)
    await company.ok(
        "ada", "PATCH", f"/v1/employees/{company.ids['ben']}", {"start_date": started.isoformat()}
    )
    # Probation ends on day(1): a request starting on day(0) is refused, day(1) is fine.
    await rules(company, probation_days=(NEXT_MONDAY - started).days + 1)
    early = await company.submit("ben", start_date=day(0), end_date=day(1))
    assert "probation_days" in error_on(early, "start_date")
    assert (await company.submit("ben", start_date=day(1), end_date=day(1))).status_code == 202
    # Ana has no start date: no probation applies to her.
    assert (await company.submit("ana", start_date=day(0), end_date=day(0))).status_code == 202


async def test_four_adjacent_one_day_requests_count_as_four(company: Company) -> None:
    await rules(company, max_consecutive=Decimal(3))
    # Mon, Tue, (Wed is the Office's holiday), Thu: one run of three working days.
    for start in (0, 1, 3):
        answer = await company.submit("ana", start_date=day(start), end_date=day(start))
        assert answer.status_code == 202, answer.text
    fourth = await company.submit("ana", start_date=day(4), end_date=day(4))
    message = error_on(fourth, "end_date")
    assert "max_consecutive" in message
    assert "would be 4 days" in message
    # Another type does not join the run.
    other = await company.submit(
        "ana", leave_type_id=company.ids["whole"], start_date=day(4), end_date=day(4)
    )
    assert other.status_code == 202, other.text


async def test_a_cancelled_request_leaves_the_run(company: Company) -> None:
    await rules(company, max_consecutive=Decimal(2))
    first = (await company.submit("ben", start_date=day(0), end_date=day(1))).json()
    refused = await company.submit("ben", start_date=day(3), end_date=day(3))
    assert refused.status_code == 422
    await company.ok("ben", "POST", f"/v1/leave-requests/{first['id']}/cancel")
    assert (await company.submit("ben", start_date=day(3), end_date=day(3))).status_code == 202


async def test_sandwich_weekends_charges_the_weekend_inside_a_request(company: Company) -> None:
    await rules(company, sandwich="weekends")
    answer = await company.submit("ana", start_date=day(4), end_date=day(7))  # Fri to Mon
    assert answer.status_code == 202, answer.text
    request = answer.json()
    saturday, sunday = day(5), day(6)
    assert request["sandwiched_days"] == [saturday, sunday]
    assert request["amount"] == 4
    assert request["working_days"] == [day(4), saturday, sunday, day(7)]
    events = await requested_events(company, request["id"])
    assert [(str(e.amount), [d.isoformat() for d in e.working_days]) for e in events] == [
        ("4.00", [day(4), saturday, sunday, day(7)])
    ]


async def test_sandwich_charges_the_gap_to_an_adjacent_request(company: Company) -> None:
    await rules(company, sandwich="both")
    friday = await company.submit("ben", start_date=day(4), end_date=day(4))
    assert friday.json()["amount"] == 1
    monday = (await company.submit("ben", start_date=day(7), end_date=day(7))).json()
    assert monday["sandwiched_days"] == [day(5), day(6)]
    assert monday["amount"] == 3
    # Tuesday to Thursday over the Office's holiday on Wednesday: "holidays" is included.
    over_holiday = (await company.submit("ana", start_date=day(1), end_date=day(3))).json()
    assert over_holiday["sandwiched_days"] == [day(2)]
    assert over_holiday["amount"] == 3


async def test_without_a_sandwich_rule_the_price_is_the_working_days(company: Company) -> None:
    await rules(company, sandwich="holidays")
    answer = (await company.submit("ana", start_date=day(4), end_date=day(7))).json()
    assert answer["sandwiched_days"] == []
    assert answer["amount"] == 2


async def test_a_policy_removed_takes_its_rules_with_it(company: Company) -> None:
    await rules(company, min_notice_days=90)
    assert (await company.submit("ana", start_date=day(0), end_date=day(0))).status_code == 422
    await company.api.deliver(
        PolicyUpserted(
            location_id=company.ids["office"],
            leave_type_id=company.ids["vacation"],
            active=True,
        ),
        company.tenant_id,
    )
    assert (await company.submit("ana", start_date=day(0), end_date=day(0))).status_code == 202


# --- blackouts ------------------------------------------------------------------------------


async def blackout(company: Company, who: str, **body: Any) -> httpx.Response:
    payload: dict[str, Any] = {"name": "Year-end close", "start_date": day(7), "end_date": day(11)}
    payload.update(body)
    return await company.call(who, "POST", "/v1/blackouts", payload)


async def test_a_blocking_blackout_refuses_a_request_touching_only_its_first_day(
    company: Company,
) -> None:
    created = await blackout(company, "ada")
    assert created.status_code == 201, created.text
    touching = await company.submit("ana", start_date=day(3), end_date=day(7))
    message = error_on(touching, "start_date")
    assert message.startswith(f"Year-end close ({day(7)} to {day(11)}) is a blackout period")
    before = await company.submit("ana", start_date=day(3), end_date=day(4))
    assert before.status_code == 202, before.text
    # An admin recording it on purpose passes.
    body = {"employee_id": company.ids["ben"], "start_date": day(8), "end_date": day(8)}
    assert (await company.submit("ada", **body, override_rules=True)).status_code == 202


async def test_a_warning_blackout_lets_it_through_and_tells_the_approvers(
    company: Company,
) -> None:
    await blackout(company, "ada", mode="warn", name="Launch week")
    answer = await company.submit("ana", start_date=day(10), end_date=day(14))
    assert answer.status_code == 202, answer.text
    request = answer.json()
    warning = f"Launch week ({day(7)} to {day(11)}) is a blackout period."
    assert request["warnings"] == [warning]
    events = await requested_events(company, request["id"])
    assert [e.warnings for e in events] == [[warning]]
    read = await company.ok("bob", "GET", f"/v1/leave-requests/{request['id']}")
    assert read["warnings"] == [warning]


async def test_a_blackout_limited_to_a_department_or_type_spares_the_rest(
    company: Company,
) -> None:
    other = await company.ok("ada", "POST", "/v1/departments", {"name": "Ops"})
    await blackout(company, "ada", department_ids=[other["id"]])
    await blackout(company, "ada", leave_type_ids=[company.ids["whole"]], name="Whole only")
    assert (await company.submit("ana", start_date=day(8), end_date=day(8))).status_code == 202
    whole = await company.submit(
        "ben", leave_type_id=company.ids["whole"], start_date=day(8), end_date=day(8)
    )
    assert "Whole only" in error_on(whole, "start_date")


async def test_who_may_set_and_remove_blackouts(company: Company) -> None:
    # An approver for their own department only, never for everyone.
    mine = await blackout(company, "bob", department_ids=[company.ids["sales"]])
    assert mine.status_code == 201, mine.text
    everyone = await blackout(company, "bob")
    assert problem(everyone, 403)["detail"].startswith("a blackout for everyone is set by an admin")
    ops = await company.ok("ada", "POST", "/v1/departments", {"name": "Ops"})
    assert (await blackout(company, "bob", department_ids=[ops["id"]])).status_code == 403
    assert (
        await blackout(company, "ana", department_ids=[company.ids["sales"]])
    ).status_code == 403
    # Everyone reads them (the request form warns ahead); an approver removes their own.
    listed = await company.ok("ana", "GET", "/v1/blackouts")
    assert [b["id"] for b in listed["items"]] == [mine.json()["id"]]
    one = await company.ok("ben", "GET", f"/v1/blackouts/{mine.json()['id']}")
    assert one["department_ids"] == [company.ids["sales"]]
    assert one["created_by"] == company.ids["bob"]
    company_wide = (await blackout(company, "ada")).json()
    removed = await company.call("bob", "DELETE", f"/v1/blackouts/{company_wide['id']}")
    assert removed.status_code == 403
    gone = await company.call("bob", "DELETE", f"/v1/blackouts/{mine.json()['id']}")
    assert gone.status_code == 204
    again = await company.call("bob", "DELETE", f"/v1/blackouts/{mine.json()['id']}")
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_date": day(11), "end_date": day(7)}, "end_date"),
        ({"mode": "sometimes"}, "mode"),
        ({"location_ids": ["nope"]}, "location_ids"),
        ({"leave_type_ids": ["nope"]}, "leave_type_ids"),
        ({"name": ""}, "name"),
        ({"start_date": (date.today() + timedelta(days=365 * 6)).isoformat()}, "start_date"),
    ],
)
async def test_a_bad_blackout_is_a_422_on_its_field(
    company: Company, body: dict[str, Any], field: str
) -> None:
    answer = await blackout(company, "ada", **body)
    fields = [e["field"] for e in problem(answer)["errors"]]
    assert fields == [field], answer.text


async def test_another_companys_blackouts_are_not_seen(company: Company) -> None:
    created = (await blackout(company, "ada")).json()
    from .conftest import sign_up

    other = await sign_up(company.api, "Globex")
    assert (await other.ok("ada", "GET", "/v1/blackouts"))["items"] == []
    assert (await other.call("ada", "GET", f"/v1/blackouts/{created['id']}")).status_code == 404
    assert (await other.call("ada", "DELETE", f"/v1/blackouts/{created['id']}")).status_code == 404
    later = await other.submit("ana", start_date=day(8), end_date=day(8))
    assert later.status_code == 202, later.text


async def test_the_working_days_preview_shows_the_sandwiched_days(company: Company) -> None:
    await rules(company, sandwich="weekends")
    query = {"start_date": day(4), "end_date": day(7)}
    plain = await company.ok("ana", "GET", f"/v1/working-days?{httpx.QueryParams(query)}")
    assert (plain["amount"], plain["sandwiched_days"]) == (2, [])
    typed = {**query, "leave_type_id": company.ids["vacation"]}
    preview = await company.ok("ana", "GET", f"/v1/working-days?{httpx.QueryParams(typed)}")
    assert preview["sandwiched_days"] == [day(5), day(6)]
    assert preview["days"] == [day(4), day(5), day(6), day(7)]
    assert preview["amount"] == 4
    # The preview and the submission agree.
    submitted = (await company.submit("ana", **query)).json()
    assert (submitted["amount"], submitted["working_days"]) == (4, preview["days"])
    # An hour type has no sandwich.
    hours = {**query, "leave_type_id": company.ids["doctor"]}
    doctor = await company.ok("ana", "GET", f"/v1/working-days?{httpx.QueryParams(hours)}")
    assert doctor["sandwiched_days"] == []
