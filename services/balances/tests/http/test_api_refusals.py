"""What the balances API refuses, in-process: no or a bad token (401), the wrong role
(403), another tenant's or an unknown record (404), and bad input (422, with the field),
as docs/api.md fixes them."""

from __future__ import annotations

from typing import Any

import pytest

from leaveflow_contracts import new_id

from .conftest import THIS_YEAR, Api, Company, set_up

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Every operation, with a body it would accept from an admin ({...} names the company's ids).
OPERATIONS: list[tuple[str, str, Any]] = [
    ("GET", "/v1/balances/{ana}", None),
    ("GET", "/v1/balances", None),
    ("GET", "/v1/ledger/{ana}", None),
    ("PUT", "/v1/policies/{office}/{sick}", {"annual_allowance": 5}),
    ("DELETE", "/v1/policies/{office}/{vacation}", None),
    ("GET", "/v1/policies", None),
    ("PUT", "/v1/allowance-overrides/{ana}/{vacation}/" + str(THIS_YEAR), {"annual_allowance": 3}),
    (
        "POST",
        "/v1/adjustments",
        {
            "employee_id": "{ana}",
            "leave_type_id": "{vacation}",
            "amount": 1,
            "reason": "gift",
            "effective_date": "2020-01-01",
        },
    ),
    ("POST", "/v1/year-end", {"year": THIS_YEAR - 1}),
    ("GET", "/v1/year-end/" + str(THIS_YEAR - 1), None),
]
# Everything but the reads of balances, ledgers and policies.
ADMIN_ONLY = [op for op in OPERATIONS if op[0] != "GET" or op[1].startswith("/v1/year-end")]


def fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("method", "url", "body"), OPERATIONS)
async def test_every_operation_needs_a_valid_token(
    company: Company, method: str, url: str, body: Any
) -> None:
    target, payload = fill(url, company.ids), fill(body, company.ids)
    response = await company.call(None, method, target, payload)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    forged = await company.api.call("not-a-jwt", method, target, payload)
    assert forged.status_code == 401


@pytest.mark.parametrize(("method", "url", "body"), ADMIN_ONLY)
async def test_admin_operations_refuse_users_and_approvers(
    company: Company, method: str, url: str, body: Any
) -> None:
    target, payload = fill(url, company.ids), fill(body, company.ids)
    for who in ("ana", "bob"):
        response = await company.call(who, method, target, payload)
        assert response.status_code == 403, (who, response.text)
        assert response.json()["status"] == 403


async def test_a_user_may_not_list_balances_and_an_approver_only_their_departments(
    company: Company,
) -> None:
    assert (await company.call("ana", "GET", "/v1/balances")).status_code == 403
    mine = await company.call("bob", "GET", "/v1/balances", params={"department_id": "other"})
    assert mine.status_code == 403


async def test_a_balance_is_for_self_its_approver_and_admins(company: Company) -> None:
    ids = company.ids
    for who, whose, status in (
        ("ana", "ana", 200),
        ("ana", "ben", 403),
        ("bob", "ana", 200),  # Bob approves for Sales
        ("bob", "cy", 403),  # Cy is in no department Bob approves for
        ("bob", "bob", 200),
        ("ada", "lu", 200),
    ):
        for path in (f"/v1/balances/{ids[whose]}", f"/v1/ledger/{ids[whose]}"):
            response = await company.call(who, "GET", path)
            assert response.status_code == status, (who, whose, path)


async def test_another_tenants_records_do_not_exist(api: Api, company: Company) -> None:
    other = await set_up(api)
    ids = company.ids
    for path in (f"/v1/balances/{ids['ana']}", f"/v1/ledger/{ids['ana']}"):
        assert (await other.call("ada", "GET", path)).status_code == 404
    override = f"/v1/allowance-overrides/{ids['ana']}/{ids['vacation']}/{THIS_YEAR}"
    assert (await other.call("ada", "PUT", override, {"annual_allowance": 1})).status_code == 404
    adjustment = {
        "employee_id": ids["ana"],
        "leave_type_id": ids["vacation"],
        "amount": 1,
        "reason": "x",
        "effective_date": "2020-01-01",
    }
    assert (await other.call("ada", "POST", "/v1/adjustments", adjustment)).status_code == 404
    # Policies on the other tenant's location or leave type are refused as unknown ...
    for location, leave_type in (
        (ids["office"], other.ids["vacation"]),
        (other.ids["office"], ids["sick"]),
    ):
        path = f"/v1/policies/{location}/{leave_type}"
        response = await other.call("ada", "PUT", path, {"annual_allowance": 1})
        assert response.status_code == 404
    # ... and withdrawing a policy the caller's tenant does not have finds nothing.
    path = f"/v1/policies/{ids['office']}/{ids['vacation']}"
    assert (await other.call("ada", "DELETE", path)).status_code == 404
    assert (await company.call("ada", "GET", "/v1/policies")).json()["items"]


async def test_unknown_records_answer_404(company: Company) -> None:
    nobody = new_id()
    for path in (f"/v1/balances/{nobody}", f"/v1/ledger/{nobody}"):
        assert (await company.call("ada", "GET", path)).status_code == 404
    override = f"/v1/allowance-overrides/{nobody}/{company.ids['vacation']}/{THIS_YEAR}"
    assert (await company.call("ada", "PUT", override, {"annual_allowance": 1})).status_code == 404
    path = f"/v1/policies/{company.ids['office']}/{company.ids['sick']}"
    assert (await company.call("ada", "DELETE", path)).status_code == 404


def _field_of(response: Any) -> set[str]:
    return {error["field"] for error in response.json().get("errors", [])}


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/balances/{ana}", {"as_of": "1899-12-31"}, "as_of"),
        ("/v1/balances/{ana}", {"as_of": "someday"}, "as_of"),
        ("/v1/balances", {"as_of": "9999-12-31"}, "as_of"),
        ("/v1/balances", {"limit": 0}, "limit"),
        ("/v1/balances", {"limit": 1001}, "limit"),
        ("/v1/policies", {"cursor": "x" * 201}, "cursor"),
        ("/v1/ledger/{ana}", {"from": "1800-01-01"}, "from"),
        ("/v1/ledger/{ana}", {"to": "not-a-day"}, "to"),
        ("/v1/year-end/{ana}", {}, "year"),
    ],
)
async def test_bad_queries_answer_422_naming_the_field(
    company: Company, path: str, params: dict[str, Any], field: str
) -> None:
    response = await company.call("ada", "GET", fill(path, company.ids), params=params)
    assert response.status_code == 422, response.text
    assert any(field in f for f in _field_of(response)), response.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),  # required unless unlimited: a rule of the whole body
        ({"annual_allowance": -1}, "annual_allowance"),
        ({"annual_allowance": 10001}, "annual_allowance"),
        ({"annual_allowance": 1.234}, "annual_allowance"),
        ({"annual_allowance": 5, "accrual": "weekly"}, "accrual"),
        ({"annual_allowance": 5, "semimonthly_days": [15, 1]}, ""),
        ({"annual_allowance": 5, "carryover_expiry_months": 0}, "carryover_expiry_months"),
        ({"annual_allowance": 5, "surprise": True}, "surprise"),
    ],
)
async def test_bad_policies_answer_422(company: Company, body: dict[str, Any], field: str) -> None:
    path = f"/v1/policies/{company.ids['office']}/{company.ids['sick']}"
    response = await company.call("ada", "PUT", path, body)
    assert response.status_code == 422, response.text
    assert any(field in f for f in _field_of(response)), response.json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 1000.01}, "amount"),
        ({"amount": 0.125}, "amount"),
        ({"reason": ""}, "reason"),
        ({"effective_date": "1899-01-01"}, "effective_date"),
        ({"leave_type_id": "unknown"}, "leave_type_id"),
    ],
)
async def test_bad_adjustments_answer_422(
    company: Company, change: dict[str, Any], field: str
) -> None:
    body = {
        "employee_id": company.ids["ana"],
        "leave_type_id": company.ids["vacation"],
        "amount": 1,
        "reason": "gift",
        "effective_date": "2020-01-01",
        **change,
    }
    response = await company.call("ada", "POST", "/v1/adjustments", body)
    assert response.status_code == 422, response.text
    assert any(field in f for f in _field_of(response)), response.json()


async def test_bad_overrides_and_year_ends_answer_422(company: Company) -> None:
    ids = company.ids
    too_early = f"/v1/allowance-overrides/{ids['ana']}/{ids['vacation']}/1899"
    assert (await company.call("ada", "PUT", too_early, {"annual_allowance": 1})).status_code == 422
    path = f"/v1/allowance-overrides/{ids['ana']}/{ids['vacation']}/{THIS_YEAR}"
    negative = await company.call("ada", "PUT", path, {"annual_allowance": -1})
    assert negative.status_code == 422
    # This leave year has ended nowhere yet.
    response = await company.call("ada", "POST", "/v1/year-end", {"year": THIS_YEAR})
    assert response.status_code == 422
    assert _field_of(response) == {"year"}
