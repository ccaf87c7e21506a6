"""Issue 17's policy fields on `PUT /v1/policies/...`: request rules (which requests enforces)
and entitlements are validated, stored, echoed by PUT and GET, and carried in PolicyUpserted;
absent, they mean today's behaviour."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Company

pytestmark = pytest.mark.asyncio(loop_scope="module")

RULES: dict[str, Any] = {
    "annual_allowance": 20,
    "min_notice_days": 14,
    "max_days_ahead": 365,
    "max_consecutive": 10,
    "probation_days": 90,
    "sandwich": "both",
    "accrual_cap": 30,
    "seniority": [{"after_years": 5, "extra": 5}, {"after_years": 3, "extra": 2}],
    "seniority_from": "leave_year_start",
    "label_extra": [{"label": "senior", "extra": 3}],
}


def _path(company: Company, leave_type: str = "vacation") -> str:
    return f"/v1/policies/{company.ids['office']}/{company.ids[leave_type]}"


async def _announced(company: Company) -> dict[str, Any]:
    (*_, last) = [
        e for e in await company.api.outbox(company.tenant_id) if e.type == "PolicyUpserted"
    ]
    return dict(last.data)


async def test_request_rules_and_entitlements_are_stored_echoed_and_announced(
    company: Company,
) -> None:
    put = await company.ok("ada", "PUT", _path(company), RULES)
    expected = {
        "min_notice_days": 14,
        "max_days_ahead": 365,
        "max_consecutive": 10.0,
        "probation_days": 90,
        "sandwich": "both",
        "accrual_cap": 30.0,
        # Steps come back in order of service.
        "seniority": [{"after_years": 3, "extra": 2.0}, {"after_years": 5, "extra": 5.0}],
        "seniority_from": "leave_year_start",
        "label_extra": [{"label": "senior", "extra": 3.0}],
        "toil": None,
    }
    assert {k: put[k] for k in expected} == expected
    page = await company.ok("ada", "GET", "/v1/policies", leave_type_id=company.ids["vacation"])
    (listed,) = page["items"]
    assert {k: listed[k] for k in expected} == expected
    event = await _announced(company)
    assert {k: event[k] for k in ("min_notice_days", "max_days_ahead", "probation_days")} == {
        "min_notice_days": 14,
        "max_days_ahead": 365,
        "probation_days": 90,
    }
    assert (event["max_consecutive"], event["sandwich"], event["toil"]) == ("10.00", "both", False)


async def test_a_toil_policy_is_announced_as_time_off_in_lieu(company: Company) -> None:
    body = {"annual_allowance": 0, "toil": {"expiry_months": 3}}
    put = await company.ok("ada", "PUT", _path(company, "sick"), body)
    assert put["toil"] == {"expiry_months": 3}
    event = await _announced(company)
    assert (event["leave_type_id"], event["toil"]) == (company.ids["sick"], True)
    # Without an expiry the credits never expire; still time off in lieu.
    body = {"annual_allowance": 0, "toil": {}}
    put = await company.ok("ada", "PUT", _path(company, "sick"), body)
    assert put["toil"] == {"expiry_months": None}


async def test_absent_rules_are_todays_behaviour(company: Company) -> None:
    put = await company.ok("ada", "PUT", _path(company), {"annual_allowance": 20})
    assert (put["min_notice_days"], put["max_consecutive"], put["sandwich"]) == (None, None, "off")
    assert (put["accrual_cap"], put["seniority"], put["label_extra"], put["toil"]) == (
        None,
        [],
        [],
        None,
    )
    event = await _announced(company)
    assert (event["min_notice_days"], event["sandwich"], event["toil"]) == (None, "off", False)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"min_notice_days": -1}, "min_notice_days"),
        ({"min_notice_days": 3651}, "min_notice_days"),
        ({"min_notice_days": 1.5}, "min_notice_days"),
        ({"max_days_ahead": -1}, "max_days_ahead"),
        ({"min_notice_days": 30, "max_days_ahead": 29}, "max_days_ahead"),
        ({"max_consecutive": 0}, "max_consecutive"),
        ({"max_consecutive": 1.234}, "max_consecutive"),
        ({"probation_days": -1}, "probation_days"),
        ({"sandwich": "weekdays"}, "sandwich"),
        ({"accrual_cap": -1}, "accrual_cap"),
        ({"seniority": [{"after_years": 0, "extra": 1}]}, "seniority"),
        ({"seniority": [{"after_years": 3, "extra": -1}]}, "seniority"),
        (
            {"seniority": [{"after_years": 3, "extra": 1}, {"after_years": 3, "extra": 2}]},
            "seniority",
        ),
        ({"seniority": [{"after_years": 3}]}, "seniority"),
        ({"seniority_from": "hire_date"}, "seniority_from"),
        ({"label_extra": [{"label": "", "extra": 1}]}, "label_extra"),
        ({"label_extra": [{"label": "a", "extra": 1}, {"label": "a", "extra": 2}]}, "label_extra"),
        ({"toil": {"expiry_months": 0}}, "toil"),
        ({"toil": {"expiry_months": 3, "surprise": 1}}, "toil"),
        ({"unlimited": True, "toil": {"expiry_months": 3}}, "toil"),
    ],
)
async def test_bad_rules_answer_422_naming_the_field(
    company: Company, change: dict[str, Any], field: str
) -> None:
    before = len(await company.api.outbox(company.tenant_id))
    response = await company.call("ada", "PUT", _path(company), {"annual_allowance": 20, **change})
    assert response.status_code == 422, response.text
    fields = {error["field"] for error in response.json()["errors"]}
    assert any(f.startswith(field) for f in fields), fields
    assert len(await company.api.outbox(company.tenant_id)) == before  # nothing announced
