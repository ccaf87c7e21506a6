"""The requests API's rules, in-process (milliseconds per call): what each call creates or
changes, who may do it, and what every response carries (test_api_refusals.py has the
table of refusals).

The e2e suite keeps the cross-service paths; these exercise one app on the memory store,
with the balances service's events delivered straight to its handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
import pytest

from .conftest import Api, Company, day, sign_up

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_signup_gives_an_admin_token_the_jwks_verifies(api: Api) -> None:
    body = {"name": "Acme", "admin_name": "Ada", "admin_email": " Ada@Solo.TEST "}
    response = await api.call(None, "POST", "/v1/tenants", body)
    assert response.status_code == 201
    created = response.json()
    assert sorted(created) == ["admin_id", "tenant_id", "token"]
    keys = (await api.ok(None, "GET", "/.well-known/jwks.json"))["keys"]
    key = jwt.PyJWK(keys[0])
    claims = jwt.decode(created["token"], key, algorithms=["RS256"], options={"verify_aud": False})
    assert (claims["tid"], claims["sub"], claims["role"]) == (
        created["tenant_id"],
        created["admin_id"],
        "admin",
    )
    login = {"tenant_id": created["tenant_id"], "email": "ADA@solo.test"}
    me = await api.ok(None, "POST", "/v1/auth/dev-login", login)
    assert (me["employee_id"], me["role"]) == (created["admin_id"], "admin")
    stranger = {"tenant_id": created["tenant_id"], "email": "who@solo.test"}
    assert (await api.call(None, "POST", "/v1/auth/dev-login", stranger)).status_code == 404


async def test_closed_signup_and_disabled_dev_login_do_not_exist(
    make_api: Callable[..., Any],
) -> None:
    api: Api = await make_api(signup_open=False, dev_login=False)
    body = {"name": "Acme", "admin_name": "Ada", "admin_email": "ada@acme.test"}
    assert (await api.call(None, "POST", "/v1/tenants", body)).status_code == 404
    login = {"tenant_id": "t", "email": "ada@acme.test"}
    assert (await api.call(None, "POST", "/v1/auth/dev-login", login)).status_code == 404


async def test_a_request_lives_submitted_pending_approved_cancelled(company: Company) -> None:
    ids = company.ids
    response = await company.submit("ana", start_date=day(0), end_date=day(4), end_part="am")
    assert response.status_code == 202
    submitted = response.json()
    # Next Wednesday is the office's holiday; Friday is a morning.
    assert (submitted["status"], submitted["amount"]) == ("submitted", 3.5)
    assert submitted["working_days"] == [day(0), day(1), day(3), day(4)]
    assert submitted["department_id"] == ids["sales"]
    url = f"/v1/leave-requests/{submitted['id']}"
    not_yet = await company.call("bob", "POST", f"{url}/approve")
    assert (not_yet.status_code, not_yet.json()["type"].split("/")[-1]) == (
        409,
        "invalid-transition",
    )
    await company.reserve(submitted)
    assert (await company.ok("ana", "GET", url))["status"] == "pending"
    assert (await company.call("ana", "POST", f"{url}/approve")).status_code == 403
    approved = await company.ok("bob", "POST", f"{url}/approve", {"note": "enjoy"})
    assert approved["status"] == "approved"
    assert [(h["from"], h["to"], h["by"]) for h in approved["history"]] == [
        (None, "submitted", ids["ana"]),
        ("submitted", "pending", "system"),
        ("pending", "approved", ids["bob"]),
    ]
    assert (await company.call("ben", "POST", f"{url}/cancel")).status_code == 403
    cancelled = await company.ok("ana", "POST", f"{url}/cancel", {"note": "plans changed"})
    assert cancelled["status"] == "cancelled"
    assert cancelled["history"][-1]["note"] == "plans changed"
    # The days are free again.
    assert (await company.submit("ana", start_date=day(0), end_date=day(0))).status_code == 202


async def test_who_decides_a_pending_request(company: Company) -> None:
    ids = company.ids
    own = (await company.submit("bob", employee_id=ids["bob"])).json()
    theirs = (await company.submit("ana")).json()
    for request in (own, theirs):
        await company.reserve(request)
    own_url, their_url = (f"/v1/leave-requests/{r['id']}" for r in (own, theirs))
    assert (await company.call("bob", "POST", f"{own_url}/approve")).status_code == 403
    assert (
        await company.call("ben", "POST", f"{their_url}/deny", {"note": "no"})
    ).status_code == 403
    denied = await company.ok("bob", "POST", f"{their_url}/deny", {"note": "busy week"})
    assert (denied["status"], denied["history"][-1]["note"]) == ("denied", "busy week")
    # An admin decides anyone's, their own approver's included.
    assert (await company.ok("ada", "POST", f"{own_url}/approve"))["status"] == "approved"


async def test_a_rejected_reservation_says_why(company: Company) -> None:
    request = (await company.submit("ana")).json()
    await company.reserve(request, ok=False)
    found = await company.ok("ana", "GET", f"/v1/leave-requests/{request['id']}")
    assert (found["status"], found["rejection_reason"]) == ("rejected", "insufficient_balance")


async def test_users_see_only_their_own_requests(company: Company) -> None:
    mine = (await company.submit("ana")).json()
    theirs = (await company.submit("ben")).json()
    listed = await company.ok("ana", "GET", "/v1/leave-requests")
    assert [r["id"] for r in listed["items"]] == [mine["id"]]
    assert listed["next_cursor"] is None
    # A filter outside the caller's scope finds nothing (issue 13: one visibility rule).
    filtered = await company.ok(
        "ana", "GET", f"/v1/leave-requests?employee_id={company.ids['ben']}"
    )
    assert filtered == {"items": [], "next_cursor": None}
    assert (
        await company.call("ana", "GET", f"/v1/leave-requests/{theirs['id']}")
    ).status_code == 404
    everyone = await company.ok("bob", "GET", "/v1/leave-requests")
    assert sorted(r["id"] for r in everyone["items"]) == sorted([mine["id"], theirs["id"]])


async def test_listing_by_window_pages_through_matches(company: Company) -> None:
    for week in range(4):
        start, end = day(7 * week), day(7 * week + 1)
        assert (await company.submit("ana", start_date=start, end_date=end)).status_code == 202
    window = f"from={day(7)}&to={day(15)}"  # the second and third weeks
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        query = f"/v1/leave-requests?{window}&limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = await company.ok("ada", "GET", query)
        seen.extend(r["start_date"] for r in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [day(7), day(14)]


async def test_hours_are_taken_on_one_working_day(company: Company) -> None:
    response = await company.submit(
        "ana", leave_type_id=company.ids["doctor"], start_date=day(0), end_date=day(0), hours="2.5"
    )
    assert response.status_code == 202, response.text
    assert (response.json()["amount"], response.json()["unit"]) == (2.5, "hours")


async def test_working_days_preview_counts_as_a_submission_would(company: Company) -> None:
    query = f"/v1/working-days?start_date={day(0)}&end_date={day(4)}&start_part=pm"
    preview = await company.ok("ana", "GET", query)
    assert preview == {
        "amount": 3.5,
        "days": [day(0), day(1), day(3), day(4)],
        "sandwiched_days": [],
    }
    submitted = (await company.submit("ana", end_date=day(4), start_part="pm")).json()
    assert (submitted["amount"], submitted["working_days"]) == (preview["amount"], preview["days"])


async def test_a_location_changes_only_what_is_given_and_is_deactivated_not_deleted(
    company: Company,
) -> None:
    office = company.ids["office"]
    url = f"/v1/locations/{office}"
    changed = await company.ok(
        "ada", "PATCH", url, {"timezone": "Europe/Paris", "workweek": [1, 2, 3, 4]}
    )
    assert (changed["name"], changed["timezone"], changed["workweek"]) == (
        "Office",
        "Europe/Paris",
        [1, 2, 3, 4],
    )
    assert changed["extra_holidays"] == [{"date": day(2), "name": "Fête"}]
    assert (changed["holidays"], changed["leave_year_start"]) == (None, "01-01")
    year = int(day(2)[:4])
    holidays = await company.ok("ana", "GET", f"{url}/holidays?year={year}")
    assert holidays == {
        "location_id": office,
        "year": year,
        "items": [{"date": day(2), "name": "Fête"}],
    }
    assert (await company.call("ada", "DELETE", url)).status_code == 204
    assert (await company.ok("ada", "GET", url))["active"] is False
    assert (await company.call("ada", "DELETE", url)).status_code == 404


async def test_a_new_office_holiday_reprices_the_requests_on_it(company: Company) -> None:
    request = (await company.submit("ana", start_date=day(0), end_date=day(1))).json()
    assert request["amount"] == 2.0
    extra = [{"date": day(2), "name": "Fête"}, {"date": day(1), "name": "Bridge"}]
    await company.ok(
        "ada", "PATCH", f"/v1/locations/{company.ids['office']}", {"extra_holidays": extra}
    )
    found = await company.ok("ana", "GET", f"/v1/leave-requests/{request['id']}")
    assert (found["amount"], found["working_days"]) == (1.0, [day(0)])


async def test_departments_are_renamed_and_removed_from_lists(company: Company) -> None:
    sales = company.ids["sales"]
    renamed = await company.ok("ada", "PATCH", f"/v1/departments/{sales}", {"name": "Sales EU"})
    assert renamed == {
        "id": sales,
        "name": "Sales EU",
        "approver_ids": [company.ids["bob"]],
        "active": True,
        "approval_levels": [
            {"approver_ids": [company.ids["bob"]], "min_amount": None, "leave_type_ids": None}
        ],
        "max_off": None,
        "max_off_mode": "block",
    }
    assert (await company.call("ada", "DELETE", f"/v1/departments/{sales}")).status_code == 204
    assert (await company.ok("ana", "GET", "/v1/departments")) == {"items": [], "next_cursor": None}
    assert (await company.call("ada", "GET", f"/v1/departments/{sales}")).status_code == 404


async def test_employees_page_with_a_cursor(company: Company) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        query = "/v1/employees?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await company.ok("ana", "GET", query)
        assert len(page["items"]) <= 2
        seen.extend(e["id"] for e in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(company.ids[w] for w in ("ada", "bob", "ana", "ben"))


async def test_an_employee_reads_as_the_api_always_wrote_them(company: Company) -> None:
    body: dict[str, object] = {"name": "Cy", "email": "cy@acme.test", "work_hours_per_day": "7.5"}
    body["work_pattern"] = {"1": "7.5", "2": 4}
    created = await company.ok("ada", "POST", "/v1/employees", body)
    assert created == {
        "id": created["id"],
        "tenant_id": company.tenant_id,
        "name": "Cy",
        "email": "cy@acme.test",
        "role": "user",
        "location_id": None,
        "department_id": None,
        "start_date": None,
        "end_date": None,
        "slack_user_id": None,
        "teams_user_id": None,
        "work_hours_per_day": 7.5,
        "work_pattern": {"1": 7.5, "2": 4.0},
        "when_on_leave": False,
        "labels": [],
    }


async def test_the_csv_import_is_all_or_nothing(company: Company) -> None:
    header = "name,email,location,department,role,start_date\n"
    csv = {"content-type": "text/csv"}
    bad = header + "Cy,cy@acme.test,Office,Sales,user,\nDi,not-an-email,Nowhere,,boss,\n"
    response = await company.call("ada", "POST", "/v1/employees/import", content=bad, headers=csv)
    report = response.json()
    assert (response.status_code, report["created"], report["updated"]) == (200, 0, 0)
    assert [e["line"] for e in report["errors"]] == [3]
    good = header + "Cy,cy@acme.test,office,sales,user,\nAna,ana@acme.test,Office,,user,\n"
    response = await company.call("ada", "POST", "/v1/employees/import", content=good, headers=csv)
    assert response.json() == {"created": 1, "updated": 1, "errors": []}
    binary = await company.call(
        "ada", "POST", "/v1/employees/import", content=b"\xff\xfe\x00", headers=csv
    )
    assert binary.status_code == 422
    refused = await company.call("ana", "POST", "/v1/employees/import", content=good, headers=csv)
    assert refused.status_code == 403


async def test_a_leave_type_is_deleted_unused_and_deactivated_once_used(company: Company) -> None:
    ids = company.ids
    vacation = await company.ok("ana", "GET", f"/v1/leave-types/{ids['vacation']}")
    assert (vacation["location_ids"], vacation["annual_allowance"]) == ([ids["office"]], None)
    changed = await company.ok(
        "ada", "PATCH", f"/v1/leave-types/{ids['whole']}", {"annual_allowance": "12.5"}
    )
    assert (changed["annual_allowance"], changed["allow_half_days"]) == (12.5, False)
    assert (await company.submit("ana")).status_code == 202
    assert (
        await company.call("ada", "DELETE", f"/v1/leave-types/{ids['vacation']}")
    ).status_code == 204
    assert (await company.ok("ada", "GET", f"/v1/leave-types/{ids['vacation']}"))["active"] is False
    assert (
        await company.call("ada", "DELETE", f"/v1/leave-types/{ids['whole']}")
    ).status_code == 204
    assert (await company.call("ada", "GET", f"/v1/leave-types/{ids['whole']}")).status_code == 404
    # A deactivated type takes no new requests.
    refused = await company.submit("ben", start_date=day(7), end_date=day(7))
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (422, "leave_type_id")


async def test_another_tenants_records_do_not_exist(api: Api) -> None:
    acme = await sign_up(api, "Acme")
    request = (await acme.submit("ana")).json()
    other = await sign_up(api, "Other")
    for path in (
        f"/v1/locations/{acme.ids['office']}",
        f"/v1/departments/{acme.ids['sales']}",
        f"/v1/employees/{acme.ids['ana']}",
        f"/v1/leave-types/{acme.ids['vacation']}",
        f"/v1/leave-requests/{request['id']}",
    ):
        assert (await other.call("ada", "GET", path)).status_code == 404, path
    approve = await other.call("ada", "POST", f"/v1/leave-requests/{request['id']}/approve")
    assert approve.status_code == 404
    listed = await other.ok("ada", "GET", "/v1/leave-requests")
    assert listed["items"] == []
    # and the company's own records are all there
    assert (await acme.ok("ada", "GET", f"/v1/leave-requests/{request['id']}"))["id"] == request[
        "id"
    ]
