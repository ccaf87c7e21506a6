"""Pure rules of the admin pages: what the pickers offer, how records read, and the bodies
the edit forms send."""

# fixed-clock: pure functions of the dates given (no clock)

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import holidays
from starlette.datastructures import FormData

from leaveflow_web.entrypoints import admin_choices, admin_views
from leaveflow_web.entrypoints.admin_forms import (
    department_body,
    employee_changes,
    leave_type_body,
    location_body,
    policy_values,
)

DAY = date(2026, 3, 2)


def test_every_time_zone_offered_exists_and_utc_comes_first() -> None:
    zones = admin_choices.timezones()
    assert zones[0] == ("UTC", "UTC")
    assert ("America/New_York", "America/New York") in zones
    assert all(ZoneInfo(name) for name, _ in zones)
    assert not any(name.startswith(("Etc/", "US/")) for name, _ in zones)


def test_countries_and_regions_are_the_ones_holidays_knows() -> None:
    countries = dict(admin_choices.countries())
    assert countries["DE"] == "Germany"
    assert countries["IL"] == "Israel"
    assert set(countries) <= set(holidays.list_supported_countries())
    assert ("BY", "Bayern (BY)") in admin_choices.subdivisions("de")
    assert admin_choices.subdivisions("IL") == ()
    assert admin_choices.subdivisions("XX") == ()
    assert admin_choices.country_name("us") == "United States"


def test_the_role_is_called_the_same_everywhere() -> None:
    assert admin_choices.ROLE_WORDS == (
        ("user", "Employee"), ("approver", "Approver"), ("admin", "Admin")
    )  # fmt: skip
    assert admin_choices.role_name("user") == "Employee"


def test_only_employed_approvers_and_admins_may_approve() -> None:
    people = [
        {"id": "z", "name": "zoe", "role": "admin"},
        {"id": "a", "name": "Al", "role": "approver"},
        {"id": "u", "name": "Uma", "role": "user"},
        {"id": "l", "name": "Leo", "role": "approver", "end_date": "2026-03-01"},
        {"id": "s", "name": "Sue", "role": "approver", "end_date": "2026-03-02"},
    ]
    assert [p["id"] for p in admin_views.approver_choices(people, DAY)] == ["a", "s", "z"]


def test_people_are_searched_by_every_word_and_paged() -> None:
    people = [{"name": f"Person {n:03d}", "email": f"p{n}@acme.test"} for n in range(60)]
    page = admin_views.search_people(people, "", 3)
    assert (page.page, page.pages, page.total, len(page.items)) == (3, 3, 60, 10)
    assert page.items[0]["name"] == "Person 050"
    assert admin_views.search_people(people, "", 99).page == 3
    assert admin_views.search_people(people, "", 0).page == 1
    found = admin_views.search_people(people, "  PERSON 05 ", 1)
    assert [p["name"] for p in found.items] == ["Person 005"] + [f"Person 05{n}" for n in range(10)]
    assert admin_views.search_people(people, "person p7@", 1).total == 1
    assert admin_views.search_people([], "x", 1).pages == 1


def test_offboarding_affects_live_leave_with_a_day_after_the_last() -> None:
    requests = [
        {"id": "after", "status": "approved", "start_date": "2026-03-10", "end_date": "2026-03-11"},
        {"id": "across", "status": "pending", "start_date": "2026-03-02", "end_date": "2026-03-04"},
        {
            "id": "before",
            "status": "approved",
            "start_date": "2026-02-27",
            "end_date": "2026-03-02",
        },
        {"id": "gone", "status": "cancelled", "start_date": "2026-03-10", "end_date": "2026-03-10"},
        {"id": "no", "status": "denied", "start_date": "2026-03-12", "end_date": "2026-03-12"},
    ]
    assert [r["id"] for r in admin_views.leave_after(requests, DAY)] == ["across", "after"]


def test_a_delivery_error_is_a_sentence_never_the_raw_reason() -> None:
    assert admin_views.delivery_error("HTTP 404 Not Found") == (
        "The destination does not exist any more: check the webhook URL."
    )
    assert admin_views.delivery_error("network: ConnectError") == (
        "The destination could not be reached."
    )
    assert admin_views.delivery_error("timed out") == "The other side did not answer in time."
    assert admin_views.delivery_error("something new") == "It could not be sent."
    assert admin_views.delivery_error(None) == ""


def test_a_delivery_to_someone_no_longer_listed_still_reads() -> None:
    rows = admin_views.delivery_rows(
        [{"id": "d", "channel": "teams", "recipient": "gone", "event_type": "Odd",
          "status": "retrying", "created_at": "2026-03-02T07:05:00+00:00"}],
        {},
    )  # fmt: skip
    assert rows[0] | {"id": "d"} == {
        "id": "d", "when": "2 Mar 2026, 07:05", "channel": "Microsoft Teams",
        "who": "someone no longer listed", "what": "Notification",
        "state": "Failed, will try again", "failed": True, "error": "", "attempts": 0,
    }  # fmt: skip


def test_days_read_as_words() -> None:
    assert admin_views.day_words("2026-12-21") == "Mon 21 Dec 2026"
    assert admin_views.day_words("soon") == "soon"
    assert admin_views.day_words(None) == ""


def test_the_balance_after_an_adjustment() -> None:
    balances = {"balances": [{"leave_type_id": "v", "available": 22.5}]}
    assert admin_views.balance_after(balances, "v", Decimal("-100")) == Decimal("-77.5")
    assert admin_views.balance_after(balances, "sick", Decimal("-1")) is None
    assert admin_views.balance_after(None, "v", Decimal("-1")) is None


def test_an_edited_location_without_a_country_clears_its_holidays() -> None:
    form = FormData([("workweek", "7"), ("workweek", "4")])
    fields = {"name": "TLV", "timezone": "Asia/Jerusalem", "country": "", "subdivision": ""}
    assert location_body(form, fields, clear_holidays=True)["holidays"] is None
    assert "holidays" not in location_body(form, fields)
    regional = {**fields, "country": "de", "subdivision": "Augsburg"}
    assert location_body(form, regional)["holidays"] == {"country": "DE", "subdivision": "Augsburg"}


def test_approvers_are_sent_once_each() -> None:
    form = FormData([("approver_ids", "b"), ("approver_ids", "a"), ("approver_ids", "b")])
    assert department_body(form, {"name": "Ops"}) == {"name": "Ops", "approver_ids": ["b", "a"]}


def test_a_leave_type_sends_private_either_way() -> None:
    fields = {"name": "Sick", "unit": "", "color": ""}
    assert leave_type_body(FormData([("private", "on")]), fields)["private"] is True
    assert leave_type_body(FormData([]), fields)["private"] is False


def test_an_emptied_field_clears_it_on_an_employee() -> None:
    fields = {"name": "Eve", "email": "e@a.test", "role": "user", "location_id": "",
              "department_id": "d1", "start_date": "", "end_date": "2026-03-31"}  # fmt: skip
    assert employee_changes(fields) == {
        "name": "Eve", "email": "e@a.test", "role": "user", "location_id": None,
        "department_id": "d1", "start_date": None, "end_date": "2026-03-31",
    }  # fmt: skip


def test_a_saved_policy_fills_the_form_as_people_write_numbers() -> None:
    values = policy_values(
        {"annual_allowance": 25.0, "accrual": "monthly", "carryover_max": "2.50",
         "carryover_expiry_months": None, "unlimited": True}
    )  # fmt: skip
    assert values == {
        "annual_allowance": "25", "accrual": "monthly", "carryover_max": "2.5",
        "carryover_expiry_months": "", "negative_allowance": "", "unlimited": "on",
    }  # fmt: skip
