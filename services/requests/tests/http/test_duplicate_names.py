"""Names of locations, departments and leave types are unique per company among the live
ones: what counts as the same name, and what does not stand in the way."""

from __future__ import annotations

import pytest

from .conftest import Api, Company, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_record_keeps_its_own_name_in_another_spelling(company: Company) -> None:
    office = company.ids["office"]
    renamed = await company.ok("ada", "PATCH", f"/v1/locations/{office}", {"name": "OFFICE"})
    assert renamed["name"] == "OFFICE"
    sales = company.ids["sales"]
    kept = await company.ok("ada", "PATCH", f"/v1/departments/{sales}", {"name": "Sales"})
    assert kept["name"] == "Sales"


async def test_a_deactivated_location_frees_its_name(company: Company) -> None:
    remote = company.ids["remote"]
    gone = await company.call("ada", "DELETE", f"/v1/locations/{remote}", None)
    assert gone.status_code == 204, gone.text
    again = await company.ok("ada", "POST", "/v1/locations", {"name": "Remote"})
    assert again["id"] != remote


async def test_a_removed_leave_type_frees_its_name(company: Company) -> None:
    doctor = company.ids["doctor"]
    removed = await company.call("ada", "DELETE", f"/v1/leave-types/{doctor}", None)
    assert removed.status_code == 204, removed.text
    again = await company.ok("ada", "POST", "/v1/leave-types", {"name": "doctor"})
    assert again["id"] != doctor


async def test_the_same_name_in_another_company_is_fine(api: Api, company: Company) -> None:
    # Both companies made their own "Vacation" when they signed up (sign_up checks 201s).
    other = await sign_up(api, "Globex")
    assert other.ids["vacation"] != company.ids["vacation"]
    duplicate = await other.call("ada", "POST", "/v1/leave-types", {"name": "vacation"})
    assert duplicate.status_code == 409
    problem = duplicate.json()
    assert problem["type"].endswith("/duplicate-name")
    assert problem["errors"] == [
        {"field": "name", "message": "a leave type named Vacation exists already"}
    ]
