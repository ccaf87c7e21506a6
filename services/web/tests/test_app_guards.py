"""The app's guards that need no service behind them: sign-in redirects, CSRF, assets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from leaveflow_web.bootstrap import create_app
from leaveflow_web.config import Settings


def unreachable(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no service should be called, got {request.url}")


@pytest.fixture
async def web() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(), transport=httpx.MockTransport(unreachable))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://web.test") as client:
        yield client


@pytest.mark.parametrize(
    "path", ["/", "/team", "/approvals", "/admin", "/admin/employees", "/ledger/x"]
)
async def test_pages_send_strangers_to_sign_in(web: httpx.AsyncClient, path: str) -> None:
    answer = await web.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin"


async def test_htmx_calls_of_a_stranger_redirect_the_whole_page(web: httpx.AsyncClient) -> None:
    answer = await web.get("/partials/my-requests", headers={"hx-request": "true"})
    assert answer.status_code == 401
    assert answer.headers["hx-redirect"] == "/signin"


@pytest.mark.parametrize(
    "path",
    [
        "/signin",
        "/signin/dev",
        "/signin/link",
        "/signin/link/redeem",
        "/signin/provider",
        "/signup",
        "/signout",
    ],
)
async def test_forms_without_the_session_csrf_token_are_refused(
    web: httpx.AsyncClient, path: str
) -> None:
    await web.get("/signin")  # the session now has a token; the form below lacks it
    answer = await web.post(path, data={"tenant_id": "t", "email": "a@b.test", "name": "x"})
    assert answer.status_code == 403


async def test_the_sign_in_page_labels_every_input_and_serves_htmx_itself(
    web: httpx.AsyncClient,
) -> None:
    page = await web.get("/signin")
    assert page.status_code == 200
    for input_id in ("signin-email", "dev-email"):
        assert f'for="{input_id}"' in page.text
    assert 'src="/static/htmx.min.js"' in page.text
    assert "://" not in page.text.split("<body")[0].replace("http://www.w3.org", "")  # no CDN
    script = await web.get("/static/htmx.min.js")
    assert script.status_code == 200
    assert "htmx" in script.text[:2000]


async def test_the_sign_in_page_never_asks_for_a_company_id(web: httpx.AsyncClient) -> None:
    page = await web.get("/signin")
    assert "Company id" not in page.text
    assert "tenant" not in page.text.lower()


async def test_a_callback_nobody_started_is_refused(web: httpx.AsyncClient) -> None:
    answer = await web.get("/auth/oidc/callback", params={"code": "c", "state": "s"})
    assert answer.status_code == 400
    assert "No sign-in was started here." in answer.text
