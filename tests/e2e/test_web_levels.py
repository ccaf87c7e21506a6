"""Issue 16's dashboard on the real stack, in the machine's Chromium at desktop (1366x850)
and phone (390x844) size: the admin adds a second approval level with its conditions and
reads where requests go; the employee changes a pending request and sees where it stands;
each level's approver decides their level (a page left open answers a passed level as a
sentence); an approver sets a substitute who then decides in their own group.
Screenshots: test-artifacts/web/levels-*-{desktop,phone}.png.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, coming_mondays, eventually, open_signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
WAIT_MS = 20_000  # events cross three processes on a busy 2-core machine
expect.set_options(timeout=WAIT_MS)

SIZES: dict[str, ViewportSize] = {
    "desktop": {"width": 1366, "height": 850},
    "phone": {"width": 390, "height": 844},
}
SIDEWAYS = "() => document.scrollingElement.scrollWidth - window.innerWidth"


def signed_in(browser: Browser, stack: Stack, email: str, size: str) -> Page:
    return open_signed_in(browser, stack.urls["web"], SIZES[size], email, WAIT_MS)


def shot(page: Page, size: str, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"levels-{name}-{size}.png"), full_page=True)
    assert page.evaluate(SIDEWAYS) <= 0, f"{page.url} scrolls sideways at {size} size"


def notice(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def short_day(day: date) -> str:
    return f"{day.day} {day:%b}"


class Company:
    """Engineering: Ana approves every request (level 1); the admin adds Ben for Vacation
    of 3 days or more (level 2). Erika works there with 25 days of Vacation."""

    def __init__(self, tenant: Tenant) -> None:
        run = uuid4().hex[:6]
        self.tenant = tenant
        berlin = tenant.location("Berlin", timezone="Europe/Berlin")
        self.vacation = tenant.leave_type("Vacation", allowance=25, location_ids=[berlin])
        self.ana_email, self.ben_email = f"ana-{run}@e2e.test", f"ben-{run}@e2e.test"
        self.ana, _ = tenant.employee(
            "Ana Lead", self.ana_email, role="approver", location_id=berlin
        )
        self.ben, _ = tenant.employee(
            "Ben Head", self.ben_email, role="approver", location_id=berlin
        )
        with tenant.client("requests") as http:
            body = {"name": "Engineering", "approver_ids": [self.ana]}
            made = http.post("/v1/departments", json=body)
        assert made.status_code == 201, made.text
        self.engineering = made.json()["id"]
        self.erika_email = f"erika-{run}@e2e.test"
        self.erika, self.erika_token = tenant.employee(
            "Erika Muster", self.erika_email, location_id=berlin, department_id=self.engineering
        )

    def request(self, first: date, days: int) -> str:
        body = {
            "leave_type_id": self.vacation,
            "start_date": first.isoformat(),
            "end_date": (first + timedelta(days=days - 1)).isoformat(),
        }
        with httpx.Client(base_url=self.tenant.urls["requests"], timeout=10.0) as http:
            headers = {"authorization": f"Bearer {self.erika_token}"}
            made = http.post("/v1/leave-requests", json=body, headers=headers)
            assert made.status_code == 202, made.text
        rid = str(made.json()["id"])
        eventually(lambda: self.leave(rid)["status"] == "pending", what="reserved by balances")
        return rid

    def leave(self, rid: str) -> dict[str, Any]:
        with self.tenant.client("requests") as http:
            found = http.get(f"/v1/leave-requests/{rid}")
        assert found.status_code == 200, found.text
        return dict(found.json())


@pytest.mark.parametrize("size", SIZES)
def test_levels_substitutes_and_edits_through_the_dashboard(
    stack: Stack, tenant: Tenant, browser: Browser, size: str
) -> None:
    company = Company(tenant)

    # --- 1. the admin adds level 2 with its conditions and reads the preview ---------------
    admin = signed_in(browser, stack, tenant.admin_email, size)
    admin.goto("/admin/departments")
    card = admin.locator(".record", has=admin.get_by_role("heading", name="Engineering"))
    expect(card).to_contain_text("Approvers: Ana Lead")
    card.get_by_text("Approval levels of Engineering: several levels").click()
    card.get_by_role("button", name="Add a level").click()
    notice(admin, "Tick the new level's approvers, then save the approval levels.")
    card = admin.locator(".record", has=admin.get_by_role("heading", name="Engineering"))
    level_2 = card.get_by_role("group", name="Level 2 of Engineering")
    level_2.get_by_label("Ben Head").check()
    level_2.get_by_label("Minimum amount (optional)").fill("3")
    level_2.get_by_role("group", name="Only these leave types").get_by_label("Vacation").check()
    card.get_by_role("button", name="Save the approval levels of Engineering").last.click()
    notice(admin, "Approval levels of Engineering saved.")
    card = admin.locator(".record", has=admin.get_by_role("heading", name="Engineering"))
    expect(card).to_contain_text("Level 2: Ben Head (from 3 days; only Vacation)")
    expect(card.locator(".route")).to_have_text(
        "A 3-day Vacation request in Engineering goes: Level 1 (Ana Lead) → Level 2 (Ben Head)"
    )
    card.get_by_label("and amount").fill("1")
    card.get_by_role("button", name="Show where it goes").click()
    card = admin.locator(".record", has=admin.get_by_role("heading", name="Engineering"))
    expect(card.locator(".route")).to_have_text(
        "A 1-day Vacation request in Engineering goes: Level 1 (Ana Lead)"
    )
    shot(admin, size, "departments")
    with tenant.client("requests") as http:
        saved = http.get(f"/v1/departments/{company.engineering}").json()
    assert [level["approver_ids"] for level in saved["approval_levels"]] == [
        [company.ana],
        [company.ben],
    ]
    assert saved["approval_levels"][1]["leave_type_ids"] == [company.vacation]

    # --- 4. Erika changes her pending request and sees where it stands ---------------------
    monday, later_monday = coming_mondays(2, weeks_ahead=3)  # each week inside one month
    first = company.request(monday, 5)
    erika = signed_in(browser, stack, company.erika_email, size)
    row = erika.locator(f"#my-requests li[data-request-id='{first}']")
    expect(row).to_contain_text("Waiting for level 1 of 2: Ana Lead")
    row.get_by_role("link", name="Change").click()
    expect(erika.get_by_role("heading", name="Change your request")).to_be_visible()
    thursday = (monday + timedelta(days=3)).isoformat()
    erika.get_by_label("Last day", exact=True).fill(thursday)
    expect(erika.get_by_test_id("preview-amount")).to_have_text("4")
    # 25 a year, 5 held by this request: four days instead leave 21.
    expect(erika.locator("#preview")).to_contain_text("Left after approval: 21 days")
    shot(erika, size, "edit")
    erika.get_by_role("button", name="Save the change").click()
    notice(erika, "Changed. Your approvers decide it again, from the first level.")
    eventually(
        lambda: company.leave(first)["amount"] == 4 and company.leave(first)["status"] == "pending",
        what="the edit re-priced and re-reserved",
    )

    # --- 2. each level's approver decides their level -------------------------------------
    ana = signed_in(browser, stack, company.ana_email, size)
    ana.goto("/approvals")
    card = ana.locator(f"article[data-request-id='{first}']")
    expect(card).to_contain_text("Level 1 of 2")
    expect(card).to_contain_text("Then level 2: Ben Head")
    shot(ana, size, "approvals-level-1")
    card.get_by_role("button", name="Approve").click()
    eventually(lambda: company.leave(first)["approval"]["current_level"] == 2, what="on to level 2")
    expect(card).to_have_count(0)  # the list refreshed: the request is no longer Ana's

    ben = signed_in(browser, stack, company.ben_email, size)
    ben.goto("/approvals")
    card = ben.locator(f"article[data-request-id='{first}']")
    expect(card).to_contain_text("Level 2 of 2")
    expect(card).to_contain_text("Level 1 approved by Ana Lead on")
    card.get_by_role("button", name="Approve").click()
    eventually(lambda: company.leave(first)["status"] == "approved", what="approved at level 2")
    expect(card).to_have_count(0)
    erika.goto("/")
    row = erika.locator(f"#my-requests li[data-request-id='{first}']")
    expect(row).to_contain_text("Approved by Ana Lead and Ben Head")

    # A page left open without live updates (a laptop woken from sleep): the admin
    # decides level 1 while Ana still sees it.
    second = company.request(later_monday, 3)
    ana.route("**/live/stream", lambda route: route.abort())
    ana.goto("/approvals")
    card = ana.locator(f"article[data-request-id='{second}']")
    expect(card).to_contain_text("Level 1 of 2")
    with tenant.client("requests") as http:
        passed = http.post(f"/v1/leave-requests/{second}/approve", json={"level": 1})
    assert passed.status_code == 200, passed.text
    card.get_by_role("button", name="Approve").click()
    expect(ana.get_by_text("Someone decided this level while the page was open")).to_be_visible()
    assert company.leave(second)["approval"]["current_level"] == 2
    ana.unroute("**/live/stream")

    # --- 3. Ben sets Ana as his substitute; she decides his level in her own group ---------
    ben.get_by_role("link", name="My substitutes").click()
    expect(ben.get_by_role("heading", name="My substitutes")).to_be_visible()
    today = date.today()
    until = today + timedelta(days=3)
    ben.get_by_label("Substitute", exact=True).select_option(label="Ana Lead")
    ben.get_by_label("First day", exact=True).fill(today.isoformat())
    ben.get_by_label("Last day", exact=True).fill(until.isoformat())
    ben.get_by_role("button", name="Set substitute").click()
    notice(ben, "Substitute set.")
    expect(ben.locator("#my-substitutes")).to_contain_text("Ana Lead decides for you on")
    shot(ben, size, "substitutes")

    ana.goto("/approvals")
    group = ana.locator("section.substitute")
    expect(group.get_by_role("heading", level=2)).to_have_text(
        f"For Ben Head, while you substitute until {short_day(until)}"
    )
    card = group.locator(f"article[data-request-id='{second}']")
    expect(card).to_contain_text("Level 2 of 2")
    shot(ana, size, "approvals-substitute")
    card.get_by_role("button", name="Approve").click()
    eventually(lambda: company.leave(second)["status"] == "approved", what="approved by Ana")
    assert company.leave(second)["approval"]["levels"][1]["decided_by"] == company.ana

    ben.goto("/substitutes")
    ben.get_by_role("button", name="Remove Ana Lead as your substitute").click()
    notice(ben, "Substitution removed.")
    expect(ben.locator("#my-substitutes")).to_contain_text("Nobody yet.")
    for page in (admin, erika, ana, ben):
        page.context.close()
