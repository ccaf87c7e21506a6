"""GET /v1/balances/{id} on its hot path: the JSON is written straight from the model (no
second validation) and must be what FastAPI's own rendering gives; the departments are
read only for an approver, the one role whose scope depends on them."""

from __future__ import annotations

import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from leaveflow_balances.adapters.repository import StoreReads
from leaveflow_balances.domain.replicas import DepartmentReplica
from leaveflow_balances.entrypoints.http.schemas import EmployeeBalancesOut

from .conftest import MARCH, Company

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_balance_is_the_json_fastapi_would_have_rendered(company: Company) -> None:
    await company.take("ana", MARCH)
    await company.take("ana", MARCH[:1], approve=False)  # pending too
    response = await company.call("ada", "GET", f"/v1/balances/{company.ids['ana']}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    model = EmployeeBalancesOut.model_validate_json(response.content)
    assert model.balances
    assert model.balances[0].used > 0
    assert response.content == JSONResponse(jsonable_encoder(model)).body


async def test_only_an_approvers_balance_read_asks_for_the_departments(
    company: Company, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    original = StoreReads.departments

    async def departments(self: StoreReads, tenant_id: str) -> list[DepartmentReplica]:
        asked.append(tenant_id)
        return await original(self, tenant_id)

    monkeypatch.setattr(StoreReads, "departments", departments)
    ana = company.ids["ana"]
    for who in ("ada", "ana"):  # an admin, and a user reading their own
        assert (await company.call(who, "GET", f"/v1/balances/{ana}")).status_code == 200
    assert asked == []
    assert (await company.call("bob", "GET", f"/v1/balances/{ana}")).status_code == 200
    assert (
        await company.call("bob", "GET", f"/v1/balances/{company.ids['cy']}")
    ).status_code == 403
    assert asked == [company.tenant_id, company.tenant_id]
    # A user reading someone else's is refused without them too.
    assert (await company.call("ben", "GET", f"/v1/balances/{ana}")).status_code == 403
    assert len(asked) == 2
