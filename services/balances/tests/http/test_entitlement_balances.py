"""Issue 17's entitlements as the balances API shows them, in-process: `seniority`,
`label_extra`, `toil_earned` and `toil_expires_on` in a balance, counted in `remaining` and
`available`, each explained by ledger entries of its own kind; the accrual cap; a person's
anniversary leave year."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from leaveflow_balances.domain.calendar import add_months
from leaveflow_contracts import EmployeeUpserted, LocationUpserted, ToilApproved, new_id

from .conftest import MARCH, NOW, THIS_YEAR, Company

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _policy(company: Company, location: str, leave_type: str, body: dict[str, Any]) -> None:
    path = f"/v1/policies/{company.ids[location]}/{company.ids[leave_type]}"
    await company.ok("ada", "PUT", path, body)


async def _ledger(
    company: Company, who: str, leave_type: str = "vacation"
) -> list[tuple[str, float]]:
    page = await company.ok(
        "ada", "GET", f"/v1/ledger/{company.ids[who]}", leave_type_id=company.ids[leave_type]
    )
    return [(e["kind"], e["amount"]) for e in page["items"]]


async def _balance_of(company: Company, who: str, leave_type: str, **params: Any) -> dict[str, Any]:
    body = await company.ok("ada", "GET", f"/v1/balances/{company.ids[who]}", **params)
    (found,) = [b for b in body["balances"] if b["leave_type_id"] == company.ids[leave_type]]
    return dict(found)


def _ana(company: Company, labels: list[str]) -> EmployeeUpserted:
    ids = company.ids
    return EmployeeUpserted(
        employee_id=ids["ana"],
        name="Ana",
        email=f"ana@{company.tenant_id}.test",
        role="user",
        department_id=ids["sales"],
        location_id=ids["office"],
        start_date=date(THIS_YEAR - 3, 1, 1),
        labels=labels,
    )


async def test_seniority_and_a_label_show_in_the_balance_and_the_ledger(company: Company) -> None:
    # Everyone started on 1 January three years ago: the 3-year step holds all this year.
    await _policy(
        company,
        "office",
        "vacation",
        {
            "annual_allowance": 20,
            "seniority": [{"after_years": 3, "extra": 2}, {"after_years": 4, "extra": 4}],
            "label_extra": [{"label": "senior", "extra": 3}],
        },
    )
    ben = await company.balance("ben")
    assert (ben["seniority"], ben["label_extra"], ben["remaining"], ben["available"]) == (
        2.0,
        0.0,
        22.0,
        22.0,
    )
    # Ana is labelled today (15 June): 3 x 200/365 (or /366) -> 1.5 for the rest of the year.
    await company.deliver(_ana(company, ["senior"]))
    ana = await company.balance("ana")
    assert (ana["seniority"], ana["label_extra"], ana["remaining"]) == (2.0, 1.5, 23.5)
    assert (await company.balance("ana", as_of=f"{THIS_YEAR}-06-14"))["label_extra"] == 0
    assert sorted(await _ledger(company, "ana")) == [
        ("accrual", 20.0),
        ("label", 1.5),
        ("seniority", 2.0),
    ]
    # Next year Ana holds the label all year and reaches the 4-year step.
    nxt = await company.balance("ana", as_of=f"{THIS_YEAR + 1}-01-01")
    assert (nxt["seniority"], nxt["label_extra"]) == (4.0, 3.0)


async def test_time_off_in_lieu_is_credited_spent_and_expires(company: Company) -> None:
    await _policy(company, "office", "sick", {"annual_allowance": 0, "toil": {"expiry_months": 3}})
    worked = NOW.date() - timedelta(days=10)
    claim = ToilApproved(
        toil_id=new_id(),
        employee_id=company.ids["ana"],
        leave_type_id=company.ids["sick"],
        date=worked,
        amount=Decimal("1.5"),
        note="release weekend",
    )
    await company.deliver(claim)
    await company.deliver(claim)  # redelivered: credited once
    expires = add_months(worked, 3)
    sick = await _balance_of(company, "ana", "sick")
    assert (sick["toil_earned"], sick["available"], sick["toil_expires_on"]) == (
        1.5,
        1.5,
        expires.isoformat(),
    )
    page = await company.ok(
        "ana", "GET", f"/v1/ledger/{company.ids['ana']}", leave_type_id=company.ids["sick"]
    )
    (credit,) = page["items"]
    assert (credit["kind"], credit["amount"], credit["effective_date"]) == (
        "toil_credit",
        1.5,
        worked.isoformat(),
    )
    assert (credit["expires_on"], credit["reason"]) == (expires.isoformat(), "release weekend")
    gone = await _balance_of(company, "ana", "sick", as_of=expires.isoformat())
    assert (gone["toil_earned"], gone["remaining"], gone["toil_expires_on"]) == (0.0, 0.0, None)


async def test_the_accrual_cap_pauses_accrual_until_leave_is_taken(company: Company) -> None:
    await _policy(
        company,
        "office",
        "vacation",
        {"annual_allowance": 24, "accrual": "monthly", "accrual_cap": 5},
    )
    # 2 on 1 January, 2 on 1 February, 1 of March's 2; paused since.
    assert (await company.balance("ben"))["accrued"] == 5
    await company.take("ben", MARCH)  # 2 days, booked today
    ben = await company.balance("ben")
    assert (ben["accrued"], ben["used"], ben["remaining"]) == (5, 2, 3)
    # From July the cap has room again: 2 more, then paused at 5 remaining.
    december = await company.balance("ben", as_of=f"{THIS_YEAR}-12-31")
    assert (december["accrued"], december["remaining"]) == (7, 5)


async def test_an_anniversary_location_counts_each_persons_year(company: Company) -> None:
    ids = company.ids
    ids["anniv"], ids["ivy"] = new_id(), new_id()
    await company.deliver(
        LocationUpserted(
            location_id=ids["anniv"],
            name="Anniversaries",
            timezone="Europe/Berlin",
            workweek=[1, 2, 3, 4, 5],
            leave_year_start="anniversary",
        )
    )
    await company.deliver(
        EmployeeUpserted(
            employee_id=ids["ivy"],
            name="Ivy",
            email=f"ivy@{company.tenant_id}.test",
            role="user",
            location_id=ids["anniv"],
            start_date=date(THIS_YEAR - 2, 3, 15),
        )
    )
    await _policy(company, "anniv", "vacation", {"annual_allowance": 20})
    body = await company.ok("ada", "GET", f"/v1/balances/{ids['ivy']}")
    assert body["leave_year"] == {
        "label": THIS_YEAR,
        "start": f"{THIS_YEAR}-03-15",
        "end": f"{THIS_YEAR + 1}-03-14",
    }
    (vacation,) = body["balances"]
    assert (vacation["accrued"], vacation["remaining"]) == (20, 20)
