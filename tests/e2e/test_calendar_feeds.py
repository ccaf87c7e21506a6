"""Calendar on the real stack: who's off and iCal feeds follow approvals and cancellations.

Through the public APIs only: requests (directory, leave), calendar (whos-off, feeds, .ics).
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import httpx
import ics
import pytest
from icalendar import Calendar

from leaveflow_devstack import PROCESSES
from leaveflow_devstack.stack import Stack
from leaveflow_devstack.testing import Tenant, eventually, sign_up

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

# A week a few weeks ahead: inside every feed's window, and the leave has not started.
MONDAY = date.today() + timedelta(days=28)
while MONDAY.isoweekday() != 1:
    MONDAY += timedelta(days=1)


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def ical_events(body: bytes) -> dict[str, str]:
    """UID -> SUMMARY, read by icalendar; the `ics` parser must read the same."""
    by_icalendar = {
        str(e["UID"]): str(e["SUMMARY"]) for e in Calendar.from_ical(body).walk("VEVENT")
    }
    by_ics = {e.uid: e.name for e in ics.Calendar(body.decode()).events}
    assert by_icalendar == by_ics
    return by_icalendar


class Office:
    """A tenant with a Munich office, one department and two people in it."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.http = httpx.Client(timeout=10.0)
        self.location = tenant.location(
            "Munich",
            timezone="Europe/Berlin",
            workweek=[1, 2, 3, 4, 5],
            holidays={"country": "DE", "subdivision": "BY"},
        )
        self.department = self.post(
            "requests", "/v1/departments", {"name": "Engineering", "approver_ids": []}
        )["id"]
        self.vacation = tenant.leave_type("Vacation", location_ids=[self.location])
        placed = {"location_id": self.location, "department_id": self.department}
        self.ana, self.ana_token = tenant.employee("Ana Lima", **placed)
        self.bo, self.bo_token = tenant.employee("Bo Berg", **placed)

    def url(self, service: str, path: str) -> str:
        return f"{self.tenant.urls[service]}{path}"

    def post(
        self, service: str, path: str, body: dict[str, Any], token: str | None = None
    ) -> dict[str, Any]:
        response = self.http.post(
            self.url(service, path), json=body, headers=auth(token or self.tenant.token)
        )
        assert response.status_code in (200, 201, 202), f"{path}: {response.text}"
        return dict(response.json())

    def feed(self, token: str, scope: str, scope_id: str | None = None) -> dict[str, Any]:
        """A new feed, at once: a scope the calendar has not heard of yet (its event may
        still be on the way) is checked with the requests service."""
        body = {"scope": scope, **({"scope_id": scope_id} if scope_id else {})}
        return self.post("calendar", "/v1/feeds", body, token)

    def request_leave(self, token: str, start: date, end: date) -> str:
        created = self.post(
            "requests",
            "/v1/leave-requests",
            {
                "leave_type_id": self.vacation,
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
            },
            token,
        )
        request_id = str(created["id"])
        eventually(
            lambda: self.status(request_id) == "pending", what=f"request {request_id} pending"
        )
        return request_id

    def status(self, request_id: str) -> str:
        response = self.http.get(
            self.url("requests", f"/v1/leave-requests/{request_id}"),
            headers=auth(self.tenant.token),
        )
        return str(response.json()["status"])

    def whos_off(self, token: str, **params: str) -> list[dict[str, Any]]:
        params = {
            "from": MONDAY.isoformat(),
            "to": (MONDAY + timedelta(days=6)).isoformat(),
            **params,
        }
        response = self.http.get(
            self.url("calendar", "/v1/whos-off"), params=params, headers=auth(token)
        )
        assert response.status_code == 200, response.text
        return list(response.json()["items"])


def test_approval_reaches_the_feed_within_a_second_and_cancellation_removes_it(
    tenant: Tenant,
) -> None:
    office = Office(tenant)
    # A department's feed is for admins and its approvers; Bo, a user, may not have one.
    refused = office.http.post(
        office.url("calendar", "/v1/feeds"),
        json={"scope": "department", "scope_id": office.department},
        headers=auth(office.bo_token),
    )
    assert refused.status_code == 403
    feed = office.feed(tenant.token, "department", office.department)
    assert feed["url"].startswith(tenant.urls["calendar"])
    http = office.http
    before = http.get(feed["url"])
    assert before.status_code == 200
    assert before.headers["content-type"].startswith("text/calendar")
    assert "Assumption Day (public holiday, Munich)" in ical_events(before.content).values()

    def feed_where(needle: bytes, present: bool) -> httpx.Response | None:
        r = http.get(feed["url"])
        if r.status_code != 200:
            return None
        return r if (needle in r.content) == present else None

    request_id = office.request_leave(office.ana_token, MONDAY, MONDAY + timedelta(days=2))
    uid = f"leave-{request_id}@leaveflow"
    office.post("requests", f"/v1/leave-requests/{request_id}/approve", {})
    approved_at = time.monotonic()
    # Polled with a plain byte search (the UID line is short, never folded); both parsers
    # read the document afterwards, so their cost is not counted as the feed's delay.
    with_leave = eventually(
        lambda: feed_where(f"UID:{uid}\r\n".encode(), present=True),
        timeout=5.0,
        interval=0.02,
        what="the approved leave in the feed",
    )
    assert time.monotonic() - approved_at < 1.0
    assert ical_events(with_leave.content)[uid] == "Ana Lima — Vacation"
    etag = with_leave.headers["etag"]
    assert http.get(feed["url"], headers={"if-none-match": etag}).status_code == 304

    office.post("requests", f"/v1/leave-requests/{request_id}/cancel", {})
    without = eventually(
        lambda: feed_where(uid.encode(), present=False),
        timeout=5.0,
        interval=0.02,
        what="the cancelled leave gone from the feed",
    )
    assert uid not in ical_events(without.content)
    assert without.headers["etag"] != etag
    assert http.get(feed["url"], headers={"if-none-match": etag}).status_code == 200


def test_whos_off_shows_approved_leave_to_all_and_pending_to_whom_it_concerns(
    tenant: Tenant,
) -> None:
    office = Office(tenant)
    pending = office.request_leave(office.ana_token, MONDAY, MONDAY)
    approved = office.request_leave(
        office.ana_token, MONDAY + timedelta(days=1), MONDAY + timedelta(days=1)
    )
    office.post("requests", f"/v1/leave-requests/{approved}/approve", {})

    def ids(token: str, **params: str) -> set[str]:
        return {i["request_id"] for i in office.whos_off(token, **params)}

    eventually(lambda: ids(office.bo_token) == {approved}, what="approved leave visible")
    (item,) = office.whos_off(office.bo_token)
    assert (item["employee_name"], item["leave_type_name"], item["status"]) == (
        "Ana Lima",
        "Vacation",
        "approved",
    )
    assert ids(office.bo_token, include_pending="true") == {approved}
    assert ids(office.ana_token, include_pending="true") == {pending, approved}
    assert ids(tenant.token, include_pending="true") == {pending, approved}
    assert ids(tenant.token, department_id="elsewhere") == set()


def test_revoked_feeds_are_404_at_once_and_tokens_stay_out_of_the_logs(
    stack: Stack, tenant: Tenant
) -> None:
    office = Office(tenant)
    feed = office.feed(office.ana_token, "employee", office.ana)
    http = office.http
    assert http.get(feed["url"]).status_code == 200
    revoked = http.delete(
        office.url("calendar", f"/v1/feeds/{feed['id']}"), headers=auth(office.ana_token)
    )
    assert revoked.status_code == 204
    assert http.get(feed["url"]).status_code == 404
    assert http.get(office.url("calendar", "/ical/unknown-token.ics")).status_code == 404
    for name in PROCESSES:
        log = stack.log_path(name)
        if log.exists():
            assert feed["token"] not in log.read_text(errors="replace"), name


def test_a_feed_of_one_tenant_never_shows_another_tenants_leave(
    stack: Stack, tenant: Tenant
) -> None:

    ours = Office(tenant)
    theirs = Office(sign_up(stack.urls))
    request_id = ours.request_leave(ours.ana_token, MONDAY, MONDAY)
    ours.post("requests", f"/v1/leave-requests/{request_id}/approve", {})
    our_feed = ours.feed(ours.ana_token, "tenant")
    their_feed = theirs.feed(theirs.ana_token, "tenant")
    uid = f"leave-{request_id}@leaveflow"
    eventually(lambda: uid in ical_events(ours.http.get(our_feed["url"]).content), what="ours")
    assert uid not in ical_events(theirs.http.get(their_feed["url"]).content)
    # Their admin can neither revoke nor use our department as a scope.
    denied = theirs.http.delete(
        theirs.url("calendar", f"/v1/feeds/{our_feed['id']}"), headers=auth(theirs.tenant.token)
    )
    assert denied.status_code == 404
    foreign = theirs.http.post(
        theirs.url("calendar", "/v1/feeds"),
        json={"scope": "department", "scope_id": ours.department},
        headers=auth(theirs.tenant.token),
    )
    assert foreign.status_code == 422
    assert ours.http.get(our_feed["url"]).status_code == 200
