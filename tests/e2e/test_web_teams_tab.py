"""The dashboard as a Teams tab, in Chromium, on the real stack.

Teams is played by a host page on another loopback site (127.0.0.1 frames the web, which
is served as http://localhost: another site, so the browser treats the frame as
third-party and sends it only the tab's `SameSite=None; Secure; Partitioned` cookie). An
init script puts a `microsoftTeams` stand-in in the frame whose `getAuthToken()` returns a
token minted by the Entra-shaped test issuer (the devstack's Bot Connector), as Teams
would. The person lands signed in inside the frame, at desktop and phone sizes; a host
origin the web does not allow is refused by the tab's `frame-ancestors`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from leaveflow_devstack import Stack
from leaveflow_devstack.bot_connector import BotConnector, LoopbackServer
from leaveflow_devstack.ports import free_ports
from leaveflow_devstack.process import ManagedProcess
from leaveflow_devstack.testing import Tenant, eventually, sign_up
from leaveflow_kit.testing import WebhookSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

APP_ID = "5e1f7a2b-0000-4000-8000-0000007ab7ab"
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)
SIZES = {"desktop": (1366, 850), "phone": (390, 844)}

STAND_IN = """
(() => {
  const token = %s;
  const standIn = {
    app: {
      initialize: () => Promise.resolve(),
      notifySuccess: () => {},
      notifyFailure: () => {},
    },
    authentication: { getAuthToken: () => Promise.resolve(token) },
  };
  // The vendored SDK assigns window.microsoftTeams when it loads; the stand-in stays.
  Object.defineProperty(window, "microsoftTeams", {
    get: () => standIn, set: () => {}, configurable: false,
  });
})();
"""


@dataclass
class World:
    web: str  # http://localhost:<port>
    allowed_host: str  # the stand-in for Teams, on 127.0.0.1
    other_host: str  # a site the web does not allow to frame it
    entra: BotConnector
    aad_tenant: str
    company: Tenant
    oid: str
    email: str


def _host_app() -> Starlette:
    async def frame(request: Request) -> Response:
        src = request.query_params["src"]
        return HTMLResponse(
            "<!doctype html><html><head><title>Teams stand-in</title>"
            "<style>body{margin:0}iframe{border:0;width:100vw;height:100vh;display:block}"
            "</style></head><body>"
            f'<iframe title="Leaveflow" src="{src}"></iframe></body></html>'
        )

    return Starlette(routes=[Route("/", frame)])


@pytest.fixture(scope="module")
def world(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("teams-tab")
    run = uuid4().hex[:8]
    aad_tenant = str(uuid4())
    oid = str(uuid4())
    company = sign_up(stack.urls, name=f"Tabs {run}")
    email = f"tess-{run}@tabs.test"
    company.employee("Tess Tab", email, teams_user_id=oid)
    entra = BotConnector(app_id=APP_ID, app_password="unused").start()
    allowed = LoopbackServer(_host_app()).start()
    other = LoopbackServer(_host_app()).start()
    port = free_ports()["web"]
    web = f"http://localhost:{port}"
    process = ManagedProcess(
        "web-teams-tab",
        [sys.executable, "-m", "leaveflow_web"],
        env={
            **stack.service_env(),
            "WEB_PORT": str(port),
            "WEB_PUBLIC_URL": web,
            "WEB_TEAMS_APP_ID": APP_ID,
            "WEB_TEAMS_LOGIN_URL": entra.entra_login_endpoint,
            "WEB_TEAMS_FRAME_ORIGINS": allowed.url,
        },
        log_path=tmp / "web.log",
    )
    with WebhookSink() as sink:
        with company.client("notifications") as http:
            answer = http.put(
                "/v1/integrations/teams",
                json={"aad_tenant_id": aad_tenant, "webhook_url": sink.url},
            )
            assert answer.status_code == 200, answer.text
        try:
            process.spawn()

            def up() -> bool:
                assert process.running, f"web exited:\n{process.tail()}"
                return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1.0).is_success

            eventually(up, timeout=30.0, what="web ready")
            yield World(web, allowed.url, other.url, entra, aad_tenant, company, oid, email)
        finally:
            process.terminate(5.0)
            allowed.stop()
            other.stop()
            entra.stop()


def in_teams(browser: Browser, world: World, size: str, token: str) -> Page:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(WAIT_MS)
    context.add_init_script(STAND_IN % json.dumps(token))
    return context.new_page()


def tab_url(world: World, page: str) -> str:
    return f"{world.web}/teams/tab?page={page}"


def teams_token(world: World, **extra: object) -> str:
    return world.entra.mint_entra_token(
        tenant_id=world.aad_tenant,
        object_id=world.oid,
        audience=f"api://{world.web.removeprefix('http://')}/{APP_ID}",
        **extra,  # type: ignore[arg-type]
    )


def refused_in(page: Page, refusals: list[str]) -> None:
    """Wait for the browser's CSP refusal on the console (page.wait_for_timeout lets
    Playwright deliver the events; a plain sleep would not)."""
    for _ in range(WAIT_MS // 100):
        if refusals:
            return
        page.wait_for_timeout(100)
    raise AssertionError("the browser did not refuse the frame")


def shot(page: Page, name: str) -> None:
    out = Path(__file__).resolve().parents[2] / "test-artifacts" / "teams-tab"
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("size", list(SIZES))
def test_the_person_lands_signed_in_inside_the_frame(
    browser: Browser, world: World, size: str
) -> None:
    page = in_teams(browser, world, size, teams_token(world))
    try:
        page.goto(f"{world.allowed_host}/?src={tab_url(world, 'my-leave')}")
        frame = page.frame_locator("iframe[title=Leaveflow]")
        expect(frame.get_by_role("heading", name="My leave")).to_be_visible()
        expect(frame.locator(".who")).to_have_text(world.email)
        # The frame moved on by itself; the host page (Teams) stayed where it was.
        assert page.url.startswith(world.allowed_host)
        tab_frame = next(f for f in page.frames if f.url.startswith(world.web))
        assert tab_frame.url == f"{world.web}/teams/tab/my-leave"
        cookies = {c["name"]: c for c in page.context.cookies(world.web)}
        tab_cookie = cookies["leaveflow_teams_tab"]
        assert tab_cookie["sameSite"] == "None"
        assert tab_cookie["secure"]
        assert "leaveflow_session" not in cookies
        width = page.evaluate("document.documentElement.clientWidth")
        frame_width = tab_frame.evaluate("document.documentElement.scrollWidth")
        assert frame_width <= width, "the tab scrolls sideways"
        shot(page, f"my-leave-{size}")
    finally:
        page.context.close()


def test_the_team_calendar_tab(browser: Browser, world: World) -> None:
    page = in_teams(browser, world, "desktop", teams_token(world))
    try:
        page.goto(f"{world.allowed_host}/?src={tab_url(world, 'team')}")
        frame = page.frame_locator("iframe[title=Leaveflow]")
        expect(frame.get_by_role("heading", name="Team calendar")).to_be_visible()
        tab_frame = next(f for f in page.frames if f.url.startswith(world.web))
        assert tab_frame.url.startswith(f"{world.web}/teams/tab/team")
        shot(page, "team-calendar-desktop")
        # The calendar's own links stay in the tab (the dashboard's /team may not be framed).
        frame.get_by_role("link", name="Next month").click()
        tab_frame.wait_for_url(f"{world.web}/teams/tab/team?**")
        expect(frame.get_by_role("heading", name="Team calendar")).to_be_visible()
        # And the nav's "Home" is the tab's My leave.
        frame.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
        expect(frame.get_by_role("heading", name="My leave")).to_be_visible()
        assert tab_frame.url == f"{world.web}/teams/tab/my-leave"
    finally:
        page.context.close()


def test_a_token_for_another_app_leaves_the_person_signed_out(
    browser: Browser, world: World
) -> None:
    foreign = world.entra.mint_entra_token(
        tenant_id=world.aad_tenant, object_id=world.oid, audience=f"api://elsewhere/{APP_ID}"
    )
    page = in_teams(browser, world, "phone", foreign)
    try:
        page.goto(f"{world.allowed_host}/?src={tab_url(world, 'my-leave')}")
        frame = page.frame_locator("iframe[title=Leaveflow]")
        expect(frame.get_by_role("alert")).to_contain_text("not issued for Leaveflow")
        tab_frame = next(f for f in page.frames if f.url.startswith(world.web))
        assert tab_frame.url == tab_url(world, "my-leave")
        # Not signed in: the tab's page sends the frame back to the token exchange.
        answer = tab_frame.evaluate(
            "fetch('/teams/tab/my-leave', {redirect: 'manual'}).then(r => r.type)"
        )
        assert answer == "opaqueredirect"
    finally:
        page.context.close()


def test_a_host_the_web_does_not_allow_cannot_frame_the_tab(browser: Browser, world: World) -> None:
    page = in_teams(browser, world, "desktop", teams_token(world))
    refusals: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if "frame-ancestors" in message.text:
            refusals.append(message.text)

    page.on("console", console)
    try:
        page.goto(f"{world.other_host}/?src={tab_url(world, 'my-leave')}")
        refused_in(page, refusals)
        assert world.other_host not in refusals[0]
        frame = page.frame_locator("iframe[title=Leaveflow]")
        expect(frame.get_by_role("heading", name="Leaveflow in Teams")).to_have_count(0)
        expect(frame.get_by_role("heading", name="My leave")).to_have_count(0)
    finally:
        page.context.close()


def test_the_dashboards_own_pages_refuse_even_the_allowed_host(
    browser: Browser, world: World
) -> None:
    page = in_teams(browser, world, "desktop", teams_token(world))
    refusals: list[str] = []
    page.on("console", lambda m: refusals.append(m.text) if "frame-ancestors" in m.text else None)
    try:
        page.goto(f"{world.allowed_host}/?src={world.web}/signin")
        refused_in(page, refusals)
        assert "'none'" in refusals[0]
    finally:
        page.context.close()
