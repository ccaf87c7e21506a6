"""A `submitted` request can be withdrawn (issue 13): before balances answered, or while it
is down, by its requester or an admin; balances' late answer leaves it cancelled."""

from __future__ import annotations

import pytest

from leaveflow_requests.adapters.repository import StoreReads
from leaveflow_requests.service_layer.event_stream import StreamCursor, read_new

from .conftest import Company

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize("who", ["ana", "ada"])
async def test_a_submitted_request_is_withdrawn_and_a_late_reservation_changes_nothing(
    company: Company, who: str
) -> None:
    request = (await company.submit("ana")).json()
    assert request["status"] == "submitted"
    url = f"/v1/leave-requests/{request['id']}"
    cancelled = await company.ok(who, "POST", f"{url}/cancel", {"note": "plans changed"})
    assert cancelled["status"] == "cancelled"
    assert [(h["from"], h["to"]) for h in cancelled["history"]][-1] == ("submitted", "cancelled")
    await company.reserve(request)  # balances answers after the withdrawal reached requests
    assert (await company.ok("ana", "GET", url))["status"] == "cancelled"
    log = await read_new(StoreReads(company.api.store), company.tenant_id, StreamCursor(floor=""))
    mine = [d for d in log if d["envelope"]["data"].get("request_id") == request["id"]]
    assert [d["type"] for d in mine] == ["LeaveRequested", "LeaveCancelled"]
    assert mine[-1]["envelope"]["data"]["previous_status"] == "submitted"
    # The days are free again.
    assert (await company.submit("ana")).status_code == 202


async def test_nobody_else_withdraws_it(company: Company) -> None:
    request = (await company.submit("ana")).json()
    for who in ("ben", "bob"):
        refused = await company.call(who, "POST", f"/v1/leave-requests/{request['id']}/cancel")
        assert refused.status_code == 403, refused.text
