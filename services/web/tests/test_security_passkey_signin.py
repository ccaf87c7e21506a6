"""Signing in with a passkey alone: no email asked; the stored passkey is found by its
credential id, the answer verified (a copied passkey's counter going backwards is refused),
the counter recorded by compare-and-set (a concurrent use loses), then a session is opened
like every other sign-in ("via": "passkey")."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from .security_app import WEB, signed_in_as, web_for
from .security_fakes import Authenticator, IdentityFake

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CLONED = "it looks like a copy of a passkey that was already used"


async def csrf_header(client: httpx.AsyncClient, path: str) -> None:
    found = CSRF.search((await client.get(path)).text)
    assert found
    client.headers["x-csrf-token"] = found.group(1)


@pytest.fixture
def fake() -> IdentityFake:
    return IdentityFake()


@pytest.fixture
async def device(fake: IdentityFake) -> Authenticator:
    """Eve's phone, with a passkey she added on the Security page (then signed out)."""
    phone = Authenticator("web.test", WEB)
    async with web_for(fake) as client:
        await signed_in_as(client, "eve")
        await csrf_header(client, "/security")
        options = (await client.post("/security/passkeys/options")).json()
        added = await client.post(
            "/security/passkeys", json={"name": "Phone", "credential": phone.create(options)}
        )
        assert added.status_code == 201, added.text
    fake.sessions.clear()
    return phone


@pytest.fixture
async def browser(fake: IdentityFake) -> AsyncIterator[httpx.AsyncClient]:
    """A browser where nobody is signed in, on the sign-in page."""
    async with web_for(fake) as client:
        await csrf_header(client, "/signin")
        yield client


async def sign_in(
    client: httpx.AsyncClient, authenticator: Authenticator, next_path: str = ""
) -> httpx.Response:
    answer = await client.post("/signin/passkey/options")
    assert answer.status_code == 200, answer.text
    options: dict[str, Any] = answer.json()
    credential = authenticator.get(options)
    return await client.post("/signin/passkey", json={"credential": credential, "next": next_path})


async def test_the_sign_in_page_offers_a_passkey_and_the_options_name_nobody(
    browser: httpx.AsyncClient,
) -> None:
    page = await browser.get("/signin")
    assert "Sign in with a passkey" in page.text
    assert '<script src="/static/passkeys.js" defer></script>' in page.text
    options = (await browser.post("/signin/passkey/options")).json()
    assert options["rpId"] == "web.test"
    assert options.get("allowCredentials", []) == []  # discoverable: the device offers its own


async def test_a_passkey_alone_signs_her_in_with_a_passkey_session(
    browser: httpx.AsyncClient, device: Authenticator, fake: IdentityFake
) -> None:
    answer = await sign_in(browser, device, next_path="/team")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"redirect": "/team"}
    [opened] = fake.sessions.values()
    assert opened["employee_id"] == "eve"
    assert opened["via"] == "passkey"
    [stored] = fake.passkeys.values()
    assert stored["sign_count"] == device.sign_count == 1
    home = await browser.get("/")
    assert home.status_code == 200
    assert "eve@acme.test" in home.text  # the header says who, though no email was typed


async def test_only_local_paths_are_followed_after_signing_in(
    browser: httpx.AsyncClient, device: Authenticator
) -> None:
    answer = await sign_in(browser, device, next_path="https://evil.test/")
    assert answer.json() == {"redirect": "/"}


async def test_a_cloned_passkey_with_a_stale_counter_is_refused(
    browser: httpx.AsyncClient, device: Authenticator, fake: IdentityFake
) -> None:
    copy = device.clone()  # taken now: it never sees the next use
    assert (await sign_in(browser, device)).status_code == 200
    fake.sessions.clear()
    async with web_for(fake) as elsewhere:
        await csrf_header(elsewhere, "/signin")
        refused = await sign_in(elsewhere, copy)
        assert refused.status_code == 401
        assert CLONED in refused.json()["error"]
        assert "Security page" in refused.json()["error"]
        assert fake.sessions == {}
        assert (await elsewhere.get("/")).status_code == 303  # still signed out
    [stored] = fake.passkeys.values()
    assert stored["sign_count"] == 1  # the copy's counter was not recorded


async def test_a_concurrent_use_of_the_same_passkey_loses_the_compare_and_set(
    browser: httpx.AsyncClient, device: Authenticator, fake: IdentityFake
) -> None:
    fake.race_on_used = True
    refused = await sign_in(browser, device)
    assert refused.status_code == 401
    assert "used somewhere else at the same moment" in refused.json()["error"]
    assert fake.sessions == {}


async def test_a_removed_passkey_is_refused_with_a_sentence(
    browser: httpx.AsyncClient, device: Authenticator, fake: IdentityFake
) -> None:
    fake.passkeys.clear()
    refused = await sign_in(browser, device)
    assert refused.status_code == 401
    assert refused.json()["error"].startswith("This passkey is not known here")


async def test_an_answer_signed_by_another_key_is_refused(
    browser: httpx.AsyncClient, device: Authenticator, fake: IdentityFake
) -> None:
    impostor = Authenticator("web.test", WEB, credential_id=device.credential_id)
    impostor.sign_count = 5  # ahead of the stored counter: only the signature is wrong
    refused = await sign_in(browser, impostor)
    assert refused.status_code == 401
    assert refused.json()["error"] == (
        "This passkey's answer could not be verified, so you are not signed in."
    )
    assert fake.sessions == {}


async def test_each_challenge_is_good_for_one_answer(
    browser: httpx.AsyncClient, device: Authenticator, fake: IdentityFake
) -> None:
    options = (await browser.post("/signin/passkey/options")).json()
    credential = device.get(options)
    first = await browser.post("/signin/passkey", json={"credential": credential})
    assert first.status_code == 200
    fake.sessions.clear()
    async with web_for(fake) as other:
        await csrf_header(other, "/signin")
        replayed = await other.post("/signin/passkey", json={"credential": credential})
        assert replayed.status_code == 401
        assert replayed.json()["error"] == "This passkey request has expired. Try again."
    assert fake.sessions == {}


async def test_an_answer_for_another_site_is_refused(
    browser: httpx.AsyncClient, device: Authenticator
) -> None:
    options = (await browser.post("/signin/passkey/options")).json()
    phished = device.get(options, origin="https://evil.test")
    refused = await browser.post("/signin/passkey", json={"credential": phished})
    assert refused.status_code == 401


async def test_a_person_who_left_is_refused(
    browser: httpx.AsyncClient, device: Authenticator, fake: IdentityFake
) -> None:
    fake.people["eve"].status = "left"
    refused = await sign_in(browser, device)
    assert refused.status_code == 403
    assert "not an active member" in refused.json()["error"]
    assert fake.sessions == {}


async def test_the_sign_in_needs_the_csrf_token(
    browser: httpx.AsyncClient, device: Authenticator
) -> None:
    del browser.headers["x-csrf-token"]
    answer = await browser.post("/signin/passkey/options")
    assert answer.status_code == 403
    body = json.dumps({"credential": {"id": "x"}})
    assert (await browser.post("/signin/passkey", content=body)).status_code == 403
