"""The dashboard's core flow in the machine's headless Chromium, through the UI only.

An admin signs up, sets up a location, a department, a leave type and its policy, and
imports employees from CSV; an employee requests leave and sees the amount preview; the
approver approves from the Approvals page; the employee's page updates live (no reload);
the team calendar shows the leave. Screenshots of each page: test-artifacts/web/.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import holidays
import pytest
from playwright.sync_api import Browser, Page, expect

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import dev_sign_in
from leaveflow_web.wording import date_range

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


def quiet_week(today: date) -> tuple[str, str, str]:
    """Monday and Friday of a coming week inside one month with no German public holiday
    (so it is 5 working days at a DE location), and its month; soon, but not this week."""
    monday = today + timedelta(days=7 - today.weekday() + 7)
    while True:
        friday = monday + timedelta(days=4)
        week = [monday + timedelta(days=i) for i in range(5)]
        if friday.month == monday.month and not any(
            day in holidays.country_holidays("DE") for day in week
        ):
            return monday.isoformat(), friday.isoformat(), monday.strftime("%Y-%m")
        monday += timedelta(days=7)


MONDAY, FRIDAY, MONTH = quiet_week(datetime.now(UTC).date())
WAIT_MS = 20_000  # events cross three processes on a busy 2-core machine
expect.set_options(timeout=WAIT_MS)


UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')]
  .filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label'))
  .map((e) => e.outerHTML)"""


def shot(page: Page, name: str) -> None:
    """Save the page for the record, and check every input on it has a label."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert page.evaluate(UNLABELLED) == [], f"inputs without a label on {page.url}"


def person(browser: Browser, web: str) -> Page:
    """A separate cookie jar per person; phone-sized, as many will use it."""
    context = browser.new_context(base_url=web, viewport={"width": 412, "height": 915})
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def notice(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def test_admin_sets_up_employee_requests_approver_approves_live_and_calendar(
    stack: Stack, browser: Browser
) -> None:
    web = stack.urls["web"]
    run = uuid4().hex[:8]
    admin_email = f"ada-{run}@acme.test"
    approver_email, employee_email = f"paula-{run}@acme.test", f"evan-{run}@acme.test"

    # --- the admin signs up and sets the company up -------------------------------------
    admin = person(browser, web)
    admin.goto("/signup")
    admin.keyboard.press("Tab")  # keyboard users can jump past the navigation
    expect(admin.get_by_role("link", name="Skip to content")).to_be_focused()
    shot(admin, "01-signup")
    admin.get_by_label("Company name").fill(f"Acme {run}")
    admin.get_by_label("Your name").fill("Ada Admin")
    admin.get_by_label("Your work email").fill(admin_email)
    admin.get_by_role("button", name="Create company").click()
    expect(admin.get_by_text("People sign in with their work email")).to_be_visible()
    shot(admin, "02-admin-overview")

    admin.get_by_role("link", name="Locations").first.click()
    admin.get_by_label("Name", exact=True).fill("Berlin")
    admin.get_by_label("Public holidays of country (optional)").select_option("DE")
    admin.get_by_role("button", name="Add location").click()
    notice(admin, "Location Berlin added.")
    admin.get_by_role("button", name="Preview this year").click()
    expect(admin.locator(".holidays li").first).to_be_visible()
    shot(admin, "03-locations")

    admin.get_by_role("link", name="Departments").first.click()
    admin.get_by_label("Name", exact=True).fill("Engineering")
    admin.get_by_role("button", name="Add department").click()
    notice(admin, "Department Engineering added.")

    admin.get_by_role("link", name="Leave types").first.click()
    admin.get_by_label("Name", exact=True).fill("Vacation")
    admin.get_by_role("button", name="Add leave type").click()
    notice(admin, "Leave type Vacation added.")
    shot(admin, "04-leave-types")

    admin.get_by_role("link", name="Policies").first.click()
    admin.get_by_label("Location").select_option(label="Berlin")
    admin.get_by_label("Leave type").select_option(label="Vacation")
    admin.get_by_label("Allowance per year").fill("25")
    admin.get_by_role("button", name="Save policy").click()
    shot(admin, "05-policies")
    notice(admin, "Policy saved.")

    # A bad file changes nobody and names its line; the corrected file goes in.
    admin.get_by_role("link", name="Employees").first.click()
    header = "name,email,location,department,role,start_date"
    paula = f"Paula Approver,{approver_email},Berlin,Engineering,approver,2020-01-01"
    evan = f"Evan Employee,{employee_email},Berlin,Engineering,user,2020-01-01"
    lost = evan.replace(",Berlin,", ",Atlantis,")
    admin.get_by_label("…or paste it").fill(f"{header}\n{paula}\n{lost}\n")
    admin.get_by_role("button", name="Import").click()
    expect(admin.locator("#import-report")).to_contain_text("Line 3")
    admin.get_by_label("…or paste it").fill(f"{header}\n{paula}\n{evan}\n")
    admin.get_by_role("button", name="Import").click()
    expect(admin.locator("#import-report")).to_contain_text("2 created")
    shot(admin, "06-employees-imported")

    admin.get_by_role("link", name="Departments").first.click()
    admin.get_by_role("group", name="Approvers of Engineering").get_by_label(
        "Paula Approver"
    ).check()
    admin.get_by_role("button", name="Save Engineering").click()
    notice(admin, "Department Engineering saved.")

    # --- the employee requests leave and sees the preview -------------------------------
    employee = person(browser, web)
    dev_sign_in(employee, employee_email)
    employee.evaluate("window.__notReloaded = true")
    employee.get_by_label("Leave type", exact=True).select_option(label="Vacation")
    # The form comes back with the inputs Vacation asks for (half days) before dates go in.
    expect(employee.get_by_label("First day is")).to_be_visible()
    # The API's error comes back next to the field it is about.
    employee.get_by_label("First day", exact=True).fill(FRIDAY)
    employee.get_by_label("Last day", exact=True).fill(MONDAY)
    employee.get_by_role("button", name="Request leave").click()
    expect(employee.locator("#e-end_date")).to_contain_text("before")
    expect(employee.get_by_label("Last day", exact=True)).to_have_attribute("aria-invalid", "true")
    employee.get_by_label("First day", exact=True).fill(MONDAY)
    employee.get_by_label("Last day", exact=True).fill(FRIDAY)
    expect(employee.get_by_test_id("preview-amount")).to_have_text("5")
    shot(employee, "07-home-preview")
    employee.get_by_role("button", name="Request leave").click()
    notice(employee, "Requested: 5")
    row = employee.locator("#my-requests li", has_text=date_range(MONDAY, FRIDAY))
    expect(row.locator(".standing")).to_have_text("Waiting for approval")  # reserved: live
    shot(employee, "08-home-pending")

    # --- the approver approves from the Approvals page ----------------------------------
    approver = person(browser, web)
    dev_sign_in(approver, approver_email)
    approver.get_by_role("link", name="Approvals").click()
    card = approver.locator("article.approval", has_text="Evan Employee")
    expect(card).to_contain_text("Left after approval: 20 days")
    shot(approver, "09-approvals")
    card.get_by_role("button", name="Approve").click()
    expect(card).to_have_count(0)  # decided: no longer waiting

    # --- the employee's page follows without a reload -----------------------------------
    expect(row.locator(".standing")).to_have_text("Approved")
    assert employee.evaluate("window.__notReloaded") is True
    shot(employee, "10-home-approved-live")

    # --- the team calendar shows it -----------------------------------------------------
    employee.goto(f"/team?month={MONTH}")
    evan_row = employee.locator("table.team tbody tr", has_text="Evan Employee")
    expect(evan_row.locator(".half.whole.approved")).to_have_count(5)
    shot(employee, "11-team-calendar")
