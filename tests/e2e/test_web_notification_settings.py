"""Notification preferences on the real stack, in Chromium at desktop and phone size: Ana
turns email off on her Notifications page; when her leave is approved, the company's Slack
channel (a loopback webhook recorder) still gets the post and her inbox (an aiosmtpd sink)
gets nothing, while her approver's email about the same request still arrives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, eventually
from leaveflow_kit.testing import RecordedCall, WebhookSink
from leaveflow_kit.testing.smtp_sink import SmtpSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)
SIZES = {"desktop": (1366, 850), "phone": (390, 844)}
START = date.today() + timedelta(days=21)
while START.weekday() != 0:
    START += timedelta(days=1)


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    with WebhookSink() as recorder:
        yield recorder


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


def _team(tenant: Tenant, sink: WebhookSink, smtp: SmtpSink) -> dict[str, str]:
    """Ana (user) in a department Bo approves; Slack by webhook only, and email."""
    location = tenant.location()
    run = uuid4().hex[:6]
    found = {"vacation": tenant.leave_type("Vacation", location_ids=[location])}
    found["bo_email"], found["ana_email"] = f"bo-{run}@e2e.test", f"ana-{run}@e2e.test"
    found["bo"], found["bo_token"] = tenant.employee(
        "Bo Berg", found["bo_email"], role="approver", location_id=location
    )
    with tenant.client("requests") as http:
        made = http.post("/v1/departments", json={"name": "Ops", "approver_ids": [found["bo"]]})
        assert made.status_code == 201, made.text
    found["ana"], found["ana_token"] = tenant.employee(
        "Ana Lima", found["ana_email"], location_id=location, department_id=made.json()["id"]
    )
    with tenant.client("notifications") as http:
        slack = http.put("/v1/integrations/slack", json={"webhook_url": sink.url})
        assert slack.status_code == 200, slack.text
        email = http.put(
            "/v1/integrations/email",
            json={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "from": "lf@e2e.test"},
        )
        assert email.status_code == 200, email.text
    return found


def _mails_to(smtp: SmtpSink, address: str) -> list[EmailMessage]:
    return [m for m in smtp.snapshot() if address in str(m["To"])]


def _posts(sink: WebhookSink, contains: str) -> list[RecordedCall]:
    return [c for c in sink.snapshot() if contains in c.body.decode()]


def _fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("size", list(SIZES))
def test_email_turned_off_sends_no_email_while_slack_still_posts(
    stack: Stack, tenant: Tenant, sink: WebhookSink, smtp: SmtpSink, browser: Browser, size: str
) -> None:
    team = _team(tenant, sink, smtp)
    width, height = SIZES[size]
    context = browser.new_context(
        base_url=stack.urls["web"], viewport={"width": width, "height": height}
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        page.goto("/signin")
        page.get_by_label("Email of the person to be").fill(team["ana_email"])
        page.get_by_role("button", name="Sign in without a check").click()
        expect(page.get_by_role("heading", name="My leave")).to_be_visible()
        expect(page.get_by_test_id("person-name")).to_have_text("Ana Lima")
        expect(page.locator(".who")).to_have_text(team["ana_email"])

        nav = page.get_by_role("navigation", name="Main")
        nav.get_by_role("link", name="Notifications").click()
        expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
        slack, email = page.get_by_label("Slack"), page.get_by_label("Email", exact=True)
        expect(slack).to_be_checked()
        expect(email).to_be_checked()
        expect(page.get_by_label("Microsoft Teams")).to_have_count(0)  # not set up
        expect(page.locator("#channel-email-hint")).to_contain_text(team["ana_email"])
        assert _fits(page), f"horizontal scroll at {width} px"
        email.uncheck()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
        expect(page.get_by_label("Email", exact=True)).not_to_be_checked()
        expect(page.get_by_label("Slack")).to_be_checked()
        assert _fits(page), f"horizontal scroll at {width} px"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"notifications-{size}.png"), full_page=True)
    finally:
        context.close()

    with tenant.client("notifications") as http:
        chosen = http.get(f"/v1/preferences/{team['ana']}").json()
    assert (chosen["email"], chosen["slack"]) == (False, True)

    request_id = _submit(tenant, team)
    # The email integration works in this run: Bo is asked by email.
    eventually(
        lambda: _mails_to(smtp, team["bo_email"]), timeout=60, interval=0.5, what="Bo's email"
    )
    approved = httpx.post(
        f"{stack.urls['requests']}/v1/leave-requests/{request_id}/approve",
        json={},
        headers={"authorization": f"Bearer {team['bo_token']}"},
        timeout=10,
    )
    assert approved.status_code == 200, approved.text
    eventually(
        lambda: _posts(sink, "was approved"), timeout=60, interval=0.5, what="Slack channel post"
    )
    # The approval's deliveries are made together, so once Slack's is sent, an email one
    # would exist too.
    with tenant.client("notifications") as http:
        log: list[dict[str, Any]] = http.get("/v1/deliveries").json()["items"]
    assert [d for d in log if d["channel"] == "email"], "Bo's email is in the log"
    to_ana = [d for d in log if team["ana"] in str(d.get("recipient"))]
    assert [d["channel"] for d in to_ana if d["channel"] == "email"] == []
    assert _mails_to(smtp, team["ana_email"]) == []


def _submit(tenant: Tenant, team: dict[str, str]) -> str:
    made = httpx.post(
        f"{tenant.urls['requests']}/v1/leave-requests",
        json={
            "leave_type_id": team["vacation"],
            "start_date": START.isoformat(),
            "end_date": (START + timedelta(days=1)).isoformat(),
        },
        headers={"authorization": f"Bearer {team['ana_token']}"},
        timeout=10,
    )
    assert made.status_code == 202, made.text
    request_id = str(made.json()["id"])

    def pending() -> bool:
        with tenant.client("requests") as http:
            return bool(http.get(f"/v1/leave-requests/{request_id}").json()["status"] == "pending")

    eventually(pending, timeout=60, interval=0.5, what="the request pending")
    return request_id
