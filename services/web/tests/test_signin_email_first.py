"""Email first: the options page depends on the email's domain only, never on whether the
email belongs to anyone; the chooser (names only) comes after proof; no page shows an id
or the word "tenant"; attempts are limited per email and per address."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from leaveflow_web.bootstrap import create_app

from .conftest import WEB, FakeServices, FakeSso, Membership, csrf_of, masked, settings, sign_in

BETA_ID = "9f3c2a41d7e84b6b8a1c0d5e6f7a8b9c"  # ids long enough to be told from any text


async def options_for(client: httpx.AsyncClient, email: str) -> httpx.Response:
    page = await client.get("/signin")
    return await client.post("/signin", data={"csrf_token": csrf_of(page), "email": email})


def assert_no_ids(text: str, *ids: str) -> None:
    assert "tenant" not in text.lower()
    for identifier in ids:
        assert identifier not in text


async def test_the_sign_in_page_asks_for_an_email_only(dashboard: httpx.AsyncClient) -> None:
    page = await dashboard.get("/signin")
    assert 'name="email"' in page.text
    assert 'name="tenant_id"' not in page.text
    assert "Company id" not in page.text
    assert "Dev sign-in — for trying Leaveflow out, anyone can be anyone" in page.text


async def test_known_and_unknown_emails_get_the_same_options(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    known = await options_for(dashboard, "eve@acme.test")
    unknown = await options_for(dashboard, "nobody@acme.test")
    assert known.status_code == unknown.status_code == 200
    assert masked(known, "eve@acme.test") == masked(unknown, "nobody@acme.test")
    assert "Email me a sign-in link" in known.text
    assert "Acme" not in known.text  # the company of the email is not said before proof


async def test_the_domain_of_a_company_sso_offers_its_button_by_name(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.sso[BETA_ID] = FakeSso(
        BETA_ID, "Beta Works", "https://sso.beta.test", email_domains=("beta.test",)
    )
    page = await options_for(dashboard, "anyone@beta.test")
    assert "Continue with Beta Works&#39;s single sign-on" in page.text
    assert "Email me a sign-in link" in page.text
    assert_no_ids(page.text, BETA_ID)
    other = await options_for(dashboard, "anyone@acme.test")
    assert "Beta Works" not in other.text


async def test_an_enforced_sso_leaves_only_itself_and_the_admin_recovery_link(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.sso[BETA_ID] = FakeSso(
        BETA_ID, "Beta Works", "https://sso.beta.test", email_domains=("beta.test",), enforce=True
    )
    page = await options_for(dashboard, "anyone@beta.test")
    assert "Continue with Beta Works&#39;s single sign-on" in page.text
    assert "Email me a sign-in link" not in page.text
    assert "Admin recovery: email me a link" in page.text


async def test_the_platform_providers_configured_are_offered(fake: FakeServices) -> None:
    app = create_app(
        settings(google_client_id="g", slack_client_id="s"), transport=httpx.MockTransport(fake)
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as web:
        page = await options_for(web, "eve@acme.test")
    assert "Continue with Google" in page.text
    assert "Continue with Slack" in page.text
    assert "Continue with Microsoft" not in page.text


async def test_several_companies_get_a_chooser_by_name_after_proof(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.others["eve@acme.test"] = [Membership(BETA_ID, "Beta Works", "eve-at-beta", "admin")]
    chooser = await sign_in(dashboard, "eve@acme.test")
    assert chooser.status_code == 200
    assert "Choose your company" in chooser.text
    assert "Acme" in chooser.text
    assert "Beta Works" in chooser.text
    assert_no_ids(chooser.text, BETA_ID, "eve-at-beta")
    assert (await dashboard.get("/")).status_code == 303  # not signed in yet
    # Sorted by name: Acme first, Beta Works second.
    chosen = await dashboard.post(
        "/signin/choose", data={"csrf_token": csrf_of(chooser), "choice": "1"}
    )
    assert chosen.status_code == 303
    (opened,) = fake.sessions.values()
    assert (opened["tenant_id"], opened["employee_id"], opened["via"]) == (
        BETA_ID,
        "eve-at-beta",
        "dev",
    )
    home = await dashboard.get("/")
    assert home.status_code == 200
    assert 'href="/admin"' in home.text  # her role there


async def test_a_choice_outside_the_list_is_asked_again(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.others["eve@acme.test"] = [Membership(BETA_ID, "Beta Works", "eve-at-beta")]
    chooser = await sign_in(dashboard, "eve@acme.test")
    answer = await dashboard.post(
        "/signin/choose", data={"csrf_token": csrf_of(chooser), "choice": "7"}
    )
    assert answer.status_code == 422
    assert "Choose one of the companies below." in answer.text
    assert fake.sessions == {}


async def test_nobody_with_the_email_gets_the_neutral_sentence(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    answer = await sign_in(dashboard, "stranger@elsewhere.test")
    assert answer.status_code == 403
    assert "No company on Leaveflow has this email as an active person." in answer.text
    assert fake.sessions == {}


async def test_a_session_carries_the_browser_as_its_label(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    page = await dashboard.get("/signin")
    await dashboard.post(
        "/signin/dev",
        data={"csrf_token": csrf_of(page), "email": "eve@acme.test"},
        headers={"user-agent": "Firefox on a phone " + "x" * 300},
    )
    (opened,) = fake.sessions.values()
    assert opened["label"].startswith("Firefox on a phone")
    assert len(opened["label"]) == 200


async def test_signing_out_ends_the_session_at_the_requests_service(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    await sign_in(dashboard, "eve@acme.test")
    home = await dashboard.get("/")
    await dashboard.post("/signout", data={"csrf_token": csrf_of(home)})
    deleted = [c for c in fake.calls if c.method == "DELETE"]
    assert [c.url.path for c in deleted] == ["/v1/sessions/s1"]
    assert (await dashboard.get("/")).status_code == 303


@pytest.fixture
async def strict(
    fake: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    """Per address: 4 sign-in attempts a minute; per email: 2 in the window."""
    monkeypatch.setenv("LEAVEFLOW_RATE_LIMITS", "signin=4/60")
    app = create_app(settings(signin_attempts_per_email=2), transport=httpx.MockTransport(fake))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as web:
        yield web


async def test_too_many_attempts_for_one_email_get_a_429_page(strict: httpx.AsyncClient) -> None:
    for _ in range(2):
        assert (await options_for(strict, "eve@acme.test")).status_code == 200
    refused = await options_for(strict, "eve@acme.test")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "Too many attempts - try again in" in refused.text
    assert (await options_for(strict, "sam@acme.test")).status_code == 200  # another email


async def test_too_many_attempts_from_one_address_get_a_429_page(
    strict: httpx.AsyncClient,
) -> None:
    for email in ("a@acme.test", "b@acme.test", "c@acme.test", "d@acme.test"):
        assert (await options_for(strict, email)).status_code == 200
    refused = await options_for(strict, "e@acme.test")
    assert refused.status_code == 429
    assert "retry-after" in refused.headers


async def test_an_unknown_email_is_limited_like_a_known_one(strict: httpx.AsyncClient) -> None:
    for _ in range(2):
        await options_for(strict, "nobody@acme.test")
    assert (await options_for(strict, "nobody@acme.test")).status_code == 429


async def test_an_invitation_link_fills_in_the_email(dashboard: httpx.AsyncClient) -> None:
    page = await dashboard.get("/signin", params={"email": "new.person@acme.test"})
    assert 'value="new.person@acme.test"' in page.text
    hostile = await dashboard.get("/signin", params={"email": '"><script>x</script>'})
    assert "<script>x</script>" not in hostile.text  # escaped like any echoed input


async def test_without_dev_login_there_is_no_dev_box_and_no_dev_route(
    fake: FakeServices,
) -> None:
    app = create_app(settings(dev_login=False), transport=httpx.MockTransport(fake))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as web:
        page = await web.get("/signin")
        assert "Dev sign-in" not in page.text
        answer = await web.post(
            "/signin/dev", data={"csrf_token": csrf_of(page), "email": "eve@acme.test"}
        )
    assert answer.status_code == 404
    assert fake.sessions == {}
