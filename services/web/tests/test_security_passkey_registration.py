"""Adding a passkey on the Security page: the options ask for a discoverable credential for
this deployment, the answer is checked by the webauthn library against the challenge kept in
the session (one try per challenge), and only then stored by the requests service."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from webauthn.helpers import base64url_to_bytes

from .security_app import WEB, signed_in_as, web_for
from .security_fakes import Authenticator, IdentityFake

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def fake() -> IdentityFake:
    return IdentityFake()


@pytest.fixture
async def eve(fake: IdentityFake) -> AsyncIterator[httpx.AsyncClient]:
    async with web_for(fake) as client:
        await signed_in_as(client, "eve")
        page = await client.get("/security")
        found = CSRF.search(page.text)
        assert found
        client.headers["x-csrf-token"] = found.group(1)
        yield client


async def options_for(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.post("/security/passkeys/options")
    assert answer.status_code == 200, answer.text
    options: dict[str, Any] = answer.json()
    return options


async def test_the_options_ask_for_a_resident_key_of_this_deployment_for_an_opaque_user(
    eve: httpx.AsyncClient,
) -> None:
    options = await options_for(eve)
    assert options["rp"] == {"id": "web.test", "name": "Leaveflow"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    handle = base64url_to_bytes(options["user"]["id"])
    assert handle == hashlib.sha256(b"t1:eve").hexdigest()[:32].encode()
    assert b"eve" not in handle  # the authenticator keeps it: it says nothing about her
    assert options["user"]["name"] == "eve@acme.test"
    assert len(base64url_to_bytes(options["challenge"])) >= 32


async def test_a_checked_answer_is_stored_with_its_key_name_and_counter(
    eve: httpx.AsyncClient, fake: IdentityFake
) -> None:
    device = Authenticator("web.test", WEB)
    answer = await eve.post(
        "/security/passkeys",
        json={"name": "Eve's phone", "credential": device.create(await options_for(eve))},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"redirect": "/security?done=added"}
    [stored] = fake.passkeys.values()
    assert stored["tenant_id"] == "t1"
    assert stored["employee_id"] == "eve"
    assert base64url_to_bytes(stored["credential_id"]) == device.credential_id
    assert stored["name"] == "Eve's phone"
    assert stored["sign_count"] == 0
    assert stored["transports"] == ["internal"]
    assert base64url_to_bytes(stored["public_key"])  # a COSE key the sign-in checks with
    page = await eve.get("/security?done=added")
    assert "Passkey added." in page.text
    assert "Eve&#39;s phone" in page.text


async def test_several_passkeys_per_person(eve: httpx.AsyncClient, fake: IdentityFake) -> None:
    for name in ("Phone", "Laptop"):
        device = Authenticator("web.test", WEB)
        credential = device.create(await options_for(eve))
        answer = await eve.post("/security/passkeys", json={"name": name, "credential": credential})
        assert answer.status_code == 201
    assert sorted(p["name"] for p in fake.passkeys.values()) == ["Laptop", "Phone"]


async def test_an_answer_is_good_for_one_try_only(
    eve: httpx.AsyncClient, fake: IdentityFake
) -> None:
    credential = Authenticator("web.test", WEB).create(await options_for(eve))
    first = await eve.post("/security/passkeys", json={"name": "A", "credential": credential})
    assert first.status_code == 201
    replayed = await eve.post("/security/passkeys", json={"name": "B", "credential": credential})
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "This passkey request has expired. Try again."
    assert len(fake.passkeys) == 1


@pytest.mark.parametrize(
    ("origin", "rp_id"),
    [("https://evil.test", "web.test"), (WEB, "evil.test")],
    ids=["other-origin", "other-rp-id"],
)
async def test_an_answer_made_for_another_site_is_refused(
    eve: httpx.AsyncClient, fake: IdentityFake, origin: str, rp_id: str
) -> None:
    options = await options_for(eve)
    options["rp"]["id"] = rp_id  # what a phishing page would have asked for
    credential = Authenticator(rp_id, origin).create(options)
    answer = await eve.post("/security/passkeys", json={"name": "X", "credential": credential})
    assert answer.status_code == 400
    assert "no passkey was added" in answer.json()["error"]
    assert fake.passkeys == {}


async def test_a_passkey_registered_already_is_said_so(
    eve: httpx.AsyncClient, fake: IdentityFake
) -> None:
    device = Authenticator("web.test", WEB)
    first = await eve.post(
        "/security/passkeys",
        json={"name": "A", "credential": device.create(await options_for(eve))},
    )
    assert first.status_code == 201
    again = await eve.post(
        "/security/passkeys",
        json={"name": "A", "credential": device.create(await options_for(eve))},
    )
    assert again.status_code == 409
    assert again.json()["error"] == "This passkey is already registered."


async def test_adding_a_passkey_needs_the_csrf_token_and_a_signed_in_person(
    fake: IdentityFake,
) -> None:
    async with web_for(fake) as client:
        assert (await client.post("/security/passkeys/options")).status_code == 403
        found = CSRF.search((await client.get("/signin")).text)
        assert found  # a valid token, but nobody signed in
        anonymous = await client.post(
            "/security/passkeys/options", headers={"x-csrf-token": found.group(1)}
        )
        assert anonymous.status_code == 303
        assert anonymous.headers["location"] == "/signin"
        await signed_in_as(client, "eve")
        forged = await client.post("/security/passkeys/options", headers={"x-csrf-token": "x"})
        assert forged.status_code == 403
    assert fake.passkeys == {}
