"""Every 422 / 409 / 403 / 404 rule of the requests service, through its HTTP API.

One tenant (a Bavarian office, two departments with their approvers, a leaver, a day type,
a type without half days and an hour type) serves the whole table; each row is one call
and the status and field it must answer with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import holidays
import httpx
import pytest

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, coming_monday, coming_mondays, eventually, sign_up

pytestmark = pytest.mark.e2e

# Every date is computed from today. The Munich office's days off, as the service counts them
# (Germany observes `public` + `catholic`): the weeks below hold none of them, so each
# request prices as plain working days and only the rule under test can refuse it.
MUNICH = holidays.country_holidays("DE", subdiv="BY", categories=("public", "catholic"))
(
    PENDING,  # ana Mon-Fri, bea Mon-Tue: pending
    APPROVED,  # ben Mon-Tue: approved
    DENIED,  # ben Mon: denied
    CANCELLED,  # ana Mon: cancelled
    FREE,  # nobody's: the default of `submission`
    AFTER_LEAVING,  # the week after the leaver's last day
    HALF,  # ben's half days
    OWN,  # the admin's own request
) = coming_mondays(8, weeks_ahead=2, free_of=MUNICH)


def day(monday: date, offset: int = 0) -> str:
    return (monday + timedelta(days=offset)).isoformat()


def first_weekday_in(calendar: holidays.HolidayBase, start: date) -> date:
    """The first Monday-to-Friday day of `calendar` from `start` on."""
    found = start
    while found.weekday() > 4 or found not in calendar:
        found += timedelta(days=1)
    return found


HOLIDAY = first_weekday_in(MUNICH, coming_monday(2))  # a day off on a working day


@dataclass
class World:
    tenant: Tenant
    ids: dict[str, str]
    tokens: dict[str, str]
    other: Tenant

    def call(self, who: str, method: str, path: str, body: Any = None) -> httpx.Response:
        path = path.format(**self.ids)
        if isinstance(body, dict):
            body = {k: v.format(**self.ids) if isinstance(v, str) else v for k, v in body.items()}
        token = self.other.token if who == "stranger" else self.tokens[who]
        return httpx.request(
            method,
            f"{self.tenant.urls['requests']}{path}",
            json=body,
            headers={"authorization": f"Bearer {token}"},
            timeout=10,
        )

    def submit(self, who: str, start: str, end: str, **body: Any) -> str:
        r = self.call(
            who,
            "POST",
            "/v1/leave-requests",
            {"leave_type_id": self.ids["vacation"], "start_date": start, "end_date": end, **body},
        )
        assert r.status_code == 202, r.text
        request_id = str(r.json()["id"])
        eventually(
            lambda: (
                self.call("admin", "GET", f"/v1/leave-requests/{request_id}").json()["status"]
                == "pending"
            ),
            what=f"request {request_id} pending",
        )
        return request_id


@pytest.fixture(scope="module")
def world(stack: Stack) -> World:
    tenant = sign_up(stack.urls, timezone="Europe/Berlin")
    munich = tenant.location(
        "Munich", timezone="Europe/Berlin", holidays={"country": "DE", "subdivision": "BY"}
    )
    ids = {"munich": munich}
    ids["vacation"] = tenant.leave_type("Vacation", allowance=30, location_ids=[munich])
    ids["nohalf"] = tenant.leave_type(
        "Training", allowance=10, location_ids=[munich], allow_half_days=False
    )
    ids["doctor"] = tenant.leave_type(
        "Doctor", allowance=40, location_ids=[munich], unit="hours", allow_half_days=False
    )
    tokens = {"admin": tenant.token}
    ids["bea"], tokens["bea"] = tenant.employee("Bea", role="approver", location_id=munich)
    ids["otto"], tokens["otto"] = tenant.employee("Otto", role="approver", location_id=munich)
    with tenant.client("requests") as api:
        for name, approver in (("sales", "bea"), ("ops", "otto")):
            r = api.post("/v1/departments", json={"name": name, "approver_ids": [ids[approver]]})
            assert r.status_code == 201, r.text
            ids[name] = r.json()["id"]
        r = api.patch(f"/v1/employees/{ids['bea']}", json={"department_id": ids["sales"]})
        assert r.status_code == 200, r.text
        # The admin works in Munich too, so Vacation is offered for their own requests.
        r = api.patch(f"/v1/employees/{tenant.admin_id}", json={"location_id": munich})
        assert r.status_code == 200, r.text
    for name in ("ana", "ben"):
        ids[name], tokens[name] = tenant.employee(
            name.title(), location_id=munich, department_id=ids["sales"]
        )
    ids["leaver"], tokens["leaver"] = tenant.employee(
        "Leo", location_id=munich, department_id=ids["sales"], end_date=day(AFTER_LEAVING, -3)
    )
    w = World(tenant, ids, tokens, sign_up(stack.urls))
    # Live requests the rules below act on (all in coming weeks).
    ids["ana_pending"] = w.submit("ana", day(PENDING), day(PENDING, 4))
    ids["bea_pending"] = w.submit("bea", day(PENDING), day(PENDING, 1))
    ids["ben_approved"] = w.submit("ben", day(APPROVED), day(APPROVED, 1))
    assert w.call("bea", "POST", "/v1/leave-requests/{ben_approved}/approve", {}).is_success
    ids["ben_denied"] = w.submit("ben", day(DENIED), day(DENIED))
    assert w.call("bea", "POST", "/v1/leave-requests/{ben_denied}/deny", {"note": "no"}).is_success
    ids["ana_cancelled"] = w.submit("ana", day(CANCELLED), day(CANCELLED))
    assert w.call("ana", "POST", "/v1/leave-requests/{ana_cancelled}/cancel", {}).is_success
    # A request that has already started (only an admin may cancel it now).
    monday = date.today() - timedelta(days=date.today().weekday())
    ids["ana_started"] = w.submit(
        "ana", monday.isoformat(), (monday + timedelta(days=4)).isoformat()
    )
    return w


def submission(**body: Any) -> dict[str, Any]:
    return {
        "leave_type_id": "{vacation}",
        "start_date": day(FREE),
        "end_date": day(FREE, 1),
    } | body


LEAVE = "/v1/leave-requests"
RULES: list[tuple[str, str, str, str, dict[str, Any] | None, int, str | None]] = [
    # id, who, method, path, body, status, field named in `errors`
    (
        "unknown type",
        "ana",
        "POST",
        LEAVE,
        submission(leave_type_id="x" * 32),
        422,
        "leave_type_id",
    ),
    ("end before start", "ana", "POST", LEAVE, submission(end_date=day(FREE, -6)), 422, "end_date"),
    (
        "only a weekend",
        "ana",
        "POST",
        LEAVE,
        submission(start_date=day(FREE, -2), end_date=day(FREE, -1)),
        422,
        "start_date",
    ),
    (
        "only a holiday",
        "ana",
        "POST",
        LEAVE,
        submission(start_date=HOLIDAY.isoformat(), end_date=HOLIDAY.isoformat()),
        422,
        "start_date",
    ),
    (
        "over 366 days",
        "ana",
        "POST",
        LEAVE,
        submission(start_date=day(FREE), end_date=day(FREE, 367)),
        422,
        "end_date",
    ),
    (
        "after leaving",
        "leaver",
        "POST",
        LEAVE,
        submission(start_date=day(AFTER_LEAVING), end_date=day(AFTER_LEAVING, 1)),
        422,
        "start_date",
    ),
    (
        "before joining",
        "ana",
        "POST",
        LEAVE,
        submission(start_date="2019-12-30", end_date="2019-12-31"),
        422,
        "start_date",
    ),
    (
        "half day not allowed",
        "ana",
        "POST",
        LEAVE,
        submission(leave_type_id="{nohalf}", start_part="pm"),
        422,
        "start_part",
    ),
    ("bad part", "ana", "POST", LEAVE, submission(start_part="evening"), 422, "start_part"),
    ("hours on a day type", "ana", "POST", LEAVE, submission(hours=2), 422, "hours"),
    (
        "no hours on an hour type",
        "ana",
        "POST",
        LEAVE,
        submission(leave_type_id="{doctor}", end_date=day(FREE)),
        422,
        "hours",
    ),
    (
        "hours beyond the day",
        "ana",
        "POST",
        LEAVE,
        submission(leave_type_id="{doctor}", end_date=day(FREE), hours=9),
        422,
        "hours",
    ),
    (
        "hours on two days",
        "ana",
        "POST",
        LEAVE,
        submission(leave_type_id="{doctor}", hours=2),
        422,
        "end_date",
    ),
    (
        "unknown employee",
        "admin",
        "POST",
        LEAVE,
        submission(employee_id="y" * 32),
        422,
        "employee_id",
    ),
    ("deny without a note", "bea", "POST", LEAVE + "/{ana_pending}/deny", {}, 422, "note"),
    ("bad Last-Event-ID", "ana", "GET", "/v1/stream?after=nope", None, 422, "Last-Event-ID"),
    (
        "bad time zone",
        "admin",
        "POST",
        "/v1/locations",
        {"name": "X", "timezone": "Mars/Base"},
        422,
        "timezone",
    ),
    (
        "bad work week",
        "admin",
        "POST",
        "/v1/locations",
        {"name": "X", "workweek": [8]},
        422,
        "workweek",
    ),
    (
        "bad year start",
        "admin",
        "POST",
        "/v1/locations",
        {"name": "X", "leave_year_start": "02-30"},
        422,
        "leave_year_start",
    ),
    (
        "unknown region",
        "admin",
        "POST",
        "/v1/locations",
        {"name": "X", "holidays": {"country": "DE", "subdivision": "XX"}},
        422,
        "holidays",
    ),
    (
        "approver without the role",
        "admin",
        "POST",
        "/v1/departments",
        {"name": "X", "approver_ids": ["{ana}"]},
        422,
        "approver_ids",
    ),
    (
        "overlap",
        "ana",
        "POST",
        LEAVE,
        submission(start_date=day(PENDING, 3), end_date=day(PENDING, 4)),
        409,
        None,
    ),
    ("approve twice", "bea", "POST", LEAVE + "/{ben_approved}/approve", {}, 409, None),
    ("approve denied", "bea", "POST", LEAVE + "/{ben_denied}/approve", {}, 409, None),
    ("deny approved", "bea", "POST", LEAVE + "/{ben_approved}/deny", {"note": "x"}, 409, None),
    ("cancel cancelled", "ana", "POST", LEAVE + "/{ana_cancelled}/cancel", {}, 409, None),
    ("same email", "admin", "POST", "/v1/employees", {"name": "Ana 2", "email": "DUP"}, 409, None),
    ("user creates a location", "ana", "POST", "/v1/locations", {"name": "X"}, 403, None),
    ("user creates a department", "ana", "POST", "/v1/departments", {"name": "X"}, 403, None),
    ("user creates a type", "ana", "POST", "/v1/leave-types", {"name": "X"}, 403, None),
    (
        "user creates an employee",
        "ana",
        "POST",
        "/v1/employees",
        {"name": "X", "email": "x@x.test"},
        403,
        None,
    ),
    ("user imports", "ana", "POST", "/v1/employees/import", None, 403, None),
    ("user requests for another", "ana", "POST", LEAVE, submission(employee_id="{ben}"), 403, None),
    ("user approves", "ben", "POST", LEAVE + "/{ana_pending}/approve", {}, 403, None),
    (
        "approver of another department",
        "otto",
        "POST",
        LEAVE + "/{ana_pending}/approve",
        {},
        403,
        None,
    ),
    ("approver approves their own", "bea", "POST", LEAVE + "/{bea_pending}/approve", {}, 403, None),
    ("cancel another's", "ben", "POST", LEAVE + "/{ana_pending}/cancel", {}, 403, None),
    ("cancel once started", "ana", "POST", LEAVE + "/{ana_started}/cancel", {}, 403, None),
    ("user reads another's", "ben", "GET", LEAVE + "/{ana_pending}", None, 404, None),
    ("unknown request", "admin", "GET", LEAVE + "/" + "z" * 32, None, 404, None),
    ("another tenant's request", "stranger", "GET", LEAVE + "/{ana_pending}", None, 404, None),
    ("another tenant's employee", "stranger", "GET", "/v1/employees/{ana}", None, 404, None),
    ("another tenant's location", "stranger", "GET", "/v1/locations/{munich}", None, 404, None),
    ("another tenant's department", "stranger", "GET", "/v1/departments/{sales}", None, 404, None),
    ("another tenant's type", "stranger", "GET", "/v1/leave-types/{vacation}", None, 404, None),
    (
        "approve another tenant's",
        "stranger",
        "POST",
        LEAVE + "/{ana_pending}/approve",
        {},
        404,
        None,
    ),
]


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "status", "field"),
    [pytest.param(*row[1:], id=row[0]) for row in RULES],
)
def test_each_rule_answers_with_its_status(
    world: World,
    who: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    field: str | None,
) -> None:
    if body is not None and body.get("email") == "DUP":
        body = {**body, "email": world.call("admin", "GET", "/v1/employees/{ana}").json()["email"]}
    r = world.call(who, method, path, body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == status
    if field is not None:
        fields = {e["field"] for e in problem["errors"]}
        assert any(f == field or f.startswith(f"{field}.") for f in fields), problem


def test_an_overlap_names_the_other_request(world: World) -> None:
    wednesday = day(PENDING, 2)
    r = world.call("ana", "POST", LEAVE, submission(start_date=wednesday, end_date=wednesday))
    assert r.status_code == 409
    assert world.ids["ana_pending"] in r.json()["detail"]


def test_half_days_of_one_day_share_it_but_not_with_a_full_day(world: World) -> None:
    am = submission(start_date=day(HALF), end_date=day(HALF), start_part="am")
    pm = submission(start_date=day(HALF), end_date=day(HALF), start_part="pm")
    assert world.call("ben", "POST", LEAVE, am).status_code == 202
    assert world.call("ben", "POST", LEAVE, pm).status_code == 202
    full = submission(start_date=day(HALF), end_date=day(HALF, 1))
    assert world.call("ben", "POST", LEAVE, full).status_code == 409


def test_an_admin_may_cancel_a_started_leave_and_approve_their_own(world: World) -> None:
    r = world.call("admin", "POST", LEAVE + "/{ana_started}/cancel", {"note": "sick instead"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    own = world.call("admin", "POST", LEAVE, submission(start_date=day(OWN), end_date=day(OWN)))
    assert own.status_code == 202, own.text
    request_id = own.json()["id"]
    eventually(
        lambda: world.call("admin", "GET", f"{LEAVE}/{request_id}").json()["status"] == "pending"
    )
    r = world.call("admin", "POST", f"{LEAVE}/{request_id}/approve", {})
    assert r.status_code == 200, r.text
