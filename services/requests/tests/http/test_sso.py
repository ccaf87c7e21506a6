"""Per-company single sign-on (issue 14): admins set their own provider; the secret is
sealed at rest and only the web's service call gets it back; an email domain belongs to
one company; `enforce` leaves SSO as the only way in (admins keep a magic link)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
import pytest_asyncio

from .conftest import Company, sign_up
from .signin import Web, web_api

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLIENT_SECRET = "the-client-secret-of-acme"
_DOMAINS = itertools.count(1)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def web(make_api: Callable[..., Any]) -> Web:
    return await web_api(make_api)


@pytest_asyncio.fixture(loop_scope="module")
async def acme(web: Web) -> Company:
    return await sign_up(web.api, "Acme")


def provider(domain: str, **extra: Any) -> dict[str, Any]:
    body = {
        "issuer": "https://login.acme.example",
        "client_id": "acme-leaveflow",
        "client_secret": CLIENT_SECRET,
        "email_domains": [domain],
    }
    return {**body, **extra}


def fresh_domain() -> str:
    return f"corp{next(_DOMAINS)}.example"


async def test_an_admin_sets_the_provider_and_never_sees_the_secret_again(
    web: Web, acme: Company
) -> None:
    domain = fresh_domain()
    saved = await acme.call("ada", "PUT", "/v1/sso", provider(domain.upper()))
    assert saved.status_code == 200, saved.text
    view = saved.json()
    assert view["email_domains"] == [domain]
    assert (view["client_secret_set"], view["enforce"]) == (True, False)
    assert view["updated_at"]
    assert CLIENT_SECRET not in saved.text
    shown = await acme.call("ada", "GET", "/v1/sso")
    assert (shown.status_code, shown.json()) == (200, view)
    assert CLIENT_SECRET not in shown.text
    stored = await web.api.store.get("sso_configs", acme.tenant_id)
    assert stored is not None
    assert CLIENT_SECRET not in str(stored)
    for_web = await web.ok("/v1/auth/sso", {"tenant_id": acme.tenant_id})
    assert for_web == {
        "tenant_id": acme.tenant_id,
        "company": "Acme",
        "issuer": "https://login.acme.example",
        "client_id": "acme-leaveflow",
        "client_secret": CLIENT_SECRET,
        "email_domains": [domain],
        "enforce": False,
    }


async def test_leaving_the_secret_out_keeps_it_but_the_first_save_needs_it(
    web: Web, acme: Company
) -> None:
    body = provider(fresh_domain())
    del body["client_secret"]
    first = await acme.call("ada", "PUT", "/v1/sso", body)
    assert first.status_code == 422
    assert first.json()["errors"][0]["field"] == "client_secret"
    await acme.ok("ada", "PUT", "/v1/sso", provider(fresh_domain()))
    await acme.ok("ada", "PUT", "/v1/sso", {**body, "client_id": "renamed"})
    for_web = await web.ok("/v1/auth/sso", {"tenant_id": acme.tenant_id})
    assert (for_web["client_id"], for_web["client_secret"]) == ("renamed", CLIENT_SECRET)


async def test_only_admins_see_or_change_the_provider(acme: Company) -> None:
    for who in ("bob", "ana"):
        assert (await acme.call(who, "GET", "/v1/sso")).status_code == 403
        assert (await acme.call(who, "PUT", "/v1/sso", provider(fresh_domain()))).status_code == 403
        assert (await acme.call(who, "DELETE", "/v1/sso")).status_code == 403
    assert (await acme.call(None, "GET", "/v1/sso")).status_code == 401


async def test_a_domain_belongs_to_one_company(web: Web, acme: Company) -> None:
    other = await sign_up(web.api, "Globex")
    domain = fresh_domain()
    await acme.ok("ada", "PUT", "/v1/sso", provider(domain))
    taken = await other.call("ada", "PUT", "/v1/sso", provider(domain))
    assert taken.status_code == 409
    assert taken.json()["type"].endswith("/domain-claimed")
    # Acme moves to another domain: the first one is free again.
    await acme.ok("ada", "PUT", "/v1/sso", provider(fresh_domain()))
    assert (await other.call("ada", "PUT", "/v1/sso", provider(domain))).status_code == 200


async def test_deleting_the_provider_frees_its_domains(web: Web, acme: Company) -> None:
    domain = fresh_domain()
    await acme.ok("ada", "PUT", "/v1/sso", provider(domain))
    assert (await acme.call("ada", "DELETE", "/v1/sso")).status_code == 204
    assert (await acme.call("ada", "GET", "/v1/sso")).status_code == 404
    assert (await web.call("/v1/auth/sso", {"tenant_id": acme.tenant_id})).status_code == 404
    found = await web.ok("/v1/auth/lookup", {"email": f"someone@{domain}"})
    assert found["domain_sso"] == []
    assert (await acme.call("ada", "DELETE", "/v1/sso")).status_code == 204


async def test_the_domain_shows_its_company_sso_to_anyone_who_types_an_address(
    web: Web, acme: Company
) -> None:
    domain = fresh_domain()
    await acme.ok("ada", "PUT", "/v1/sso", provider(domain, enforce=True))
    found = await web.ok("/v1/auth/lookup", {"email": f"Stranger@{domain.upper()}"})
    assert found == {
        "domain_sso": [{"tenant_id": acme.tenant_id, "company": "Acme", "enforce": True}],
        "companies": [],
    }


@pytest.mark.parametrize(
    "change",
    [
        {"issuer": "http://login.acme.example"},
        {"issuer": "ftp://login.acme.example"},
        {"issuer": "https://"},
        {"issuer": "https://user:pw@login.acme.example"},
        {"issuer": "https://x.example/" + "a" * 500},
        {"client_id": ""},
        {"client_id": "x" * 301},
        {"client_secret": "s" * 1001},
        {"client_secret": "bad\nsecret"},
        {"email_domains": ["not a domain"]},
        {"email_domains": ["-acme.example"]},
        {"email_domains": ["localhost"]},
        {"email_domains": [f"d{i}.example" for i in range(51)]},
        {"enforce": "sometimes"},
    ],
)
async def test_bad_providers_are_422(acme: Company, change: dict[str, Any]) -> None:
    response = await acme.call("ada", "PUT", "/v1/sso", provider(fresh_domain(), **change))
    assert response.status_code == 422, response.text
    assert CLIENT_SECRET not in response.text


async def test_a_local_test_issuer_may_use_plain_http(acme: Company) -> None:
    body = provider(fresh_domain(), issuer="http://127.0.0.1:9400/acme")
    assert (await acme.call("ada", "PUT", "/v1/sso", body)).status_code == 200


async def test_provider_for_an_unknown_company_is_404(web: Web) -> None:
    assert (await web.call("/v1/auth/sso", {"tenant_id": "nobody"})).status_code == 404


# --- enforce ----------------------------------------------------------------------------


async def _enforce(acme: Company) -> None:
    await acme.ok("ada", "PUT", "/v1/sso", provider(fresh_domain(), enforce=True))


async def _session(web: Web, acme: Company, who: str, via: str) -> Any:
    body = {"tenant_id": acme.tenant_id, "employee_id": acme.ids[who], "via": via}
    return await web.call("/v1/auth/sessions", body)


@pytest.mark.parametrize(
    ("who", "via", "status"),
    [
        ("ana", "sso", 201),
        ("ana", "passkey", 403),
        ("ana", "google", 403),
        ("ana", "microsoft", 403),
        ("ana", "slack", 403),
        ("ana", "magic_link", 403),
        ("ada", "magic_link", 201),  # the admins' recovery path
        ("ada", "passkey", 403),
        ("ada", "signup", 403),  # a company that enforces was not signed up just now
        ("ana", "dev", 201),  # the embedded stack's dev login, off everywhere else
    ],
)
async def test_enforced_sso_leaves_one_way_in(
    web: Web, acme: Company, who: str, via: str, status: int
) -> None:
    await _enforce(acme)
    response = await _session(web, acme, who, via)
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["type"].endswith("/sso-enforced")


async def test_enforcing_ends_the_sessions_that_came_in_otherwise(web: Web, acme: Company) -> None:
    opened = (await _session(web, acme, "ana", "passkey")).json()
    await _enforce(acme)
    refresh = {"session_id": opened["session_id"], "refresh_token": opened["refresh_token"]}
    assert (await web.call("/v1/auth/sessions/refresh", refresh)).status_code == 401


async def test_under_enforced_sso_only_admins_get_a_link(web: Web, acme: Company) -> None:
    await _enforce(acme)
    found = await web.ok("/v1/auth/lookup", {"email": "ana@acme.test"})
    mine = next(c for c in found["companies"] if c["tenant_id"] == acme.tenant_id)
    assert mine["enforce_sso"] is True
    _, asked = await web.link("ana@acme.test")
    assert acme.tenant_id not in asked["tenant_ids"]
    admin = (await acme.ok("ada", "GET", f"/v1/employees/{acme.ids['ada']}"))["email"]
    nonce, asked = await web.link(admin)
    assert asked["tenant_ids"] == [acme.tenant_id]
    redeemed = await web.ok(
        "/v1/auth/magic-links/redeem", {"token": asked["token"], "nonce": nonce}
    )
    assert [c["tenant_id"] for c in redeemed["companies"]] == [acme.tenant_id]


async def test_a_link_asked_before_enforcing_no_longer_lists_the_company(
    web: Web, acme: Company
) -> None:
    nonce, asked = await web.link("ana@acme.test")
    assert acme.tenant_id in asked["tenant_ids"]
    await _enforce(acme)
    redeemed = await web.ok(
        "/v1/auth/magic-links/redeem", {"token": asked["token"], "nonce": nonce}
    )
    assert acme.tenant_id not in [c["tenant_id"] for c in redeemed["companies"]]
