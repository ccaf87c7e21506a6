"""The frame of every page in Chromium, at desktop (1366x850) and phone (390x844) size, as a
new customer meets it (issue 15, "words" and "phone").

What the customer found, each tried again here: raw machine text on the pages (``end_date is
before start_date``, ``overlaps request 01a23... (approved) (HTTP 409)``, ``String should
match pattern '^#[0-9a-fA-F]{6}$'``, ``List should have at least 1 item after validation``),
"tenant" on the sign-in page, an unknown URL answering raw JSON, the team page 793 px wide in
a 390 px viewport, words broken mid-word, no favicon (a 404 on every page), and the company's
name nowhere. Screenshots of every page at both sizes: test-artifacts/web/pages-*.png.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from playwright.sync_api import Browser, Page, Response, StorageState, expect

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, coming_monday, dev_sign_in, eventually, sign_up
from leaveflow_web.wording import date_range

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(420)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)

SIZES = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 390, "height": 844}}

# What must never reach a page: the services' and the framework's own words.
MACHINE_WORDS = (
    "tenant",
    "String should",
    "List should",
    "Input should",
    "Unprocessable",
    "(HTTP ",
    "end_date",
    "start_date",
    "overlaps request",
    "_id",
    '{"detail"',
    "Not Found",
    "Traceback",
)

WIDER_THAN_VIEWPORT = "() => document.scrollingElement.scrollWidth - window.innerWidth"
# What sticks out on the right, to name in a failure (innermost first).
STICKING_OUT = """() => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .reverse().slice(0, 5)
  .map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""

# Every short word of the page's text (letters only, so no email or URL) must sit on one
# line: a word whose range has two boxes was split across lines.
SPLIT_WORDS = r"""() => {
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  const split = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent;
    if (!node.parentElement || !node.parentElement.offsetParent) continue;
    // <code> holds tokens to copy (a CSV header), not words: a phone may wrap them anywhere.
    if (node.parentElement.closest('.sr-only, option, script, style, code')) continue;
    for (const m of text.matchAll(/[A-Za-z\u00C0-\u017F]{2,16}/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const boxes = [...range.getClientRects()].filter((r) => r.width > 0);
      if (boxes.length > 1) split.push(m[0]);
    }
  }
  return split;
}"""


# The page's visible text, leaving out <code> (a CSV header to copy is meant to be exact).
PROSE = r"""() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest('code, script, style, option')) continue;
    if (parent.offsetParent === null && !parent.closest('.sr-only')) continue;
    parts.push(node.textContent);
  }
  return parts.join(' ');
}"""


@dataclass(frozen=True)
class Company:
    tenant: Tenant
    name: str
    employee_email: str
    leave_type_id: str
    week: tuple[str, str]  # Monday, Friday of the approved leave


@pytest.fixture(scope="module")
def company(stack: Stack) -> Company:
    """A company as a new customer sets it up: a location, a type with a policy, a person
    with a long name and one approved week of leave (so the pages have rows to lay out)."""
    run = uuid4().hex[:6]
    name = f"Acme Widgets {run}"
    tenant = sign_up(stack.urls, name=name, timezone="Europe/Berlin")
    berlin = tenant.location("Berlin", timezone="Europe/Berlin")
    vacation = tenant.leave_type("Vacation", allowance=25, location_ids=[berlin])
    email = f"maximiliane-{run}@acme.test"
    employee_id, token = tenant.employee(
        "Maximiliane Mustermann-Oberhollenzer", email, location_id=berlin
    )
    monday = coming_monday(weeks_ahead=2)
    friday = monday + timedelta(days=4)
    body = {"leave_type_id": vacation, "start_date": monday.isoformat(),
            "end_date": friday.isoformat()}  # fmt: skip
    with httpx.Client(base_url=stack.urls["requests"], timeout=10.0) as http:
        mine = {"authorization": f"Bearer {token}"}
        created = http.post("/v1/leave-requests", json=body, headers=mine).json()
        path = f"/v1/leave-requests/{created['id']}"

        def pending() -> bool:
            return bool(http.get(path, headers=mine).json()["status"] == "pending")

        eventually(pending, timeout=20, what="the request reserved by balances")
        approved = http.post(f"{path}/approve", json={}, headers=tenant.headers)
        assert approved.status_code == 200, approved.text
    assert employee_id
    return Company(tenant, name, email, vacation, (monday.isoformat(), friday.isoformat()))


def person(browser: Browser, web: str, size: str, state: StorageState | None = None) -> Page:
    context = browser.new_context(
        base_url=web,
        viewport=SIZES[size],  # type: ignore[arg-type]
        storage_state=state,
    )
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


@pytest.fixture(scope="module")
def sessions(stack: Stack, browser: Browser, company: Company) -> dict[str, StorageState]:
    """Each person signs in once (as people do); every size reuses the cookie. Signing in
    again for each page size would spend the sign-in attempts an email has per 15 minutes."""
    states: dict[str, StorageState] = {}
    for who, email in (("admin", company.tenant.admin_email), ("employee", company.employee_email)):
        page = person(browser, stack.urls["web"], "desktop")
        dev_sign_in(page, email)
        states[who] = page.context.storage_state()
        page.context.close()
    return states


def signed_in(
    browser: Browser, stack: Stack, sessions: dict[str, StorageState], who: str, size: str
) -> Page:
    page = person(browser, stack.urls["web"], size, sessions[who])
    page.goto("/")
    expect(page.get_by_role("heading", name="My leave")).to_be_visible()
    return page


class Failures:
    """Every answer of 400 or more the browser got from the dashboard (assets included)."""

    def __init__(self, page: Page, web: str) -> None:
        self.seen: list[str] = []
        self.web = web
        page.on("response", self._record)

    def _record(self, response: Response) -> None:
        if response.url.startswith(self.web) and response.status >= 400:
            self.seen.append(f"{response.status} {response.url}")


def shot(page: Page, size: str, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"pages-{size}-{name}.png"), full_page=True)


def check_frame(page: Page, size: str, name: str) -> None:
    """The page fits its width, splits no word, speaks no machine words; screenshot."""
    page.wait_for_load_state("networkidle")
    wider = page.evaluate(WIDER_THAN_VIEWPORT)
    assert wider <= 0, f"{name} scrolls sideways at {size}: {page.evaluate(STICKING_OUT)}"
    assert page.evaluate(SPLIT_WORDS) == [], f"words split mid-word on {name} at {size}"
    text = page.evaluate(PROSE)
    for word in MACHINE_WORDS:
        assert word not in text, f"{word!r} on {name} at {size}"
    shot(page, size, name)


ADMIN_PAGES = [
    ("home-admin", "/"),
    ("team", "/team"),
    ("approvals", "/approvals"),
    ("admin", "/admin"),
    ("admin-locations", "/admin/locations"),
    ("admin-departments", "/admin/departments"),
    ("admin-leave-types", "/admin/leave-types"),
    ("admin-policies", "/admin/policies"),
    ("admin-employees", "/admin/employees"),
    ("admin-integrations", "/admin/integrations"),
    ("admin-adjustments", "/admin/adjustments"),
    ("admin-deliveries", "/admin/deliveries"),
    ("security", "/security"),
]


@pytest.mark.parametrize("size", SIZES)
def test_every_page_fits_names_the_company_and_loads_its_favicon(
    stack: Stack, browser: Browser, company: Company, sessions: dict[str, StorageState], size: str
) -> None:
    web = stack.urls["web"]
    admin = person(browser, web, size)
    failures = Failures(admin, web)
    for name, path in (("signin", "/signin"), ("signup", "/signup")):
        admin.goto(path)
        check_frame(admin, size, name)
    dev_sign_in(admin, company.tenant.admin_email)  # the sign-in itself, once per size
    expect(admin.get_by_test_id("company-name")).to_have_text(company.name)
    for name, path in ADMIN_PAGES:
        admin.goto(path)
        expect(admin.get_by_test_id("company-name")).to_have_text(company.name)
        check_frame(admin, size, name)
    # The team page of the week on leave: the widest grid there is, with its hidden captions.
    admin.goto(f"/team?month={company.week[0][:7]}")
    expect(admin.locator("table.team")).to_be_visible()
    check_frame(admin, size, "team-month-with-leave")

    employee = signed_in(browser, stack, sessions, "employee", size)
    failures_employee = Failures(employee, web)
    employee.reload()
    expect(employee.get_by_test_id("company-name")).to_have_text(company.name)
    expect(employee.locator("#my-requests")).to_contain_text("Approved")
    check_frame(employee, size, "home-employee")
    employee.goto(f"/ledger/{company.leave_type_id}")
    check_frame(employee, size, "ledger")

    icon = admin.request.get("/favicon.ico")
    assert icon.ok
    assert icon.headers["content-type"].startswith("image/svg+xml")
    linked = admin.evaluate("() => document.querySelector('link[rel=icon]').href")
    assert linked.endswith("/static/favicon.svg")
    assert failures.seen == []
    assert failures_employee.seen == []


@pytest.mark.parametrize("size", SIZES)
def test_tables_become_lists_on_a_phone(
    stack: Stack, browser: Browser, sessions: dict[str, StorageState], size: str
) -> None:
    admin = signed_in(browser, stack, sessions, "admin", size)
    # The policies table (leave types became a list of cards with their own edit forms).
    admin.goto("/admin/policies")
    row = admin.locator("table.list tbody tr", has_text="Vacation")
    unit = row.locator("td").first
    expect(unit).to_have_attribute("data-label", "Leave type")
    shown = unit.evaluate("(td) => getComputedStyle(td).display")
    label = unit.evaluate("(td) => getComputedStyle(td, '::before').content")
    if size == "phone":
        assert shown == "block"
        assert label == '"Leave type: "'
        assert admin.locator("table.list thead").bounding_box()["height"] <= 1  # type: ignore[index]
    else:
        assert shown == "table-cell"
        assert label == "none"


@pytest.mark.parametrize("size", SIZES)
def test_an_unknown_url_is_a_friendly_page(stack: Stack, browser: Browser, size: str) -> None:
    page = person(browser, stack.urls["web"], size)
    answer = page.goto("/this/page/does-not-exist")
    assert answer is not None
    assert answer.status == 404
    assert answer.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("There is no page at this address.")
    check_frame(page, size, "not-found")
    page.get_by_role("link", name="Back to the home page").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


@pytest.mark.parametrize("size", SIZES)
def test_the_sign_in_page_speaks_to_people(stack: Stack, browser: Browser, size: str) -> None:
    page = person(browser, stack.urls["web"], size)
    page.goto("/signin")
    text = page.locator("body").inner_text().lower()
    for machine in ("tenant", "leaveflow_dev_login", "embedded stack", "deployment"):
        assert machine not in text, machine
    expect(page.get_by_label("Your work email")).to_be_visible()


@pytest.mark.parametrize("size", SIZES)
def test_the_apis_problems_read_as_sentences_at_their_fields(
    stack: Stack, browser: Browser, company: Company, sessions: dict[str, StorageState], size: str
) -> None:
    admin = signed_in(browser, stack, sessions, "admin", size)

    # A name the company uses already (the colour is a picker now: it cannot be malformed).
    admin.goto("/admin/leave-types")
    add = admin.locator("form[action='/admin/leave-types']")
    add.get_by_label("Name", exact=True).fill(" vacation ")
    add.get_by_role("button", name="Add leave type").click()
    said = admin.get_by_text("There is already a leave type called")
    expect(said).to_have_count(1)  # once, at the field
    check_frame(admin, size, "error-duplicate-name")

    # A location working no day of the week: "at least one" in words.
    admin.goto("/admin/locations")
    add_location = admin.locator("form[action='/admin/locations']")
    add_location.get_by_label("Name", exact=True).fill(f"Nowhere {size}")
    for box in add_location.locator("input[name=workweek]").all():
        box.uncheck()
    add_location.get_by_role("button", name="Add location").click()
    expect(admin.get_by_text("Choose at least one of the working days.").first).to_be_visible()
    check_frame(admin, size, "error-workweek")

    # The person's own request: a last day before the first, then days already on leave.
    employee = signed_in(browser, stack, sessions, "employee", size)
    monday, friday = company.week
    employee.evaluate("document.getElementById('request-form').dataset.before = 'yes'")
    employee.get_by_label("Leave type", exact=True).select_option(label="Vacation")
    # Picking a type brings the form back with that type's inputs: type after it is here.
    expect(employee.locator("#request-form:not([data-before])")).to_have_count(1)
    employee.get_by_label("First day", exact=True).fill(friday)
    employee.get_by_label("Last day", exact=True).fill(monday)
    employee.get_by_role("button", name="Request leave").click()
    # The form refuses it before asking the API, in its own words.
    expect(employee.locator("#e-end_date")).to_have_text("The last day is before the first day.")
    check_frame(employee, size, "error-end-before-start")

    employee.get_by_label("First day", exact=True).fill(monday)
    employee.get_by_label("Last day", exact=True).fill(monday)
    employee.get_by_role("button", name="Request leave").click()
    first, last = date.fromisoformat(company.week[0]), date.fromisoformat(company.week[1])
    # Once, at the first day, with the dates of the leave it overlaps (never its id).
    said = employee.locator("#request-form").get_by_text("You already have leave")
    expect(said).to_have_count(1)
    expect(employee.locator("#e-start_date")).to_have_text(
        f"You already have leave on {date_range(first, last, year=False)} (approved)."
    )
    check_frame(employee, size, "error-overlap")
