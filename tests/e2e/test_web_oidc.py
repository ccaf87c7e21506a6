"""OpenID Connect sign-in against a real provider on loopback (panva/oidc-provider on Node),
configured the deprecated way: one provider for one company per deployment (WEB_OIDC_*,
WEB_OIDC_TENANT_ID), which keeps working beside per-company SSO.

The web runs as its own process configured for that provider; the browser is the machine's
headless Chromium. A verified email of an employee signs in; a forged state, a replayed
code, an ID token for another audience, an unverified email and a stranger are refused.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from leaveflow_devstack import Stack
from leaveflow_devstack.ports import free_ports
from leaveflow_devstack.process import ManagedProcess
from leaveflow_devstack.testing import Tenant, eventually, sign_up

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "browser" / "oidc_provider"
CLIENT_ID = "leaveflow-web"
WAIT_MS = 20_000
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
expect.set_options(timeout=WAIT_MS)


@dataclass(frozen=True)
class SignOn:
    web: str
    issuer: str
    tenant: Tenant
    emails: dict[str, str]  # provider login -> email
    rogue_file: Path


def _free_port() -> int:
    return free_ports()["web"]


def _ready(url: str, what: str, process: ManagedProcess) -> None:
    def up() -> bool:
        assert process.running, f"{what} exited:\n{process.tail()}"
        return httpx.get(url, timeout=1.0).status_code == 200

    eventually(up, timeout=30.0, what=f"{what} ready")


@pytest.fixture(scope="module")
def sign_on(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignOn]:
    node = shutil.which("node")
    if node is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("needs node and `npm ci` in tests/browser/oidc_provider (make test does it)")
    tmp = tmp_path_factory.mktemp("oidc")
    tenant = sign_up(stack.urls)
    run = uuid4().hex[:8]
    emails = {
        "olga": f"olga-{run}@acme.test",
        "victor": f"victor-{run}@acme.test",  # the provider has not verified it
        "stranger": f"stranger-{run}@elsewhere.test",  # verified, but no employee
    }
    tenant.employee("Olga Oidc", emails["olga"])
    tenant.employee("Victor Unverified", emails["victor"])
    provider_port, web_port = _free_port(), _free_port()
    issuer, web = f"http://127.0.0.1:{provider_port}", f"http://127.0.0.1:{web_port}"
    secret = uuid4().hex
    accounts = {
        login: {"email": email, "email_verified": login != "victor"}
        for login, email in emails.items()
    }
    rogue_file = tmp / "rogue-audience"
    provider = ManagedProcess(
        "oidc-provider",
        [node, str(PROVIDER_DIR / "provider.mjs")],
        env={
            "PATH": "/usr/bin:/bin",
            "PORT": str(provider_port),
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": secret,
            "REDIRECT_URI": f"{web}/auth/oidc/callback",
            "ACCOUNTS": json.dumps(accounts),
            "ROGUE_FILE": str(rogue_file),
        },
        log_path=tmp / "provider.log",
    )
    web_process = ManagedProcess(
        "web-oidc",
        [sys.executable, "-m", "leaveflow_web"],
        env={
            **stack.service_env(),
            "WEB_PORT": str(web_port),
            "WEB_PUBLIC_URL": web,
            "WEB_OIDC_ISSUER": issuer,
            "WEB_OIDC_CLIENT_ID": CLIENT_ID,
            "WEB_OIDC_CLIENT_SECRET": secret,
            "WEB_OIDC_TENANT_ID": tenant.tenant_id,
        },
        log_path=tmp / "web.log",
    )
    try:
        provider.spawn()
        _ready(f"{issuer}/.well-known/openid-configuration", "oidc-provider", provider)
        web_process.spawn()
        _ready(f"{web}/readyz", "web", web_process)
        yield SignOn(web, issuer, tenant, emails, rogue_file)
    finally:
        web_process.terminate(5.0)
        provider.terminate(5.0)


@pytest.fixture
def page(browser: Browser, sign_on: SignOn) -> Iterator[Page]:
    context = browser.new_context(base_url=sign_on.web)
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


def start_at_provider(page: Page, email: str) -> None:
    """Email first, then the deployment's single sign-on button on the options page."""
    page.goto("/signin")
    page.get_by_label("Your work email").fill(email)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue with your company's single sign-on").click()


def provider_sign_in(page: Page, sign_on: SignOn, login: str) -> None:
    """Go through the provider's login and consent pages as ``login``."""
    start_at_provider(page, sign_on.emails[login])
    page.wait_for_url(f"{sign_on.issuer}/**")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    deadline = time.monotonic() + WAIT_MS / 1000
    while page.url.startswith(sign_on.issuer) and time.monotonic() < deadline:
        consent = page.locator("button[type=submit]")
        if consent.count():
            consent.first.click()  # the consent page; the web is the next stop
        page.wait_for_load_state()
    page.wait_for_url(f"{sign_on.web}/**")


def signed_in_as(page: Page, email: str) -> None:
    expect(page.get_by_role("heading", name="My leave")).to_be_visible()
    expect(page.locator(".who")).to_have_text(email)


def refused(page: Page, reason: str) -> None:
    expect(page.get_by_role("alert")).to_contain_text(reason)
    page.goto("/")
    expect(page).to_have_url(f"{page.url.split('/signin')[0]}/signin")  # not signed in


def test_a_verified_employee_signs_in_with_the_provider(page: Page, sign_on: SignOn) -> None:
    provider_sign_in(page, sign_on, "olga")
    signed_in_as(page, sign_on.emails["olga"])
    cookie = next(c for c in page.context.cookies() if c["name"] == "leaveflow_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"


def test_a_forged_state_is_refused(sign_on: SignOn) -> None:
    with httpx.Client(base_url=sign_on.web) as client:
        token = CSRF.search(client.get("/signin").text)
        assert token
        options = client.post(
            "/signin", data={"csrf_token": token.group(1), "email": sign_on.emails["olga"]}
        )
        token = CSRF.search(options.text)
        assert token
        started = client.post(
            "/signin/provider", data={"csrf_token": token.group(1), "provider": "legacy"}
        )
        assert started.status_code == 302
        assert started.headers["location"].startswith(f"{sign_on.issuer}/auth?")
        answer = client.get("/auth/oidc/callback", params={"code": "x", "state": "forged"})
        assert answer.status_code == 401
        assert "Sign-in refused" in answer.text
        assert client.get("/").headers["location"] == "/signin"


def test_a_replayed_code_is_refused(page: Page, sign_on: SignOn) -> None:
    callbacks: list[str] = []
    page.on(
        "request",
        lambda r: callbacks.append(r.url) if "/auth/oidc/callback" in r.url else None,
    )
    provider_sign_in(page, sign_on, "olga")
    signed_in_as(page, sign_on.emails["olga"])
    used_code = httpx.URL(callbacks[0]).params["code"]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signin")
    # A new sign-in starts (fresh state and PKCE verifier in the session); the old code is
    # then presented with that fresh state, as an attacker holding a used code would.
    # Forget the provider's own session, or it would sign olga in again at once.
    page.context.clear_cookies(name="_session")
    at_provider = re.compile(rf"^{re.escape(sign_on.issuer)}/auth\?")
    with page.expect_request(at_provider) as sent:
        start_at_provider(page, sign_on.emails["olga"])
    fresh_state = httpx.URL(sent.value.url).params["state"]
    page.goto(f"/auth/oidc/callback?code={used_code}&state={fresh_state}")
    refused(page, "Sign-in refused: grant request is invalid")  # the provider's answer


def test_an_id_token_for_another_audience_is_refused(page: Page, sign_on: SignOn) -> None:
    sign_on.rogue_file.write_text("someone-else")
    try:
        provider_sign_in(page, sign_on, "olga")
    finally:
        sign_on.rogue_file.unlink()
    refused(page, "Sign-in refused: the ID token was not accepted (InvalidClaimError)")


def test_an_unverified_email_is_refused(page: Page, sign_on: SignOn) -> None:
    provider_sign_in(page, sign_on, "victor")
    refused(page, "has not verified this email")


def test_a_verified_stranger_is_not_let_in(page: Page, sign_on: SignOn) -> None:
    provider_sign_in(page, sign_on, "stranger")
    refused(page, "No company on Leaveflow has this email as an active person.")
