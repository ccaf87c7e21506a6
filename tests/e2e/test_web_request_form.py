"""The request form, Home and the ledger in Chromium, as a new employee uses them.

At desktop (1366x850) and phone (390x844) size, each Why bullet of issue 15 about them is
tried again and shown fixed: the preview follows first day, then last day, then a half day
(no ``htmx:targetError``); a half day and hours preview in their own unit; the Hours field
only for hour types and the parts only for half-day types; a type without a policy at the
person's location is not offered; a past day is refused up front; an error shows once, at
its field; balances have a leave year with a switch (January leave visible in its year) and
say plainly when they are overdrawn; "1 day", not "1 days"; the ledger reads as sentences;
a denial's note reaches the employee; the admin's own Home without a location says why.
Screenshots: test-artifacts/web/request-form-*.png.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, eventually, no_sideways_scroll, open_signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
WAIT_MS = 20_000  # events cross three processes on a busy 2-core machine
expect.set_options(timeout=WAIT_MS)

SIZES = {
    "desktop": ViewportSize(width=1366, height=850),
    "phone": ViewportSize(width=390, height=844),
}
TODAY = datetime.now(UTC).date()


def working_week(after: date) -> tuple[date, date]:
    """Monday and Friday of a week after ``after``, both in one year (no split)."""
    monday = after + timedelta(days=(7 - after.weekday()) % 7 or 7)
    while (monday + timedelta(days=4)).year != monday.year:
        monday += timedelta(days=7)
    return monday, monday + timedelta(days=4)


MONDAY, FRIDAY = working_week(TODAY + timedelta(days=7))
OTHER_MONDAY = working_week(FRIDAY)[0]  # another week, for the hour-based type
JANUARY = working_week(date(TODAY.year + 1, 1, 1))[0]  # in the next leave year


def shot(page: Page, name: str, size: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"request-form-{name}-{size}.png"), full_page=True)


def open_as(browser: Browser, web: str, size: str, email: str) -> Page:
    return open_signed_in(browser, web, SIZES[size], email, WAIT_MS)


def preview_says(page: Page, *texts: str) -> None:
    for text in texts:
        expect(page.locator("#preview")).to_contain_text(text)


def pick_type(page: Page, label: str) -> None:
    page.evaluate("document.getElementById('request-form').dataset.before = 'yes'")
    page.get_by_label("Leave type", exact=True).select_option(label=label)
    # The form comes back with the inputs of that type, the type still picked.
    expect(page.locator("#request-form:not([data-before])")).to_have_count(1)
    expect(page.get_by_label("Leave type", exact=True)).to_have_value(
        page.locator("#f-leave_type_id option", has_text=label).get_attribute("value") or ""
    )


def status_of(tenant: Tenant, employee_id: str, start: date) -> str:
    with tenant.client("requests") as http:
        items = http.get("/v1/leave-requests", params={"employee_id": employee_id}).json()
    found = [r for r in items["items"] if r["start_date"] == start.isoformat()]
    return str(found[0]["status"]) if found else ""


@pytest.mark.parametrize("size", list(SIZES))
def test_a_new_employee_requests_leave_and_reads_their_balance(
    stack: Stack, tenant: Tenant, browser: Browser, size: str
) -> None:
    web = stack.urls["web"]
    berlin = tenant.location("Berlin")
    tel_aviv = tenant.location("Tel Aviv", workweek=[7, 1, 2, 3, 4])
    vacation = tenant.leave_type("Vacation", allowance=25, location_ids=[berlin])
    tenant.leave_type("Doctor visit", unit="hours", allowance=16, location_ids=[berlin])
    tenant.leave_type("Reserve duty", allowance=10, location_ids=[tel_aviv])
    email = f"evan-{size}-{tenant.tenant_id[-6:]}@e2e.test"
    evan_id, _ = tenant.employee("Evan Employee", email, location_id=berlin)

    page = open_as(browser, web, size, email)
    page.evaluate(
        "window.__targetErrors = 0;"
        "document.body.addEventListener('htmx:targetError', () => window.__targetErrors++)"
    )

    # Only the types with a policy at Berlin; no Hours until a type in hours is picked.
    offered = page.locator("#f-leave_type_id option").all_inner_texts()
    assert "Vacation" in offered
    assert "Doctor visit (in hours)" in offered
    assert not [o for o in offered if "Reserve duty" in o]
    expect(page.get_by_label("Hours")).to_have_count(0)

    # The stale-preview sequence: first day, then last day, then a half day.
    pick_type(page, "Vacation")
    expect(page.get_by_label("Hours")).to_have_count(0)
    page.get_by_label("First day", exact=True).fill(MONDAY.isoformat())
    expect(page.get_by_test_id("preview-amount")).to_have_text("1")
    preview_says(page, "1 day", "Left after approval: 24 days")
    expect(page.locator("#preview")).not_to_contain_text("1 days")
    page.get_by_label("Last day", exact=True).fill(FRIDAY.isoformat())
    expect(page.get_by_test_id("preview-amount")).to_have_text("5")
    preview_says(page, "5 days", "Left after approval: 20 days")
    page.get_by_label("Last day is").select_option(label="morning only")
    expect(page.get_by_test_id("preview-amount")).to_have_text("4.5")
    preview_says(page, "4.5 days", "Left after approval: 20.5 days")
    assert page.evaluate("window.__targetErrors") == 0
    shot(page, "preview", size)

    # Hours only for the hour type, and its preview in hours; no half days there.
    pick_type(page, "Doctor visit (in hours)")
    expect(page.get_by_label("Hours")).to_be_visible()
    expect(page.get_by_label("First day is")).to_have_count(0)
    expect(page.get_by_label("Last day", exact=True)).to_have_count(0)
    page.get_by_label("Day", exact=True).fill(OTHER_MONDAY.isoformat())
    page.get_by_label("Hours").fill("2")
    page.get_by_label("Hours").dispatch_event("change")
    expect(page.get_by_test_id("preview-amount")).to_have_text("2")
    preview_says(page, "2 hours", "Left after approval: 14 hours")
    expect(page.locator("#preview")).not_to_contain_text("working day")
    shot(page, "hours", size)

    # The past is refused up front, and a submitted error shows once, at its field.
    pick_type(page, "Vacation")
    yesterday = TODAY - timedelta(days=1)
    page.get_by_label("First day", exact=True).fill(yesterday.isoformat())
    preview_says(page, "The first day is in the past")
    page.get_by_label("First day", exact=True).fill(FRIDAY.isoformat())
    page.get_by_label("Last day", exact=True).fill(MONDAY.isoformat())
    page.get_by_role("button", name="Request leave").click()
    expect(page.locator("#e-end_date")).to_have_text("The last day is before the first day.")
    expect(page.get_by_text("The last day is before the first day.")).to_have_count(1)
    expect(page.get_by_label("Last day", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#request-form")).not_to_contain_text("end_date")
    shot(page, "error-once", size)

    # A valid request goes in and Home says where it stands.
    page.get_by_label("First day", exact=True).fill(MONDAY.isoformat())
    page.get_by_label("Last day", exact=True).fill(FRIDAY.isoformat())
    page.get_by_label("Last day is").select_option(label="morning only")
    page.get_by_role("button", name="Request leave").click()
    expect(page.get_by_role("status").filter(has_text="Requested: 4.5 days")).to_be_visible()
    mine = page.locator("#my-requests li", has_text=MONDAY.strftime("%b"))
    expect(mine.first.locator(".standing")).to_have_text("Waiting for approval")

    # January leave, in the next leave year: previewed against that year's balance.
    pick_type(page, "Vacation")
    page.get_by_label("First day", exact=True).fill(JANUARY.isoformat())
    preview_says(page, "1 day", "Left after approval: 24 days")
    page.get_by_role("button", name="Request leave").click()
    expect(page.get_by_role("status").filter(has_text="Requested: 1 day")).to_be_visible()
    eventually(lambda: status_of(tenant, evan_id, JANUARY) == "pending", timeout=20)

    # Leave over a new year is counted against each year's own balance.
    pick_type(page, "Vacation")
    new_year = date(TODAY.year + 2, 1, 1)
    page.get_by_label("First day", exact=True).fill((new_year - timedelta(days=4)).isoformat())
    page.get_by_label("Last day", exact=True).fill((new_year + timedelta(days=4)).isoformat())
    preview_says(
        page,
        f"Left after approval in {new_year.year - 1}:",
        f"Left after approval in {new_year.year}:",
    )
    shot(page, "over-new-year", size)

    # Balances by leave year: this year, then the next one with the January request.
    expect(page.locator("#leave-year")).to_have_text(f"Leave year {TODAY.year}")
    vacation_balance = page.locator(f"li.balance[data-leave-type='{vacation}']")
    expect(vacation_balance.locator(".available")).to_contain_text("20.5 days available")
    shot(page, "home", size)
    page.get_by_role("link", name=f"{TODAY.year + 1} →").click()
    expect(page.locator("#leave-year")).to_have_text(f"Leave year {TODAY.year + 1}")
    next_year = page.locator(f"li.balance[data-leave-type='{vacation}']")
    next_year.get_by_text("How this is made up").click()
    expect(next_year.locator("dl.breakdown")).to_contain_text("Pending approval")
    expect(next_year.locator("dl.breakdown dd").nth(5)).to_have_text("1 day")
    expect(next_year.locator(".available")).to_contain_text("24 days available")
    no_sideways_scroll(page)
    shot(page, "next-year", size)

    # The ledger of that year reads as sentences, never as kinds or ids.
    next_year.get_by_role("link", name="Every entry of Vacation").click()
    expect(page.locator("ul.ledger")).to_contain_text("Reserved for")
    expect(page.locator("main")).not_to_contain_text("reservation")
    no_sideways_scroll(page)
    shot(page, "ledger", size)

    # A denial's note reaches the employee's page, live.
    page.goto("/")
    page.evaluate("window.__notReloaded = true")
    with tenant.client("requests") as http:
        items = http.get("/v1/leave-requests", params={"employee_id": evan_id}).json()["items"]
        january = next(r for r in items if r["start_date"] == JANUARY.isoformat())
        denied = http.post(
            f"/v1/leave-requests/{january['id']}/deny", json={"note": "Team offsite that week"}
        )
    assert denied.status_code == 200, denied.text
    expect(page.locator("#my-requests")).to_contain_text("Denied: “Team offsite that week”")
    assert page.evaluate("window.__notReloaded") is True

    # An adjustment far below zero: the balance says so plainly.
    adjusted = httpx.post(
        f"{tenant.urls['balances']}/v1/adjustments",
        headers=tenant.headers,
        json={
            "employee_id": evan_id,
            "leave_type_id": vacation,
            "amount": -30,
            "reason": "Moved from the old system",
            "effective_date": TODAY.isoformat(),
        },
        timeout=10,
    )
    assert adjusted.status_code == 201, adjusted.text
    page.reload()
    overdrawn = page.locator(f"li.balance[data-leave-type='{vacation}']")
    expect(overdrawn.locator(".available")).to_contain_text("-9.5 days available")
    expect(overdrawn.locator(".short")).to_contain_text("used 9.5 days more than you have")
    no_sideways_scroll(page)
    shot(page, "overdrawn", size)
    overdrawn.get_by_role("link", name="Every entry of Vacation").click()
    ledger = page.locator("ul.ledger")
    expect(ledger).to_contain_text("Granted for the leave year")
    expect(ledger).to_contain_text("Adjustment: Moved from the old system")
    expect(ledger.locator("li", has_text="Adjustment")).to_contain_text("-30 days")
    expect(page.locator("main")).not_to_contain_text(tenant.admin_id)
    shot(page, "ledger-adjusted", size)

    # The admin's own Home, with no location: why there is nothing to request.
    admin = open_as(browser, web, size, tenant.admin_email)
    expect(admin.locator("#no-location")).to_contain_text("You have no work location yet")
    expect(admin.locator("main")).not_to_contain_text("No leave types yet")
    no_sideways_scroll(admin)
    shot(admin, "admin-home", size)


def friday_before_a_monday(after: date) -> date:
    """A Friday after ``after`` whose Monday after is in the same leave year."""
    day = after + timedelta(days=(4 - after.weekday()) % 7 or 7)
    while (day + timedelta(days=3)).year != day.year:
        day += timedelta(days=7)
    return day


@pytest.mark.parametrize("size", list(SIZES))
def test_the_preview_names_the_weekend_a_sandwich_rule_charges(
    stack: Stack, tenant: Tenant, browser: Browser, size: str
) -> None:
    linz = tenant.location("Linz")
    tenant.leave_type(
        "Vacation", allowance=25, location_ids=[linz], policy={"sandwich": "weekends"}
    )
    email = f"sam-{size}-{tenant.tenant_id[-6:]}@e2e.test"
    _sam, token = tenant.employee("Sam Sandwich", email, location_id=linz)
    friday = friday_before_a_monday(TODAY + timedelta(days=14))
    monday = friday + timedelta(days=3)

    def weekend_counted() -> bool:
        with tenant.client("requests") as http:
            http.headers["authorization"] = f"Bearer {token}"
            vacation = next(
                t["id"]
                for t in http.get("/v1/leave-types").json()["items"]
                if t["name"] == "Vacation"
            )
            counted = http.get(
                "/v1/working-days",
                params={"start_date": friday.isoformat(), "end_date": monday.isoformat(),
                        "leave_type_id": vacation},
            ).json()  # fmt: skip
        return bool(counted.get("sandwiched_days"))

    # The rule travels from balances to requests by an event; the page is opened after.
    eventually(weekend_counted, timeout=20, what="the sandwich rule reached requests")
    page = open_as(browser, stack.urls["web"], size, email)
    pick_type(page, "Vacation")
    page.get_by_label("First day", exact=True).fill(friday.isoformat())
    page.get_by_label("Last day", exact=True).fill(monday.isoformat())
    expect(page.get_by_test_id("preview-amount")).to_have_text("4")
    saturday, sunday = friday + timedelta(days=1), friday + timedelta(days=2)
    named = f"{saturday:%a} {saturday.day} {saturday:%b}, {sunday:%a} {sunday.day} {sunday:%b}"
    expect(page.get_by_test_id("preview-sandwiched")).to_have_text(
        f"Includes 2 non-working days your company counts as leave: {named}."
    )
    preview_says(page, "4 days", "Left after approval: 21 days")
    no_sideways_scroll(page)
    shot(page, "sandwich", size)
