"""axe-core on every page of the dashboard, in Chromium at desktop (1366x850) and phone
(390x844) size (issue 15, item 6: "0 serious or critical violations").

axe-core is vendored (tests/browser/axe, installed by ``make browser-deps``) and injected into
each page as it stands after loading, HTMX partials included. The rules are WCAG 2.0/2.1 A and
AA plus 2.2 AA. Any serious or critical violation fails the test with the page, rule, impact
and element; every page's count by impact is written to test-artifacts/web/axe-results.txt
(and printed) so the result can be quoted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from playwright.sync_api import Browser, Page, StorageState, expect

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import (
    Tenant,
    chromium,
    coming_monday,
    dev_sign_in,
    eventually,
    sign_up,
)
from leaveflow_kit.testing.smtp_sink import SmtpSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "browser" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "web"
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)

SIZES = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 390, "height": 844}}
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
IMPACTS = ("critical", "serious", "moderate", "minor")
BLOCKING = {"critical", "serious"}

RUN_AXE = """(tags) => axe.run(document, {runOnly: tags, resultTypes: ['violations']})
  .then((r) => r.violations.map((v) => ({
    id: v.id, impact: v.impact,
    targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    count: v.nodes.length,
  })))"""


@dataclass(frozen=True)
class Company:
    tenant: Tenant
    location_id: str
    leave_type_id: str
    employee_id: str
    employee_email: str
    month: str  # YYYY-MM of the approved week of leave
    monday: str
    decide_paths: list[str]  # the admin's Approve links by email: one of them still pending


@dataclass
class Results:
    """Violations by impact for every (page, size), and the blocking ones in words."""

    counts: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    blocking: list[str] = field(default_factory=list)

    def table(self) -> str:
        pages = list(dict.fromkeys(page for page, _ in self.counts))
        head = f"{'page':<26}" + "".join(f"{size:>26}" for size in SIZES)
        lines = [head, f"{'':<26}" + "   crit/serious/moder/minor" * len(SIZES)]
        for page in pages:
            cells = []
            for size in SIZES:
                found = self.counts.get((page, size))
                cells.append("-" if found is None else "/".join(str(found[i]) for i in IMPACTS))
            lines.append(f"{page:<26}" + "".join(f"{cell:>26}" for cell in cells))
        return "\n".join(lines)


@pytest.fixture(scope="module")
def results() -> Iterator[Results]:
    found = Results()
    yield found
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "axe-results.txt").write_text(found.table() + "\n")
    print("\naxe-core violations by impact (critical/serious/moderate/minor)\n" + found.table())


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert AXE.is_file(), f"{AXE} is missing: `make browser-deps` installs it"
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture(scope="module")
def company(stack: Stack, smtp: SmtpSink) -> Company:
    """A company with a location, a type with a policy, a person in a department the admin
    approves, one approved week of leave and one pending (so the pages have rows, bars,
    balances and a card to check), and email set up so the admin gets an Approve link."""
    run = uuid4().hex[:6]
    tenant = sign_up(stack.urls, name=f"Axe Check {run}", timezone="Europe/Berlin")
    berlin = tenant.location("Berlin", timezone="Europe/Berlin")
    vacation = tenant.leave_type("Vacation", allowance=25, location_ids=[berlin])
    with tenant.client("requests") as http:
        made = http.post("/v1/departments", json={"name": "Ops", "approver_ids": [tenant.admin_id]})
        assert made.status_code == 201, made.text
    with tenant.client("notifications") as http:
        mail = {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "from": "lf@axe.test"}
        assert http.put("/v1/integrations/email", json=mail).status_code == 200
    email = f"erika-{run}@axe.test"
    employee_id, token = tenant.employee(
        "Erika Musterfrau", email, location_id=berlin, department_id=made.json()["id"]
    )
    monday = coming_monday(weeks_ahead=2)
    with httpx.Client(base_url=stack.urls["requests"], timeout=10.0) as http:
        mine = {"authorization": f"Bearer {token}"}

        def request(first: date) -> str:
            body = {"leave_type_id": vacation, "start_date": first.isoformat(),
                    "end_date": (first + timedelta(days=4)).isoformat()}  # fmt: skip
            created = http.post("/v1/leave-requests", json=body, headers=mine)
            assert created.status_code == 202, created.text
            path = f"/v1/leave-requests/{created.json()['id']}"

            def pending() -> bool:
                return bool(http.get(path, headers=mine).json()["status"] == "pending")

            eventually(pending, timeout=20, what="the request reserved by balances")
            return path

        approved = http.post(f"{request(monday)}/approve", json={}, headers=tenant.headers)
        assert approved.status_code == 200, approved.text
        request(monday + timedelta(weeks=1))

    def approve_link() -> list[str]:
        links = []
        for mail in smtp.snapshot():
            plain = mail.get_body(("plain",)) if mail["To"] == tenant.admin_email else None
            found = re.search(r"Approve: \S+(/decide/\S+)", plain.get_content()) if plain else None
            if found:
                links.append(found.group(1))
        return links

    def both_links() -> list[str] | None:
        found = approve_link()
        return found if len(found) == 2 else None

    links = eventually(both_links, timeout=30, what="the admin's two Approve emails")
    return Company(
        tenant, berlin, vacation, employee_id, email, monday.isoformat()[:7], monday.isoformat(),
        links,
    )  # fmt: skip


def person(
    browser: Browser,
    web: str,
    size: str,
    state: StorageState | None = None,
    locale: str = "en-GB",
) -> Page:
    context = browser.new_context(
        base_url=web,
        viewport=SIZES[size],  # type: ignore[arg-type]
        storage_state=state,
        locale=locale,  # what the browser's Accept-Language asks for
        # The dashboard's CSP allows only its own scripts; axe is the test's, injected inline.
        bypass_csp=True,
    )
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


@pytest.fixture(scope="module")
def sessions(stack: Stack, browser: Browser, company: Company) -> dict[str, StorageState]:
    """Each person signs in once; both sizes reuse the cookie (sign-ins are rate limited)."""
    states: dict[str, StorageState] = {}
    for who, email in (("admin", company.tenant.admin_email), ("employee", company.employee_email)):
        page = person(browser, stack.urls["web"], "desktop")
        dev_sign_in(page, email)
        states[who] = page.context.storage_state()
        page.context.close()
    return states


def check(page: Page, size: str, name: str, results: Results) -> None:
    """Run axe on the page as it stands once loaded; record counts and blocking findings."""
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE, RULES)
    counts = dict.fromkeys(IMPACTS, 0)
    for v in violations:
        counts[v["impact"] or "minor"] += 1
        if v["impact"] in BLOCKING:
            where = "; ".join(v["targets"]) + (" ..." if v["count"] > 3 else "")
            results.blocking.append(f"{name} @ {size}: {v['id']} ({v['impact']}) at {where}")
    results.counts[(name, size)] = counts


def admin_pages(company: Company) -> list[tuple[str, str]]:
    sections = ["locations", "departments", "leave-types", "policies", "employees",
                "integrations", "feeds", "adjustments", "deliveries"]  # fmt: skip
    return [
        ("home-admin", "/"),
        ("approvals", "/approvals"),
        ("team-month", f"/team?month={company.month}"),
        ("team-week", f"/team?view=week&date={company.monday}"),
        ("security", "/security"),
        ("admin", "/admin"),
        *((f"admin-{s}", f"/admin/{s}") for s in sections),
        ("admin-employee", f"/admin/employees/{company.employee_id}"),
        ("admin-policy", f"/admin/policies/{company.location_id}/{company.leave_type_id}"),
        ("notifications", "/notifications"),
        ("substitutes", "/substitutes"),
        ("blackouts", "/blackouts"),
        ("toil", "/toil"),
        ("notifications-of-employee", f"/notifications/{company.employee_id}"),
        # A link signed for someone else: the decide page's answer to a stranger's token.
        ("decide-not-yours", "/decide/not-a-real-token"),
    ]


@pytest.mark.parametrize("size", SIZES)
def test_every_page_has_no_serious_or_critical_axe_violation(
    stack: Stack,
    browser: Browser,
    company: Company,
    sessions: dict[str, StorageState],
    results: Results,
    size: str,
) -> None:
    web = stack.urls["web"]
    before = len(results.blocking)

    def visit(page: Page, name: str, path: str) -> None:
        page.goto(path)
        check(page, size, name, results)

    stranger = person(browser, web, size)
    visit(stranger, "signin", "/signin")
    visit(stranger, "signup", "/signup")
    visit(stranger, "not-found", "/this/page/does-not-exist")
    visit(stranger, "decide-signed-out", "/decide/not-a-real-token")
    visit(stranger, "teams-tab", "/teams/tab")
    stranger.goto("/signin")
    stranger.get_by_label("Your work email").fill(f"nobody-{uuid4().hex[:6]}@axe.test")
    stranger.get_by_role("button", name="Continue").click()
    expect(stranger.get_by_role("heading", name="How do you want to sign in?")).to_be_visible()
    check(stranger, size, "signin-options", results)
    stranger.get_by_role("button", name="Email me a sign-in link").click()
    expect(stranger.get_by_role("heading", name="Check your email")).to_be_visible()
    check(stranger, size, "check-email", results)
    stranger.context.close()

    # The change of the pending request, opened from Home (before the phone run's admin
    # approves it by its link).
    changer = person(browser, web, size, sessions["employee"])
    changer.goto("/")
    changer.locator("#my-requests").get_by_role("link", name="Change").first.click()
    expect(changer.get_by_role("heading", name="Change your request")).to_be_visible()
    check(changer, size, "edit-request", results)
    changer.context.close()

    admin = person(browser, web, size, sessions["admin"])
    for name, path in admin_pages(company):
        visit(admin, name, path)
    for path in company.decide_paths:  # the emails' order is not the requests'
        admin.goto(path)
        if admin.get_by_role("heading", name="Approve this request?").is_visible():
            break
    expect(admin.get_by_role("heading", name="Approve this request?")).to_be_visible()
    check(admin, size, "decide", results)
    if size == "phone":  # a link decides once, so only the last size uses it
        admin.get_by_role("button", name="Approve this request").click()
        check(admin, size, "decide-done", results)
    # The public holidays preview is a part of the locations page, opened by its button.
    admin.goto("/admin/locations")
    admin.get_by_role("button", name="Preview this year").first.click()
    expect(admin.locator(f"#hol-{company.location_id}")).not_to_be_empty()
    check(admin, size, "admin-locations-holidays", results)
    # The admin pages' error states: a refused form says why at its field.
    admin.goto("/admin/leave-types")
    add_type = admin.locator("form[action='/admin/leave-types']")
    add_type.get_by_label("Name", exact=True).fill(" vacation ")
    add_type.get_by_role("button", name="Add leave type").click()
    expect(admin.get_by_text("There is already a leave type called")).to_have_count(1)
    check(admin, size, "admin-leave-types-error", results)
    admin.goto("/admin/employees")
    add_person = admin.locator("form[action='/admin/employees']")
    add_person.get_by_label("Name", exact=True).fill("Erika Copy")
    add_person.get_by_label("Email", exact=True).fill(company.employee_email)
    add_person.get_by_role("button", name="Add employee").click()
    expect(admin.get_by_text("Someone in the company already has this email.")).to_be_visible()
    check(admin, size, "admin-employees-error", results)
    admin.goto("/admin/locations")
    add_location = admin.locator("form[action='/admin/locations']")
    add_location.get_by_label("Name", exact=True).fill(f"Nowhere {uuid4().hex[:4]}")
    for box in add_location.locator("input[name=workweek]").all():
        box.uncheck()
    add_location.get_by_role("button", name="Add location").click()
    expect(admin.get_by_text("Choose at least one of the working days.").first).to_be_visible()
    check(admin, size, "admin-locations-error", results)
    # A department's approval levels, opened below its card.
    admin.goto("/admin/departments")
    admin.get_by_text("Approval levels of Ops: several levels").click()
    expect(admin.get_by_role("group", name="Level 1 of Ops")).to_be_visible()
    check(admin, size, "admin-departments-levels", results)
    admin.context.close()

    # The same pages in German: their language is declared (html lang="de") and holds up.
    german = person(browser, web, size, sessions["admin"], locale="de-DE")
    for name, path in (("de-home-admin", "/"), ("de-team", f"/team?month={company.month}"),
                       ("de-notifications", "/notifications"),
                       ("de-admin-employees", "/admin/employees")):  # fmt: skip
        visit(german, name, path)
        expect(german.locator("html")).to_have_attribute("lang", "de")
    german.context.close()
    german_stranger = person(browser, web, size, locale="de-DE")
    visit(german_stranger, "de-signin", "/signin")
    expect(german_stranger.get_by_role("heading", name="Anmelden", exact=True)).to_be_visible()
    german_stranger.context.close()

    employee = person(browser, web, size, sessions["employee"])
    visit(employee, "home-employee", "/")
    expect(employee.locator("#my-requests")).to_contain_text("Approved")
    visit(employee, "ledger", f"/ledger/{company.leave_type_id}")
    # The request form as it changes: a type picked, the preview shown, a refused request.
    employee.goto("/")
    employee.evaluate("document.getElementById('request-form').dataset.before = 'yes'")
    employee.locator("#f-leave_type_id").select_option(label="Vacation")
    expect(employee.locator("#request-form:not([data-before])")).to_have_count(1)
    first_day = employee.get_by_label("First day", exact=True)
    expect(first_day).to_be_visible()
    first_day.fill(company.monday)
    expect(employee.get_by_test_id("preview-amount")).to_be_visible()
    check(employee, size, "home-request-preview", results)
    employee.get_by_label("Last day", exact=True).fill(company.monday)
    first_day.fill((date.fromisoformat(company.monday) + timedelta(days=1)).isoformat())
    employee.get_by_role("button", name="Request leave").click()
    expect(employee.get_by_label("Last day", exact=True)).to_have_attribute("aria-invalid", "true")
    check(employee, size, "home-request-refused", results)
    employee.context.close()

    blocking = results.blocking[before:]
    assert blocking == [], "serious or critical axe violations:\n" + "\n".join(blocking)


FOCUSED = "(selector) => document.activeElement && document.activeElement.matches(selector)"
# The focus ring of the focused element: its width and colour, and the colour it is drawn on
# (the nearest ancestor with a background; the page's white when none has).
RING = """() => {
  const s = getComputedStyle(document.activeElement);
  let around = document.activeElement.parentElement, under = 'rgb(255, 255, 255)';
  for (; around; around = around.parentElement) {
    const bg = getComputedStyle(around).backgroundColor;
    if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') { under = bg; break; }
  }
  return {style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor, under};
}"""


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two CSS ``rgb(...)`` colours."""

    def luminance(css: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", css)[:3]]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def tab_to(page: Page, selector: str, limit: int = 80) -> int:
    """Press Tab until the focus is on ``selector``; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED, selector):
            ring = page.evaluate(RING)
            assert ring["style"] != "none", f"{selector} has focus but shows no focus ring"
            assert ring["width"] >= 2, f"{selector}'s focus ring is thin: {ring}"
            assert contrast(ring["color"], ring["under"]) >= 3, f"{selector}'s ring: {ring}"
            return presses
    raise AssertionError(f"{selector} is not reachable with Tab ({limit} presses)")


@pytest.mark.parametrize("size", SIZES)
def test_the_team_grid_and_the_request_form_work_from_the_keyboard(
    stack: Stack, browser: Browser, company: Company, sessions: dict[str, StorageState], size: str
) -> None:
    admin = person(browser, stack.urls["web"], size, sessions["admin"])
    admin.goto(f"/team?month={company.month}")
    title = admin.locator("#period-title")
    shown = title.inner_text()
    # The skip link comes first and lands in the page's content.
    assert tab_to(admin, "a.skip") == 1
    admin.keyboard.press("Enter")
    assert admin.evaluate(FOCUSED, "main")
    tab_to(admin, "a[rel=next]")
    admin.keyboard.press("Enter")
    expect(title).not_to_have_text(shown)
    # The grid is a focusable region, so a keyboard scrolls it where it is wider than the box.
    tab_to(admin, ".team-scroll")
    grid = admin.locator(".team-scroll")
    if grid.evaluate("(e) => e.scrollWidth > e.clientWidth"):
        for _ in range(5):
            admin.keyboard.press("ArrowRight")
        # Keyboard scrolling is animated: wait for it to move.
        admin.wait_for_function("() => document.querySelector('.team-scroll').scrollLeft > 0")
    admin.context.close()

    employee = person(browser, stack.urls["web"], size, sessions["employee"])
    employee.goto("/")
    expect(employee.locator("#my-requests")).to_contain_text("Approved")
    employee.evaluate("document.getElementById('request-form').dataset.before = 'yes'")
    tab_to(employee, "#f-leave_type_id")
    employee.keyboard.press("ArrowDown")  # the first type after "Choose…"
    expect(employee.locator("#request-form:not([data-before])")).to_have_count(1)
    expect(employee.locator("#f-leave_type_id")).to_have_value(company.leave_type_id)
    # The form came back for that type with the focus where it was, not thrown to the top.
    assert employee.evaluate(FOCUSED, "#f-leave_type_id")
    tab_to(employee, "#f-start_date", limit=3)
    employee.context.close()
