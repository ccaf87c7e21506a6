"""Pending rules API: the company's approval settings and a department's override,
admins only, validated, per tenant."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, Company, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="module")

RULES = {
    "remind_after_hours": 24,
    "remind_every_hours": 12,
    "max_reminders": 2,
    "escalate_after_hours": 72,
    "when_leave_starts": "auto_deny",
}


async def test_company_settings_are_off_until_an_admin_sets_them(company: Company) -> None:
    assert await company.ok("ada", "GET", "/v1/approval-settings") == {
        "remind_after_hours": None,
        "remind_every_hours": None,
        "max_reminders": 3,
        "escalate_after_hours": None,
        "when_leave_starts": None,
        "scope": "company",
    }
    saved = await company.ok("ada", "PUT", "/v1/approval-settings", RULES)
    assert saved == {**RULES, "scope": "company"}
    assert await company.ok("ada", "GET", "/v1/approval-settings") == saved
    # PUT replaces the whole set; the interval defaults to the first wait.
    again = await company.ok("ada", "PUT", "/v1/approval-settings", {"remind_after_hours": 6.5})
    assert again["remind_every_hours"] == 6.5
    assert again["escalate_after_hours"] is None
    assert again["when_leave_starts"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"remind_after_hours": 0}, "remind_after_hours"),
        ({"remind_every_hours": -2}, "remind_every_hours"),
        ({"escalate_after_hours": 0}, "escalate_after_hours"),
        ({"max_reminders": -1}, "max_reminders"),
        ({"when_leave_starts": "ignore"}, "when_leave_starts"),
        ({"remind_after_hours": "soon"}, "remind_after_hours"),
    ],
)
async def test_nonsense_is_refused(company: Company, body: dict[str, Any], field: str) -> None:
    department = f"/v1/departments/{company.ids['sales']}/approval-settings"
    for url in ("/v1/approval-settings", department):
        response = await company.call("ada", "PUT", url, body)
        assert response.status_code == 422, response.text
        assert field in response.text
    assert (await company.ok("ada", "GET", "/v1/approval-settings"))["max_reminders"] == 3


async def test_only_admins_read_or_change_them(company: Company) -> None:
    sales = company.ids["sales"]
    for who in ("bob", "ana"):
        for method, url in (
            ("GET", "/v1/approval-settings"),
            ("PUT", "/v1/approval-settings"),
            ("GET", f"/v1/departments/{sales}/approval-settings"),
            ("PUT", f"/v1/departments/{sales}/approval-settings"),
            ("DELETE", f"/v1/departments/{sales}/approval-settings"),
        ):
            response = await company.call(who, method, url, RULES if method == "PUT" else None)
            assert response.status_code == 403, (who, method, url)
    assert (await company.call(None, "GET", "/v1/approval-settings")).status_code == 401


async def test_a_department_override_until_deleted(company: Company) -> None:
    url = f"/v1/departments/{company.ids['sales']}/approval-settings"
    assert (await company.call("ada", "GET", url)).status_code == 404
    override = {"remind_after_hours": 4, "max_reminders": 0}
    saved = await company.ok("ada", "PUT", url, override)
    assert saved["scope"] == "department"
    assert saved["max_reminders"] == 0
    assert await company.ok("ada", "GET", url) == saved
    # The company's settings are untouched by a department's.
    assert (await company.ok("ada", "GET", "/v1/approval-settings"))["remind_after_hours"] is None
    assert (await company.call("ada", "DELETE", url)).status_code == 204
    assert (await company.call("ada", "GET", url)).status_code == 404
    assert (await company.call("ada", "DELETE", url)).status_code == 404


async def test_an_unknown_or_removed_department_has_no_settings(company: Company) -> None:
    unknown = "/v1/departments/nope/approval-settings"
    assert (await company.call("ada", "PUT", unknown, RULES)).status_code == 404
    assert (await company.call("ada", "GET", unknown)).status_code == 404
    ops = await company.ok("ada", "POST", "/v1/departments", {"name": "Ops"})
    assert (await company.call("ada", "DELETE", f"/v1/departments/{ops['id']}")).status_code == 204
    gone = f"/v1/departments/{ops['id']}/approval-settings"
    assert (await company.call("ada", "PUT", gone, RULES)).status_code == 404


async def test_companies_see_only_their_own(api: Api, company: Company) -> None:
    await company.ok("ada", "PUT", "/v1/approval-settings", RULES)
    other = await sign_up(api, "Globex")
    assert (await other.ok("ada", "GET", "/v1/approval-settings"))["remind_after_hours"] is None
    url = f"/v1/departments/{company.ids['sales']}/approval-settings"
    assert (await other.call("ada", "PUT", url, RULES)).status_code == 404
