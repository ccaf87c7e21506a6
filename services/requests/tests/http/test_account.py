"""The caller's own sessions and passkeys (issue 14's Security page), and the passkey
routes the web verifies WebAuthn assertions with."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from .conftest import NOW, Company, clock, sign_up
from .signin import Web, web_api

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def web(make_api: Callable[..., Any]) -> Web:
    return await web_api(make_api)


@pytest_asyncio.fixture(loop_scope="module")
async def acme(web: Web) -> Company:
    return await sign_up(web.api, "Acme")


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def credential(acme: Company, who: str, **extra: Any) -> dict[str, Any]:
    body = {
        "tenant_id": acme.tenant_id,
        "employee_id": acme.ids[who],
        "credential_id": b64url(os.urandom(16)),
        "public_key": b64url(os.urandom(77)),
        "sign_count": 0,
        "name": "Laptop",
        "transports": ["internal", "hybrid"],
    }
    return {**body, **extra}


# --- sessions ---------------------------------------------------------------------------


async def test_my_sessions_are_listed_and_this_one_is_marked(web: Web, acme: Company) -> None:
    first = await web.session(acme.tenant_id, acme.ids["ana"], via="magic_link")
    second = await web.session(acme.tenant_id, acme.ids["ana"], via="passkey")
    await web.session(acme.tenant_id, acme.ids["ben"])
    listed = await web.api.ok(second["token"], "GET", "/v1/sessions")
    items = listed["items"]
    assert [(s["id"], s["via"], s["current"]) for s in items] == [
        (second["session_id"], "passkey", True),
        (first["session_id"], "magic_link", False),
    ]
    assert items[0]["label"] == "Firefox"
    assert items[0]["created_at"] == items[0]["last_used_at"]
    assert all(second["refresh_token"] not in str(s) for s in items)
    # A token not from a session (the dev login's) marks none.
    assert not any(s["current"] for s in (await acme.ok("ana", "GET", "/v1/sessions"))["items"])


async def test_revoking_a_session_ends_its_refresh(web: Web, acme: Company) -> None:
    mine = await web.session(acme.tenant_id, acme.ids["ana"])
    other = await web.session(acme.tenant_id, acme.ids["ana"])
    gone = await web.api.call(mine["token"], "DELETE", f"/v1/sessions/{other['session_id']}")
    assert gone.status_code == 204
    refresh = {"session_id": other["session_id"], "refresh_token": other["refresh_token"]}
    assert (await web.call("/v1/auth/sessions/refresh", refresh)).status_code == 401
    listed = await web.api.ok(mine["token"], "GET", "/v1/sessions")
    assert other["session_id"] not in [s["id"] for s in listed["items"]]
    again = await web.api.call(mine["token"], "DELETE", f"/v1/sessions/{other['session_id']}")
    assert again.status_code == 404


async def test_another_persons_session_is_not_found(web: Web, acme: Company) -> None:
    bens = await web.session(acme.tenant_id, acme.ids["ben"])
    refused = await acme.call("ada", "DELETE", f"/v1/sessions/{bens['session_id']}")
    assert refused.status_code == 404  # not even an admin ends someone else's session here
    refresh = {"session_id": bens["session_id"], "refresh_token": bens["refresh_token"]}
    assert (await web.call("/v1/auth/sessions/refresh", refresh)).status_code == 200


async def test_sign_out_everywhere_ends_every_session_this_one_included(
    web: Web, acme: Company
) -> None:
    opened = [await web.session(acme.tenant_id, acme.ids["bob"]) for _ in range(3)]
    bens = await web.session(acme.tenant_id, acme.ids["ben"])
    answer = await web.api.ok(opened[0]["token"], "POST", "/v1/sessions/revoke-all")
    assert answer == {"revoked": 3}
    for session in opened:
        refresh = {"session_id": session["session_id"], "refresh_token": session["refresh_token"]}
        assert (await web.call("/v1/auth/sessions/refresh", refresh)).status_code == 401
    refresh = {"session_id": bens["session_id"], "refresh_token": bens["refresh_token"]}
    assert (await web.call("/v1/auth/sessions/refresh", refresh)).status_code == 200
    assert (await acme.ok("bob", "POST", "/v1/sessions/revoke-all")) == {"revoked": 0}


async def test_a_refresh_moves_last_used(web: Web, acme: Company) -> None:
    opened = await web.session(acme.tenant_id, acme.ids["ana"])
    before = (await web.api.ok(opened["token"], "GET", "/v1/sessions"))["items"][0]
    clock.advance(timedelta(minutes=3))
    try:
        refresh = {"session_id": opened["session_id"], "refresh_token": opened["refresh_token"]}
        await web.ok("/v1/auth/sessions/refresh", refresh)
        after = next(
            s
            for s in (await web.api.ok(opened["token"], "GET", "/v1/sessions"))["items"]
            if s["id"] == opened["session_id"]
        )
    finally:
        clock.move_to(NOW)
    assert after["last_used_at"] > before["last_used_at"]
    assert after["created_at"] == before["created_at"]


# --- passkeys ---------------------------------------------------------------------------


async def test_a_passkey_is_kept_found_and_listed(web: Web, acme: Company) -> None:
    body = credential(acme, "ana")
    response = await web.call("/v1/auth/passkeys", body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["name"] == "Laptop"
    found = await web.ok("/v1/auth/passkeys/find", {"credential_id": body["credential_id"]})
    assert found == {
        "id": created["id"],
        "tenant_id": acme.tenant_id,
        "employee_id": acme.ids["ana"],
        "email": "ana@acme.test",
        "public_key": body["public_key"],
        "sign_count": 0,
    }
    mine = await acme.ok("ana", "GET", "/v1/passkeys")
    assert mine["items"] == [
        {
            "id": created["id"],
            "name": "Laptop",
            "created_at": created["created_at"],
            "last_used_at": None,
        }
    ]
    assert (await acme.ok("ben", "GET", "/v1/passkeys"))["items"] == []


async def test_a_credential_is_registered_once(web: Web, acme: Company) -> None:
    body = credential(acme, "ana")
    assert (await web.call("/v1/auth/passkeys", body)).status_code == 201
    same = credential(acme, "ben", credential_id=body["credential_id"])
    again = await web.call("/v1/auth/passkeys", same)
    assert again.status_code == 409


async def test_the_counter_moves_by_compare_and_set(web: Web, acme: Company) -> None:
    body = credential(acme, "ana", sign_count=5)
    created = (await web.call("/v1/auth/passkeys", body)).json()
    url = f"/v1/auth/passkeys/{created['id']}/used"
    moved = await web.ok(url, {"expected_sign_count": 5, "sign_count": 6})
    assert moved["sign_count"] == 6
    stale = await web.call(url, {"expected_sign_count": 5, "sign_count": 6})
    assert stale.status_code == 409
    found = await web.ok("/v1/auth/passkeys/find", {"credential_id": body["credential_id"]})
    assert found["sign_count"] == 6
    listed = (await acme.ok("ana", "GET", "/v1/passkeys"))["items"]
    assert next(p for p in listed if p["id"] == created["id"])["last_used_at"] is not None


async def test_two_sign_ins_with_one_counter_value_one_passes(web: Web, acme: Company) -> None:
    created = (await web.call("/v1/auth/passkeys", credential(acme, "ana", sign_count=9))).json()
    url = f"/v1/auth/passkeys/{created['id']}/used"
    answers = await asyncio.gather(
        *(web.call(url, {"expected_sign_count": 9, "sign_count": 10}) for _ in range(4))
    )
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]


async def test_a_removed_passkey_is_found_no_more(web: Web, acme: Company) -> None:
    body = credential(acme, "ana")
    created = (await web.call("/v1/auth/passkeys", body)).json()
    refused = await acme.call("ben", "DELETE", f"/v1/passkeys/{created['id']}")
    assert refused.status_code == 404
    assert (await acme.call("ana", "DELETE", f"/v1/passkeys/{created['id']}")).status_code == 204
    find = {"credential_id": body["credential_id"]}
    assert (await web.call("/v1/auth/passkeys/find", find)).status_code == 404
    assert (await acme.call("ana", "DELETE", f"/v1/passkeys/{created['id']}")).status_code == 404
    used = {"expected_sign_count": 0, "sign_count": 1}
    assert (await web.call(f"/v1/auth/passkeys/{created['id']}/used", used)).status_code == 404


async def test_the_passkey_of_someone_who_left_is_not_found(web: Web, acme: Company) -> None:
    body = credential(acme, "ben")
    assert (await web.call("/v1/auth/passkeys", body)).status_code == 201
    left = {"start_date": (NOW.date() - timedelta(days=400)).isoformat()}
    left["end_date"] = (NOW.date() - timedelta(days=3)).isoformat()
    await acme.ok("ada", "PATCH", f"/v1/employees/{acme.ids['ben']}", left)
    find = {"credential_id": body["credential_id"]}
    assert (await web.call("/v1/auth/passkeys/find", find)).status_code == 404
    assert (await web.call("/v1/auth/passkeys", credential(acme, "ben"))).status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"credential_id": "not base64url!"},
        {"credential_id": ""},
        {"public_key": "A" * 2049},
        {"sign_count": -1},
        {"sign_count": 2**32},
        {"name": ""},
        {"name": "n" * 101},
        {"transports": ["usb"] * 11},
        {"employee_id": "nobody"},
    ],
)
async def test_bad_passkeys_are_refused(web: Web, acme: Company, change: dict[str, Any]) -> None:
    response = await web.call("/v1/auth/passkeys", credential(acme, "ana", **change))
    assert response.status_code == (404 if "employee_id" in change else 422), response.text


async def test_passkey_routes_need_the_service_secret(web: Web, acme: Company) -> None:
    body = credential(acme, "ana")
    assert (await web.call("/v1/auth/passkeys", body, secret="guess")).status_code == 401
    find = {"credential_id": body["credential_id"]}
    assert (await web.call("/v1/auth/passkeys/find", find, secret=None)).status_code == 401


async def test_a_revoked_sessions_token_stops_working_here_at_once(web: Web, acme: Company) -> None:
    kept = await web.session(acme.tenant_id, acme.ids["ana"])
    ended = await web.session(acme.tenant_id, acme.ids["ana"])
    me = f"/v1/employees/{acme.ids['ana']}"
    assert (await web.api.call(ended["token"], "GET", me)).status_code == 200
    revoked = await web.api.call(kept["token"], "DELETE", f"/v1/sessions/{ended['session_id']}")
    assert revoked.status_code == 204
    refused = await web.api.call(ended["token"], "GET", me)
    assert refused.status_code == 401
    assert (await web.api.call(kept["token"], "GET", me)).status_code == 200
    await web.api.ok(kept["token"], "POST", "/v1/sessions/revoke-all")
    assert (await web.api.call(kept["token"], "GET", me)).status_code == 401
