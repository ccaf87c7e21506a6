"""The calendar's visibility through the real processes follows every approval level:
the head who decides a department's second level sees its people's pending leave in
who's-off and may follow the department's feed, as level 1's approver may; an approver
of no level of it may not."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def first_weekday(after: date) -> date:
    day = after
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return day


def calendar(tenant: Tenant, token: str, method: str, path: str, **kw: Any) -> httpx.Response:
    with httpx.Client(base_url=tenant.urls["calendar"], timeout=10) as http:
        http.headers["authorization"] = f"Bearer {token}"
        return http.request(method, path, **kw)


def test_a_second_levels_head_sees_the_departments_pending_leave(
    stack: Stack, tenant: Tenant
) -> None:
    office = tenant.location("Steyr")
    vacation = tenant.leave_type(allowance=20, location_ids=[office])
    lee, lee_token = tenant.employee("Lee", role="approver", location_id=office)
    max_id, max_token = tenant.employee("Max", role="approver", location_id=office)
    _, sue_token = tenant.employee("Sue", role="approver", location_id=office)
    levels = [{"approver_ids": [lee]}, {"approver_ids": [max_id]}]
    with tenant.client("requests") as http:
        r = http.post("/v1/departments", json={"name": "Ops", "approval_levels": levels})
        assert r.status_code == 201, r.text
    department = r.json()["id"]
    _, pat_token = tenant.employee("Pat", location_id=office, department_id=department)
    day = first_weekday(date.today() + timedelta(days=30))
    body = {"leave_type_id": vacation, "start_date": day.isoformat(), "end_date": day.isoformat()}
    with httpx.Client(base_url=tenant.urls["requests"], timeout=10) as http:
        http.headers["authorization"] = f"Bearer {pat_token}"
        made = http.post("/v1/leave-requests", json=body)
    assert made.status_code == 202, made.text
    request_id = made.json()["id"]
    window = {"from": day.isoformat(), "to": day.isoformat(), "include_pending": "true"}

    def seen_by(token: str) -> bool:
        r = calendar(tenant, token, "GET", "/v1/whos-off", params=window)
        assert r.status_code == 200, r.text
        return request_id in {i["request_id"] for i in r.json()["items"]}

    eventually(lambda: seen_by(lee_token), timeout=30, what="level 1's approver sees it")
    assert seen_by(max_token), "level 2's head sees it too"
    assert not seen_by(sue_token), "an approver of no level does not"
    feed = {"scope": "department", "scope_id": department}
    assert calendar(tenant, max_token, "POST", "/v1/feeds", json=feed).status_code == 201
    assert calendar(tenant, sue_token, "POST", "/v1/feeds", json=feed).status_code == 403
