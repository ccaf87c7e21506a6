"""A location may count leave years from each person's start date (issue 17): requests only
accepts and keeps `"leave_year_start": "anniversary"` and tells balances in
LocationUpserted; balances works out each person's year."""

from __future__ import annotations

import pytest

from leaveflow_contracts import LocationUpserted, parse_data

from .conftest import Api, Company

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def upserted(api: Api, tenant_id: str, location_id: str) -> list[LocationUpserted]:
    found = []
    for row in await api.store.fetch_unpublished(10_000):
        if row.envelope.tenant_id == tenant_id and row.envelope.type == "LocationUpserted":
            data = parse_data(row.envelope)
            assert isinstance(data, LocationUpserted)
            if data.location_id == location_id:
                found.append(data)
    return found


async def test_a_location_counts_leave_years_from_anniversaries(company: Company) -> None:
    body = {"name": "Anniversaries", "leave_year_start": "anniversary"}
    created = await company.ok("ada", "POST", "/v1/locations", body)
    assert created["leave_year_start"] == "anniversary"
    url = f"/v1/locations/{created['id']}"
    assert (await company.ok("ana", "GET", url))["leave_year_start"] == "anniversary"
    back = await company.ok("ada", "PATCH", url, {"leave_year_start": "04-01"})
    assert back["leave_year_start"] == "04-01"
    again = await company.ok("ada", "PATCH", url, {"leave_year_start": "anniversary"})
    assert again["leave_year_start"] == "anniversary"
    events = await upserted(company.api, company.tenant_id, created["id"])
    assert [e.leave_year_start for e in events] == ["anniversary", "04-01", "anniversary"]


@pytest.mark.parametrize("value", ["Anniversary", "anniversaries", "02-29", "13-01"])
async def test_other_words_are_still_refused(company: Company, value: str) -> None:
    response = await company.call(
        "ada", "POST", "/v1/locations", {"name": "X", "leave_year_start": value}
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["leave_year_start"]
