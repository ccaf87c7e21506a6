"""Who sees whose balances and ledger, path x role x in/out of scope, by the kit's one
visibility rule; every call judged by the caller's standing now (balances' replica), not
the token's; dates and filters bounded at the edge."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from leaveflow_contracts import DepartmentUpserted, EmployeeUpserted, new_id
from leaveflow_kit.validation import MAX_DATE

from .conftest import THIS_YEAR, Api, Company, set_up

# The supported range's last day and the day after it (not literal years: see the
# time-bomb check in tests/hygiene).
LAST_DAY = MAX_DATE.isoformat()
PAST_LAST_DAY = (MAX_DATE + timedelta(days=1)).isoformat()

pytestmark = pytest.mark.asyncio(loop_scope="module")

PATHS = ["/v1/balances/{whose}", "/v1/ledger/{whose}"]
# Bob approves for Sales (Ana, Ben); Cy and Lu are in no department; Ada is the admin.
TABLE = [
    ("ada", "ana", 200),
    ("ada", "lu", 200),
    ("bob", "ana", 200),  # in Sales: in scope
    ("bob", "ben", 200),
    ("bob", "bob", 200),  # themselves
    ("bob", "cy", 403),  # out of scope
    ("bob", "lu", 403),
    ("ana", "ana", 200),
    ("ana", "ben", 403),  # a colleague of the same department
    ("cy", "ana", 403),
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("who", "whose", "status"), TABLE)
async def test_balances_and_ledgers_follow_the_visibility_rule(
    company: Company, path: str, who: str, whose: str, status: int
) -> None:
    response = await company.call(who, "GET", path.format(whose=company.ids[whose]))
    assert response.status_code == status, (who, whose, response.text)


@pytest.mark.parametrize(
    ("who", "params", "status", "seen"),
    [
        ("ada", {}, 200, {"ada", "bob", "ana", "ben", "cy", "lu"}),
        ("bob", {}, 200, {"ana", "ben"}),
        ("bob", {"department_id": "sales"}, 200, {"ana", "ben"}),
        ("bob", {"department_id": "elsewhere"}, 403, set()),
        ("ana", {}, 403, set()),
    ],
)
async def test_the_list_of_balances_is_scoped(
    company: Company, who: str, params: dict[str, str], status: int, seen: set[str]
) -> None:
    ids = company.ids
    if params.get("department_id") == "sales":
        params = {"department_id": ids["sales"]}
    response = await company.call(who, "GET", "/v1/balances", params=params)
    assert response.status_code == status, response.text
    if status == 200:
        names = {ids_key for ids_key, value in ids.items() if value in _employees(response.json())}
        assert names == seen


def _employees(body: dict[str, Any]) -> set[str]:
    return {item["employee_id"] for item in body["items"]}


async def _upsert(company: Company, who: str, **fields: Any) -> None:
    """A newer EmployeeUpserted of one of the company's people."""
    company.api.clock.advance(timedelta(seconds=1))
    ids = company.ids
    base: dict[str, Any] = {
        "employee_id": ids[who],
        "name": who.title(),
        "email": f"{who}@{company.tenant_id}.test",
        "role": "user",
        "location_id": ids["office"],
        "start_date": date(THIS_YEAR - 3, 1, 1),
    }
    await company.deliver(EmployeeUpserted(**{**base, **fields}))


async def test_a_demoted_approvers_old_token_sees_only_themselves(company: Company) -> None:
    token = company.token("bob")  # issued while Bob approved for Sales
    ana = f"/v1/balances/{company.ids['ana']}"
    assert (await company.api.call(token, "GET", ana)).status_code == 200
    await _upsert(company, "bob", role="user")
    assert (await company.api.call(token, "GET", ana)).status_code == 403
    assert (await company.api.call(token, "GET", "/v1/balances")).status_code == 403
    mine = f"/v1/balances/{company.ids['bob']}"
    assert (await company.api.call(token, "GET", mine)).status_code == 200


async def test_an_approver_taken_off_a_department_loses_it(company: Company) -> None:
    company.api.clock.advance(timedelta(seconds=1))
    ids = company.ids
    await company.deliver(DepartmentUpserted(department_id=ids["sales"], name="Sales"))
    response = await company.call("bob", "GET", f"/v1/ledger/{ids['ana']}")
    assert response.status_code == 403


async def test_a_promoted_users_old_token_acts_as_their_new_role(company: Company) -> None:
    token = company.token("cy")  # a user's token
    await _upsert(company, "cy", role="admin")
    ana = f"/v1/balances/{company.ids['ana']}"
    assert (await company.api.call(token, "GET", ana)).status_code == 200


async def test_someone_who_has_left_is_refused(company: Company) -> None:
    token = company.token("ben")
    today = company.api.clock.now().date()
    await _upsert(company, "ben", department_id=company.ids["sales"], end_date=today)
    mine = f"/v1/balances/{company.ids['ben']}"
    assert (await company.api.call(token, "GET", mine)).status_code == 200  # their last day
    await _upsert(company, "ben", department_id=company.ids["sales"], end_date=today - timedelta(1))
    response = await company.api.call(token, "GET", mine)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_caller_the_replica_has_not_heard_of_is_taken_as_the_token_says(
    api: Api, company: Company
) -> None:
    # A signup's admin acts before their EmployeeUpserted reaches balances.
    newcomer = api.token(company.tenant_id, new_id(), "admin")
    response = await api.call(newcomer, "GET", "/v1/policies")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/v1/balances/{ana}", {"as_of": LAST_DAY}, 200),
        ("/v1/balances/{ana}", {"as_of": PAST_LAST_DAY}, 422),
        ("/v1/balances/{ana}", {"as_of": "9999-12-30"}, 422),
        ("/v1/balances", {"as_of": "1899-12-31"}, 422),
        ("/v1/ledger/{ana}", {"from": "1900-01-01", "to": LAST_DAY}, 200),
        ("/v1/ledger/{ana}", {"to": "9999-12-31"}, 422),
        ("/v1/ledger/{ana}", {"cursor": "\u00b2"}, 200),  # a digit to isdigit(), not to int()
        ("/v1/ledger/{ana}", {"leave_type_id": "x" * 201}, 422),
        ("/v1/balances", {"department_id": "x" * 5000}, 422),
        ("/v1/balances", {"location_id": "x" * 201}, 422),
    ],
)
async def test_dates_and_filters_are_bounded(
    company: Company, path: str, params: dict[str, str], status: int
) -> None:
    url = path.format(ana=company.ids["ana"])
    response = await company.call("ada", "GET", url, params=params)
    assert response.status_code == status, response.text


async def test_another_tenants_admin_sees_nothing(api: Api, company: Company) -> None:
    other = await set_up(api)
    for path in PATHS:
        url = path.format(whose=company.ids["ana"])
        assert (await other.call("ada", "GET", url)).status_code == 404
