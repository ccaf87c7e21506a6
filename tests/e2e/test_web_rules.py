"""Issue 17's dashboard in Chromium on the real stack, at desktop (1366x850) and phone
(390x844) size: an admin sets a policy's request rules and entitlements through the policy
form (a 422 shown at its field), labels an employee, and adds a warning blackout for a
department; the employee reads it on the Blackouts page and in the request preview, where
too little notice is refused before submitting; the employee claims time off in lieu, their
approver approves it sending the level, and the credit shows in the balance breakdown.
Screenshots: test-artifacts/web/rules-*.png.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, eventually, no_sideways_scroll, open_signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
WAIT_MS = 20_000  # events cross three processes on a busy 2-core machine
expect.set_options(timeout=WAIT_MS)

SIZES = {
    "desktop": ViewportSize(width=1366, height=850),
    "phone": ViewportSize(width=390, height=844),
}
TODAY = datetime.now(UTC).date()


def next_monday(after: date) -> date:
    return after + timedelta(days=(7 - after.weekday()) % 7 or 7)


MONDAY = next_monday(TODAY + timedelta(days=7))
FRIDAY = MONDAY + timedelta(days=4)


def shot(page: Page, name: str, size: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"rules-{name}-{size}.png"), full_page=True)


def open_as(browser: Browser, web: str, size: str, email: str) -> Page:
    return open_signed_in(browser, web, SIZES[size], email, WAIT_MS)


def pick_type(page: Page, label: str) -> None:
    """Pick a leave type and wait for the form to come back with that type's inputs."""
    page.evaluate("document.getElementById('request-form').dataset.before = 'yes'")
    page.get_by_label("Leave type", exact=True).select_option(label=label)
    expect(page.locator("#request-form:not([data-before])")).to_have_count(1)


def policy_of(tenant: Tenant, location_id: str, leave_type_id: str) -> dict[str, Any]:
    with tenant.client("balances") as http:
        found = http.get(
            "/v1/policies", params={"location_id": location_id, "leave_type_id": leave_type_id}
        ).json()
    return dict(found["items"][0])


def employee_of(tenant: Tenant, employee_id: str) -> dict[str, Any]:
    with tenant.client("requests") as http:
        return dict(http.get(f"/v1/employees/{employee_id}").json())


@pytest.mark.parametrize("size", list(SIZES))
def test_rules_blackouts_labels_and_time_off_in_lieu_through_the_dashboard(
    stack: Stack, tenant: Tenant, browser: Browser, size: str
) -> None:
    web = stack.urls["web"]
    run = tenant.tenant_id[-6:]
    berlin = tenant.location("Berlin")
    vacation = tenant.leave_type("Vacation", allowance=25, location_ids=[berlin])
    overtime = tenant.leave_type(
        "Overtime", unit="hours", allowance=0, location_ids=[berlin],
        policy={"toil": {"expiry_months": 3}},
    )  # fmt: skip
    paula_email = f"paula-{size}-{run}@e2e.test"
    paula_id, _ = tenant.employee("Paula Approver", paula_email, role="approver",
                                  location_id=berlin)  # fmt: skip
    with tenant.client("requests") as http:
        made = http.post("/v1/departments", json={"name": "Sales", "approver_ids": [paula_id]})
        assert made.status_code == 201, made.text
        sales = made.json()["id"]
    eve_email = f"eve-{size}-{run}@e2e.test"
    eve_id, _ = tenant.employee("Eve Employee", eve_email, location_id=berlin,
                                department_id=sales)  # fmt: skip

    # The admin sets the rules; a days-ahead below the notice is refused at its field.
    admin = open_as(browser, web, size, tenant.admin_email)
    admin.goto(f"/admin/policies/{berlin}/{vacation}")
    admin.get_by_label("Notice in days").fill("3")
    admin.get_by_label("Days ahead at most").fill("1")
    admin.get_by_label("Days off between leave days").select_option("weekends")
    admin.get_by_label("After years").first.fill("3")
    admin.get_by_label("Extra", exact=True).first.fill("2")
    admin.get_by_role("button", name="Save policy").click()
    expect(admin.locator("#e-new-max_days_ahead")).to_contain_text(
        "Allow at least as many days ahead as the notice needs"
    )
    expect(admin.get_by_label("Days ahead at most")).to_have_attribute("aria-invalid", "true")
    expect(admin.get_by_label("Notice in days")).to_have_value("3")
    shot(admin, "policy-error", size)
    admin.get_by_label("Days ahead at most").fill("400")
    admin.get_by_role("button", name="Save policy").click()
    expect(admin.locator("p.notice")).to_have_text("Policy saved.")
    saved = policy_of(tenant, berlin, vacation)
    assert saved["min_notice_days"] == 3
    assert saved["max_days_ahead"] == 400
    assert saved["sandwich"] == "weekends"
    assert saved["seniority"] == [{"after_years": 3, "extra": 2.0}]
    no_sideways_scroll(admin)

    # Labels on the employee page.
    admin.goto(f"/admin/employees/{eve_id}")
    admin.get_by_label("Labels").fill("senior, nights")
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_role("list", name="Saved labels")).to_contain_text("senior")
    assert employee_of(tenant, eve_id)["labels"] == ["senior", "nights"]

    # A warning blackout for Sales on the Monday.
    admin.goto("/blackouts")
    admin.get_by_label("Name").fill(f"Trade fair {size}")
    admin.get_by_label("First day").fill(MONDAY.isoformat())
    admin.get_by_label("Last day").fill(MONDAY.isoformat())
    admin.get_by_label("Warning:").check()
    admin.locator("#pick-department_ids").get_by_label("Sales").check()
    admin.get_by_role("button", name="Add blackout").click()
    expect(admin.locator("p.notice")).to_have_text(f"Blackout Trade fair {size} added.")
    shot(admin, "blackouts-admin", size)
    no_sideways_scroll(admin)

    # Eve reads it, and the preview warns about it; too little notice is refused up front.
    eve = open_as(browser, web, size, eve_email)
    eve.goto("/blackouts")
    row = eve.locator("#blackout-list tr", has_text=f"Trade fair {size}")
    expect(row).to_contain_text("approvers see a warning")
    expect(eve.locator("#blackout-form")).to_have_count(0)
    no_sideways_scroll(eve)
    eve.goto("/")
    pick_type(eve, "Vacation")
    eve.get_by_label("First day", exact=True).fill((TODAY + timedelta(days=1)).isoformat())
    expect(eve.locator("#preview")).to_contain_text("This leave type needs 3 days' notice")
    eve.get_by_label("First day", exact=True).fill(MONDAY.isoformat())
    eve.get_by_label("Last day", exact=True).fill(FRIDAY.isoformat())
    expect(eve.get_by_test_id("preview-warning")).to_contain_text(
        f"Trade fair {size} ({MONDAY.day}"
    )
    expect(eve.get_by_test_id("preview-amount")).to_have_text("5")
    shot(eve, "preview-warning", size)

    # Eve claims time off in lieu; Paula approves her level; the credit reaches the balance.
    eve.goto("/toil")
    options = eve.locator("#f-leave_type_id option").all_inner_texts()
    assert options == ["Overtime (in hours)"]
    yesterday = TODAY - timedelta(days=1)
    eve.get_by_label("Day worked").fill(yesterday.isoformat())
    eve.get_by_label("Amount").fill("2.5")
    eve.get_by_label("What was the extra work?").fill("covered the Saturday release")
    eve.get_by_role("button", name="Send claim").click()
    expect(eve.locator("p.notice")).to_contain_text("Claim sent: 2.5 hours worked on")
    expect(eve.locator("#my-toil")).to_contain_text("Waiting for level 1 of 1: Paula Approver")
    shot(eve, "toil-claim", size)
    no_sideways_scroll(eve)

    paula = open_as(browser, web, size, paula_email)
    paula.goto("/toil")
    card = paula.locator("#toil-to-decide li", has_text="Eve Employee")
    expect(card).to_contain_text("2.5 hours worked on")
    shot(paula, "toil-decide", size)
    card.get_by_role("button", name="Approve the claim of Eve Employee").click()
    expect(paula.locator("p.notice")).to_contain_text("approved and credited")
    expect(paula.locator("#toil-to-decide")).to_have_count(0)

    eve.goto("/toil")
    expect(eve.locator("#my-toil")).to_contain_text("Approved by Paula Approver")

    def credited() -> bool:
        eve.goto("/")
        line = eve.locator(f'[data-leave-type="{overtime}"] [data-line="toil_earned"]')
        # Inside the closed "How this is made up": its text, not what is rendered.
        return line.count() == 1 and (line.text_content() or "").strip() == "2.5 hours"

    eventually(credited, timeout=30, interval=1.0, what="the TOIL credit in Eve's balance")
    seniority = eve.locator(f'[data-leave-type="{vacation}"] [data-line="seniority"]')
    assert (seniority.text_content() or "").strip() == "2 days"
    expect(eve.locator(f'[data-leave-type="{overtime}"] .toil-expiry')).to_contain_text(
        "Unused time off in lieu starts to expire on"
    )
    eve.goto(f"/ledger/{overtime}")
    expect(eve.locator(".ledger")).to_contain_text("Time off in lieu: covered the Saturday release")
    shot(eve, "toil-ledger", size)
