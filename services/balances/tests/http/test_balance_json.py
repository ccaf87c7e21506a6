"""GET /v1/balances/{id} writes its JSON straight from the model (no second validation):
the bytes must be what FastAPI's own rendering of the same model gives."""

from __future__ import annotations

import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

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
