"""Issue 14's done-when on the embedded stack: a new person invited by email signs in without
ever seeing an id or a password.

Everything goes through the real parts as people use them, in the machine's Chromium: an admin
signs up a company on /signup and sets it up on the admin pages (a location, a leave type, the
company's email integration pointing at an aiosmtpd sink on loopback, the person), then
invites them. The invited person, in a browser of their own at phone width, opens the invite
email's link, asks for a sign-in link, opens it, and lands on their Home; then registers a
passkey on the Security page (Chromium's virtual authenticator) and signs in with it alone.

The ids are collected from the API (the service-only lookup, as the web itself finds a
person's company) and searched for in every page's HTML, its URL and every email.
WebAuthn refuses IP addresses as relying parties, so the stack's public host is localhost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import eventually
from leaveflow_kit.testing.smtp_sink import SmtpSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(360)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "journey"
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)
DESKTOP: ViewportSize = {"width": 1366, "height": 850}
PHONE: ViewportSize = {"width": 390, "height": 844}
INVITE_LINK = re.compile(r"http://localhost:\d+/signin\?email=[^\s\"'<>]+")
SIGNIN_LINK = re.compile(r"http://localhost:\d+/signin/link\?token=[A-Za-z0-9_\-.~%]+")


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


def body_of(message: EmailMessage) -> str:
    """Both parts of a mail: an id may hide in either."""
    parts = [message.get_body(("plain",)), message.get_body(("html",))]
    return "\n".join(str(part.get_content()) for part in parts if part is not None)


def mails_to(sink: SmtpSink, email: str) -> list[EmailMessage]:
    return [m for m in sink.snapshot() if m["To"] == email]


def link_in(text: str, pattern: re.Pattern[str]) -> str:
    found = pattern.search(text)
    assert found, text
    return found.group(0).replace("&amp;", "&")


def service_call(stack: Stack, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A call only Leaveflow services make (the stack's shared secret): how the test learns
    the ids the person must never see, without reading anything the pages show."""
    secret = stack.service_env()["LEAVEFLOW_SERVICE_SECRET"]
    answer = httpx.post(
        stack.urls["requests"] + path,
        json=body,
        headers={"authorization": f"Service {secret}"},
        timeout=10.0,
    )
    assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"
    found: dict[str, Any] = answer.json()
    return found


def ids_of_the_company(stack: Stack, admin_email: str) -> list[str]:
    """The company's id and every one of its employees' ids."""
    (company,) = service_call(stack, "/v1/auth/lookup", {"email": admin_email})["companies"]
    tenant_id = str(company["tenant_id"])
    token = service_call(
        stack,
        "/v1/auth/service-token",
        {"tenant_id": tenant_id, "email": admin_email, "via": "web"},
    )["token"]
    people = httpx.get(
        stack.urls["requests"] + "/v1/employees",
        headers={"authorization": f"Bearer {token}"},
        timeout=10.0,
    )
    assert people.status_code == 200, people.text
    return [tenant_id, *(str(p["id"]) for p in people.json()["items"])]


class Seen:
    """What the invited person was shown, page by page, checked as it is shown."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        self.pages: list[str] = []

    def check(self, page: Page, name: str) -> None:
        html = page.content()
        text = page.inner_text("body")
        assert page.locator("input[type=password]").count() == 0, f"{name}: a password field"
        # Saying "no password to remember" is fine; a field for one is not.
        assert page.get_by_label(re.compile("password", re.I)).count() == 0, f"{name}: asks one"
        assert "tenant" not in text.lower(), f"{name}: says 'tenant'"
        assert "company id" not in text.lower(), f"{name}: asks for a company id"
        for identifier in self.ids:
            assert identifier not in html, f"{name}: id {identifier} in the page's HTML"
            assert identifier not in page.url, f"{name}: id {identifier} in its URL"
        values = page.eval_on_selector_all(
            "a[href], form[action], input, button[value], option",
            "els => els.map(e => e.getAttribute('href') || e.getAttribute('action') || e.value)",
        )
        for value in values:
            assert not [i for i in self.ids if i in str(value)], f"{name}: an id in {value!r}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{len(self.pages) + 1:02d}-{name}.png"))
        self.pages.append(name)

    def mail(self, message: EmailMessage, name: str) -> str:
        text = body_of(message)
        for identifier in self.ids:
            assert identifier not in text, f"{name}: id {identifier} in the mail"
            assert identifier not in str(message["Subject"]), f"{name}: id in the subject"
        assert "tenant" not in text.lower(), f"{name}: the mail says 'tenant'"
        return text


def set_up_the_company(page: Page, company: str, admin: str, person: str, sink: SmtpSink) -> None:
    """The admin's part, on the admin pages at desktop width."""
    page.goto("/signup")
    page.get_by_label("Company name").fill(company)
    page.get_by_label("Your name").fill("Ada Admin")
    page.get_by_label("Your work email").fill(admin)
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_role("button", name="Create company").click()
    expect(page).to_have_url(re.compile(r"/admin$"))
    expect(page.locator(".who")).to_have_text(admin)

    page.goto("/admin/locations")
    page.get_by_label("Name", exact=True).fill("Lisbon")
    page.get_by_label("Time zone").select_option("Europe/Lisbon")
    page.get_by_role("button", name="Add location").click()
    expect(page.get_by_role("status").filter(has_text="Location Lisbon added.")).to_be_visible()

    page.goto("/admin/leave-types")
    page.get_by_label("Name", exact=True).fill("Vacation")
    page.get_by_role("button", name="Add leave type").click()
    expect(page.get_by_role("status").filter(has_text="Leave type Vacation added.")).to_be_visible()

    page.goto("/admin/integrations")
    page.get_by_label("SMTP host").fill("127.0.0.1")
    page.get_by_label("SMTP port").fill(str(sink.port))
    page.get_by_label("From address").fill("leave@e2e.test")
    page.get_by_label("STARTTLS").uncheck()  # the sink speaks plain SMTP
    page.get_by_role("button", name="Save Email (SMTP)").click()
    expect(page.get_by_role("status").filter(has_text="Email integration saved.")).to_be_visible()

    page.goto("/admin/employees")
    form = page.locator("form[method='post'][action='/admin/employees']")
    form.get_by_label("Name", exact=True).fill("Nora Novak")
    form.get_by_label("Email").fill(person)
    form.get_by_label("Role").select_option(label="Employee")
    form.get_by_label("Location").select_option(label="Lisbon")
    form.get_by_role("button", name="Add employee").click()
    expect(page.get_by_role("status").filter(has_text="Nora Novak added.")).to_be_visible()
    page.get_by_role("button", name="Invite Nora Novak").click()
    expect(page.get_by_role("status").filter(has_text="Invites sent to 1 person")).to_be_visible()
    expect(page.get_by_role("button", name="Invite again Nora Novak")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "00-admin-invited.png"), full_page=True)


def with_authenticator(page: Page) -> None:
    """A platform authenticator in this browser, as a phone has (discoverable credentials,
    the person's fingerprint always accepted)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def signed_in_home(page: Page, email: str) -> None:
    expect(page.get_by_role("heading", name="My leave")).to_be_visible()
    expect(page.locator(".who")).to_have_text(email)


def test_an_invited_person_signs_in_by_link_then_by_passkey_without_an_id_or_password(
    make_stack: Callable[..., Stack], browser: Browser, smtp: SmtpSink
) -> None:
    stack = make_stack(public_host="localhost")
    web = stack.dashboard_url
    run = uuid4().hex[:8]
    company, admin = f"Atlantic Tiles {run}", f"ada-{run}@e2e.test"
    person = f"nora-{run}@e2e.test"

    office = browser.new_context(base_url=web, viewport=DESKTOP)
    office.set_default_timeout(WAIT_MS)
    try:
        desk = office.new_page()
        set_up_the_company(desk, company, admin, person, smtp)
        ids = ids_of_the_company(stack, admin)
        assert len(ids) == 3  # the company, its admin and Nora
        # The search below can fail: the admin's own page carries Nora's id (her invite form).
        assert [i for i in ids if i in desk.content()], "the ids are not the pages' ids"
    finally:
        office.close()
    seen = Seen(ids)
    (invite,) = eventually(lambda: mails_to(smtp, person), timeout=60.0, what="the invite")
    assert invite["Subject"] == f"{company} invited you to Leaveflow"
    invite_link = link_in(seen.mail(invite, "invite mail"), INVITE_LINK)

    # Nora's phone: a browser that has never seen Leaveflow.
    phone = browser.new_context(viewport=PHONE)
    phone.set_default_timeout(WAIT_MS)
    try:
        page = phone.new_page()
        with_authenticator(page)
        page.goto(invite_link)
        expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
        expect(page.get_by_label("Your work email")).to_have_value(person)
        seen.check(page, "invite-landing")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="How do you want to sign in?")).to_be_visible()
        seen.check(page, "options")
        page.get_by_role("button", name="Email me a sign-in link").click()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        seen.check(page, "check-your-email")

        def sign_in_mail() -> list[EmailMessage]:
            return [m for m in mails_to(smtp, person) if m["Subject"] != invite["Subject"]]

        (mail,) = eventually(sign_in_mail, timeout=60.0, what="the sign-in link")
        assert mail["Subject"] == "Your sign-in link for Leaveflow"
        page.goto(link_in(seen.mail(mail, "sign-in mail"), SIGNIN_LINK))
        expect(page.get_by_role("heading", name="Sign in with your link")).to_be_visible()
        seen.check(page, "link")
        page.get_by_role("button", name="Continue").click()
        signed_in_home(page, person)
        seen.check(page, "home-by-link")

        page.get_by_role("link", name="Security").click()
        expect(page.get_by_role("heading", name="Passkeys")).to_be_visible()
        seen.check(page, "security")
        page.get_by_label("Name of the new passkey").fill("Nora's phone")
        page.get_by_role("button", name="Add a passkey").click()
        expect(page.get_by_role("status").filter(has_text="Passkey added.")).to_be_visible()
        expect(page.locator("li.passkey").filter(has_text="Nora's phone")).to_be_visible()
        seen.check(page, "security-passkey-added")

        page.get_by_role("button", name="Sign out", exact=True).click()
        expect(page).to_have_url(re.compile(r"/signin"))
        seen.check(page, "signed-out")
        page.get_by_role("button", name="Sign in with a passkey").click()
        signed_in_home(page, person)
        seen.check(page, "home-by-passkey")
        page.get_by_role("link", name="Security").click()
        expect(page.locator("li.session.current")).to_contain_text("Signed in with a passkey")
        seen.check(page, "security-after-passkey")
    finally:
        phone.close()
    assert len(mails_to(smtp, person)) == 2  # the invite and one sign-in link: nothing else
    assert len(seen.pages) == 10
