"""Role and employment changes act at once in the requests service (issue 13): every call
is judged by the caller's standing in the directory now, not by the role in their token."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leaveflow_requests.adapters.repository import StoreReads
from leaveflow_requests.service_layer.event_stream import StreamCursor, read_new

from .conftest import NOW, Company

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_demoted_approvers_old_token_no_longer_approves(company: Company) -> None:
    request = (await company.submit("ana")).json()
    await company.reserve(request)
    demoted = await company.ok(
        "ada", "PATCH", f"/v1/employees/{company.ids['bob']}", {"role": "user"}
    )
    assert demoted["role"] == "user"
    url = f"/v1/leave-requests/{request['id']}"
    refused = await company.call("bob", "POST", f"{url}/approve")  # the token still says approver
    assert refused.status_code == 403, refused.text
    # ... and reads no more than a user: Ana's request is out of sight.
    assert (await company.call("bob", "GET", url)).status_code == 404
    assert (await company.ok("bob", "GET", "/v1/leave-requests"))["items"] == []


async def test_a_demoted_approver_leaves_every_approver_list(company: Company) -> None:
    ids = company.ids
    second = {"name": "Support", "approver_ids": [ids["bob"], ids["ada"]]}
    support = (await company.ok("ada", "POST", "/v1/departments", second))["id"]
    await company.ok("ada", "PATCH", f"/v1/employees/{ids['bob']}", {"role": "user"})
    departments = {d["id"]: d for d in (await company.ok("ada", "GET", "/v1/departments"))["items"]}
    assert departments[ids["sales"]]["approver_ids"] == []
    assert departments[support]["approver_ids"] == [ids["ada"]]
    log = await read_new(StoreReads(company.api.store), company.tenant_id, StreamCursor(floor=""))
    announced = [d["envelope"]["data"] for d in log if d["type"] == "DepartmentUpserted"][
        -2:
    ]  # the two changes the demotion caused, after the employee's own
    assert sorted(a["department_id"] for a in announced) == sorted([ids["sales"], support])
    assert all(ids["bob"] not in a["approver_ids"] for a in announced)
    assert log[-3]["type"] == "EmployeeUpserted"


async def test_a_promotion_acts_at_once_too(company: Company) -> None:
    ids = company.ids
    request = (await company.submit("ben")).json()
    url = f"/v1/leave-requests/{request['id']}"
    assert (await company.call("ana", "GET", url)).status_code == 404
    await company.ok("ada", "PATCH", f"/v1/employees/{ids['ana']}", {"role": "approver"})
    change = {"approver_ids": [ids["bob"], ids["ana"]]}
    await company.ok("ada", "PATCH", f"/v1/departments/{ids['sales']}", change)
    # Reserved (pending) after the change: a request's levels are fixed when it becomes
    # pending, so only then is Ana one of its approvers.
    await company.reserve(request)
    # Ana's token was issued for a user; she approves now.
    assert (await company.ok("ana", "POST", f"{url}/approve"))["status"] == "approved"


async def test_someone_who_has_left_gets_no_token_and_their_token_stops(company: Company) -> None:
    yesterday = (NOW.date() - timedelta(days=1)).isoformat()
    change = {"start_date": (NOW.date() - timedelta(days=400)).isoformat(), "end_date": yesterday}
    await company.ok("ada", "PATCH", f"/v1/employees/{company.ids['ben']}", change)
    refused = await company.call("ben", "GET", "/v1/leave-requests")
    assert refused.status_code == 401, refused.text
    login = {"tenant_id": company.tenant_id, "email": "ben@acme.test"}
    response = await company.api.call(None, "POST", "/v1/auth/dev-login", login)
    assert response.status_code == 403, response.text
    assert "token" not in response.json()


async def test_the_last_day_still_counts_as_working_here(company: Company) -> None:
    change = {"end_date": NOW.date().isoformat()}
    await company.ok("ada", "PATCH", f"/v1/employees/{company.ids['ben']}", change)
    assert (await company.call("ben", "GET", "/v1/leave-requests")).status_code == 200
    login = {"tenant_id": company.tenant_id, "email": "ben@acme.test"}
    assert (await company.api.call(None, "POST", "/v1/auth/dev-login", login)).status_code == 200


async def test_a_move_to_another_department_moves_who_sees_and_decides(company: Company) -> None:
    ids = company.ids
    request = (await company.submit("ana")).json()
    await company.reserve(request)
    await company.ok("ada", "PATCH", f"/v1/employees/{ids['ben']}", {"role": "approver"})
    ops = {"name": "Ops", "approver_ids": [ids["ben"]]}
    ids["ops"] = (await company.ok("ada", "POST", "/v1/departments", ops))["id"]
    login = {"tenant_id": company.tenant_id, "email": "ben@acme.test"}
    company.tokens["ben"] = (await company.api.ok(None, "POST", "/v1/auth/dev-login", login))[
        "token"
    ]
    await company.ok("ada", "PATCH", f"/v1/employees/{ids['ana']}", {"department_id": ids["ops"]})
    url = f"/v1/leave-requests/{request['id']}"
    assert (await company.call("bob", "GET", url)).status_code == 404
    assert (await company.call("bob", "POST", f"{url}/approve")).status_code == 403
    assert (await company.ok("ben", "GET", url))["id"] == request["id"]
    assert (await company.ok("ben", "POST", f"{url}/approve"))["status"] == "approved"
