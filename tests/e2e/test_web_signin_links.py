"""Sign-in links by email on the real stack: the web, the requests service's single-use
links and the notifications service's mail, through an aiosmtpd server on loopback (the
company's own email integration), in the machine's headless Chromium.

Refusals: a used link, one opened in another browser (an expired one is in
test_web_signin_link_expiry.py: a running service's clock cannot be moved). Enumeration:
a known and an unknown email get the same pages in the same time class, and only the known
one gets a mail. Too many attempts for one email: 429.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, eventually, sign_up
from leaveflow_kit.testing.smtp_sink import SmtpSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HX_CSRF = re.compile(r'"x-csrf-token": "[^"]+"')
HX_CSRF_VALUE = re.compile(r'"x-csrf-token": "([^"]+)"')
LINK = re.compile(r"http://127\.0\.0\.1:\d+/signin/link\?token=[A-Za-z0-9_\-.~%]+")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "signin"


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


def with_mail(tenant: Tenant, sink: SmtpSink) -> Tenant:
    with tenant.client("notifications") as http:
        answer = http.put(
            "/v1/integrations/email",
            json={"smtp_host": "127.0.0.1", "smtp_port": sink.port, "from": "lf@e2e.test"},
        )
    assert answer.status_code == 200, answer.text
    return tenant


@pytest.fixture(scope="module")
def company(stack: Stack, sink: SmtpSink) -> Tenant:
    return with_mail(sign_up(stack.urls), sink)


def new_page(browser: Browser, web: str, phone: bool = False) -> Page:
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 800}
    context = browser.new_context(base_url=web, viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def person(company: Tenant, name: str) -> str:
    email = f"{name.lower()}-{uuid4().hex[:8]}@e2e.test"
    company.employee(name, email)
    return email


def mails_to(sink: SmtpSink, email: str) -> list[EmailMessage]:
    return [m for m in sink.snapshot() if m["To"] == email]


def link_in(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found, body.get_content()
    return found.group(0)


def mailed_link(sink: SmtpSink, email: str, count: int = 1) -> str:
    eventually(lambda: len(mails_to(sink, email)) >= count, timeout=30.0, what=f"mail to {email}")
    message = mails_to(sink, email)[count - 1]
    assert message["Subject"] == "Your sign-in link for Leaveflow"
    return link_in(message)


def no_ids(page: Page, *ids: str) -> None:
    text = page.content()
    assert "tenant" not in page.inner_text("body").lower()
    for identifier in ids:
        assert identifier not in text


def shot(page: Page, name: str, *, fits: bool = True) -> None:
    """Save the page for the record; a sign-in page must fit the screen's width."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if not fits:
        return
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page is wider than the screen by {overflow}px"


def ask_for_link(page: Page, email: str, shots: str = "") -> None:
    page.goto("/signin")
    page.get_by_label("Your work email").fill(email)
    if shots:
        shot(page, f"{shots}-1-email")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="How do you want to sign in?")).to_be_visible()
    if shots:
        shot(page, f"{shots}-2-options")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    if shots:
        shot(page, f"{shots}-3-sent")


def open_link(page: Page, link: str) -> None:
    page.goto(link)
    expect(page.get_by_role("heading", name="Sign in with your link")).to_be_visible()
    page.get_by_role("button", name="Continue").click()


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_person_signs_in_with_a_link_without_seeing_an_id(
    browser: Browser, stack: Stack, company: Tenant, sink: SmtpSink, phone: bool
) -> None:
    email = person(company, "Mia")
    page = new_page(browser, stack.urls["web"], phone=phone)
    label = "phone" if phone else "desktop"
    ask_for_link(page, email, shots=f"link-{label}")
    no_ids(page, company.tenant_id)
    link = mailed_link(sink, email)
    open_link(page, link)
    expect(page.get_by_role("heading", name="My leave")).to_be_visible()
    expect(page.locator(".who")).to_have_text(email)
    no_ids(page, company.tenant_id)
    shot(page, f"link-{label}-4-home", fits=False)  # the home page is not a sign-in page


def test_a_used_link_is_refused(
    browser: Browser, stack: Stack, company: Tenant, sink: SmtpSink
) -> None:
    email = person(company, "Ugo")
    page = new_page(browser, stack.urls["web"])
    ask_for_link(page, email)
    link = mailed_link(sink, email)
    open_link(page, link)
    expect(page.get_by_role("heading", name="My leave")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    ask_for_link(page, email)  # this browser asks again: it holds a nonce again
    open_link(page, link)  # the first link, once more
    expect(page.get_by_role("alert")).to_contain_text("already been used or has expired")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/signin$"))


def test_a_link_opened_in_another_browser_is_refused_and_still_works_in_the_right_one(
    browser: Browser, stack: Stack, company: Tenant, sink: SmtpSink
) -> None:
    email = person(company, "Oda")
    asking = new_page(browser, stack.urls["web"])
    ask_for_link(asking, email)
    link = mailed_link(sink, email)
    elsewhere = new_page(browser, stack.urls["web"])
    open_link(elsewhere, link)
    expect(elsewhere.get_by_role("alert")).to_have_text(
        "Open the link in the browser where you asked for it."
    )
    open_link(asking, link)
    expect(asking.get_by_role("heading", name="My leave")).to_be_visible()


def test_a_person_in_two_companies_chooses_by_name(
    browser: Browser, stack: Stack, company: Tenant, sink: SmtpSink
) -> None:
    run = uuid4().hex[:6]
    second = with_mail(sign_up(stack.urls, name=f"Zeta Works {run}"), sink)
    email = f"kai-{run}@e2e.test"
    company.employee("Kai", email)
    second.employee("Kai", email)
    page = new_page(browser, stack.urls["web"], phone=True)
    ask_for_link(page, email)
    open_link(page, mailed_link(sink, email))
    expect(page.get_by_role("heading", name="Choose your company")).to_be_visible()
    no_ids(page, company.tenant_id, second.tenant_id)
    shot(page, "chooser-phone")
    page.get_by_role("button", name=f"Zeta Works {run}").click()
    expect(page.get_by_role("heading", name="My leave")).to_be_visible()


def masked(page: httpx.Response, email: str) -> str:
    text = HX_CSRF.sub('"x-csrf-token": ""', page.text)
    return CSRF.sub('name="csrf_token" value=""', text).replace(email, "EMAIL")


def one_attempt(web: str, email: str) -> tuple[str, str, float]:
    """The options page and the "check your email" page for ``email``, and how long the
    two answers took."""
    with httpx.Client(base_url=web, timeout=10.0) as browser:
        token = CSRF.search(browser.get("/signin").text)
        assert token
        began = time.perf_counter()
        options = browser.post("/signin", data={"csrf_token": token.group(1), "email": email})
        token = CSRF.search(options.text)
        assert token
        sent = browser.post("/signin/link", data={"csrf_token": token.group(1)})
        took = time.perf_counter() - began
    assert options.status_code == sent.status_code == 200
    return masked(options, email), masked(sent, email), took


def test_known_and_unknown_emails_get_the_same_answers_in_the_same_time(
    stack: Stack, company: Tenant, sink: SmtpSink
) -> None:
    known = person(company, "Kim")
    unknown = f"nobody-{uuid4().hex[:8]}@e2e.test"
    # Alternating, so a slow moment of the machine hits both alike.
    web = stack.urls["web"]
    answers = [one_attempt(web, email) for _ in range(2) for email in (known, unknown)]
    known_answers, unknown_answers = answers[0::2], answers[1::2]
    assert {a[:2] for a in known_answers} == {a[:2] for a in unknown_answers}
    assert len({a[:2] for a in answers}) == 1
    known_time = statistics.median(a[2] for a in known_answers)
    unknown_time = statistics.median(a[2] for a in unknown_answers)
    # The link is made and mailed after the answer went: no lookup on the way shows.
    assert abs(known_time - unknown_time) < 0.5, (known_time, unknown_time)
    eventually(lambda: len(mails_to(sink, known)) == 2, timeout=30.0, what="two mails")
    assert mails_to(sink, unknown) == []


def test_too_many_attempts_for_one_email_are_answered_429(stack: Stack) -> None:
    email = f"flood-{uuid4().hex[:8]}@e2e.test"
    with httpx.Client(base_url=stack.urls["web"], timeout=10.0) as client:
        statuses = []
        for _ in range(6):
            token = CSRF.search(client.get("/signin").text)
            assert token
            answer = client.post("/signin", data={"csrf_token": token.group(1), "email": email})
            statuses.append(answer.status_code)
    assert statuses == [200] * 5 + [429]
    assert int(answer.headers["retry-after"]) > 0
    assert "Too many attempts - try again in" in answer.text


def test_a_second_company_with_the_same_admin_email_is_confirmed_by_a_link(
    browser: Browser, stack: Stack, sink: SmtpSink
) -> None:
    first = with_mail(sign_up(stack.urls), sink)  # its admin's address gets the mail
    run = uuid4().hex[:6]
    page = new_page(browser, stack.urls["web"], phone=True)
    page.goto("/signup")
    page.get_by_label("Company name").fill(f"Second Co {run}")
    page.get_by_label("Your name").fill("Ada Admin")
    page.get_by_label("Your work email").fill(first.admin_email)
    page.get_by_role("button", name="Create company").click()
    expect(page.get_by_role("status").filter(has_text="We have emailed")).to_have_text(
        f"We have emailed {first.admin_email} a link to confirm another company. "
        "Open it in this browser within 15 minutes."
    )
    shot(page, "signup-confirm-phone")
    eventually(lambda: mails_to(sink, first.admin_email), timeout=30.0, what="the confirmation")
    (message,) = mails_to(sink, first.admin_email)
    assert message["Subject"] == "Confirm your new company on Leaveflow"
    open_link(page, link_in(message))
    expect(page).to_have_url(re.compile(r"/admin$"))
    expect(page.locator(".who")).to_have_text(first.admin_email)
    no_ids(page, first.tenant_id)


def test_signing_out_ends_the_session_for_a_copied_cookie_too(
    stack: Stack, company: Tenant
) -> None:
    email = person(company, "Cora")
    with httpx.Client(base_url=stack.urls["web"], timeout=10.0) as browser:
        token = CSRF.search(browser.get("/signin").text)
        assert token
        signed = browser.post("/signin/dev", data={"csrf_token": token.group(1), "email": email})
        assert signed.status_code == 303, signed.text
        copied = dict(browser.cookies)
        home = browser.get("/")
        assert home.status_code == 200
        token = CSRF.search(home.text) or HX_CSRF_VALUE.search(home.text)
        assert token
        assert browser.post("/signout", data={"csrf_token": token.group(1)}).status_code == 303
    with httpx.Client(base_url=stack.urls["web"], cookies=copied, timeout=10.0) as thief:
        answer = thief.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin")
