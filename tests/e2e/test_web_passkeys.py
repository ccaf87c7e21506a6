"""Passkeys in the machine's Chromium with its virtual authenticator (CDP WebAuthn), on the
real stack: register on the Security page, sign out, sign in with the passkey alone; a copy
of the passkey with a stale counter is refused; sessions are listed and revoked (a revoked
browser is signed out on its next page).

WebAuthn refuses IP addresses as relying parties, so this stack's web is reached (and its
WEB_PUBLIC_URL set) as http://localhost:<port>.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, ViewportSize, expect

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, dev_sign_in, eventually, sign_up

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)
CLONED = "it looks like a copy of a passkey that was already used"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    ports = Stack.free_ports()
    with Stack(
        tmp_path_factory.mktemp("stack-passkeys"),
        ports=ports,
        env={"WEB_PUBLIC_URL": f"http://localhost:{ports['web']}"},
        ready_timeout=90.0,
    ) as own:
        yield own


@pytest.fixture
def tenant(stack: Stack) -> Tenant:
    return sign_up(stack.urls)


def web_of(stack: Stack) -> str:
    return f"http://localhost:{stack.ports['web']}"


class Device:
    """A browser profile (its own cookies) with a virtual platform authenticator."""

    def __init__(self, browser: Browser, web: str, *, phone: bool = False) -> None:
        size: ViewportSize = (
            {"width": 412, "height": 915} if phone else {"width": 1280, "height": 900}
        )
        self.context: BrowserContext = browser.new_context(base_url=web, viewport=size)
        self.context.set_default_timeout(WAIT_MS)
        self.page: Page = self.context.new_page()
        self.cdp: CDPSession = self.context.new_cdp_session(self.page)
        self.cdp.send("WebAuthn.enable")
        added = self.cdp.send(
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
        self.authenticator = str(added["authenticatorId"])

    def credentials(self) -> list[dict[str, Any]]:
        found = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator})
        return list(found["credentials"])

    def add_credential(self, credential: dict[str, Any]) -> None:
        self.cdp.send(
            "WebAuthn.addCredential",
            {"authenticatorId": self.authenticator, "credential": credential},
        )

    def close(self) -> None:
        self.context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/signin"))


def passkey_sign_in(page: Page) -> None:
    page.goto("/signin")
    page.get_by_role("button", name="Sign in with a passkey").click()


def test_register_sign_out_then_sign_in_with_the_passkey_alone_and_a_copy_is_refused(
    stack: Stack, browser: Browser, tenant: Tenant
) -> None:
    web = web_of(stack)
    laptop = Device(browser, web)
    try:
        page = laptop.page
        dev_sign_in(page, tenant.admin_email)
        page.get_by_role("link", name="Security").click()
        expect(page.get_by_role("heading", name="Passkeys")).to_be_visible()
        expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()
        page.get_by_label("Name of the new passkey").fill("Work laptop")
        page.get_by_role("button", name="Add a passkey").click()
        expect(page.get_by_role("status").filter(has_text="Passkey added.")).to_be_visible()
        expect(page.locator("li.passkey").filter(has_text="Work laptop")).to_be_visible()
        [made] = laptop.credentials()
        assert made["isResidentCredential"] is True  # discoverable: no email needed later
        assert made["rpId"] == "localhost"
        shot(page, "passkeys-01-added")

        sign_out(page)
        passkey_sign_in(page)
        expect(page.get_by_role("heading", name="My leave")).to_be_visible()
        expect(page.get_by_text(tenant.admin_email)).to_be_visible()
        page.goto("/security")
        this = page.locator("li.session.current")
        expect(this).to_contain_text("Signed in with a passkey")
        expect(this).to_contain_text("this browser")
        expect(page.locator("li.passkey").filter(has_text="Work laptop")).to_contain_text(
            "last used"
        )

        # A copy of the credential as it is now; the original is used once more after it.
        [copied] = laptop.credentials()
        sign_out(page)
        passkey_sign_in(page)
        expect(page.get_by_role("heading", name="My leave")).to_be_visible()
        assert laptop.credentials()[0]["signCount"] > copied["signCount"]

        other = Device(browser, web)
        try:
            other.add_credential(copied)
            passkey_sign_in(other.page)
            expect(other.page.get_by_role("alert").filter(has_text=CLONED)).to_be_visible()
            shot(other.page, "passkeys-02-copy-refused")
            other.page.goto("/")
            expect(other.page).to_have_url(re.compile(r"/signin"))
        finally:
            other.close()
    finally:
        laptop.close()


def test_sessions_are_listed_and_revoked_and_the_revoked_browser_is_signed_out(
    stack: Stack, browser: Browser, tenant: Tenant
) -> None:
    web = web_of(stack)
    desk, phone = Device(browser, web), Device(browser, web, phone=True)
    try:
        dev_sign_in(desk.page, tenant.admin_email)
        dev_sign_in(phone.page, tenant.admin_email)
        desk.page.goto("/security")
        sessions = desk.page.locator("li.session")
        expect(sessions).to_have_count(2)
        expect(desk.page.locator("li.session.current")).to_have_count(1)
        phone.page.goto("/security")
        expect(phone.page.locator("li.session.current")).to_have_count(1)
        phone_session = phone.page.locator("li.session.current").get_attribute("data-session")
        assert phone_session
        shot(phone.page, "passkeys-03-sessions-phone")
        # The desk signs the phone out.
        desk.page.goto("/security")
        desk.page.locator(f'li.session[data-session="{phone_session}"]').get_by_role(
            "button", name="Sign out this session"
        ).click()
        expect(
            desk.page.get_by_role("status").filter(has_text="That session is signed out.")
        ).to_be_visible()
        expect(desk.page.locator("li.session")).to_have_count(1)

        def phone_signed_out() -> bool:
            phone.page.goto("/team")
            return "/signin" in phone.page.url

        eventually(
            phone_signed_out, timeout=90.0, interval=2.0, what="the revoked phone is signed out"
        )
        expect(phone.page.get_by_text("Your session ended")).to_be_visible()

        # Sign out everywhere: this browser too, at once.
        desk.page.get_by_role("button", name="Sign out everywhere").click()
        expect(
            desk.page.get_by_role("status").filter(has_text="You signed out everywhere")
        ).to_contain_text("this one included")
        desk.page.goto("/")
        expect(desk.page).to_have_url(re.compile(r"/signin"))
    finally:
        desk.close()
        phone.close()
