"""The Teams tab's silent sign-in, in process: the web checks Teams SSO tokens against an
Entra-shaped issuer on loopback (the devstack's Bot Connector: OpenID metadata and keys per
directory), maps `tid` / `oid` through notifications' service route (faked here), and keeps
the tab's session in a cookie of its own; the tab's pages alone may be framed by Teams."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from leaveflow_devstack.bot_connector import BotConnector, new_key
from leaveflow_web.bootstrap import create_app
from leaveflow_web.tab_session import TAB_COOKIE

from .conftest import SECRET, FakeServices, problem, settings

APP_ID = "0b7a5e1c-1111-4222-8333-7ab000000001"
DIRECTORY = "3f2b8c4e-5555-4666-8777-000000000aad"
OTHER_DIRECTORY = "3f2b8c4e-5555-4666-8777-000000000bad"
EVE_OID = "9d1e0000-aaaa-4bbb-8ccc-00000000e7e0"
WEB = "https://web.test"
AUDIENCE = f"api://web.test/{APP_ID}"
HOST = "http://127.0.0.1:8123"  # the test's stand-in for Teams' origin


@dataclass
class WithTeams:
    """FakeServices plus notifications' `/v1/auth/teams-person` (Acme's Teams integration
    names DIRECTORY; Eve's employee has EVE_OID as her Teams user id)."""

    services: FakeServices
    asked: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/v1/auth/teams-person":
            return self.services(request)
        assert request.headers["authorization"] == f"Service {SECRET}"
        body = json.loads(request.content)
        self.asked.append(body)
        if body["aad_tenant_id"] != DIRECTORY:
            return _unknown("teams-directory-unknown")
        if body["aad_object_id"] != EVE_OID:
            return _unknown("teams-person-unknown")
        return httpx.Response(
            200, json={"tenant_id": "t1", "employee_id": "eve", "email": "eve@acme.test"}
        )


def _unknown(slug: str) -> httpx.Response:
    answer = problem(404, "Not connected", "unknown")
    body = {**json.loads(answer.content), "type": f"https://leaveflow.dev/problems/{slug}"}
    return httpx.Response(404, json=body)


@pytest.fixture(scope="module")
def entra() -> Iterator[BotConnector]:
    issuer = BotConnector(app_id=APP_ID, app_password="unused").start()
    yield issuer
    issuer.stop()


@pytest.fixture
def services(fake: FakeServices) -> WithTeams:
    return WithTeams(fake)


@pytest.fixture
async def tab(entra: BotConnector, services: WithTeams) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        settings(
            public_url=WEB,
            teams_app_id=APP_ID,
            teams_login_url=entra.entra_login_endpoint,
            teams_frame_origins=HOST,
        ),
        transport=httpx.MockTransport(services),
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        yield client


def token(entra: BotConnector, **overrides: Any) -> str:
    claims: dict[str, Any] = {
        "tenant_id": DIRECTORY,
        "object_id": EVE_OID,
        "audience": AUDIENCE,
        **overrides,
    }
    return entra.mint_entra_token(**claims)


async def exchange(
    client: httpx.AsyncClient, sso_token: str, *, origin: str = WEB, page: str = "my-leave"
) -> httpx.Response:
    return await client.post(
        "/teams/tab/session",
        json={"token": sso_token, "page": page},
        headers={"origin": origin},
    )


async def test_a_good_token_signs_the_person_in_to_the_tab(
    tab: httpx.AsyncClient, entra: BotConnector, fake: FakeServices, services: WithTeams
) -> None:
    answer = await exchange(tab, token(entra))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"next": "/teams/tab/my-leave"}
    assert services.asked == [{"aad_tenant_id": DIRECTORY, "aad_object_id": EVE_OID}]
    (opened,) = fake.sessions.values()
    assert (opened["tenant_id"], opened["employee_id"], opened["via"]) == ("t1", "eve", "microsoft")
    (cookie,) = answer.headers.get_list("set-cookie")
    assert cookie.startswith(f"{TAB_COOKIE}=")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"samesite=none", "secure", "partitioned", "httponly"} <= attributes

    page = await tab.get("/teams/tab/my-leave")
    assert page.status_code == 200
    assert "My leave" in page.text
    assert "eve@acme.test" in page.text
    # Its links stay in the tab; the dashboard's own pages do not load that script.
    assert 'src="/static/teams_links.js"' in page.text
    assert 'src="/static/teams_links.js"' not in (await tab.get("/signin")).text


async def test_the_team_calendar_tab_lands_on_the_calendar(
    tab: httpx.AsyncClient, entra: BotConnector
) -> None:
    answer = await exchange(tab, token(entra), page="team")
    assert answer.json() == {"next": "/teams/tab/team"}
    page = await tab.get("/teams/tab/team")
    assert page.status_code == 200
    assert "Team calendar" in page.text


@pytest.mark.parametrize(
    ("overrides", "said"),
    [
        ({"key": new_key()}, "did not hand over a valid sign-in token"),  # forged
        ({"expires_in": -600}, "has expired"),
        ({"audience": f"api://elsewhere.test/{APP_ID}"}, "not issued for Leaveflow"),
        ({"audience": "another-app"}, "not issued for Leaveflow"),
    ],
    ids=["forged", "expired", "other-host-audience", "other-app-audience"],
)
async def test_tokens_that_prove_nothing_are_refused(
    tab: httpx.AsyncClient,
    entra: BotConnector,
    fake: FakeServices,
    services: WithTeams,
    overrides: dict[str, Any],
    said: str,
) -> None:
    answer = await exchange(tab, token(entra, **overrides))
    assert answer.status_code == 401
    assert said in answer.json()["message"]
    assert "set-cookie" not in answer.headers
    assert fake.sessions == {}
    assert services.asked == []


async def test_a_token_whose_issuer_is_not_its_own_directory_is_refused(
    tab: httpx.AsyncClient, entra: BotConnector, fake: FakeServices
) -> None:
    # Signed by the right keys, but issued by another directory while claiming ours.
    foreign = token(entra, issuer=entra.entra_issuer(OTHER_DIRECTORY))
    answer = await exchange(tab, foreign)
    assert answer.status_code == 401
    assert "not issued for Leaveflow" in answer.json()["message"]
    v1_style = token(entra, issuer=f"https://sts.windows.net/{DIRECTORY}/")
    assert (await exchange(tab, v1_style)).status_code == 401
    assert fake.sessions == {}


async def test_a_directory_no_company_connected_is_refused(
    tab: httpx.AsyncClient, entra: BotConnector, fake: FakeServices
) -> None:
    answer = await exchange(tab, token(entra, tenant_id=OTHER_DIRECTORY))
    assert answer.status_code == 403
    assert "not connected to Leaveflow" in answer.json()["message"]
    assert fake.sessions == {}


async def test_a_person_leaveflow_does_not_know_is_told_their_teams_id(
    tab: httpx.AsyncClient, entra: BotConnector, fake: FakeServices
) -> None:
    stranger = "9d1e0000-aaaa-4bbb-8ccc-000000000000"
    answer = await exchange(tab, token(entra, object_id=stranger))
    assert answer.status_code == 403
    assert stranger in answer.json()["message"]
    assert fake.sessions == {}


async def test_a_tid_that_is_not_a_directory_id_goes_into_no_url(
    tab: httpx.AsyncClient, entra: BotConnector
) -> None:
    answer = await exchange(tab, token(entra, tenant_id="../../evil"))
    assert answer.status_code == 401
    assert "valid sign-in token" in answer.json()["message"]


async def test_the_sign_in_post_takes_json_from_our_own_origin_only(
    tab: httpx.AsyncClient, entra: BotConnector, fake: FakeServices
) -> None:
    good = token(entra)
    assert (await exchange(tab, good, origin="https://evil.test")).status_code == 403
    as_form = await tab.post("/teams/tab/session", data={"token": good}, headers={"origin": WEB})
    assert as_form.status_code == 403
    assert fake.sessions == {}


async def test_the_tab_session_is_not_the_dashboards(
    tab: httpx.AsyncClient, entra: BotConnector
) -> None:
    """A navigation to a dashboard page outside the tab does not use the tab's cookie; the
    tab's own HTMX calls do."""
    await exchange(tab, token(entra))
    outside = await tab.get("/")
    assert outside.status_code == 303
    assert outside.headers["location"] == "/signin"
    call = await tab.get("/partials/my-requests", headers={"hx-request": "true"})
    assert call.status_code == 200
    style = await tab.get("/team/leave-types.css", headers={"sec-fetch-dest": "style"})
    assert style.status_code == 200
    framed = await tab.get("/team", headers={"sec-fetch-dest": "iframe"})
    assert framed.status_code == 303


async def test_a_tab_session_that_ends_signs_in_again_inside_the_tab(
    tab: httpx.AsyncClient, entra: BotConnector, fake: FakeServices
) -> None:
    """The person left (or the session was revoked): the tab goes back to the token
    exchange in its frame, never to /signin (a page Teams cannot show)."""
    await exchange(tab, token(entra), page="team")
    fake.refused.add("eve")
    fake.sessions.clear()  # the refresh is refused too
    call = await tab.get("/partials/my-requests", headers={"hx-request": "true"})
    assert call.status_code == 401
    assert call.headers["hx-redirect"] == "/teams/tab?page=my-leave"
    await exchange(tab, token(entra), page="team")  # refused now: not an active person
    page = await tab.get("/teams/tab/team")
    assert page.status_code == 303
    assert page.headers["location"] == "/teams/tab?page=team"


async def test_a_tab_page_without_a_session_starts_the_token_exchange_again(
    tab: httpx.AsyncClient,
) -> None:
    for page, target in (("my-leave", "my-leave"), ("team", "team")):
        answer = await tab.get(f"/teams/tab/{page}")
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/teams/tab?page={target}"


async def test_only_the_tab_pages_may_be_framed_and_only_by_teams(
    tab: httpx.AsyncClient,
) -> None:
    entry = await tab.get("/teams/tab?page=my-leave")
    assert entry.status_code == 200
    assert 'src="/static/teams-js/MicrosoftTeams.min.js"' in entry.text
    policy = entry.headers["content-security-policy"]
    ancestors = next(d for d in policy.split("; ") if d.startswith("frame-ancestors")).split()[1:]
    assert ancestors[:3] == ["teams.microsoft.com", "*.teams.microsoft.com", "*.cloud.microsoft"]
    assert "*.office.com" in ancestors
    assert HOST in ancestors
    assert "'self'" not in ancestors
    assert "*" not in ancestors
    assert "x-frame-options" not in entry.headers
    assert "connect-src 'self' https://res.cdn.office.net;" in policy
    for other in ("/signin", "/", "/team", "/static/app.css"):
        answer = await tab.get(other)
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], other
        assert answer.headers["x-frame-options"] == "DENY", other


async def test_without_an_app_id_there_is_no_tab(fake: FakeServices) -> None:
    app = create_app(settings(public_url=WEB), transport=httpx.MockTransport(fake))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        entry = await client.get("/teams/tab")
        assert entry.status_code == 404
        assert "not set up" in entry.text
        answer = await client.post(
            "/teams/tab/session", json={"token": "x"}, headers={"origin": WEB}
        )
        assert answer.status_code == 404
