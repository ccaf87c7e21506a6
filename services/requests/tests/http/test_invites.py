"""Invites (issue 14): an admin invites people; each invitation is an `EmployeeInvited`
event in the outbox, recorded in the same transaction, for the notifications service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from leaveflow_contracts import EmployeeInvited, parse_data

from .conftest import NOW, Api, Company, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def invited_events(api: Api, tenant_id: str) -> list[EmployeeInvited]:
    found = []
    for row in await api.store.fetch_unpublished(10_000):
        if row.envelope.tenant_id == tenant_id and row.envelope.type == "EmployeeInvited":
            data = parse_data(row.envelope)
            assert isinstance(data, EmployeeInvited)
            found.append(data)
    return found


async def test_an_admin_invites_and_each_invitation_is_an_event(company: Company) -> None:
    ids = company.ids
    body = {"employee_ids": [ids["ana"], ids["ben"], ids["ana"], "nobody"]}
    response = await company.call("ada", "POST", "/v1/invites", body)
    assert response.status_code == 202, response.text
    assert response.json() == {
        "invited": [ids["ana"], ids["ben"]],
        "skipped": [{"employee_id": "nobody", "reason": "unknown"}],
    }
    events = await invited_events(company.api, company.tenant_id)
    assert [(e.employee_id, e.email, e.name, e.company, e.invited_by) for e in events] == [
        (ids["ana"], "ana@acme.test", "Ana", "Acme", "Ada"),
        (ids["ben"], "ben@acme.test", "Ben", "Acme", "Ada"),
    ]
    listed = (await company.ok("ada", "GET", "/v1/invites"))["items"]
    assert sorted((i["employee_id"], i["invited_by"]) for i in listed) == sorted(
        [(ids["ana"], ids["ada"]), (ids["ben"], ids["ada"])]
    )
    assert all(i["invited_at"] for i in listed)


async def test_inviting_again_keeps_one_record_per_person(company: Company) -> None:
    body = {"employee_ids": [company.ids["ana"]]}
    await company.ok("ada", "POST", "/v1/invites", body)
    await company.ok("ada", "POST", "/v1/invites", body)
    listed = (await company.ok("ada", "GET", "/v1/invites"))["items"]
    assert [i["employee_id"] for i in listed] == [company.ids["ana"]]
    assert len(await invited_events(company.api, company.tenant_id)) == 2


async def test_people_who_left_are_skipped(company: Company) -> None:
    left = {"start_date": (NOW.date() - timedelta(days=400)).isoformat()}
    left["end_date"] = (NOW.date() - timedelta(days=1)).isoformat()
    await company.ok("ada", "PATCH", f"/v1/employees/{company.ids['ben']}", left)
    answer = await company.ok("ada", "POST", "/v1/invites", {"employee_ids": [company.ids["ben"]]})
    skipped = [{"employee_id": company.ids["ben"], "reason": "left"}]
    assert answer == {"invited": [], "skipped": skipped}
    assert await invited_events(company.api, company.tenant_id) == []


async def test_another_companys_people_are_unknown(company: Company, api: Api) -> None:
    other = await sign_up(api, "Globex")
    answer = await company.ok("ada", "POST", "/v1/invites", {"employee_ids": [other.ids["ana"]]})
    assert answer["skipped"] == [{"employee_id": other.ids["ana"], "reason": "unknown"}]
    assert await invited_events(api, other.tenant_id) == []


async def test_only_admins_invite(company: Company) -> None:
    body = {"employee_ids": [company.ids["ana"]]}
    for who in ("bob", "ana"):
        assert (await company.call(who, "POST", "/v1/invites", body)).status_code == 403
        assert (await company.call(who, "GET", "/v1/invites")).status_code == 403
    assert await invited_events(company.api, company.tenant_id) == []


@pytest.mark.parametrize(
    "body",
    [{"employee_ids": []}, {"employee_ids": ["x"] * 1001}, {"employee_ids": ["x" * 65]}, {}],
)
async def test_bad_invite_lists_are_422(company: Company, body: dict[str, Any]) -> None:
    assert (await company.call("ada", "POST", "/v1/invites", body)).status_code == 422
