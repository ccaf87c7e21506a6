"""Issue 17's balances part on the real stack, through the public API: request rules on a
policy (validated, echoed, announced on the bus for requests), seniority from the start
date, the accrual cap, anniversary leave years from requests' location API; and time off in
lieu and labels from the requests events that will carry them (published here, as the
requests service's TOIL and labels APIs are not there yet)."""

from __future__ import annotations

import asyncio
import calendar
import json
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import nats
import pytest

from leaveflow_contracts import (
    EmployeeUpserted,
    Envelope,
    EventData,
    ToilApproved,
    new_id,
    subject_for,
)
from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

# The locations here are on UTC (the helper's default): their today is UTC's.
TODAY = datetime.now(UTC).date()


def balance(tenant: Tenant, employee_id: str, leave_type_id: str, **params: Any) -> dict[str, Any]:
    with tenant.client("balances") as http:
        r = http.get(f"/v1/balances/{employee_id}", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
    (found,) = [b for b in body["balances"] if b["leave_type_id"] == leave_type_id]
    return {**found, "leave_year": body["leave_year"]}


def ledger_kinds(tenant: Tenant, employee_id: str, leave_type_id: str) -> list[str]:
    with tenant.client("balances") as http:
        r = http.get(f"/v1/ledger/{employee_id}", params={"leave_type_id": leave_type_id})
        assert r.status_code == 200, r.text
        return sorted(e["kind"] for e in r.json()["items"])


async def _policy_event(nats_url: str, location_id: str, min_notice_days: int) -> dict[str, Any]:
    """The PolicyUpserted of `location_id` that carries `min_notice_days`."""
    nc = await nats.connect(nats_url)
    try:
        sub = await nc.jetstream().subscribe("lf.balances.PolicyUpserted.v1", ordered_consumer=True)
        while True:
            data = json.loads((await sub.next_msg(timeout=20)).data)["data"]
            if data["location_id"] == location_id and data["min_notice_days"] == min_notice_days:
                return dict(data)
    finally:
        await nc.close()


async def _publish(nats_url: str, tenant: Tenant, data: EventData) -> None:
    """Publish a requests event as the requests service's relay would."""
    envelope = Envelope.wrap(data, tenant_id=tenant.tenant_id, actor="e2e")
    nc = await nats.connect(nats_url)
    try:
        await nc.jetstream().publish(
            subject_for("requests", envelope.type),
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": envelope.event_id, "content-type": "application/json"},
        )
    finally:
        await nc.close()


def test_request_rules_are_validated_echoed_and_announced(stack: Stack, tenant: Tenant) -> None:
    location = tenant.location("Graz")
    leave_type = tenant.leave_type(allowance=20, location_ids=[location])
    path = f"/v1/policies/{location}/{leave_type}"
    rules = {
        "annual_allowance": 20,
        "min_notice_days": 7,
        "max_days_ahead": 200,
        "max_consecutive": 10,
        "probation_days": 90,
        "sandwich": "weekends",
    }
    with tenant.client("balances") as admin:
        r = admin.put(path, json={**rules, "min_notice_days": 30, "max_days_ahead": 10})
        assert r.status_code == 422, r.text
        (error,) = r.json()["errors"]
        assert error["field"] == "max_days_ahead"
        assert "min_notice_days" in error["message"]
        r = admin.put(path, json={**rules, "sandwich": "sometimes"})
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["sandwich"]
        r = admin.put(path, json=rules)
        assert r.status_code == 200, r.text
        (listed,) = admin.get("/v1/policies", params={"location_id": location}).json()["items"]
    for body in (r.json(), listed):
        assert {k: body[k] for k in rules} == {**rules, "max_consecutive": 10.0}
    event = asyncio.run(_policy_event(stack.nats_url, location, 7))
    assert (event["max_days_ahead"], event["probation_days"], event["max_consecutive"]) == (
        200,
        90,
        "10.00",
    )
    assert (event["sandwich"], event["toil"]) == ("weekends", False)


def test_seniority_and_the_accrual_cap_from_the_start_date(tenant: Tenant) -> None:
    location = tenant.location("Linz")
    policy = {
        "accrual": "monthly",
        "accrual_cap": 5,
        "seniority": [{"after_years": 3, "extra": 2}],
    }
    leave_type = tenant.leave_type(allowance=24, location_ids=[location], policy=policy)
    # Started on 1 January four years ago: the 3-year step holds all this year.
    pat_id, _ = tenant.employee(
        "Pat", location_id=location, start_date=date(TODAY.year - 4, 1, 1).isoformat()
    )
    eventually(lambda: _known(tenant, pat_id), timeout=20, what="balances knows Pat")
    b = balance(tenant, pat_id, leave_type)
    # 2 a month from 1 January; the seniority extra (2) counts against the cap of 5 too.
    assert b["seniority"] == 2
    assert b["accrued"] == min(2 * TODAY.month, 3)
    assert b["remaining"] == b["accrued"] + 2
    assert "seniority" in ledger_kinds(tenant, pat_id, leave_type)


def _known(tenant: Tenant, employee_id: str) -> bool:
    with tenant.client("balances") as http:
        r = http.get(f"/v1/balances/{employee_id}")
        return r.status_code == 200 and bool(r.json()["balances"])


def test_an_anniversary_location_counts_each_persons_year(tenant: Tenant) -> None:
    location = tenant.location("Wels", leave_year_start="anniversary")
    leave_type = tenant.leave_type(allowance=20, location_ids=[location])
    started = TODAY - timedelta(days=400)
    if (started.month, started.day) == (2, 29):
        started -= timedelta(days=1)
    pat_id, _ = tenant.employee("Pat", location_id=location, start_date=started.isoformat())
    eventually(lambda: _known(tenant, pat_id), timeout=20, what="balances knows Pat")
    year_start = started.replace(year=TODAY.year)
    if year_start > TODAY:
        year_start = year_start.replace(year=TODAY.year - 1)
    b = balance(tenant, pat_id, leave_type)
    assert b["leave_year"]["start"] == year_start.isoformat()
    assert (b["accrued"], b["remaining"]) == (20, 20)  # a whole year of their own


def test_toil_credits_and_labels_from_requests_events(stack: Stack, tenant: Tenant) -> None:
    location = tenant.location("Steyr")
    in_lieu = {"toil": {"expiry_months": 3}}
    toil = tenant.leave_type("In lieu", allowance=0, location_ids=[location], policy=in_lieu)
    pat_id, pat = tenant.employee("Pat", location_id=location)
    eventually(lambda: _known(tenant, pat_id), timeout=20, what="balances knows Pat")
    worked = TODAY - timedelta(days=5)
    claim = ToilApproved(
        toil_id=new_id(), employee_id=pat_id, leave_type_id=toil, date=worked, amount=Decimal(2)
    )
    asyncio.run(_publish(stack.nats_url, tenant, claim))
    eventually(
        lambda: balance(tenant, pat_id, toil)["toil_earned"] == 2, timeout=20, what="credited"
    )
    b = balance(tenant, pat_id, toil)
    assert (b["available"], b["toil_expires_on"]) == (2, _months_later(worked, 3).isoformat())
    assert ledger_kinds(tenant, pat_id, toil) == ["toil_credit"]
    # A label, as requests will carry it in EmployeeUpserted.
    # A big extra, so that even the share left on 31 December rounds to half a day.
    senior = {"label_extra": [{"label": "senior", "extra": 200}]}
    vacation = tenant.leave_type(allowance=20, location_ids=[location], policy=senior)
    with tenant.client("requests") as http:
        me = http.get(f"/v1/employees/{pat_id}").json()
    labelled = EmployeeUpserted(
        employee_id=pat_id,
        name=me["name"],
        email=me["email"],
        role=me["role"],
        location_id=location,
        start_date=date(2020, 1, 1),
        labels=["senior"],
    )
    asyncio.run(_publish(stack.nats_url, tenant, labelled))
    eventually(
        lambda: balance(tenant, pat_id, vacation)["label_extra"] > 0, timeout=20, what="label"
    )
    # From today to the year's end, prorated (half days).
    left = (date(TODAY.year, 12, 31) - TODAY).days + 1
    days = 366 if calendar.isleap(TODAY.year) else 365
    share = Decimal(200) * left / days / Decimal("0.5")
    expected = float(share.quantize(Decimal(1), ROUND_HALF_UP) * Decimal("0.5"))
    # Pat reads it with their own token too.
    with httpx.Client(base_url=tenant.urls["balances"], timeout=10) as http:
        r = http.get(f"/v1/balances/{pat_id}", headers={"authorization": f"Bearer {pat}"})
    assert r.status_code == 200, r.text
    (mine,) = [b for b in r.json()["balances"] if b["leave_type_id"] == vacation]
    assert (mine["label_extra"], mine["remaining"]) == (expected, 20 + expected)


def _months_later(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
