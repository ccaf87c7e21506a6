"""Sign-in links: bound to the browser that asked (a cookie nonce, only its hash leaves
the web), a GET that uses nothing up, refusals in sentences, the same answer for unknown
emails, and a second company confirmed by a link."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from leaveflow_web.bootstrap import create_app

from .conftest import WEB, FakeServices, FakeSso, Membership, csrf_of, masked, settings

BETA_ID = "9f3c2a41d7e84b6b8a1c0d5e6f7a8b9c"


async def ask_for_link(client: httpx.AsyncClient, email: str) -> httpx.Response:
    page = await client.get("/signin")
    options = await client.post("/signin", data={"csrf_token": csrf_of(page), "email": email})
    return await client.post("/signin/link", data={"csrf_token": csrf_of(options)})


def token_of(mail: dict[str, object]) -> str:
    link = str(mail["link"])
    assert link.startswith("http://127.0.0.1:8000/signin/link?")
    return parse_qs(urlsplit(link).query)["token"][0]


async def use_link(client: httpx.AsyncClient, token: str) -> httpx.Response:
    opened = await client.get("/signin/link", params={"token": token})
    assert opened.status_code == 200
    return await client.post(
        "/signin/link/redeem", data={"csrf_token": csrf_of(opened), "token": token}
    )


@pytest.fixture
async def other_browser(fake: FakeServices) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(), transport=httpx.MockTransport(fake))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as web:
        yield web


async def test_a_link_signs_in_the_browser_that_asked(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    sent = await ask_for_link(dashboard, "Eve@Acme.test")
    assert sent.status_code == 200
    assert "Check your email" in sent.text
    (mail,) = fake.mails
    assert (mail["to"], mail["purpose"], mail["tenant_ids"]) == ("eve@acme.test", "sign_in", ["t1"])
    (asked,) = [c for c in fake.calls if c.url.path == "/v1/auth/magic-links"]
    assert b"nonce_hash" in asked.content
    token = token_of(mail)
    opened = await dashboard.get("/signin/link", params={"token": token})
    assert "Continue" in opened.text
    assert opened.headers["cache-control"] == "no-store"
    assert not fake.magic[token].used  # opening the link (a mail scanner) uses nothing up
    signed = await dashboard.post(
        "/signin/link/redeem", data={"csrf_token": csrf_of(opened), "token": token}
    )
    assert signed.status_code == 303
    assert signed.headers["location"] == "/"
    (opened_session,) = fake.sessions.values()
    assert opened_session["via"] == "magic_link"
    assert (await dashboard.get("/")).status_code == 200


async def test_only_the_hash_of_the_browser_nonce_leaves_the_web(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    await ask_for_link(dashboard, "eve@acme.test")
    (link,) = fake.magic.values()
    assert re.fullmatch(r"[0-9a-f]{64}", link.nonce_hash)
    await use_link(dashboard, next(iter(fake.magic)))
    (redeem,) = [c for c in fake.calls if c.url.path == "/v1/auth/magic-links/redeem"]
    nonce = json.loads(redeem.content)["nonce"]
    assert hashlib.sha256(nonce.encode()).hexdigest() == link.nonce_hash
    assert nonce not in (await dashboard.get("/")).text  # it stays in the cookie


async def test_a_used_link_is_refused_with_a_sentence(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    await ask_for_link(dashboard, "eve@acme.test")
    token = token_of(fake.mails[0])
    assert (await use_link(dashboard, token)).status_code == 303
    home = await dashboard.get("/")
    await dashboard.post("/signout", data={"csrf_token": csrf_of(home)})
    await ask_for_link(dashboard, "eve@acme.test")  # a nonce in this browser again
    again = await use_link(dashboard, token)
    assert again.status_code == 410
    assert "already been used or has expired" in again.text


async def test_an_expired_link_is_refused_with_a_sentence(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    await ask_for_link(dashboard, "eve@acme.test")
    token = token_of(fake.mails[0])
    fake.magic[token].expired = True
    answer = await use_link(dashboard, token)
    assert answer.status_code == 410
    assert "Ask for a new one." in answer.text
    assert (await dashboard.get("/")).status_code == 303


async def test_another_browser_is_told_where_to_open_it_and_the_link_survives(
    dashboard: httpx.AsyncClient, other_browser: httpx.AsyncClient, fake: FakeServices
) -> None:
    await ask_for_link(dashboard, "eve@acme.test")
    token = token_of(fake.mails[0])
    await ask_for_link(other_browser, "sam@acme.test")  # this browser has a nonce of its own
    refused = await use_link(other_browser, token)
    assert refused.status_code == 401
    assert "Open the link in the browser where you asked for it." in refused.text
    assert not fake.magic[token].used
    assert (await use_link(dashboard, token)).status_code == 303  # the right browser still can


async def test_a_browser_that_never_asked_is_told_the_same(
    other_browser: httpx.AsyncClient, dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    await ask_for_link(dashboard, "eve@acme.test")
    refused = await use_link(other_browser, token_of(fake.mails[0]))
    assert refused.status_code == 401
    assert "Open the link in the browser where you asked for it." in refused.text


async def test_an_unknown_email_gets_the_same_page_and_no_mail(
    dashboard: httpx.AsyncClient, other_browser: httpx.AsyncClient, fake: FakeServices
) -> None:
    known = await ask_for_link(dashboard, "eve@acme.test")
    unknown = await ask_for_link(other_browser, "nobody@acme.test")
    assert known.status_code == unknown.status_code == 200
    assert masked(known, "eve@acme.test") == masked(unknown, "nobody@acme.test")
    assert [m["to"] for m in fake.mails] == ["eve@acme.test"]


async def test_a_mail_that_cannot_be_sent_still_answers_the_same_page(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    def no_mail(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/mail":
            return httpx.Response(503, json={"title": "no mail server", "status": 503})
        return fake(request)

    app = create_app(settings(), transport=httpx.MockTransport(no_mail))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as web:
        answer = await ask_for_link(web, "eve@acme.test")
    assert answer.status_code == 200
    assert "Check your email" in answer.text


async def test_an_unknown_link_is_a_sentence(dashboard: httpx.AsyncClient) -> None:
    await ask_for_link(dashboard, "eve@acme.test")
    answer = await use_link(dashboard, "no-such-link")
    assert answer.status_code == 404
    assert "This link is not valid." in answer.text


async def test_an_enforced_company_is_left_out_of_a_link_for_a_non_admin(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.others["eve@acme.test"] = [Membership(BETA_ID, "Beta Works", "eve-at-beta")]
    fake.sso[BETA_ID] = FakeSso(BETA_ID, "Beta Works", "https://sso.beta.test", enforce=True)
    await ask_for_link(dashboard, "eve@acme.test")
    assert (await use_link(dashboard, token_of(fake.mails[0]))).status_code == 303
    (opened,) = fake.sessions.values()
    assert opened["tenant_id"] == "t1"  # straight into the one company left


async def test_a_second_company_for_an_admin_email_is_confirmed_by_a_link(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.email_in_use = True
    page = await dashboard.get("/signup")
    answer = await dashboard.post(
        "/signup",
        data={
            "csrf_token": csrf_of(page),
            "name": "Gamma Labs",
            "admin_name": "Ada",
            "admin_email": "Ada@acme.test",
        },
    )
    assert answer.status_code == 202
    assert "We have emailed ada@acme.test a link to confirm another company" in answer.text
    (mail,) = fake.mails
    assert mail["purpose"] == "confirm_signup"
    assert (await dashboard.get("/")).status_code == 303  # nothing created, nobody signed in
    signed = await use_link(dashboard, token_of(mail))
    assert signed.status_code == 303
    assert signed.headers["location"] == "/admin"
    (opened,) = fake.sessions.values()
    assert (opened["tenant_id"], opened["employee_id"], opened["via"]) == (
        "t-new",
        "admin2",
        "magic_link",
    )


async def test_link_requests_are_limited_per_email(
    fake: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings(signin_attempts_per_email=3), transport=httpx.MockTransport(fake))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as web:
        page = await web.get("/signin")
        options = await web.post("/signin", data={"csrf_token": csrf_of(page), "email": "e@a.test"})
        answers = [
            await web.post("/signin/link", data={"csrf_token": csrf_of(options)}) for _ in range(4)
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "retry-after" in answers[-1].headers


async def signup(client: httpx.AsyncClient) -> httpx.Response:
    page = await client.get("/signup")
    return await client.post(
        "/signup",
        data={
            "csrf_token": csrf_of(page),
            "name": "Gamma Labs",
            "admin_name": "Ada",
            "admin_email": "ada@gamma.test",
        },
    )


async def test_a_new_company_admin_gets_a_session(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    answer = await signup(dashboard)
    assert answer.headers["location"] == "/admin"
    (opened,) = fake.sessions.values()
    assert (opened["tenant_id"], opened["employee_id"], opened["via"]) == (
        "t-new",
        "admin",
        "signup",
    )


async def test_without_a_signup_session_the_new_admin_keeps_the_signup_token(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.vias = fake.vias - {"signup"}  # a requests service without signup sessions
    answer = await signup(dashboard)
    assert answer.headers["location"] == "/admin"
    assert fake.sessions == {}
    assert (await dashboard.get("/admin")).status_code == 200  # signed in with its token
