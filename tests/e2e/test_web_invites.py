"""Invites on the real stack: the admin imports people from CSV in the dashboard and sends
them invites with one button; each invite email reaches the SMTP sink (the company's email
integration), and its link opens the sign-in page, which shows no id of any kind."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from uuid import uuid4

import pytest
from playwright.sync_api import Browser, expect

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, dev_sign_in, eventually
from leaveflow_kit.testing.smtp_sink import SmtpSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)
LINK = re.compile(r"https?://[^\s\"'<>]+/signin\?[^\s\"'<>]+")


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    assert part is not None
    return str(part.get_content())


def test_imported_people_are_invited_and_the_link_leads_to_sign_in_without_ids(
    stack: Stack, tenant: Tenant, smtp: SmtpSink, browser: Browser
) -> None:
    with tenant.client("notifications") as http:
        answer = http.put(
            "/v1/integrations/email",
            json={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "from": "lf@e2e.test"},
        )
        assert answer.status_code == 200, answer.text
    tenant.location("Berlin")
    run = uuid4().hex[:8]
    nia, omar = f"nia-{run}@e2e.test", f"omar-{run}@e2e.test"

    admin = browser.new_context(base_url=stack.urls["web"], viewport={"width": 412, "height": 915})
    admin.set_default_timeout(WAIT_MS)
    page = admin.new_page()
    try:
        dev_sign_in(page, tenant.admin_email)
        page.goto("/admin/employees")
        page.get_by_label("…or paste it").fill(
            "name,email,location,department,role,start_date\n"
            f"Nia New,{nia},Berlin,,user,2020-01-01\n"
            f"Omar New,{omar},Berlin,,user,2020-01-01\n"
        )
        page.get_by_role("button", name="Import").click()
        expect(page.locator("#import-report")).to_contain_text("2 created")
        page.get_by_role("button", name="Send invites to the 2 people imported").click()
        expect(
            page.get_by_role("status").filter(has_text="Invites sent to 2 people")
        ).to_be_visible()
        expect(page.get_by_role("button", name="Invite again Nia New")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "invites-01-sent.png"), full_page=True)
    finally:
        admin.close()

    def mail_to(address: str) -> EmailMessage | None:
        return next((m for m in smtp.snapshot() if address in str(m["To"])), None)

    eventually(
        lambda: mail_to(nia) and mail_to(omar), timeout=60.0, interval=0.5, what="both invites"
    )
    invite = mail_to(nia)
    assert invite is not None
    body = text_of(invite)
    found = LINK.search(body)
    assert found, body
    link = found.group(0)
    assert tenant.tenant_id not in link
    assert tenant.tenant_id not in body

    guest = browser.new_context(viewport={"width": 412, "height": 915})
    guest.set_default_timeout(WAIT_MS)
    try:
        landing = guest.new_page()
        landing.goto(link)
        expect(landing.get_by_role("heading", name=re.compile("Sign in"))).to_be_visible()
        expect(landing.get_by_label("Your work email")).to_have_value(nia)
        shown = landing.locator("body").inner_text()
        with tenant.client("requests") as http:
            people = http.get("/v1/employees").json()["items"]
        ids = [str(p["id"]) for p in people]
        assert len(ids) == 3  # the admin, Nia and Omar
        assert not [i for i in ids if i in landing.content() or i in body]
        assert tenant.tenant_id not in shown
        assert tenant.tenant_id not in landing.content()
        assert "tenant" not in shown.lower()
        assert "company id" not in shown.lower()
        assert "password" not in shown.lower()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        landing.screenshot(path=str(ARTIFACTS / "invites-02-link-landing.png"), full_page=True)
    finally:
        guest.close()
