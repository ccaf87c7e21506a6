"""A leave type may be private (sick leave): others then see the person "Away" (issue 15).

Requests only keeps the flag and tells the other services in LeaveTypeUpserted; calendar
hides the type from whoever is not the person, their approver or an admin.
"""

from __future__ import annotations

import pytest

from leaveflow_contracts import LeaveTypeUpserted, parse_data

from .conftest import Api, Company

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def upserted(api: Api, tenant_id: str, leave_type_id: str) -> list[LeaveTypeUpserted]:
    found = []
    for row in await api.store.fetch_unpublished(10_000):
        if row.envelope.tenant_id == tenant_id and row.envelope.type == "LeaveTypeUpserted":
            data = parse_data(row.envelope)
            assert isinstance(data, LeaveTypeUpserted)
            if data.leave_type_id == leave_type_id:
                found.append(data)
    return found


async def test_a_leave_type_is_not_private_unless_asked(company: Company) -> None:
    vacation = await company.ok("ana", "GET", f"/v1/leave-types/{company.ids['vacation']}")
    assert vacation["private"] is False
    events = await upserted(company.api, company.tenant_id, company.ids["vacation"])
    assert [e.private for e in events] == [False]


async def test_private_is_kept_changed_and_announced(company: Company) -> None:
    sick = await company.ok("ada", "POST", "/v1/leave-types", {"name": "Sick", "private": True})
    assert sick["private"] is True
    listed = await company.ok("ben", "GET", "/v1/leave-types")
    assert {t["name"]: t["private"] for t in listed["items"]}["Sick"] is True
    # A change of something else keeps it private; only an explicit false makes it public.
    renamed = await company.ok("ada", "PATCH", f"/v1/leave-types/{sick['id']}", {"name": "Ill"})
    assert renamed["private"] is True
    public = await company.ok("ada", "PATCH", f"/v1/leave-types/{sick['id']}", {"private": False})
    assert public["private"] is False
    events = await upserted(company.api, company.tenant_id, sick["id"])
    assert [(e.name, e.private) for e in events] == [("Sick", True), ("Ill", True), ("Ill", False)]


async def test_only_an_admin_makes_a_type_private(company: Company) -> None:
    answer = await company.call(
        "bob", "PATCH", f"/v1/leave-types/{company.ids['vacation']}", {"private": True}
    )
    assert answer.status_code == 403
    unclear = {"name": "X", "private": "maybe"}
    refused = await company.call("ada", "POST", "/v1/leave-types", unclear)
    assert refused.status_code == 422
