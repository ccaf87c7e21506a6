"""Magic links (issue 14): single use, 15 minutes, bound to the browser that asked by a
cookie nonce; a signup link confirms a second company for the same admin."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from leaveflow_kit.testing import FakeClock

from .conftest import NOW, Company, sign_up
from .signin import Web, nonce_pair, web_api

pytestmark = pytest.mark.asyncio(loop_scope="module")

# This module's own clock: the tests move it past the links' lifetime.
link_clock = FakeClock(NOW)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def web(make_api: Callable[..., Any]) -> Web:
    return await web_api(make_api, app_clock=link_clock)


@pytest_asyncio.fixture(loop_scope="module")
async def acme(web: Web) -> Company:
    link_clock.move_to(NOW)
    return await sign_up(web.api, "Acme")


async def redeem(web: Web, token: str, nonce: str) -> Any:
    return await web.call("/v1/auth/magic-links/redeem", {"token": token, "nonce": nonce})


async def test_a_link_signs_in_once_from_the_browser_that_asked(web: Web, acme: Company) -> None:
    nonce, asked = await web.link("Bob@acme.test")
    assert acme.tenant_id in asked["tenant_ids"]
    assert isinstance(asked["token"], str)
    assert len(asked["token"]) >= 32
    used = await redeem(web, asked["token"], nonce)
    assert used.status_code == 200, used.text
    body = used.json()
    assert (body["purpose"], body["email"]) == ("sign_in", "bob@acme.test")
    mine = next(c for c in body["companies"] if c["tenant_id"] == acme.tenant_id)
    assert (mine["company"], mine["employee_id"]) == ("Acme", acme.ids["bob"])
    again = await redeem(web, asked["token"], nonce)
    assert again.status_code == 410
    assert again.headers["content-type"].startswith("application/problem+json")


async def test_only_the_tokens_digest_is_stored(web: Web, acme: Company) -> None:
    _, asked = await web.link("bob@acme.test")
    stored = await web.api.store.find("magic_links", {"email": "bob@acme.test"})
    assert stored
    assert all(asked["token"] not in str(doc) for doc in stored)


async def test_another_browser_is_refused_and_the_link_stays_usable(
    web: Web, acme: Company
) -> None:
    nonce, asked = await web.link("ana@acme.test")
    other_nonce, _ = nonce_pair()
    refused = await redeem(web, asked["token"], other_nonce)
    assert refused.status_code == 401
    assert (await redeem(web, asked["token"], nonce)).status_code == 200


async def test_a_link_expires_after_fifteen_minutes(web: Web, acme: Company) -> None:
    nonce, asked = await web.link("ana@acme.test")
    link_clock.advance(timedelta(minutes=15))
    assert (await redeem(web, asked["token"], nonce)).status_code == 410


async def test_a_link_is_good_just_before_fifteen_minutes(web: Web, acme: Company) -> None:
    nonce, asked = await web.link("ana@acme.test")
    link_clock.advance(timedelta(minutes=14, seconds=59))
    assert (await redeem(web, asked["token"], nonce)).status_code == 200


async def test_an_unknown_token_is_404(web: Web, acme: Company) -> None:
    nonce, _ = nonce_pair()
    assert (await redeem(web, "no-such-token", nonce)).status_code == 404


async def test_two_redeems_at_once_exactly_one_wins(web: Web, acme: Company) -> None:
    nonce, asked = await web.link("ana@acme.test")
    answers = await asyncio.gather(*(redeem(web, asked["token"], nonce) for _ in range(5)))
    assert sorted(a.status_code for a in answers) == [200, 410, 410, 410, 410]


async def test_unknown_emails_get_no_token_and_no_mail(web: Web, acme: Company) -> None:
    _, asked = await web.link("nobody@acme.test")
    assert asked == {"token": None, "tenant_ids": []}


@pytest.mark.parametrize(
    "change",
    [
        {"nonce_hash": "abc"},
        {"email": "not-an-email"},
        {"purpose": "reset"},
        {"purpose": "signup"},  # a signup link needs the signup
        {"signup": {"name": "X", "admin_name": "Y", "admin_email": "bob@acme.test"}},
    ],
)
async def test_bad_link_requests_are_422(web: Web, acme: Company, change: dict[str, Any]) -> None:
    _, nonce_hash = nonce_pair()
    body = {"email": "bob@acme.test", "nonce_hash": nonce_hash, "purpose": "sign_in", **change}
    response = await web.call("/v1/auth/magic-links", body)
    assert response.status_code == 422, response.text


async def test_a_second_company_for_an_admin_takes_a_confirmation_link(
    web: Web, acme: Company
) -> None:
    admin = (await acme.ok("ada", "GET", f"/v1/employees/{acme.ids['ada']}"))["email"]
    signup = {"name": "Acme Two", "admin_name": "Ada", "admin_email": admin}
    refused = await web.api.call(None, "POST", "/v1/tenants", signup)
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["type"].endswith("/email-in-use")
    assert "link" in problem["detail"]

    nonce, nonce_hash = nonce_pair()
    body = {"email": admin, "nonce_hash": nonce_hash, "purpose": "signup", "signup": signup}
    asked = await web.ok("/v1/auth/magic-links", body)
    assert asked["tenant_ids"] == [acme.tenant_id]
    used = await redeem(web, asked["token"], nonce)
    assert used.status_code == 200, used.text
    created = used.json()
    assert (created["purpose"], created["email"]) == ("signup", admin)
    new = created["created"]
    assert new["tenant_id"] != acme.tenant_id
    me = await web.api.call(new["token"], "GET", f"/v1/employees/{new['admin_id']}")
    assert (me.status_code, me.json()["role"], me.json()["email"]) == (200, "admin", admin)
    found = await web.ok("/v1/auth/lookup", {"email": admin})
    assert {c["company"] for c in found["companies"]} >= {"Acme", "Acme Two"}
    assert (await redeem(web, asked["token"], nonce)).status_code == 410


async def test_a_signup_link_needs_the_admin_email_to_be_the_email(web: Web, acme: Company) -> None:
    _, nonce_hash = nonce_pair()
    signup = {"name": "Other", "admin_name": "Eve", "admin_email": "eve@other.test"}
    body = {"email": "bob@acme.test", "nonce_hash": nonce_hash, "purpose": "signup"}
    response = await web.call("/v1/auth/magic-links", {**body, "signup": signup})
    assert response.status_code == 422


async def test_signup_links_do_not_exist_while_signup_is_closed(
    make_api: Callable[..., Any],
) -> None:
    web = await web_api(make_api, signup_open=False)
    _, nonce_hash = nonce_pair()
    signup = {"name": "X", "admin_name": "Eve", "admin_email": "eve@x.test"}
    body = {"email": "eve@x.test", "nonce_hash": nonce_hash, "purpose": "signup", "signup": signup}
    assert (await web.call("/v1/auth/magic-links", body)).status_code == 404


async def test_a_stored_signup_the_rules_refuse_now_is_422_and_stays_unused(
    web: Web, acme: Company
) -> None:
    admin = (await acme.ok("ada", "GET", f"/v1/employees/{acme.ids['ada']}"))["email"]
    nonce, nonce_hash = nonce_pair()
    signup = {"name": "Later", "admin_name": "Ada", "admin_email": admin}
    body = {"email": admin, "nonce_hash": nonce_hash, "purpose": "signup", "signup": signup}
    asked = await web.ok("/v1/auth/magic-links", body)
    # As if the rules had tightened since: the stored body no longer passes.
    link = await web.api.store.find("magic_links", {"email": admin, "purpose": "signup"})
    stale = next(doc for doc in link if doc["signup"]["name"] == "Later")
    stale["signup"]["name"] = ""
    await web.api.store.atomic(lambda tx: tx.put("magic_links", stale["id"], stale))
    refused = await redeem(web, asked["token"], nonce)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "signup"
    assert (await redeem(web, asked["token"], nonce)).status_code == 422  # not used up
