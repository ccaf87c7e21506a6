"""Issue 13's visibility rule, in-process, as a table: each read and write path of a leave
request x each role x a person in and out of the caller's scope.

Admins see the tenant; an approver the people of the departments whose approver_ids name
them, plus themselves; a user themselves. Out of scope reads as absent (404 for a request,
an unknown employee for working days, nothing in a list); submitting for someone out of
scope is refused (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from leaveflow_requests.adapters.repository import StoreReads
from leaveflow_requests.service_layer.commands import Actor
from leaveflow_requests.service_layer.event_stream import StreamCursor, read_new, visible_to
from leaveflow_requests.service_layer.visibility import visibility_of

from .conftest import Api, Company, day, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class World:
    company: Company
    requests: dict[str, str]  # person -> the id of their pending request


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(api: Api) -> World:
    """Acme (conftest): Bob approves Sales (Ana, Ben); here Otto approves Ops (Oli). Ana,
    Ben, Oli and Bob each have a pending request next week."""
    company = await sign_up(api, "Scoped")
    ids = company.ids
    for who, role in (("otto", "approver"), ("oli", "user")):
        person = {"name": who.title(), "email": f"{who}@scoped.test", "role": role}
        ids[who] = (await company.ok("ada", "POST", "/v1/employees", person))["id"]
    ops = {"name": "Ops", "approver_ids": [ids["otto"]]}
    ids["ops"] = (await company.ok("ada", "POST", "/v1/departments", ops))["id"]
    for who in ("otto", "oli", "bob"):
        change = {"location_id": ids["office"], "department_id": ids["ops"]}
        if who == "bob":
            change["department_id"] = ids["sales"]
        await company.ok("ada", "PATCH", f"/v1/employees/{ids[who]}", change)
    for who in ("otto", "oli"):
        login = {"tenant_id": company.tenant_id, "email": f"{who}@scoped.test"}
        company.tokens[who] = (await api.ok(None, "POST", "/v1/auth/dev-login", login))["token"]
    requests: dict[str, str] = {}
    for who in ("ana", "ben", "oli", "bob"):
        response = await company.submit(who)
        assert response.status_code == 202, response.text
        await company.reserve(response.json())
        requests[who] = response.json()["id"]
    return World(company, requests)


# Who sees whose leave (the people with a request above).
SEES = {
    "ada": {"ana", "ben", "oli", "bob"},
    "bob": {"ana", "ben", "bob"},
    "otto": {"oli"},
    "ana": {"ana"},
    "oli": {"oli"},
}
CASES = [(who, whom) for who in SEES for whom in ("ana", "ben", "oli", "bob")]


def _case_id(case: tuple[str, str]) -> str:
    who, whom = case
    return f"{who}-on-{whom}-{'in' if whom in SEES[who] else 'out'}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
async def test_reading_one_request(world: World, case: tuple[str, str]) -> None:
    who, whom = case
    response = await world.company.call(who, "GET", f"/v1/leave-requests/{world.requests[whom]}")
    if whom in SEES[who]:
        assert response.status_code == 200, response.text
        assert response.json()["employee_id"] == world.company.ids[whom]
    else:
        assert response.status_code == 404, response.text
        assert "reason" not in response.json()


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
async def test_listing_by_employee(world: World, case: tuple[str, str]) -> None:
    who, whom = case
    url = f"/v1/leave-requests?employee_id={world.company.ids[whom]}"
    listed = await world.company.ok(who, "GET", url)
    expected = [world.requests[whom]] if whom in SEES[who] else []
    assert [r["id"] for r in listed["items"]] == expected


@pytest.mark.parametrize("who", sorted(SEES))
async def test_listing_everything_shows_only_the_scope(world: World, who: str) -> None:
    listed = await world.company.ok(who, "GET", "/v1/leave-requests?limit=1")
    seen: list[str] = [r["id"] for r in listed["items"]]
    cursor = listed["next_cursor"]
    while cursor is not None:  # paging keeps to the scope too
        page = await world.company.ok(who, "GET", f"/v1/leave-requests?limit=1&cursor={cursor}")
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(world.requests[whom] for whom in SEES[who])


@pytest.mark.parametrize(
    ("who", "department", "whose"),
    [
        ("bob", "sales", {"ana", "ben", "bob"}),
        ("bob", "ops", set()),
        ("otto", "ops", {"oli"}),
        ("otto", "sales", set()),
        ("ada", "ops", {"oli"}),
        ("ana", "sales", {"ana"}),
    ],
)
async def test_listing_a_department(
    world: World, who: str, department: str, whose: set[str]
) -> None:
    url = f"/v1/leave-requests?department_id={world.company.ids[department]}"
    listed = await world.company.ok(who, "GET", url)
    assert sorted(r["id"] for r in listed["items"]) == sorted(world.requests[w] for w in whose)


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
async def test_working_days_of_someone(world: World, case: tuple[str, str]) -> None:
    who, whom = case
    url = (
        f"/v1/working-days?employee_id={world.company.ids[whom]}"
        f"&start_date={day(7)}&end_date={day(8)}"
    )
    response = await world.company.call(who, "GET", url)
    if whom in SEES[who]:
        assert response.status_code == 200, response.text
        assert response.json()["amount"] == 2
    else:  # answered as for an unknown employee: nothing about the person is disclosed
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == ["employee_id"]


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
async def test_submitting_for_someone(world: World, case: tuple[str, str]) -> None:
    who, whom = case
    offset = 14 + 7 * list(SEES).index(who)  # a week of its own per caller: no overlaps
    body: dict[str, Any] = {"employee_id": world.company.ids[whom]}
    body.update(start_date=day(offset), end_date=day(offset))
    response = await world.company.submit(who, **body)
    if whom in SEES[who] or who == whom:
        assert response.status_code == 202, response.text
        cancelled = await world.company.call(
            "ada", "POST", f"/v1/leave-requests/{response.json()['id']}/cancel"
        )
        assert cancelled.status_code == 200, cancelled.text
    else:
        assert response.status_code == 403, response.text


@pytest.mark.parametrize("who", sorted(SEES))
async def test_the_stream_carries_only_the_scopes_request_events(world: World, who: str) -> None:
    company = world.company
    role = {"ada": "admin", "bob": "approver", "otto": "approver"}.get(who, "user")
    actor = Actor(tenant_id=company.tenant_id, employee_id=company.ids[who], role=role)
    reads = StoreReads(company.api.store)
    scope = await visibility_of(reads, actor)
    docs = await read_new(reads, company.tenant_id, StreamCursor(floor=""))
    shown = [d for d in docs if visible_to(d, scope)]
    names = {company.ids[w]: w for w in ("ana", "ben", "oli", "bob")}
    about = {names[d["employee_id"]] for d in shown if "request_id" in d["envelope"]["data"]}
    assert about == SEES[who]
    # The directory stays visible to everyone in the tenant.
    assert any(d["type"] == "DepartmentUpserted" for d in shown)


async def test_an_approver_still_decides_only_for_their_departments(world: World) -> None:
    company = world.company
    refused = await company.call(
        "otto", "POST", f"/v1/leave-requests/{world.requests['ana']}/approve"
    )
    assert refused.status_code == 403, refused.text
    done = await company.ok("otto", "POST", f"/v1/leave-requests/{world.requests['oli']}/approve")
    assert done["status"] == "approved"
