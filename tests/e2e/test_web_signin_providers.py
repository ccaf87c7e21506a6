"""Sign-in through several OpenID issuers on loopback (panva/oidc-provider on Node), one web.

Five issuers in one provider process: Acme's and Beta's own single sign-on (each company's
`PUT /v1/sso`), a Microsoft-shaped multi-tenant issuer, a Slack-shaped one (team id claim)
and a Google-shaped one (hd claim), the last three configured by the operator. Each admits
the right person and refuses when the token's directory, team, domain or audience is wrong.
The browser is the machine's headless Chromium; the web runs as its own process on the
shared stack.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from leaveflow_devstack import Stack
from leaveflow_devstack.ports import free_ports
from leaveflow_devstack.process import ManagedProcess
from leaveflow_devstack.testing import Tenant, eventually, sign_up

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "browser" / "oidc_provider"
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)
SLACK_TEAM = "https://slack.com/team_id"
ISSUERS = ("acme", "beta", "microsoft", "slack", "google")
NO_COMPANY = "No company on Leaveflow has this email as an active person."
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "signin"


@dataclass
class World:
    web: str
    issuers: dict[str, str]
    acme: Tenant
    beta: Tenant
    domains: dict[str, str]  # "acme" / "beta" -> the company's email domain
    names: dict[str, str]  # "acme" / "beta" -> the company's name
    emails: dict[str, str]  # provider login -> the email its account carries
    rogue: dict[str, Path]  # issuer -> its rogue-audience switch
    secrets: dict[str, str] = field(default_factory=dict)  # issuer -> client secret


def _port() -> int:
    return free_ports()["web"]


def _ready(url: str, what: str, process: ManagedProcess) -> None:
    def up() -> bool:
        assert process.running, f"{what} exited:\n{process.tail()}"
        return httpx.get(url, timeout=1.0).status_code == 200

    eventually(up, timeout=30.0, what=f"{what} ready")


def _accounts(run: str, domains: dict[str, str]) -> dict[str, dict[str, dict[str, object]]]:
    acme, beta = domains["acme"], domains["beta"]

    def person(email: str, **claims: object) -> dict[str, object]:
        return {"email": email, "email_verified": True, **claims}

    return {
        "acme": {
            "olga": person(f"olga@{acme}"),
            "carl": person(f"carl-{run}@contractor.test"),  # an Acme employee, not its domain
        },
        "beta": {
            "bea": person(f"bea@{beta}"),
            "ann": person(f"ann@{beta}"),  # an employee of Acme only
        },
        "microsoft": {
            "mo": person(f"mo@{acme}", tid="dir-acme"),
            "mallory": person(f"mallory@{acme}", tid="dir-acme", _iss_tid="dir-elsewhere"),
            # As Microsoft's tokens are: no email_verified, the domain-owner claim instead.
            "meg": {"email": f"meg@{acme}", "tid": "dir-acme", "xms_edov": True},
        },
        "slack": {
            "sol": person(f"sol@{acme}", **{SLACK_TEAM: "T-ACME"}),
            "sid": person(f"sid@{acme}", **{SLACK_TEAM: "T-ELSEWHERE"}),
        },
        "google": {
            "gil": person(f"gil@{acme}", hd=acme),
            "gus": person(f"gus@{acme}"),  # a personal account: no Workspace domain
        },
    }


@pytest.fixture(scope="module")
def world(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    node = shutil.which("node")
    if node is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("needs node and `npm ci` in tests/browser/oidc_provider (make test does it)")
    tmp = tmp_path_factory.mktemp("issuers")
    run = uuid4().hex[:8]
    domains = {"acme": f"acme-{run}.test", "beta": f"beta-{run}.test"}
    names = {"acme": f"Acme {run}", "beta": f"Beta {run}"}
    acme = sign_up(stack.urls, name=names["acme"])
    beta = sign_up(stack.urls, name=names["beta"])
    accounts = _accounts(run, domains)
    emails = {login: str(a["email"]) for issuer in accounts.values() for login, a in issuer.items()}
    for login, email in emails.items():
        (beta if login == "bea" else acme).employee(login.title(), email)
    ports = {name: _port() for name in ISSUERS}
    web_port = _port()
    web = f"http://127.0.0.1:{web_port}"
    issuers = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    secrets = {name: uuid4().hex for name in ISSUERS}
    rogue = {name: tmp / f"rogue-{name}" for name in ISSUERS}
    configs = [
        {
            "port": ports[name],
            "client_id": f"leaveflow-{name}",
            "client_secret": secrets[name],
            "redirect_uri": f"{web}/auth/oidc/callback",
            "accounts": accounts[name],
            "extra_claims": ["tid", "hd", "xms_edov", SLACK_TEAM],
            "microsoft": name == "microsoft",
            "rogue_file": str(rogue[name]),
        }
        for name in ISSUERS
    ]
    provider = ManagedProcess(
        "oidc-issuers",
        [node, str(PROVIDER_DIR / "provider.mjs")],
        env={"PATH": "/usr/bin:/bin", "ISSUERS": json.dumps(configs)},
        log_path=tmp / "issuers.log",
    )
    platform = {
        "WEB_MICROSOFT_ISSUER": f"{issuers['microsoft']}/common/v2.0",
        "WEB_SLACK_ISSUER": issuers["slack"],
        "WEB_GOOGLE_ISSUER": issuers["google"],
    }
    for name in ("microsoft", "slack", "google"):
        platform[f"WEB_{name.upper()}_CLIENT_ID"] = f"leaveflow-{name}"
        platform[f"WEB_{name.upper()}_CLIENT_SECRET"] = secrets[name]
    web_process = ManagedProcess(
        "web-issuers",
        [sys.executable, "-m", "leaveflow_web"],
        env={
            **stack.service_env(),
            "WEB_PORT": str(web_port),
            "WEB_PUBLIC_URL": web,
            # These tests type the same few addresses again and again; the per-email limit
            # has tests of its own (test_web_signin_links.py).
            "WEB_SIGNIN_ATTEMPTS_PER_EMAIL": "1000",
            **platform,
        },
        log_path=tmp / "web.log",
    )
    with acme.client("notifications") as http:
        slack = {
            "team_id": "T-ACME",
            "webhook_url": "http://127.0.0.1:9/slack-hook",
            "signing_secret": uuid4().hex,
        }
        answer = http.put("/v1/integrations/slack", json=slack)
        assert answer.status_code == 200, answer.text
    try:
        provider.spawn()
        for name, issuer in issuers.items():
            path = "/common/v2.0" if name == "microsoft" else ""
            _ready(f"{issuer}{path}/.well-known/openid-configuration", name, provider)
        web_process.spawn()
        _ready(f"{web}/readyz", "web", web_process)
        yield World(web, issuers, acme, beta, domains, names, emails, rogue, secrets)
    finally:
        web_process.terminate(5.0)
        provider.terminate(5.0)


@pytest.fixture(scope="module")
def company_sso(world: World) -> World:
    """Acme and Beta each register their own issuer (`PUT /v1/sso`)."""
    for name, company in (("acme", world.acme), ("beta", world.beta)):
        with company.client("requests") as http:
            answer = http.put(
                "/v1/sso",
                json={
                    "issuer": world.issuers[name],
                    "client_id": f"leaveflow-{name}",
                    "client_secret": world.secrets[name],
                    "email_domains": [world.domains[name]],
                    "enforce": False,
                },
            )
        assert answer.status_code == 200, answer.text
    return world


@pytest.fixture
def page(browser: Browser, world: World) -> Iterator[Page]:
    context = browser.new_context(base_url=world.web)
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


def sign_in_with(
    page: Page, world: World, issuer: str, button: str, typed: str, login: str
) -> None:
    """Email ``typed`` on our page, ``button`` on the options page, then the issuer's login
    and consent pages as ``login``; back at the web at the end."""
    page.goto("/signin")
    page.get_by_label("Your work email").fill(typed)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name=button).click()
    page.wait_for_url(f"{world.issuers[issuer]}/**")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    deadline = time.monotonic() + WAIT_MS / 1000
    while page.url.startswith(world.issuers[issuer]) and time.monotonic() < deadline:
        consent = page.locator("button[type=submit]")
        if consent.count():
            consent.first.click()  # the consent page; the web is the next stop
        page.wait_for_load_state()
    page.wait_for_url(f"{world.web}/**")


def signed_in_as(page: Page, email: str, *ids: str) -> None:
    expect(page.get_by_role("heading", name="My leave")).to_be_visible()
    expect(page.locator(".who")).to_have_text(email)
    assert "tenant" not in page.inner_text("body").lower()
    for identifier in ids:
        assert identifier not in page.content()


def refused(page: Page, reason: str) -> None:
    expect(page.get_by_role("alert")).to_contain_text(reason)
    page.goto("/")
    expect(page).to_have_url(f"{page.url.split('/signin')[0]}/signin")  # not signed in


# -- a company's own single sign-on ------------------------------------------------------------


def sso_button(world: World, company: str) -> str:
    return f"Continue with {world.names[company]}'s single sign-on"


def test_acme_sso_signs_in_acme_people(page: Page, company_sso: World) -> None:
    world = company_sso
    sign_in_with(page, world, "acme", sso_button(world, "acme"), world.emails["olga"], "olga")
    signed_in_as(page, world.emails["olga"], world.acme.tenant_id)


def test_acme_sso_refuses_an_address_outside_its_domains(page: Page, company_sso: World) -> None:
    world = company_sso
    # Typed an Acme address, but the provider proves another one (an Acme employee's too).
    sign_in_with(page, world, "acme", sso_button(world, "acme"), world.emails["olga"], "carl")
    refused(page, "signs in only addresses of its own domains")


def test_acme_sso_refuses_a_token_for_another_audience(page: Page, company_sso: World) -> None:
    world = company_sso
    world.rogue["acme"].write_text("someone-else")
    try:
        sign_in_with(page, world, "acme", sso_button(world, "acme"), world.emails["olga"], "olga")
    finally:
        world.rogue["acme"].unlink()
    refused(page, "the ID token was not accepted")


def test_beta_sso_signs_in_beta_people(page: Page, company_sso: World) -> None:
    world = company_sso
    sign_in_with(page, world, "beta", sso_button(world, "beta"), world.emails["bea"], "bea")
    signed_in_as(page, world.emails["bea"], world.beta.tenant_id)


def test_beta_sso_refuses_someone_who_works_for_another_company(
    page: Page, company_sso: World
) -> None:
    world = company_sso
    sign_in_with(page, world, "beta", sso_button(world, "beta"), world.emails["ann"], "ann")
    refused(page, NO_COMPANY)


def test_the_options_page_offers_a_company_sso_only_for_its_domain(
    page: Page, company_sso: World
) -> None:
    world = company_sso
    page.goto("/signin")
    page.get_by_label("Your work email").fill(f"someone@{world.domains['beta']}")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name=sso_button(world, "beta"))).to_be_visible()
    expect(page.get_by_role("button", name=sso_button(world, "acme"))).to_have_count(0)
    assert world.beta.tenant_id not in page.content()


# -- Microsoft-shaped multi-tenant issuer --------------------------------------------------------


def test_microsoft_signs_in_with_a_token_of_its_own_directory(page: Page, world: World) -> None:
    sign_in_with(page, world, "microsoft", "Continue with Microsoft", world.emails["mo"], "mo")
    signed_in_as(page, world.emails["mo"], world.acme.tenant_id)


def test_microsoft_proves_an_email_by_its_domain_owner_claim(page: Page, world: World) -> None:
    sign_in_with(page, world, "microsoft", "Continue with Microsoft", world.emails["meg"], "meg")
    signed_in_as(page, world.emails["meg"], world.acme.tenant_id)


def test_microsoft_refuses_a_token_whose_issuer_names_another_directory(
    page: Page, world: World
) -> None:
    email = world.emails["mallory"]
    sign_in_with(page, world, "microsoft", "Continue with Microsoft", email, "mallory")
    refused(page, "the ID token comes from another issuer")


def test_microsoft_refuses_a_token_for_another_audience(page: Page, world: World) -> None:
    world.rogue["microsoft"].write_text("someone-else")
    try:
        sign_in_with(page, world, "microsoft", "Continue with Microsoft", world.emails["mo"], "mo")
    finally:
        world.rogue["microsoft"].unlink()
    refused(page, "the ID token was not accepted")


# -- Slack-shaped issuer -----------------------------------------------------------------------


def test_slack_signs_in_a_member_of_the_company_workspace(page: Page, world: World) -> None:
    sign_in_with(page, world, "slack", "Continue with Slack", world.emails["sol"], "sol")
    signed_in_as(page, world.emails["sol"], world.acme.tenant_id, "T-ACME")


def test_slack_refuses_another_workspace(page: Page, world: World) -> None:
    sign_in_with(page, world, "slack", "Continue with Slack", world.emails["sid"], "sid")
    refused(page, "This Slack workspace is not the one")


def test_slack_refuses_a_token_for_another_audience(page: Page, world: World) -> None:
    world.rogue["slack"].write_text("someone-else")
    try:
        sign_in_with(page, world, "slack", "Continue with Slack", world.emails["sol"], "sol")
    finally:
        world.rogue["slack"].unlink()
    refused(page, "the ID token was not accepted")


# -- Google-shaped issuer (hd) -----------------------------------------------------------------


def test_google_signs_in_an_account_of_the_company_workspace(
    page: Page, company_sso: World
) -> None:
    world = company_sso
    sign_in_with(page, world, "google", "Continue with Google", world.emails["gil"], "gil")
    signed_in_as(page, world.emails["gil"], world.acme.tenant_id)


def test_google_refuses_an_account_outside_the_company_workspace(
    page: Page, company_sso: World
) -> None:
    world = company_sso
    sign_in_with(page, world, "google", "Continue with Google", world.emails["gus"], "gus")
    refused(page, "accepts only Google accounts of its own Workspace")


# -- a company that enforces its own single sign-on ------------------------------------------


@pytest.fixture
def acme_enforces(company_sso: World) -> Iterator[World]:
    world = company_sso

    def put(enforce: bool) -> None:
        with world.acme.client("requests") as http:
            answer = http.put(
                "/v1/sso",
                json={
                    "issuer": world.issuers["acme"],
                    "client_id": "leaveflow-acme",
                    "email_domains": [world.domains["acme"]],
                    "enforce": enforce,
                },
            )
        assert answer.status_code == 200, answer.text

    put(True)
    try:
        yield world
    finally:
        put(False)


def test_an_enforcing_company_offers_only_its_sso_and_the_admin_recovery(
    page: Page, acme_enforces: World
) -> None:
    world = acme_enforces
    page.goto("/signin")
    page.get_by_label("Your work email").fill(world.emails["olga"])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name=sso_button(world, "acme"))).to_be_visible()
    expect(page.get_by_role("button", name="Admin recovery: email me a link")).to_be_visible()
    for gone in ("Continue with Slack", "Continue with Google", "Email me a sign-in link"):
        expect(page.get_by_role("button", name=gone)).to_have_count(0)


def test_an_enforcing_company_is_not_entered_through_slack(
    page: Page, acme_enforces: World
) -> None:
    world = acme_enforces
    # Typed elsewhere, so the options page offers Slack; Slack proves an Acme address.
    sign_in_with(page, world, "slack", "Continue with Slack", "sol@elsewhere.test", "sol")
    refused(page, f"{world.names['acme']} asks everyone to sign in with its own single sign-on.")


def test_an_enforcing_company_still_signs_in_through_its_own_sso(
    page: Page, acme_enforces: World
) -> None:
    world = acme_enforces
    sign_in_with(page, world, "acme", sso_button(world, "acme"), world.emails["olga"], "olga")
    signed_in_as(page, world.emails["olga"], world.acme.tenant_id)


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_the_options_page_with_every_provider_fits_the_screen(
    browser: Browser, company_sso: World, width: int
) -> None:
    world = company_sso
    context = browser.new_context(base_url=world.web, viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto("/signin")
        page.get_by_label("Your work email").fill(world.emails["olga"])
        page.get_by_role("button", name="Continue").click()
        for button in (sso_button(world, "acme"), "Continue with Google", "Continue with Slack"):
            expect(page.get_by_role("button", name=button)).to_be_visible()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"options-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the options page is wider than the screen by {overflow}px"
    finally:
        context.close()
