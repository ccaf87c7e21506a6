"""The admin pages in process, against ``AdminServices``: every record can be edited and
removed, a taken name is refused at its field with what was typed kept, approvers are
picked among approvers only, offboarding shows the leave it affects before saving,
deliveries read as sentences, and an adjustment below zero asks first."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from leaveflow_web.bootstrap import create_app
from leaveflow_web.entrypoints.admin_views import day_words

from .admin_fakes import AdminServices
from .conftest import WEB, csrf_of, settings, sign_in


@pytest.fixture
def services() -> AdminServices:
    return AdminServices()


@pytest.fixture
async def admin(services: AdminServices) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(), transport=httpx.MockTransport(services))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        signed = await sign_in(client, "ada@acme.test")
        assert signed.status_code in (200, 303), signed.text
        yield client


async def post(
    client: httpx.AsyncClient, page: str, url: str, **data: str | list[str]
) -> httpx.Response:
    token = csrf_of(await client.get(page))
    return await client.post(url, data={"csrf_token": token, **data})


def text_of(page: httpx.Response) -> str:
    """The page's words without tags, for sentences split by markup."""
    return " ".join(re.sub(r"<[^>]+>", " ", page.text).split())


async def test_every_admin_page_renders(admin: httpx.AsyncClient, services: AdminServices) -> None:
    loc = services.add(
        "locations",
        name="Berlin",
        timezone="Europe/Berlin",
        workweek=[1, 2, 3, 4, 5],
        holidays={"country": "DE", "subdivision": "BY"},
    )
    services.add("departments", name="Sales", approver_ids=["paula"])
    services.add(
        "leave-types",
        name="Vacation",
        unit="days",
        requires_approval=True,
        allow_half_days=True,
        color="#112233",
    )
    for section in (
        "locations",
        "departments",
        "leave-types",
        "policies",
        "employees",
        "integrations",
        "feeds",
        "adjustments",
        "deliveries",
    ):
        page = await admin.get(f"/admin/{section}")
        assert page.status_code == 200, (section, page.text[:3000])
    page = await admin.get("/admin/locations")
    assert "public holidays of Germany (BY)" in page.text
    assert loc in page.text


def last_write(services: AdminServices) -> tuple[str, str, object]:
    return services.writes[-1]


async def test_a_taken_name_is_refused_at_its_field_and_the_form_keeps_what_was_typed(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    services.add("locations", name="Berlin", timezone="UTC", workweek=[1, 2, 3, 4, 5])
    page = await post(
        admin, "/admin/locations", "/admin/locations",
        name=" berlin", timezone="Asia/Jerusalem", workweek=["7", "1", "2", "3", "4"],
        country="IL", subdivision="",
    )  # fmt: skip
    assert page.status_code == 422
    assert "There is already a location called “berlin”." in page.text
    assert page.text.count("There is already a location") == 1  # once, at the field
    add_form = page.text[page.text.index("Add a location") :]
    assert re.search(r'id="new-name" name="name" type="text" value="berlin"', add_form)
    assert '<option value="Asia/Jerusalem" selected>' in add_form
    assert '<option value="IL" selected>' in add_form
    ticked = re.findall(r'id="new-wd(\d)" name="workweek" value="\d" checked', add_form)
    assert ticked == ["1", "2", "3", "4", "7"]
    assert "duplicate" not in text_of(page).lower()


async def test_a_location_is_edited_and_deactivated(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    loc = services.add(
        "locations", name="Tel Aviv", timezone="UTC", workweek=[1, 2, 3, 4, 5],
        holidays={"country": "IL"},
    )  # fmt: skip
    page = await post(
        admin, "/admin/locations", f"/admin/locations/{loc}",
        name="Tel Aviv", timezone="Asia/Jerusalem", workweek=["7", "1", "2", "3", "4"], country="",
    )  # fmt: skip
    assert page.status_code == 200, page.text
    assert last_write(services) == (
        "PATCH",
        f"/v1/locations/{loc}",
        {"name": "Tel Aviv", "timezone": "Asia/Jerusalem", "workweek": [1, 2, 3, 4, 7],
         "holidays": None},
    )  # fmt: skip
    assert "works Mon, Tue, Wed, Thu, Sun" in text_of(page)
    gone = await post(
        admin, "/admin/locations", f"/admin/locations/{loc}/deactivate", name="Tel Aviv"
    )
    assert last_write(services) == ("DELETE", f"/v1/locations/{loc}", None)
    assert "Location Tel Aviv deactivated" in gone.text
    assert "Tel Aviv (deactivated)" in text_of(gone)
    assert f'action="/admin/locations/{loc}"' not in gone.text  # no edit form any more


async def test_the_region_picker_follows_the_country(admin: httpx.AsyncClient) -> None:
    regions = await admin.get("/admin/locations/regions", params={"country": "DE", "prefix": "new"})
    assert '<option value="BY" >Bayern (BY)</option>' in regions.text
    assert 'id="new-subdivision"' in regions.text
    none = await admin.get("/admin/locations/regions", params={"country": "IL", "prefix": "new"})
    assert "<select" not in none.text


async def test_approvers_are_picked_among_approvers_and_admins_only(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    dep = services.add("departments", name="Sales", approver_ids=[])
    page = await admin.get("/admin/departments")
    picker = page.text[page.text.index("Approvers of Sales") :]
    assert "Paula Approver" in picker
    assert "Ada Admin" in picker
    assert "Eve Example" not in page.text  # a plain employee is never offered
    assert "multiple" not in page.text  # no Ctrl-click list box
    saved = await post(
        admin, "/admin/departments", f"/admin/departments/{dep}",
        name="Sales", approver_ids=["paula"],
    )  # fmt: skip
    assert last_write(services) == (
        "PATCH",
        f"/v1/departments/{dep}",
        {"name": "Sales", "approver_ids": ["paula"]},
    )
    assert "Approvers: Paula Approver" in text_of(saved)
    await post(admin, "/admin/departments", f"/admin/departments/{dep}/deactivate", name="Sales")
    assert last_write(services) == ("DELETE", f"/v1/departments/{dep}", None)


async def test_a_leave_type_is_made_private_and_removed(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    sick = services.add(
        "leave-types", name="Sick", unit="days", requires_approval=True, allow_half_days=True
    )
    page = await post(
        admin, "/admin/leave-types", f"/admin/leave-types/{sick}",
        name="Sick leave", color="#aa3300", private="on", allow_half_days="on",
    )  # fmt: skip
    assert page.status_code == 200
    assert last_write(services) == (
        "PATCH",
        f"/v1/leave-types/{sick}",
        {"name": "Sick leave", "requires_approval": False, "allow_half_days": True,
         "private": True, "color": "#aa3300"},
    )  # fmt: skip
    assert "private (others see “Away”)" in text_of(page)
    await post(admin, "/admin/leave-types", f"/admin/leave-types/{sick}/remove", name="Sick")
    assert last_write(services) == ("DELETE", f"/v1/leave-types/{sick}", None)


async def test_a_second_vacation_is_refused_with_the_ticks_as_they_were(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    services.add("leave-types", name="Vacation", unit="days", requires_approval=True)
    page = await post(
        admin, "/admin/leave-types", "/admin/leave-types",
        name="VACATION", unit="hours", color="#123456", private="on",
    )  # fmt: skip
    assert page.status_code == 422
    add_form = page.text[page.text.index("Add a leave type") :]
    assert "There is already a leave type called “VACATION”." in add_form
    assert re.search(r'id="new-private" name="private" checked', add_form)
    assert not re.search(r'id="new-requires_approval" name="requires_approval" checked', add_form)
    assert '<option value="hours" selected>' in add_form


async def test_a_policy_is_changed_from_its_row_and_removed(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    loc = services.add("locations", name="Berlin", timezone="UTC", workweek=[1, 2, 3, 4, 5])
    vac = services.add("leave-types", name="Vacation", unit="days")
    services.policies[f"{loc}/{vac}"] = {
        "location_id": loc, "leave_type_id": vac, "annual_allowance": 25.0,
        "accrual": "monthly", "carryover_max": 5, "unlimited": False, "prorate_first_year": False,
    }  # fmt: skip
    moving = services.add("leave-types", name="Moving", unit="days")
    services.policies[f"{loc}/{moving}"] = {
        "location_id": loc, "leave_type_id": moving, "annual_allowance": 1,
        "accrual": "upfront", "unlimited": False,
    }  # fmt: skip
    listed = await admin.get("/admin/policies")
    assert "25 days" in text_of(listed)
    assert "up to 5" in text_of(listed)
    assert "Moving 1 day all on the first day of the year" in text_of(listed)
    del services.policies[f"{loc}/{moving}"]
    form = await admin.get(f"/admin/policies/{loc}/{vac}")
    assert 'id="new-annual_allowance" name="annual_allowance" type="number" value="25"' in form.text
    assert '<option value="monthly" selected>' in form.text
    assert not re.search(r'name="prorate_first_year" checked', form.text)
    await post(admin, "/admin/policies", f"/admin/policies/{loc}/{vac}/withdraw")
    assert last_write(services) == ("DELETE", f"/v1/policies/{loc}/{vac}", None)
    assert services.policies == {}


async def test_the_employee_list_is_searched_and_paged(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    for n in range(60):
        services.add("employees", name=f"Person {n:02d}", email=f"p{n}@acme.test", role="user")
    first = await admin.get("/admin/employees")
    assert "63 people · page 1 of 3" in text_of(first)
    assert "Person 24" not in first.text or "Person 22" in first.text
    third = await admin.get("/admin/employees", params={"page": "3"})
    assert "Page 3 of 3" in text_of(third)
    assert "Previous page" in third.text
    assert "Next page" not in third.text
    found = await admin.get("/admin/employees", params={"q": "p4@ACME"})
    assert "1 person found" in text_of(found)
    assert "Person 04" in found.text
    assert "Person 05" not in found.text
    nobody = await admin.get("/admin/employees", params={"q": "zebra"})
    assert "Nobody matches “zebra”." in nobody.text


async def test_offboarding_shows_the_leave_it_affects_before_anything_is_saved(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    today = datetime.now(UTC).date()
    last_day = today + timedelta(days=10)
    services.leave = [
        {"id": "r1", "employee_id": "eve", "status": "approved",
         "start_date": (last_day + timedelta(days=5)).isoformat(),
         "end_date": (last_day + timedelta(days=7)).isoformat()},
        {"id": "r2", "employee_id": "eve", "status": "pending",
         "start_date": (today + timedelta(days=2)).isoformat(),
         "end_date": (today + timedelta(days=3)).isoformat()},
    ]  # fmt: skip
    edit = await admin.get("/admin/employees/eve")
    assert edit.status_code == 200
    fields = {
        "name": "Eve Example", "email": "eve@acme.test", "role": "user", "location_id": "",
        "department_id": "", "start_date": "", "end_date": last_day.isoformat(),
    }  # fmt: skip
    check = await post(admin, "/admin/employees/eve", "/admin/employees/eve", **fields)
    assert check.status_code == 200
    assert services.writes == []  # nothing saved yet
    words = text_of(check)
    assert f"Before saving: last day {day_words(last_day.isoformat())}" in words
    stranded = check.text[check.text.index('id="stranded"') :]
    stranded = stranded[: stranded.index("</ul>")]
    first, second = (day_words(r["start_date"]) for r in services.leave)
    assert f"{first} to {day_words(services.leave[0]['end_date'])} (approved)" in stranded
    assert second not in stranded  # before the last day: stays
    done = await post(
        admin, "/admin/employees/eve", "/admin/employees/eve",
        **fields, confirmed="on", cancel_after="on",
    )  # fmt: skip
    assert services.writes[0] == (
        "PATCH",
        "/v1/employees/eve",
        {"name": "Eve Example", "email": "eve@acme.test", "role": "user", "location_id": None,
         "department_id": None, "start_date": None, "end_date": last_day.isoformat()},
    )  # fmt: skip
    assert services.writes[1][:2] == ("POST", "/v1/leave-requests/r1/cancel")
    assert str(services.writes[1][2]).startswith("{'note': 'Left the company: last working day")
    assert [r["status"] for r in services.leave] == ["cancelled", "pending"]
    assert "1 booked leave after their last day cancelled" in done.text


async def test_a_role_change_saves_at_once(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    fields = {"name": "Eve Example", "email": "eve@acme.test", "role": "approver"}
    saved = await post(admin, "/admin/employees/eve", "/admin/employees/eve", **fields)
    assert services.writes[0][2] == {
        **fields, "location_id": None, "department_id": None, "start_date": None,
        "end_date": None,
    }  # fmt: skip
    assert "Eve Example saved." in saved.text
    assert '<option value="approver" selected>Approver</option>' in saved.text


async def test_a_pasted_csv_stays_after_an_error(admin: httpx.AsyncClient) -> None:
    pasted = (
        "name,email,location,department,role,start_date\nEvan,evan@acme.test,Atlantis,,Employee,\n"
    )
    page = await post(admin, "/admin/employees", "/admin/employees/import", csv=pasted)
    assert page.status_code == 422
    assert "Line 2: unknown location" in page.text
    assert "Evan,evan@acme.test,Atlantis" in page.text


async def test_a_webhook_only_slack_keeps_what_was_typed_but_never_a_secret(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    page = await post(
        admin, "/admin/integrations", "/admin/integrations/slack",
        webhook_url="http://127.0.0.1:9/hook", channel="#leave", bot_token="xoxb-typed-secret",
        team_id="", signing_secret="",
    )  # fmt: skip
    assert page.status_code == 422
    form = page.text[page.text.index('id="integration-slack"') :]
    form = form[: form.index("</form>")]
    assert "must be on the public internet" in form
    assert "webhook_url must be" not in form  # the sentence, not the API's own text
    assert 'value="http://127.0.0.1:9/hook"' in form
    assert 'value="#leave"' in form
    assert "xoxb-typed-secret" not in page.text
    ok = await post(
        admin, "/admin/integrations", "/admin/integrations/slack",
        webhook_url="https://hooks.slack.example/T1", channel="#leave", signing_secret="",
    )  # fmt: skip
    assert ok.status_code == 200
    assert last_write(services)[2] == {
        "webhook_url": "https://hooks.slack.example/T1",
        "channel": "#leave",
    }
    assert "Slack integration saved." in ok.text
    assert "Configured: Slack" in text_of(ok)


async def test_feeds_are_listed_by_what_they_show_and_revoked(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    loc = services.add("locations", name="Berlin", timezone="UTC", workweek=[1, 2, 3, 4, 5])
    services.feeds["f1"] = {
        "id": "f1", "scope": "location", "scope_id": loc, "owner_id": "eve",
        "created_at": "2026-11-30T09:15:00+00:00",
    }  # fmt: skip
    page = await admin.get("/admin/feeds")
    assert "Location: Berlin Eve Example 30 Nov 2026, 09:15" in text_of(page)
    revoked = await post(admin, "/admin/feeds", "/admin/feeds/f1/revoke")
    assert last_write(services) == ("DELETE", "/v1/feeds/f1", None)
    assert "No calendar feeds yet." in revoked.text


async def test_deliveries_read_as_sentences_and_a_failed_one_is_retried(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    services.deliveries = [
        {"id": "d1", "event": {"id": "e1", "type": "LeavePending"}, "channel": "email",
         "recipient": "paula", "status": "dead", "attempts": 5,
         "last_error": "SMTP 550 mailbox unavailable",
         "created_at": "2026-11-30T08:00:00+00:00"},
        {"id": "d2", "event": {"id": "e2", "type": "LeaveApproved"}, "channel": "slack",
         "recipient": "channel", "status": "sent", "attempts": 1, "last_error": None,
         "created_at": "2026-11-30T09:00:00+00:00"},
    ]  # fmt: skip
    page = await admin.get("/admin/deliveries")
    words = text_of(page)
    assert "30 Nov 2026, 09:00 Slack the shared channel Leave approved Sent" in words
    assert (
        "Email Paula Approver Leave waiting for approval Failed, gave up (5 tries) "
        "The mail server refused the message." in words
    )
    for machine in ("LeavePending", "SMTP 550", "paula<", ">dead<"):
        assert machine not in page.text
    assert page.text.count(">Retry</button>") == 1
    retried = await post(admin, "/admin/deliveries", "/admin/deliveries/d1/retry")
    assert last_write(services) == ("POST", "/v1/deliveries/d1/retry", None)
    assert "Sent again." in retried.text


async def test_an_adjustment_below_zero_asks_first(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    vac = services.add("leave-types", name="Vacation", unit="days")
    services.available[("eve", vac)] = Decimal("22.5")
    fields = {
        "employee_id": "eve", "leave_type_id": vac, "amount": "-100", "reason": "typo test",
        "effective_date": datetime.now(UTC).date().isoformat(),
    }  # fmt: skip
    asked = await post(admin, "/admin/adjustments", "/admin/adjustments", **fields)
    assert services.writes == []
    assert (
        "After this adjustment Eve Example would have -77.5 days of Vacation available"
        in text_of(asked)
    )
    assert "Record anyway" in asked.text
    done = await post(admin, "/admin/adjustments", "/admin/adjustments", **fields, confirmed="on")
    assert last_write(services) == ("POST", "/v1/adjustments", {**fields, "amount": -100})
    assert "Adjustment recorded." in done.text
    small = await post(
        admin, "/admin/adjustments", "/admin/adjustments", **{**fields, "amount": "-2"}
    )
    assert "Adjustment recorded." in small.text  # stays above zero: no question


async def test_a_test_message_says_whether_it_went_out(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    page = await admin.get("/admin/integrations")
    assert "Send a test message" not in page.text  # nothing set up yet
    await post(
        admin, "/admin/integrations", "/admin/integrations/slack",
        webhook_url="https://hooks.slack.example/T1",
    )  # fmt: skip
    sent = await post(admin, "/admin/integrations", "/admin/integrations/slack/test")
    assert last_write(services) == ("POST", "/v1/integrations/slack/test", None)
    assert "Test message sent through Slack to the channel: check that it arrived." in sent.text
    await post(
        admin, "/admin/integrations", "/admin/integrations/slack",
        webhook_url="https://unreachable.example/T1",
    )  # fmt: skip
    failed = await post(admin, "/admin/integrations", "/admin/integrations/slack/test")
    assert (
        "The Slack test message was not sent. The destination could not be reached." in failed.text
    )
    assert "ConnectError" not in failed.text
    assert "Send a test message through Microsoft Teams" not in failed.text  # not set up


async def test_a_taken_email_and_the_last_admin_are_said_at_their_field(
    admin: httpx.AsyncClient,
) -> None:
    taken = await post(
        admin, "/admin/employees", "/admin/employees",
        name="Eve Twin", email="eve@acme.test", role="user",
    )  # fmt: skip
    assert taken.status_code == 422
    add_form = taken.text[taken.text.index("Add an employee") :]
    assert "Someone in the company already has this email." in add_form
    assert 'value="Eve Twin"' in add_form
    assert "HTTP 409" not in taken.text
    fields = {"name": "Ada Admin", "email": "ada@acme.test", "role": "user"}
    last = await post(admin, "/admin/employees/ada", "/admin/employees/ada", **fields)
    assert last.status_code == 422
    assert "only admin: make someone else Admin first, then change this." in last.text
    assert "HTTP 409" not in last.text
