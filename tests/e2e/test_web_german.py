"""The main journey in German, in Chromium at desktop (1366x850) and phone (390x844) size
(issue 15, item 7): a browser that asks for German gets German pages - sign in, a request
with its preview, the approval, the team calendar, the balances - with German dates
("14.–18. Dez."), the decimal comma ("4,5 Tage") and ``<html lang="de">``. Then every page
in both languages at both sizes, screenshots under test-artifacts/web/lang-*.png.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from playwright.sync_api import Browser, Page, StorageState, expect

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, coming_monday, sign_up
from leaveflow_web import i18n
from leaveflow_web.month_grid import month_period
from leaveflow_web.wording import date_range

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)

SIZES = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 390, "height": 844}}
LOCALES = {"de": "de-DE", "en": "en-GB"}
WIDER_THAN_VIEWPORT = "() => document.scrollingElement.scrollWidth - window.innerWidth"
# Each size books its own week, so the two runs never meet on a day.
WEEKS_AHEAD = {"desktop": 3, "phone": 5}


@dataclass(frozen=True)
class Company:
    tenant: Tenant
    employees: dict[str, tuple[str, str]]  # per size: (name, email), each their own balance


@pytest.fixture(scope="module")
def company(stack: Stack) -> Company:
    """A German company: Berlin, "Urlaub" with half days (25 days a year), a department
    the admin approves for, and one employee in it per page size."""
    tenant = sign_up(stack.urls, name=f"Muster GmbH {uuid4().hex[:6]}", timezone="Europe/Berlin")
    berlin = tenant.location("Berlin", timezone="Europe/Berlin")
    tenant.leave_type("Urlaub", allowance=25, location_ids=[berlin], allow_half_days=True)
    with tenant.client("requests") as http:
        made = http.post(
            "/v1/departments", json={"name": "Entwicklung", "approver_ids": [tenant.admin_id]}
        )
        assert made.status_code == 201, made.text
        department = made.json()["id"]
    employees = {}
    for size, name in (("desktop", "Erika Mustermann"), ("phone", "Max Mustermann")):
        email = f"{name.split()[0].lower()}-{uuid4().hex[:6]}@muster.test"
        tenant.employee(name, email, location_id=berlin, department_id=department)
        employees[size] = (name, email)
    return Company(tenant, employees)


def person(
    browser: Browser, web: str, size: str, language: str, state: StorageState | None = None
) -> Page:
    """A browser whose Accept-Language asks for ``language`` first."""
    context = browser.new_context(
        base_url=web,
        viewport=SIZES[size],  # type: ignore[arg-type]
        locale=LOCALES[language],
        storage_state=state,
    )
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def shot(page: Page, language: str, size: str, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"lang-{language}-{size}-{name}.png"), full_page=True)


def fits(page: Page, what: str) -> None:
    page.wait_for_load_state("networkidle")
    assert page.evaluate(WIDER_THAN_VIEWPORT) <= 0, f"{what} scrolls sideways"


def sign_in_german(page: Page, email: str) -> None:
    page.goto("/signin")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name="Anmelden", exact=True)).to_be_visible()
    page.get_by_label("E-Mail der Person, die Sie sein möchten").fill(email)
    page.get_by_role("button", name="Ohne Prüfung anmelden").click()
    expect(page.get_by_role("heading", name="Meine Abwesenheiten")).to_be_visible()


@pytest.mark.parametrize("size", SIZES)
def test_the_main_journey_in_german(
    stack: Stack, browser: Browser, company: Company, size: str
) -> None:
    web = stack.urls["web"]
    name, email = company.employees[size]
    monday = coming_monday(weeks_ahead=WEEKS_AHEAD[size])
    friday = monday + timedelta(days=4)
    with i18n.using("de"):
        span = date_range(monday, friday)
        short_span = date_range(monday, friday, year=False)
        month_title = month_period(monday.replace(day=1)).title

    # --- sign in: the browser asks for German ------------------------------------------
    employee = person(browser, web, size, "de")
    sign_in_german(employee, email)
    expect(employee.get_by_role("heading", name="Kontingente")).to_be_visible()
    expect(employee.get_by_role("link", name="Teamkalender")).to_be_visible()
    shot(employee, "de", size, "journey-1-home")

    # --- a request with its preview: 4,5 days, German dates ----------------------------
    employee.get_by_label("Abwesenheitsart", exact=True).select_option(label="Urlaub")
    expect(employee.get_by_label("Erster Tag ist")).to_be_visible()
    employee.get_by_label("Erster Tag", exact=True).fill(monday.isoformat())
    employee.get_by_label("Letzter Tag", exact=True).fill(friday.isoformat())
    employee.get_by_label("Letzter Tag ist").select_option(label="nur der Vormittag")
    expect(employee.get_by_test_id("preview-amount")).to_have_text("4,5")
    preview = employee.locator("#preview")
    expect(preview).to_contain_text("Tage")
    expect(preview).to_contain_text(span)
    expect(preview).to_contain_text("Übrig nach Genehmigung: 20,5 Tage")
    fits(employee, "the request form")
    shot(employee, "de", size, "journey-2-preview")
    employee.get_by_role("button", name="Abwesenheit beantragen").click()
    expect(
        employee.get_by_role("status").filter(has_text="Beantragt: 4,5 Tage Urlaub")
    ).to_be_visible()
    row = employee.locator("#my-requests li", has_text=span)
    expect(row.locator(".standing")).to_have_text("Wartet auf Genehmigung")
    shot(employee, "de", size, "journey-3-requested")

    # --- the admin approves on the German approvals page --------------------------------
    admin = person(browser, web, size, "de")
    sign_in_german(admin, company.tenant.admin_email)
    admin.get_by_role("link", name="Genehmigungen").click()
    card = admin.locator("article.approval", has_text=short_span)
    expect(card).to_contain_text(name)
    expect(card).to_contain_text("4,5 Tage")
    expect(card).to_contain_text("Übrig nach Genehmigung:")
    fits(admin, "the approvals page")
    shot(admin, "de", size, "journey-4-approvals")
    card.get_by_role("button", name="Genehmigen").click()
    expect(card).to_have_count(0)

    # --- the employee's page follows: approved, in German -------------------------------
    expect(row.locator(".standing")).to_have_text("Genehmigt")

    # --- the team calendar: a German month, German weekday letters ----------------------
    employee.goto(f"/team?month={monday:%Y-%m}")
    expect(employee.get_by_role("heading", name="Teamkalender")).to_be_visible()
    expect(employee.locator("#period-title")).to_have_text(month_title)
    letters = employee.locator("table.team thead .letter").all_inner_texts()
    first = monday.replace(day=1)
    assert letters[0] == "MDMDFSS"[first.weekday()]
    mine = employee.locator("table.team tbody tr", has_text=name)
    expect(mine.locator(".half.whole.approved")).to_have_count(4)
    expect(mine.locator(".half.am.approved")).to_have_count(1)
    title = mine.locator("td").nth(friday.day - 1).get_attribute("title")
    assert title == "Vormittag: Urlaub, genehmigt"
    fits(employee, "the team calendar")
    shot(employee, "de", size, "journey-5-team")

    # --- the balances: a decimal comma and German words ---------------------------------
    employee.goto(f"/?as_of={monday.isoformat()}")
    balance = employee.locator("li.balance", has_text="Urlaub")
    expect(balance.locator(".available")).to_have_text("20,5 Tage verfügbar")
    balance.get_by_text("Wie sich das zusammensetzt").click()
    expect(balance.locator("dl.breakdown")).to_contain_text("Genommen")
    shot(employee, "de", size, "journey-6-balances")
    employee.get_by_role("link", name="Alle Buchungen").first.click()
    expect(employee.locator("ul.ledger")).to_contain_text(f"Reserviert für {short_span}")
    fits(employee, "the ledger")
    shot(employee, "de", size, "journey-7-ledger")

    employee.context.close()
    admin.context.close()


PAGES = {
    "admin": [
        ("home", "/"),
        ("team", "/team"),
        ("approvals", "/approvals"),
        ("notifications", "/notifications"),
        ("security", "/security"),
        ("admin", "/admin"),
        ("admin-locations", "/admin/locations"),
        ("admin-departments", "/admin/departments"),
        ("admin-leave-types", "/admin/leave-types"),
        ("admin-policies", "/admin/policies"),
        ("admin-employees", "/admin/employees"),
        ("admin-integrations", "/admin/integrations"),
        ("admin-feeds", "/admin/feeds"),
        ("admin-adjustments", "/admin/adjustments"),
        ("admin-deliveries", "/admin/deliveries"),
    ],
    "employee": [("home-employee", "/"), ("team-employee", "/team")],
}
SIGN_OUT = {"de": "Abmelden", "en": "Sign out"}


@pytest.fixture(scope="module")
def sessions(stack: Stack, browser: Browser, company: Company) -> dict[str, StorageState]:
    """The admin and an employee sign in once (an email has a few sign-ins per 15 minutes);
    every size and language reuses the cookie: the language follows the browser."""
    states: dict[str, StorageState] = {}
    for who, email in (
        ("admin", company.tenant.admin_email),
        ("employee", company.employees["desktop"][1]),
    ):
        page = person(browser, stack.urls["web"], "desktop", "en")
        page.goto("/signin")
        page.locator("#dev-email").fill(email)
        page.locator("form[action='/signin/dev'] button").click()
        expect(page.get_by_test_id("person-name")).to_be_visible()
        states[who] = page.context.storage_state()
        page.context.close()
    return states


@pytest.mark.parametrize("language", LOCALES)
@pytest.mark.parametrize("size", SIZES)
def test_every_page_in_both_languages(
    stack: Stack,
    browser: Browser,
    sessions: dict[str, StorageState],
    size: str,
    language: str,
) -> None:
    web = stack.urls["web"]
    page = person(browser, web, size, language)
    for name, path in (("signin", "/signin"), ("signup", "/signup"), ("not-found", "/nowhere")):
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        fits(page, f"{name} ({language})")
        shot(page, language, size, name)
    page.context.close()
    for who, pages in PAGES.items():
        page = person(browser, web, size, language, sessions[who])
        for name, path in pages:
            page.goto(path)
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(page.locator("form.signout button")).to_have_text(SIGN_OUT[language])
            fits(page, f"{name} ({language})")
            shot(page, language, size, name)
        page.context.close()


def test_the_signed_out_switch_turns_an_english_browser_german(
    stack: Stack, browser: Browser
) -> None:
    page = person(browser, stack.urls["web"], "phone", "en")
    page.goto("/signin")
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Deutsch").click()
    expect(page.get_by_role("heading", name="Anmelden", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.goto("/signup")
    expect(page.get_by_role("button", name="Unternehmen anlegen")).to_be_visible()
    page.get_by_role("navigation", name="Sprache").get_by_role("link", name="English").click()
    expect(page.get_by_role("button", name="Create company")).to_be_visible()
    page.context.close()
