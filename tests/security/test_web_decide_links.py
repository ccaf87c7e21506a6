"""The dashboard's part of issue 13 on the real stack, in the machine's headless Chromium.

Approve links act only for their approver, a person who left is signed out with a sentence,
and every page holds the browser to a policy nothing on it breaks.

Before: the email's Approve link decided for whoever opened it (a forwarded mail, a Teams
channel). Now it opens the dashboard (``{web}/decide/{token}``): a stranger is asked to sign
in first; anyone signed in but the approver it was sent to sees nothing about the request and
cannot decide it; the approver sees who asked for what and decides with one button - at
phone and at desktop width. Screenshots: test-artifacts/security/.

The link test needs the notifications side of the change (links to the web,
``/v1/actions/{token}``); the departure test needs the services' standing lookup (a departed
employee's token refused within 60 s).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, coming_monday, eventually, sign_up
from leaveflow_kit.testing.smtp_sink import SmtpSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "security"
WAIT_MS = 20_000
PHONE: ViewportSize = {"width": 412, "height": 915}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
MONDAY = coming_monday() + timedelta(days=7)

expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One private stack for the module; notifications may reach the loopback SMTP sink."""
    with Stack(
        tmp_path_factory.mktemp("stack-web-links"),
        ports=Stack.free_ports(),
        env={"LEAVEFLOW_OUTBOUND_ALLOW": "127.0.0.0/8"},
        ready_timeout=60.0,
    ) as own:
        yield own


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


class Team:
    """Ana (user) in Ops, approved by Bo; Cy approves another department."""

    def __init__(self, tenant: Tenant, smtp: SmtpSink) -> None:
        self.tenant = tenant
        run = uuid4().hex[:6]
        location = tenant.location()
        self.vacation = tenant.leave_type("Vacation", location_ids=[location])
        self.bo_email, self.cy_email = f"bo-{run}@e2e.test", f"cy-{run}@e2e.test"
        self.bo, _ = tenant.employee(
            "Bo Berg", self.bo_email, role="approver", location_id=location
        )
        self.cy, _ = tenant.employee(
            "Cy Chen", self.cy_email, role="approver", location_id=location
        )
        with tenant.client("requests") as http:
            ops = http.post("/v1/departments", json={"name": "Ops", "approver_ids": [self.bo]})
            assert ops.status_code == 201, ops.text
            sales = http.post("/v1/departments", json={"name": "Sales", "approver_ids": [self.cy]})
            assert sales.status_code == 201, sales.text
        self.ana, self.ana_token = tenant.employee(
            "Ana Lima", f"ana-{run}@e2e.test", location_id=location,
            department_id=ops.json()["id"],
        )  # fmt: skip
        with tenant.client("notifications") as http:
            saved = http.put(
                "/v1/integrations/email",
                json={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "from": "lf@e2e.test"},
            )
            assert saved.status_code == 200, saved.text

    def submit(self) -> str:
        created = httpx.post(
            f"{self.tenant.urls['requests']}/v1/leave-requests",
            json={
                "leave_type_id": self.vacation,
                "start_date": MONDAY.isoformat(),
                "end_date": (MONDAY + timedelta(days=1)).isoformat(),
            },
            headers={"authorization": f"Bearer {self.ana_token}"},
            timeout=10,
        )
        assert created.status_code == 202, created.text
        return str(created.json()["id"])

    def status(self, request_id: str) -> str:
        with self.tenant.client("requests") as http:
            return str(http.get(f"/v1/leave-requests/{request_id}").json()["status"])


def approve_link(smtp: SmtpSink, to: str) -> str:
    (mail,) = eventually(
        lambda: [m for m in smtp.snapshot() if m["To"] == to], timeout=30, what=f"mail to {to}"
    )
    plain = mail.get_body(("plain",))
    assert plain is not None, mail
    found = re.search(r"Approve: (\S+)", plain.get_content())
    assert found is not None, plain.get_content()
    return found.group(1)


def person(browser: Browser, web: str, viewport: ViewportSize) -> Page:
    context = browser.new_context(base_url=web, viewport=viewport)
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def dev_sign_in(page: Page, email: str) -> None:
    """On the sign-in page the link sent us to; the form carries where to go on."""
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    # The dev box takes an email only; each test's people belong to one company.
    page.get_by_label("Email of the person to be").fill(email)
    page.get_by_role("button", name="Sign in without a check").click()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page is wider than the screen by {overflow}px"


def test_an_approve_link_shows_and_decides_only_for_its_approver(
    stack: Stack, browser: Browser, smtp: SmtpSink
) -> None:
    web = stack.urls["web"]
    tenant = sign_up(stack.urls)
    team = Team(tenant, smtp)
    request_id = team.submit()
    link = approve_link(smtp, team.bo_email)
    assert link.startswith(f"{web}/decide/"), f"the email should open the dashboard: {link}"

    # Cy (another department's approver) got the link forwarded: sign in first, then nothing.
    cy = person(browser, web, PHONE)
    opened = cy.goto(link)
    assert opened is not None
    assert opened.headers["referrer-policy"] == "no-referrer"
    dev_sign_in(cy, team.cy_email)
    expect(cy.get_by_role("heading", name="This link is not for you")).to_be_visible()
    assert cy.url == link
    text = cy.locator("main").inner_text()
    for secret in ("Ana", "Vacation", MONDAY.isoformat(), f"{MONDAY.day} {MONDAY:%b}", request_id):
        assert secret not in text, f"{secret!r} shown to someone the link is not for"
    expect(cy.get_by_role("button", name=re.compile("Approve"))).to_have_count(0)
    shot(cy, "decide-not-yours-phone")
    # Nor does a POST of the link decide for Cy.
    token = cy.locator("input[name=csrf_token]").first.get_attribute("value")
    posted = cy.request.post(link, form={"csrf_token": token or ""})
    assert posted.status == 404
    assert team.status(request_id) == "pending"

    # "Sign in as someone else" comes back to the link as Bo, who sees the request and approves.
    cy.get_by_role("button", name="Sign in as someone else").click()
    dev_sign_in(cy, team.bo_email)
    expect(cy.get_by_role("heading", name="Approve this request?")).to_be_visible()
    expect(cy.get_by_text("Ana Lima")).to_be_visible()
    expect(cy.get_by_text("Vacation")).to_be_visible()
    shot(cy, "decide-approver-phone")
    assert team.status(request_id) == "pending", "opening the link must not decide"
    cy.get_by_role("button", name="Approve this request").click()
    expect(cy.get_by_text("The request is now approved.")).to_be_visible()
    eventually(lambda: team.status(request_id) == "approved", what="request approved")

    # At desktop width, Bo opening it again is told there is nothing left to do (a used link
    # may also count as expired: either way it says so and decides nothing).
    bo = person(browser, web, DESKTOP)
    bo.goto(link)
    dev_sign_in(bo, team.bo_email)
    done = re.compile("Already decided|This link has expired")
    expect(bo.get_by_role("heading", name=done)).to_be_visible()
    expect(bo.get_by_role("button", name="Approve this request")).to_have_count(0)
    shot(bo, "decide-already-decided-desktop")


def test_a_person_who_left_is_signed_out_with_a_sentence(stack: Stack, browser: Browser) -> None:
    web = stack.urls["web"]
    tenant = sign_up(stack.urls)
    email = f"dee-{uuid4().hex[:6]}@e2e.test"
    dee, _ = tenant.employee("Dee Dorn", email)
    page = person(browser, web, PHONE)
    page.goto("/signin")
    dev_sign_in(page, email)
    expect(page.get_by_role("heading", name="My leave")).to_be_visible()
    with tenant.client("requests") as http:
        left = date.today() - timedelta(days=2)
        gone = http.patch(f"/v1/employees/{dee}", json={"end_date": left.isoformat()})
        assert gone.status_code == 200, gone.text

    def signed_out() -> bool:
        page.goto("/")
        return "/signin" in page.url

    eventually(signed_out, timeout=70, interval=2.0, what="the session of someone who left")
    expect(page.get_by_text("Your session ended - sign in again.")).to_be_visible()
    shot(page, "session-ended-phone")
    dev_sign_in(page, email)  # and no new session either
    expect(page.get_by_role("heading", name="My leave")).to_have_count(0)
    assert "/signin" in page.url


PAGES = ("/", "/team", "/approvals", "/admin", "/admin/employees", "/admin/integrations")


def test_no_page_breaks_the_content_security_policy(stack: Stack, browser: Browser) -> None:
    tenant = sign_up(stack.urls)
    # The request form is offered to someone with a location and a type there.
    berlin = tenant.location("Berlin")
    tenant.leave_type("Vacation", location_ids=[berlin])
    with tenant.client("requests") as http:
        placed = http.patch(f"/v1/employees/{tenant.admin_id}", json={"location_id": berlin})
    assert placed.status_code == 200, placed.text
    page = person(browser, stack.urls["web"], DESKTOP)
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto("/signin")
    dev_sign_in(page, tenant.admin_email)
    expect(page.get_by_role("heading", name="My leave")).to_be_visible()
    for path in PAGES:
        answer = page.goto(path)
        assert answer is not None
        assert answer.status == 200, path
        headers = answer.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
    # HTMX still works under the policy: the amount preview is fetched as the dates change.
    page.goto("/")
    page.get_by_label("Leave type", exact=True).select_option(label="Vacation")
    expect(page.get_by_label("First day is")).to_be_visible()
    with page.expect_response(lambda response: "/partials/preview" in response.url) as preview:
        page.get_by_label("First day", exact=True).fill(MONDAY.isoformat())
        page.get_by_label("Last day", exact=True).fill(MONDAY.isoformat())
    assert preview.value.status == 200
    assert refused == []


def test_a_post_over_one_mib_gets_the_413_page(stack: Stack) -> None:
    answer = httpx.post(
        f"{stack.urls['web']}/signin/dev",
        data={"tenant_id": "t", "email": "x" * (1024 * 1024 + 1)},
        timeout=10,
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert "larger than this form accepts" in answer.text
    assert answer.headers["x-frame-options"] == "DENY"
