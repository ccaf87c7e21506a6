"""The policy form's request rules and entitlements (issue 17): what is typed reaches the
balances PUT as docs/api.md spells it, an empty field turns its rule off, a saved policy
fills the form again, and the API's 422s are shown at the field they are about."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from leaveflow_web.bootstrap import create_app

from .admin_fakes import AdminServices, invalid
from .conftest import WEB, csrf_of, settings, sign_in


@pytest.fixture
def services() -> AdminServices:
    return AdminServices()


def balances_rules(services: AdminServices) -> httpx.MockTransport:
    """The fake, refusing as balances' PolicyIn does the cases these tests are about."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT" and request.url.path.startswith("/v1/policies/"):
            body = json.loads(request.content)
            notice, ahead = body.get("min_notice_days"), body.get("max_days_ahead")
            if notice is not None and ahead is not None and ahead < notice:
                return invalid(
                    "max_days_ahead",
                    "Value error, max_days_ahead is below min_notice_days: no day could be asked",
                )
            for n, step in enumerate(body.get("seniority", [])):
                if step["after_years"] < 1:
                    return invalid(
                        f"seniority.{n}.after_years", "Input should be greater than or equal to 1"
                    )
            if body.get("toil") is not None and body.get("unlimited"):
                return invalid(
                    "toil",
                    "Value error, a time-off-in-lieu type counts its credits: it cannot be "
                    "unlimited",
                )
        return services(request)

    return httpx.MockTransport(answer)


@pytest.fixture
async def admin(services: AdminServices) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(), transport=balances_rules(services))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        signed = await sign_in(client, "ada@acme.test")
        assert signed.status_code in (200, 303), signed.text
        yield client


def where(services: AdminServices) -> tuple[str, str]:
    loc = services.add("locations", name="Berlin", timezone="UTC", workweek=[1, 2, 3, 4, 5])
    vac = services.add("leave-types", name="Vacation", unit="days")
    return loc, vac


async def save(
    client: httpx.AsyncClient, loc: str, vac: str, **fields: str | list[str]
) -> httpx.Response:
    token = csrf_of(await client.get("/admin/policies"))
    data: dict[str, str | list[str]] = {
        "csrf_token": token, "location_id": loc, "leave_type_id": vac,
        "annual_allowance": "25", "accrual": "upfront", **fields,
    }  # fmt: skip
    return await client.post("/admin/policies", data=data)


def last_put(services: AdminServices) -> dict[str, object]:
    method, _path, body = services.writes[-1]
    assert method == "PUT"
    assert isinstance(body, dict)
    return body


async def test_every_rule_and_entitlement_typed_reaches_the_policy(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    loc, vac = where(services)
    page = await save(
        admin, loc, vac,
        min_notice_days="14", max_days_ahead="365", max_consecutive="10", probation_days="90",
        sandwich="weekends", accrual_cap="30",
        seniority_years=["3", "5", ""], seniority_extra=["2", "5", ""],
        seniority_from="leave_year_start",
        label=["senior", "", ""], label_extra=["3", "", ""],
        toil="on", toil_expiry_months="3",
    )  # fmt: skip
    assert page.status_code == 200, page.text
    assert "Policy saved." in page.text
    body = last_put(services)
    assert {k: v for k, v in body.items() if k not in ("annual_allowance", "accrual")} == {
        "prorate_first_year": False, "unlimited": False,
        "min_notice_days": 14, "max_days_ahead": 365, "max_consecutive": 10,
        "probation_days": 90, "sandwich": "weekends", "accrual_cap": 30,
        "seniority": [{"after_years": 3, "extra": 2}, {"after_years": 5, "extra": 5}],
        "seniority_from": "leave_year_start",
        "label_extra": [{"label": "senior", "extra": 3}],
        "toil": {"expiry_months": 3},
    }  # fmt: skip


async def test_empty_rule_fields_turn_the_rules_off(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    loc, vac = where(services)
    page = await save(
        admin, loc, vac, min_notice_days="", max_days_ahead="", sandwich="off",
        seniority_years=["", ""], seniority_extra=["", ""], label=[""], label_extra=[""],
        toil_expiry_months="",
    )  # fmt: skip
    assert page.status_code == 200, page.text
    body = last_put(services)
    assert body == {
        "annual_allowance": 25, "accrual": "upfront", "prorate_first_year": False,
        "unlimited": False,
    }  # fmt: skip


async def test_time_off_in_lieu_without_expiry_is_an_empty_toil_object(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    loc, vac = where(services)
    await save(admin, loc, vac, toil="on", toil_expiry_months="")
    assert last_put(services)["toil"] == {}


async def test_a_saved_policy_fills_its_rules_and_rows_again(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    loc, vac = where(services)
    services.policies[f"{loc}/{vac}"] = {
        "location_id": loc, "leave_type_id": vac, "annual_allowance": 25.0,
        "accrual": "monthly", "unlimited": False, "min_notice_days": 7, "max_days_ahead": None,
        "max_consecutive": 12.5, "probation_days": 180, "sandwich": "both",
        "accrual_cap": 40.0, "seniority": [{"after_years": 3, "extra": 2.0}],
        "seniority_from": "anniversary", "label_extra": [{"label": "nights", "extra": 1.5}],
        "toil": {"expiry_months": 6},
    }  # fmt: skip
    form = (await admin.get(f"/admin/policies/{loc}/{vac}")).text
    assert 'name="min_notice_days" type="number" value="7"' in form
    assert 'name="max_days_ahead" type="number" value=""' in form
    assert 'name="max_consecutive" type="number" value="12.5"' in form
    assert 'name="probation_days" type="number" value="180"' in form
    assert '<option value="both" selected>' in form
    assert 'name="accrual_cap" type="number" value="40"' in form
    assert re.search(r'name="seniority_years" type="number" min="1" max="80" value="3"', form)
    assert re.search(r'name="seniority_extra" type="number" step="0.01" min="0" value="2"', form)
    # the saved step and two empty rows to add more
    assert len(re.findall(r'name="seniority_years"', form)) == 3
    assert re.search(r'name="label" type="text" maxlength="100" value="nights"', form)
    assert re.search(r'id="new-toil" name="toil" checked', form)
    assert 'name="toil_expiry_months" type="number" value="6"' in form


async def test_a_policy_without_rules_offers_them_off(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    form = (await admin.get("/admin/policies")).text
    assert '<option value="off" selected>' in form
    assert "Leave a field empty to turn its rule off." in form
    assert not re.search(r'id="new-toil" name="toil" checked', form)


async def test_notice_longer_than_the_days_ahead_is_refused_at_that_field(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    loc, vac = where(services)
    page = await save(admin, loc, vac, min_notice_days="30", max_days_ahead="10")
    assert page.status_code == 422
    error = re.search(r'<small class="error" id="e-new-max_days_ahead">([^<]+)</small>', page.text)
    assert error is not None
    assert "Allow at least as many days ahead as the notice needs" in error[1]
    # what was typed stays, and no banner repeats the error
    assert 'name="min_notice_days" type="number" value="30"' in page.text
    assert page.text.count("Allow at least as many days ahead") == 1
    assert "max_days_ahead" not in re.sub(r"<[^>]+>", " ", page.text)


async def test_a_bad_seniority_step_is_shown_at_the_rows_with_what_was_typed(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    loc, vac = where(services)
    page = await save(admin, loc, vac, seniority_years=["0"], seniority_extra=["2"])
    assert page.status_code == 422
    error = re.search(r'<small class="error" id="e-seniority">([^<]+)</small>', page.text)
    assert error is not None
    assert error[1] == "The years of service must be 1 or more."
    assert re.search(r'name="seniority_years" type="number" min="1" max="80" value="0"', page.text)


async def test_unlimited_time_off_in_lieu_is_explained_at_its_field(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    loc, vac = where(services)
    page = await save(admin, loc, vac, unlimited="on", toil="on", toil_expiry_months="3")
    assert page.status_code == 422
    assert "untick Unlimited to use it" in page.text
    assert 'id="e-new-toil_expiry_months"' in page.text


async def test_each_policy_row_sums_up_its_rules_and_extras(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    loc, vac = where(services)
    services.policies[f"{loc}/{vac}"] = {
        "location_id": loc, "leave_type_id": vac, "annual_allowance": 25.0, "accrual": "upfront",
        "unlimited": False, "min_notice_days": 1, "max_days_ahead": 365, "max_consecutive": 10.0,
        "probation_days": 90, "sandwich": "weekends", "accrual_cap": 30.0,
        "seniority": [{"after_years": 3, "extra": 2.0}],
        "label_extra": [{"label": "senior", "extra": 1.5}], "toil": {"expiry_months": None},
    }  # fmt: skip
    page = await admin.get("/admin/policies")
    cell = re.search(r'<td data-label="Rules and extras" class="rules">([^<]+)</td>', page.text)
    assert cell is not None
    assert cell[1].replace("&#39;", "'") == (
        "1 day's notice; at most 365 days ahead; at most 10 in a row; 90 days of probation; "
        "weekends between leave days count; accrual stops at 30; +2 after 3 years; "
        "+1.5 for senior; time off in lieu"
    )
    services.policies[f"{loc}/{vac}"] = {
        "location_id": loc, "leave_type_id": vac, "annual_allowance": 25.0, "accrual": "upfront",
        "unlimited": False, "sandwich": "off",
    }  # fmt: skip
    page = await admin.get("/admin/policies")
    assert '<td data-label="Rules and extras" class="rules">none</td>' in page.text
