"""Issue 13's reproductions for the requests service, on the real stack (processes, NATS):
each one failed as the issue describes before the fix and must keep being refused.

One private stack for the module (it pauses the balances process for the withdrawal case),
one tenant: departments X (approver Xavier; Xena) and Y (approver Yolanda; Yuri), and Z
(approver Zed; Zoe) for the demotion, so no case disturbs another.
"""

from __future__ import annotations

import json
import secrets
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, coming_mondays, eventually, sign_up

pytestmark = pytest.mark.e2e

SERVICE_SECRET = secrets.token_urlsafe(24)
LEAVE = "/v1/leave-requests"
# Weeks of their own for each case's requests: no case overlaps another's.
PENDING_WEEK, STREAM_WEEK, SUBMIT_WEEK, WITHDRAW_WEEK, LATER_WEEK = coming_mondays(5)
ROLE_CHANGE_DEADLINE = 60.0  # the bound for role and employment changes


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with Stack(
        tmp_path_factory.mktemp("security-requests"),
        ports=Stack.free_ports(),
        env={"LEAVEFLOW_SERVICE_SECRET": SERVICE_SECRET},
        ready_timeout=60.0,
    ) as private:
        yield private


@dataclass
class World:
    tenant: Tenant
    ids: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)

    @property
    def requests_url(self) -> str:
        return self.tenant.urls["requests"]

    def call(self, who: str | None, method: str, path: str, body: Any = None) -> httpx.Response:
        token = self.tenant.token if who == "admin" else self.tokens.get(who or "")
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return httpx.request(
            method, f"{self.requests_url}{path}", json=body, headers=headers, timeout=10
        )

    def submit(self, who: str, monday: date, *, wait_pending: bool = True, **body: Any) -> str:
        payload = {
            "leave_type_id": self.ids["vacation"],
            "start_date": monday.isoformat(),
            "end_date": (monday + timedelta(days=1)).isoformat(),
            **body,
        }
        r = self.call(who, "POST", LEAVE, payload)
        assert r.status_code == 202, r.text
        request_id = str(r.json()["id"])
        if wait_pending:
            eventually(
                lambda: (
                    self.call("admin", "GET", f"{LEAVE}/{request_id}").json()["status"] == "pending"
                ),
                what=f"request {request_id} pending",
            )
        return request_id

    def status(self, request_id: str) -> str:
        return str(self.call("admin", "GET", f"{LEAVE}/{request_id}").json()["status"])


@pytest.fixture(scope="module")
def world(stack: Stack) -> World:
    tenant = sign_up(stack.urls)
    w = World(tenant)
    ids, tokens = w.ids, w.tokens
    ids["hq"] = tenant.location("HQ")
    ids["vacation"] = tenant.leave_type("Vacation", allowance=30, location_ids=[ids["hq"]])
    for approver in ("xavier", "yolanda", "zed"):
        email = f"{approver}-{tenant.tenant_id[:8]}@e2e.test"
        ids[approver], tokens[approver] = tenant.employee(
            approver.title(), email, role="approver", location_id=ids["hq"]
        )
        w.emails[approver] = email
    with tenant.client("requests") as api:
        for dept, approver in (("x", "xavier"), ("y", "yolanda"), ("z", "zed")):
            r = api.post("/v1/departments", json={"name": dept, "approver_ids": [ids[approver]]})
            assert r.status_code == 201, r.text
            ids[dept] = r.json()["id"]
    for person, dept in (("xena", "x"), ("yuri", "y"), ("zoe", "z"), ("dan", "x")):
        email = f"{person}-{tenant.tenant_id[:8]}@e2e.test"
        ids[person], tokens[person] = tenant.employee(
            person.title(), email, location_id=ids["hq"], department_id=ids[dept]
        )
        w.emails[person] = email
    ids["yuri_pending"] = w.submit("yuri", PENDING_WEEK, reason="private: a medical matter")
    ids["xena_pending"] = w.submit("xena", PENDING_WEEK)
    ids["zoe_pending"] = w.submit("zoe", PENDING_WEEK)
    return w


def test_an_approver_of_x_neither_lists_nor_reads_y(world: World) -> None:
    ids = world.ids
    everything = world.call("xavier", "GET", LEAVE).json()["items"]
    assert {r["employee_id"] for r in everything} <= {ids["xavier"], ids["xena"], ids["dan"]}
    assert ids["xena_pending"] in {r["id"] for r in everything}
    by_department = world.call("xavier", "GET", f"{LEAVE}?department_id={ids['y']}").json()
    assert by_department == {"items": [], "next_cursor": None}
    by_employee = world.call("xavier", "GET", f"{LEAVE}?employee_id={ids['yuri']}").json()
    assert by_employee["items"] == []
    read = world.call("xavier", "GET", f"{LEAVE}/{ids['yuri_pending']}")
    assert read.status_code == 404, read.text
    assert "medical" not in read.text
    assert world.call("xavier", "GET", f"{LEAVE}/{ids['xena_pending']}").status_code == 200


def test_an_approver_of_x_reads_no_schedule_of_y(world: World) -> None:
    week = PENDING_WEEK.isoformat(), (PENDING_WEEK + timedelta(days=4)).isoformat()
    path = "/v1/working-days?employee_id={}&start_date={}&end_date={}"
    theirs = world.call("xavier", "GET", path.format(world.ids["yuri"], *week))
    assert theirs.status_code == 422, theirs.text
    assert [e["field"] for e in theirs.json()["errors"]] == ["employee_id"]
    mine = world.call("xavier", "GET", path.format(world.ids["xena"], *week))
    assert (mine.status_code, mine.json().get("amount")) == (200, 5)


def test_an_approver_of_x_submits_only_for_x(world: World) -> None:
    body = {
        "leave_type_id": world.ids["vacation"],
        "start_date": SUBMIT_WEEK.isoformat(),
        "end_date": SUBMIT_WEEK.isoformat(),
    }
    refused = world.call("xavier", "POST", LEAVE, {**body, "employee_id": world.ids["yuri"]})
    assert refused.status_code == 403, refused.text
    done = world.call("xavier", "POST", LEAVE, {**body, "employee_id": world.ids["xena"]})
    assert done.status_code == 202, done.text


def test_the_stream_of_an_approver_of_x_carries_no_event_of_y(world: World) -> None:
    headers = {"authorization": f"Bearer {world.tokens['xavier']}"}
    timeout = httpx.Timeout(10.0, read=30.0)
    seen: list[dict[str, Any]] = []
    with httpx.stream(
        "GET", f"{world.requests_url}/v1/stream", headers=headers, timeout=timeout
    ) as r:
        assert r.status_code == 200
        lines = r.iter_lines()
        for line in lines:
            if line.startswith(": stream open"):
                break
        # Yuri's first, then Xena's: had Yuri's been visible, it would arrive first.
        yuri = world.submit("yuri", STREAM_WEEK, wait_pending=False)
        xena = world.submit("xena", STREAM_WEEK, wait_pending=False)
        deadline = time.monotonic() + 30
        for line in lines:
            if line.startswith("data:"):
                seen.append(json.loads(line[len("data:") :]))
                if seen[-1]["data"].get("request_id") == xena:
                    break
            assert time.monotonic() < deadline, f"no event of Xena's request; saw {seen}"
    about = {e["data"].get("request_id") for e in seen}
    assert xena in about
    assert yuri not in about
    assert all(e["data"].get("employee_id") != world.ids["yuri"] for e in seen)


def test_a_demoted_approvers_token_is_refused_within_a_minute(world: World) -> None:
    ids = world.ids
    r = world.call("admin", "PATCH", f"/v1/employees/{ids['zed']}", {"role": "user"})
    assert r.status_code == 200, r.text
    department = world.call("admin", "GET", f"/v1/departments/{ids['z']}").json()
    assert ids["zed"] not in department["approver_ids"]
    # Zed's token still says "approver".
    approve = f"{LEAVE}/{ids['zoe_pending']}/approve"
    eventually(
        lambda: world.call("zed", "POST", approve, {}).status_code == 403,
        timeout=ROLE_CHANGE_DEADLINE,
        interval=1.0,
        what="the demoted approver's approval refused",
    )
    assert world.status(ids["zoe_pending"]) == "pending"
    assert world.call("zed", "GET", f"{LEAVE}/{ids['zoe_pending']}").status_code == 404


def test_a_departed_employee_gets_no_token_by_any_route(world: World) -> None:
    ids = world.ids
    # Two days back: their last day is behind them in every zone.
    gone = (date.today() - timedelta(days=2)).isoformat()
    r = world.call("admin", "PATCH", f"/v1/employees/{ids['dan']}", {"end_date": gone})
    assert r.status_code == 200, r.text
    login = {"tenant_id": world.tenant.tenant_id, "email": world.emails["dan"]}
    dev = httpx.post(f"{world.requests_url}/v1/auth/dev-login", json=login, timeout=10)
    assert dev.status_code == 403, dev.text
    service = httpx.post(
        f"{world.requests_url}/v1/auth/service-token",
        json={"tenant_id": world.tenant.tenant_id, "employee_id": ids["dan"]},
        headers={"authorization": f"Service {SERVICE_SECRET}"},
        timeout=10,
    )
    assert service.status_code in (401, 403, 404), service.text
    assert "token" not in service.json()
    eventually(
        lambda: world.call("dan", "GET", LEAVE).status_code == 401,
        timeout=ROLE_CHANGE_DEADLINE,
        interval=1.0,
        what="the departed employee's old token refused",
    )


def test_the_poison_date_is_refused_at_the_edge(world: World) -> None:
    body = {
        "leave_type_id": world.ids["vacation"],
        "start_date": "9999-12-30",
        "end_date": "9999-12-31",
    }
    r = world.call("xena", "POST", LEAVE, body)
    assert r.status_code == 422, r.text
    assert "start_date" in {e["field"] for e in r.json()["errors"]}


def test_a_very_long_time_zone_is_a_422_not_a_500(world: World) -> None:
    zone = "Europe/" + "x" * 300
    signup = {"name": "Z", "admin_name": "Zed", "admin_email": "z@z.test", "timezone": zone}
    calls = [
        httpx.post(f"{world.requests_url}/v1/tenants", json=signup, timeout=10),
        world.call("admin", "POST", "/v1/locations", {"name": "Far", "timezone": zone}),
        world.call("admin", "PATCH", f"/v1/locations/{world.ids['hq']}", {"timezone": zone}),
    ]
    for r in calls:
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["timezone"]


@pytest.mark.parametrize("name", ["name", "timezone", "workweek", "leave_year_start"])
def test_patching_a_location_with_null_is_a_422_naming_the_field(world: World, name: str) -> None:
    r = world.call("admin", "PATCH", f"/v1/locations/{world.ids['hq']}", {name: None})
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [name]


def test_a_submitted_request_is_withdrawn_even_while_balances_is_away(
    stack: Stack, world: World
) -> None:
    stack.kill("balances", signal.SIGSTOP, wait=False)  # balances answers nothing meanwhile
    try:
        request_id = world.submit("xena", WITHDRAW_WEEK, wait_pending=False)
        assert world.status(request_id) == "submitted"
        r = world.call("xena", "POST", f"{LEAVE}/{request_id}/cancel", {"note": "changed"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "cancelled"
    finally:
        stack.kill("balances", signal.SIGCONT, wait=False)
    # Xena's events are applied in order: once a later request of hers is pending, balances
    # has seen the withdrawn one, and its answer (if any) has reached requests.
    world.submit("xena", LATER_WEEK)
    assert world.status(request_id) == "cancelled"
    # The withdrawn days are free again.
    world.submit("xena", WITHDRAW_WEEK)
