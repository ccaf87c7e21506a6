"""The department's coverage limit through the API (issue 17): `max_off` people off on a
day at most, counting submitted, pending and approved requests; "block" refuses the request
over it (409 naming the day), "warn" lets it through with a warning the approvers see.

Sales has Ana and Ben (users) and Bob (approver); day(0) is next Monday, day(2) the
Office's holiday."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import Company, day

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def limit(company: Company, **body: Any) -> dict[str, Any]:
    url = f"/v1/departments/{company.ids['sales']}"
    answer: dict[str, Any] = await company.ok("ada", "PATCH", url, body)
    return answer


def submitted(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_max_off_is_set_echoed_kept_and_cleared(company: Company) -> None:
    created = await company.ok(
        "ada", "POST", "/v1/departments", {"name": "Ops", "max_off": 2, "max_off_mode": "warn"}
    )
    assert (created["max_off"], created["max_off_mode"]) == (2, "warn")
    url = f"/v1/departments/{created['id']}"
    renamed = await company.ok("ada", "PATCH", url, {"name": "Operations"})
    assert (renamed["max_off"], renamed["max_off_mode"]) == (2, "warn")
    moded = await company.ok("ada", "PATCH", url, {"max_off_mode": "block"})
    assert (moded["max_off"], moded["max_off_mode"]) == (2, "block")
    cleared = await company.ok("ada", "PATCH", url, {"max_off": None})
    assert (cleared["max_off"], cleared["max_off_mode"]) == (None, "block")
    assert (await company.ok("ana", "GET", url))["max_off"] is None
    plain = await company.ok("ada", "POST", "/v1/departments", {"name": "Plain"})
    assert (plain["max_off"], plain["max_off_mode"]) == (None, "block")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"max_off": 0}, "max_off"),
        ({"max_off": "many"}, "max_off"),
        ({"max_off_mode": "x"}, "max_off_mode"),
    ],
)
async def test_bad_limits_are_a_422_naming_the_field(
    company: Company, body: dict[str, Any], field: str
) -> None:
    answer = await company.call("ada", "POST", "/v1/departments", {"name": "Ops", **body})
    assert answer.status_code == 422, answer.text
    assert any(field in str(e["field"]) for e in answer.json()["errors"]), answer.text
    url = f"/v1/departments/{company.ids['sales']}"
    patched = await company.call("ada", "PATCH", url, body)
    assert patched.status_code == 422, patched.text
    denied = await company.call("bob", "PATCH", url, {"max_off": 1})
    assert denied.status_code == 403, denied.text


async def test_block_refuses_the_second_person_naming_the_day(company: Company) -> None:
    await limit(company, max_off=1)
    first = submitted(await company.submit("ana", start_date=day(3), end_date=day(4)))
    # Still submitted (balances has not answered): it counts already.
    assert first["status"] == "submitted"
    refused = await company.submit("ben", start_date=day(0), end_date=day(3))
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"].endswith("/coverage-limit")
    assert problem["detail"] == f"Sales would have 2 people off on {day(3)} (max_off is 1)"
    # Days nobody else takes are fine, and the limit is per person, not per request.
    submitted(await company.submit("ben", start_date=day(0), end_date=day(1)))
    submitted(await company.submit("ana", start_date=day(7), end_date=day(7)))
    # Pending and approved count; a cancelled request frees its days.
    await company.reserve(first)
    again = await company.submit("ben", start_date=day(4), end_date=day(4))
    assert again.status_code == 409, again.text
    await company.ok("ana", "POST", f"/v1/leave-requests/{first['id']}/cancel")
    submitted(await company.submit("ben", start_date=day(4), end_date=day(4)))


async def test_the_holiday_between_is_nobodys_day_off(company: Company) -> None:
    await limit(company, max_off=1)
    # Ana's Monday to Wednesday takes Monday and Tuesday: Wednesday is the Office's holiday.
    submitted(await company.submit("ana", start_date=day(0), end_date=day(2)))
    submitted(await company.submit("ben", start_date=day(2), end_date=day(3)))


async def test_other_departments_and_people_without_one_do_not_count(company: Company) -> None:
    await limit(company, max_off=1)
    other = await company.ok("ada", "POST", "/v1/departments", {"name": "Ops"})
    body = {"department_id": other["id"]}
    await company.ok("ada", "PATCH", f"/v1/employees/{company.ids['bob']}", body)
    submitted(await company.submit("bob", start_date=day(0), end_date=day(0)))
    submitted(await company.submit("ada", start_date=day(0), end_date=day(0)))
    submitted(await company.submit("ana", start_date=day(0), end_date=day(0)))


async def test_warn_lets_it_through_with_a_warning(company: Company) -> None:
    await limit(company, max_off=1, max_off_mode="warn")
    first = submitted(await company.submit("ana", start_date=day(0), end_date=day(0)))
    assert first["warnings"] == []
    second = submitted(await company.submit("ben", start_date=day(0), end_date=day(1)))
    assert second["warnings"] == [f"Sales would have 2 people off on {day(0)} (max_off is 1)."]
    await company.reserve(second)
    seen = await company.ok("bob", "GET", f"/v1/leave-requests/{second['id']}")
    assert (seen["status"], seen["warnings"]) == ("pending", second["warnings"])


async def test_an_edit_into_a_full_day_is_refused(company: Company) -> None:
    await limit(company, max_off=1)
    submitted(await company.submit("ana", start_date=day(1), end_date=day(1)))
    mine = submitted(await company.submit("ben", start_date=day(3), end_date=day(3)))
    await company.reserve(mine)
    url = f"/v1/leave-requests/{mine['id']}"
    moved = await company.call("ben", "PATCH", url, {"start_date": day(0), "end_date": day(1)})
    assert moved.status_code == 409, moved.text
    assert moved.json()["detail"] == f"Sales would have 2 people off on {day(1)} (max_off is 1)"
    # Its own days do not count against it: moving within them is fine.
    stays = await company.ok("ben", "PATCH", url, {"reason": "family"})
    assert stays["start_date"] == day(3)


async def test_an_admin_may_override_the_limit_on_purpose(company: Company) -> None:
    await limit(company, max_off=1)
    submitted(await company.submit("ana", start_date=day(0), end_date=day(0)))
    body = {"employee_id": company.ids["ben"], "start_date": day(0), "end_date": day(0)}
    refused = await company.submit("ada", **body)
    assert refused.status_code == 409, refused.text
    forced = submitted(await company.submit("ada", **body, override_rules=True))
    assert forced["rules_overridden"] is True
    assert forced["warnings"] == [f"Sales would have 2 people off on {day(0)} (max_off is 1)."]
