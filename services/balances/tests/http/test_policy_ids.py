"""`PUT /v1/policies/{location_id}/{leave_type_id}` sets policies only for the tenant's own
locations and leave types as balances' directory replica knows them: anything else is a
404 that announces nothing, however odd the ids."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import quote

import pytest

from leaveflow_contracts import LocationUpserted, new_id

from .conftest import Company

pytestmark = pytest.mark.asyncio(loop_scope="module")

BODY = {"annual_allowance": 5}


async def _announced(company: Company) -> list[tuple[str, str]]:
    return [
        (e.data["location_id"], e.data["leave_type_id"])
        for e in await company.api.outbox(company.tenant_id)
        if e.type == "PolicyUpserted"
    ]


async def test_unknown_locations_and_types_answer_404_and_announce_nothing(
    company: Company,
) -> None:
    ids = company.ids
    before = await _announced(company)
    for location, leave_type in (
        (new_id(), ids["vacation"]),
        (ids["office"], new_id()),
        (new_id(), new_id()),
    ):
        response = await company.call("ada", "PUT", f"/v1/policies/{location}/{leave_type}", BODY)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert await _announced(company) == before


@pytest.mark.parametrize(
    "odd", ["\x00", "a\x00b", "x" * 5000, "\U0001f334\U0001f334", "%2F", " "], ids=repr
)
async def test_odd_ids_are_refused_at_once_and_never_broadcast(company: Company, odd: str) -> None:
    before = await _announced(company)
    sent = quote(odd, safe="")  # as a client sends it: the app sees the id decoded
    for location, leave_type in ((sent, company.ids["vacation"]), (company.ids["office"], sent)):
        started = time.monotonic()
        response = await company.call("ada", "PUT", f"/v1/policies/{location}/{leave_type}", BODY)
        assert response.status_code in (404, 422), response.text
        # No wait for a directory record such an id could never name.
        assert time.monotonic() - started < 0.25
    assert await _announced(company) == before


async def test_a_location_arriving_while_the_put_waits_gets_its_policy(company: Company) -> None:
    location = new_id()

    async def arrive() -> None:
        await asyncio.sleep(0.1)
        await company.deliver(
            LocationUpserted(location_id=location, name="New", timezone="UTC", workweek=[1])
        )

    path = f"/v1/policies/{location}/{company.ids['vacation']}"
    response, _ = await asyncio.gather(company.call("ada", "PUT", path, BODY), arrive())
    assert response.status_code == 200, response.text
    assert (location, company.ids["vacation"]) in await _announced(company)
