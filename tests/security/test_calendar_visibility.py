"""Issue 13's calendar reproductions on the real stack (processes, NATS): an approver of X
sees X's pending leave in who's-off but not Y's, cannot create a feed of Y's department,
and everyone sees approved leave without its reason or note.

One private stack for the module, one tenant: departments X (approver Xavier; Xena) and
Y (approver Yolanda; Yuri).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, coming_mondays, eventually, sign_up

pytestmark = pytest.mark.e2e

LEAVE = "/v1/leave-requests"
(WEEK,) = coming_mondays(1, weeks_ahead=3)
SECRET_REASON = "dentist: root canal"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with Stack(
        tmp_path_factory.mktemp("security-calendar"), ports=Stack.free_ports(), ready_timeout=60.0
    ) as private:
        yield private


@dataclass
class World:
    tenant: Tenant
    ids: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def call(self, who: str, service: str, method: str, path: str, **kw: Any) -> httpx.Response:
        token = self.tenant.token if who == "admin" else self.tokens[who]
        url = f"{self.tenant.urls[service]}{path}"
        return httpx.request(
            method, url, headers={"authorization": f"Bearer {token}"}, timeout=10, **kw
        )

    def whos_off(self, who: str) -> dict[str, str]:
        """Request id -> status of what `who` sees off in the test's week, pending too."""
        params = {
            "from": str(WEEK),
            "to": str(WEEK + timedelta(days=4)),
            "include_pending": "true",
        }
        r = self.call(who, "calendar", "GET", "/v1/whos-off", params=params)
        assert r.status_code == 200, r.text
        assert SECRET_REASON not in r.text
        return {i["request_id"]: i["status"] for i in r.json()["items"]}

    def submit(self, who: str, day: date) -> str:
        body = {
            "leave_type_id": self.ids["vacation"],
            "start_date": str(day),
            "end_date": str(day),
            "reason": SECRET_REASON,
        }
        r = self.call(who, "requests", "POST", LEAVE, json=body)
        assert r.status_code == 202, r.text
        return str(r.json()["id"])


@pytest.fixture(scope="module")
def world(stack: Stack) -> World:
    tenant = sign_up(stack.urls)
    w = World(tenant)
    location = tenant.location("HQ")
    w.ids["vacation"] = tenant.leave_type("Vacation", allowance=20, location_ids=[location])
    for name in ("xavier", "yolanda"):
        w.ids[name], w.tokens[name] = tenant.employee(
            name.title(), role="approver", location_id=location
        )
    with tenant.client("requests") as http:
        for key, approver in (("x", "xavier"), ("y", "yolanda")):
            body = {"name": key.upper(), "approver_ids": [w.ids[approver]]}
            r = http.post("/v1/departments", json=body)
            assert r.status_code == 201, r.text
            w.ids[key] = r.json()["id"]
    for name, department in (("xena", "x"), ("yuri", "y")):
        w.ids[name], w.tokens[name] = tenant.employee(
            name.title(), location_id=location, department_id=w.ids[department]
        )
    w.ids["r_xena"] = w.submit("xena", WEEK)
    w.ids["r_yuri"] = w.submit("yuri", WEEK + timedelta(days=1))
    # Both pending in the calendar (the admin sees all) before anyone else looks.
    eventually(
        lambda: w.whos_off("admin") == {w.ids["r_xena"]: "pending", w.ids["r_yuri"]: "pending"},
        timeout=30,
        what="both requests pending in the calendar",
    )
    return w


def test_an_approver_of_x_sees_xs_pending_leave_but_not_ys(world: World) -> None:
    ids = world.ids
    assert world.whos_off("xavier") == {ids["r_xena"]: "pending"}
    assert world.whos_off("yolanda") == {ids["r_yuri"]: "pending"}
    assert world.whos_off("xena") == {ids["r_xena"]: "pending"}  # a user: their own


def test_an_approver_of_x_cannot_create_a_feed_of_ys_department(world: World) -> None:
    ids = world.ids
    theirs = {"scope": "department", "scope_id": ids["y"]}
    refused = world.call("xavier", "calendar", "POST", "/v1/feeds", json=theirs)
    assert refused.status_code == 403, refused.text
    assert world.call("xena", "calendar", "POST", "/v1/feeds", json=theirs).status_code == 403
    listed = world.call("xavier", "calendar", "GET", "/v1/feeds")
    assert listed.json()["items"] == []
    mine = {"scope": "department", "scope_id": ids["x"]}
    assert world.call("xavier", "calendar", "POST", "/v1/feeds", json=mine).status_code == 201
    team = {"scope": "tenant"}
    assert world.call("yuri", "calendar", "POST", "/v1/feeds", json=team).status_code == 201


def test_approved_leave_is_the_whole_tenants_without_reasons(world: World) -> None:
    ids = world.ids
    r = world.call("yolanda", "requests", "POST", f"{LEAVE}/{ids['r_yuri']}/approve", json={})
    assert r.status_code == 200, r.text
    eventually(
        lambda: world.whos_off("xavier") == {ids["r_xena"]: "pending", ids["r_yuri"]: "approved"},
        timeout=30,
        what="Yuri's approved leave in Xavier's who's off",
    )
    assert world.whos_off("xena") == {ids["r_xena"]: "pending", ids["r_yuri"]: "approved"}
