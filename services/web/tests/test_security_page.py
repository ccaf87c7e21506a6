"""The Security page: one's own sessions (this browser marked, sign out one, sign out
everywhere) and passkeys (listed, removed), in words people understand."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from .security_app import WEB, signed_in_as, web_for
from .security_fakes import IdentityFake

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Mobile Safari/537.36"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def csrf(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


@pytest.fixture
def fake() -> IdentityFake:
    return IdentityFake()


@pytest.fixture
async def eve(fake: IdentityFake) -> AsyncIterator[httpx.AsyncClient]:
    """Eve signed in on her phone; she is also signed in on a Windows laptop elsewhere."""
    async with web_for(fake) as client:
        fake.open("eve", "passkey", FIREFOX_WINDOWS)
        fake.open("sid", "magic_link", FIREFOX_WINDOWS)  # someone else's: never shown to Eve
        await signed_in_as(client, "eve", CHROME_ANDROID)
        yield client


async def test_the_nav_links_to_security_and_the_page_lists_only_her_sessions(
    eve: httpx.AsyncClient,
) -> None:
    home = await eve.get("/")
    assert 'href="/security"' in home.text
    page = await eve.get("/security")
    assert page.status_code == 200
    assert page.text.count('class="session') == 2  # Sid's session is not listed
    assert "Chrome on Android" in page.text
    assert "Firefox on Windows" in page.text
    assert "Signed in with a passkey" in page.text
    assert "Signed in with an emailed link" in page.text
    # This browser is the Android one, and only it is marked.
    current = re.search(
        r'<li class="session current" data-session="(\w+)">(.*?)</li>', page.text, re.S
    )
    assert current
    assert "Chrome on Android" in current.group(2)
    assert "this browser" in current.group(2)
    assert page.text.count("this browser</span>") == 1
    assert "Mozilla/5.0" not in page.text  # people read a device, not a user agent
    assert 'data-passkey="register"' in page.text


async def test_signing_out_another_session_keeps_this_browser_signed_in(
    eve: httpx.AsyncClient, fake: IdentityFake
) -> None:
    page = await eve.get("/security")
    laptop = next(
        s
        for s in fake.sessions.values()
        if s["label"] == FIREFOX_WINDOWS and s["employee_id"] == "eve"
    )
    answer = await eve.post(
        f"/security/sessions/{laptop['id']}/end", data={"csrf_token": csrf(page)}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/security?done=ended"
    assert laptop["id"] not in fake.sessions
    after = await eve.get(answer.headers["location"])
    assert "That session is signed out." in after.text
    assert "Firefox on Windows" not in after.text
    assert after.text.count('class="session') == 1


async def test_signing_out_this_browser_from_the_list_signs_it_out(
    eve: httpx.AsyncClient, fake: IdentityFake
) -> None:
    page = await eve.get("/security")
    mine = next(s for s in fake.sessions.values() if s["label"] == CHROME_ANDROID)
    answer = await eve.post(
        f"/security/sessions/{mine['id']}/end", data={"csrf_token": csrf(page), "current": "1"}
    )
    assert answer.status_code == 200
    assert "You signed out of this browser." in answer.text
    assert (await eve.get("/security")).headers["location"] == "/signin"


async def test_sign_out_everywhere_ends_every_session_this_browser_included(
    eve: httpx.AsyncClient, fake: IdentityFake
) -> None:
    page = await eve.get("/security")
    answer = await eve.post("/security/sessions/revoke-all", data={"csrf_token": csrf(page)})
    assert answer.status_code == 200
    assert "You signed out everywhere (2 browsers), this one included." in answer.text
    assert [s["employee_id"] for s in fake.sessions.values()] == ["sid"]
    again = await eve.get("/")
    assert again.status_code == 303
    assert again.headers["location"].startswith("/signin")


async def test_the_session_forms_need_the_csrf_token(
    eve: httpx.AsyncClient, fake: IdentityFake
) -> None:
    answer = await eve.post("/security/sessions/revoke-all", data={"csrf_token": "forged"})
    assert answer.status_code == 403
    assert len(fake.sessions) == 3


async def test_passkeys_are_listed_and_removed_and_another_persons_is_refused(
    eve: httpx.AsyncClient, fake: IdentityFake
) -> None:
    for key_id, owner, name in (("pk1", "eve", "Work laptop"), ("pk2", "sid", "Sid's phone")):
        fake.passkeys[key_id] = {
            "id": key_id, "employee_id": owner, "name": name, "credential_id": key_id,
            "created_at": "2026-01-02T11:00:00Z", "last_used_at": None,
        }  # fmt: skip
    page = await eve.get("/security")
    assert "Work laptop" in page.text
    assert "not used yet" in page.text
    assert "Sid&#39;s phone" not in page.text
    assert "Sid's phone" not in page.text
    token = csrf(page)
    refused = await eve.post("/security/passkeys/pk2/remove", data={"csrf_token": token})
    assert refused.status_code == 303
    assert "pk2" in fake.passkeys
    gone = await eve.get(refused.headers["location"])
    assert "That was already removed (or is not yours), so nothing changed." in gone.text
    removed = await eve.post("/security/passkeys/pk1/remove", data={"csrf_token": token})
    assert removed.status_code == 303
    assert "pk1" not in fake.passkeys
    after = await eve.get(removed.headers["location"])
    assert "Passkey removed. It can no longer be used to sign in." in after.text
    assert "You have no passkeys yet." in after.text


async def test_the_security_page_needs_a_signed_in_person(fake: IdentityFake) -> None:
    async with web_for(fake) as client:
        answer = await client.get("/security")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/signin"
        assert str(answer.url).startswith(WEB)


async def test_on_an_ip_address_the_page_says_passkeys_need_a_name(fake: IdentityFake) -> None:
    async with web_for(fake, public_url="http://127.0.0.1:8000") as client:
        await signed_in_as(client, "eve")
        page = await client.get("/security")
    assert "Passkeys can be added only when this dashboard is opened by its name" in page.text
    assert 'data-passkey="register"' not in page.text


async def test_a_session_without_a_known_browser_is_still_described_in_words(
    eve: httpx.AsyncClient, fake: IdentityFake
) -> None:
    fake.open("eve", "signup", "curl/8.5")
    page = await eve.get("/security")
    assert "<strong>A browser</strong>" in page.text
    assert "Signed in with the sign-up of your company" in page.text
