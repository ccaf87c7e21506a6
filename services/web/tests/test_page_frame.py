"""The frame of every page: friendly error pages, the favicon, the company's name, and a
service's problem shown as a sentence, never as its raw text."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from leaveflow_web.bootstrap import create_app

from .conftest import WEB, FakeServices, csrf_of, settings, sign_in

RAW = ("detail", "Not Found", "{", "HTTP", "tenant", "Traceback")


def assert_friendly(page: httpx.Response) -> None:
    assert page.headers["content-type"].startswith("text/html")
    assert '<a href="/">Back to the home page</a>' in page.text
    main = page.text.split('<main id="main" tabindex="-1">')[1]
    for raw in RAW:
        assert raw not in main, raw


async def test_an_unknown_url_is_a_page_for_a_stranger(dashboard: httpx.AsyncClient) -> None:
    page = await dashboard.get("/no/such/page")
    assert page.status_code == 404
    assert "<h1>Page not found</h1>" in page.text
    assert "There is no page at this address." in page.text
    assert_friendly(page)


async def test_an_unknown_url_is_a_page_with_the_menu_when_signed_in(
    dashboard: httpx.AsyncClient,
) -> None:
    await sign_in(dashboard, "eve@acme.test")
    page = await dashboard.get("/admin/nonsense/deeper")
    assert page.status_code == 404
    assert 'href="/team"' in page.text  # the header's menu: a way on, not a dead end
    assert_friendly(page)


async def test_a_wrong_method_is_a_page(dashboard: httpx.AsyncClient) -> None:
    page = await dashboard.put("/signin")
    assert page.status_code == 405
    assert "This page cannot be opened this way." in page.text
    assert_friendly(page)


async def test_a_script_asking_for_json_still_gets_a_problem(dashboard: httpx.AsyncClient) -> None:
    answer = await dashboard.get("/nowhere", headers={"accept": "application/json"})
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["title"] == "Page not found"


async def test_an_htmx_call_to_nowhere_gets_a_sentence_not_a_whole_page(
    dashboard: httpx.AsyncClient,
) -> None:
    answer = await dashboard.get("/partials/nothing", headers={"hx-request": "true"})
    assert answer.status_code == 404
    assert answer.text.strip().startswith('<p class="problem" role="alert">There is no page')
    assert "<html" not in answer.text


@pytest.fixture
async def breaking() -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings(), transport=httpx.MockTransport(FakeServices()))

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=WEB) as client:
        yield client


async def test_a_failure_of_the_dashboard_is_a_page(breaking: httpx.AsyncClient) -> None:
    page = await breaking.get("/boom")
    assert page.status_code == 500
    assert "<h1>Something went wrong</h1>" in page.text
    assert "secret internals" not in page.text
    assert_friendly(page)


async def test_the_favicon_is_there_for_every_page(dashboard: httpx.AsyncClient) -> None:
    page = await dashboard.get("/signin")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text
    icon = await dashboard.get("/static/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    legacy = await dashboard.get("/favicon.ico", follow_redirects=True)
    assert legacy.status_code == 200
    assert legacy.content == icon.content


async def test_the_header_names_the_company_after_sign_in(dashboard: httpx.AsyncClient) -> None:
    before = await dashboard.get("/signin")
    assert 'data-testid="company-name"' not in before.text
    await sign_in(dashboard, "eve@acme.test")
    home = await dashboard.get("/")
    assert '<span class="company" data-testid="company-name">Acme</span>' in home.text


async def test_the_header_names_the_company_just_signed_up(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    page = await dashboard.get("/signup")
    form = {"csrf_token": csrf_of(page), "name": "Globex & Co", "admin_name": "Gina",
            "admin_email": "gina@globex.test", "timezone": "Europe/Berlin"}  # fmt: skip
    answer = await dashboard.post("/signup", data=form)
    assert answer.status_code == 303
    admin = await dashboard.get("/")
    assert 'data-testid="company-name">Globex &amp; Co</span>' in admin.text


async def test_signing_out_forgets_the_company(dashboard: httpx.AsyncClient) -> None:
    await sign_in(dashboard, "eve@acme.test")
    home = await dashboard.get("/")
    await dashboard.post("/signout", data={"csrf_token": csrf_of(home)})
    page = await dashboard.get("/signin")
    assert "Acme" not in page.text


async def test_the_signup_page_offers_time_zones_by_name(dashboard: httpx.AsyncClient) -> None:
    page = await dashboard.get("/signup")
    assert 'list="time-zones"' in page.text
    assert '<option value="Europe/Berlin">' in page.text
    assert '<option value="Asia/Jerusalem">' in page.text
    assert "IANA" not in page.text


async def test_the_sign_in_page_speaks_no_machine_words(dashboard: httpx.AsyncClient) -> None:
    page = await dashboard.get("/signin")
    for machine in ("tenant", "LEAVEFLOW_", "embedded stack", "deployment"):
        assert machine not in page.text, machine


def test_a_problem_box_shows_the_sentence_only() -> None:
    from leaveflow_web.api import ApiError
    from leaveflow_web.entrypoints.common import templates

    box = templates.env.from_string(
        '{% from "macros.html" import problem_box %}{{ problem_box(p, "Preview") }}'
    )
    raw = ApiError(
        422, "Unprocessable content", "the request is not valid: end_date: end_date is ...",
        errors=[{"field": "end_date", "message": "end_date is before start_date"}],
        type="https://leaveflow.dev/problems/validation-error",
    )  # fmt: skip
    html = box.render(p=raw)
    assert "The last day is before the first day." in html
    for machine in ("Preview", "Unprocessable", "HTTP", "422", "end_date"):
        assert machine not in html, machine
    down = box.render(p=ApiError(503, "requests service unreachable", "ConnectError"))
    assert "<strong>Preview:</strong>" in down
    assert "could not reach one of its parts" in down
    assert "ConnectError" not in down
    assert "unreachable" not in down


class Refusing(FakeServices):
    """The fake services, with the answers of a real service refusing what was sent."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/tenants":
            self.calls.append(request)
            return httpx.Response(
                422,
                json={
                    "type": "https://leaveflow.dev/problems/validation-error",
                    "title": "Unprocessable content",
                    "status": 422,
                    "detail": "the request is not valid: admin_email: value is not a valid ...",
                    "errors": [
                        {"field": "admin_email", "message": "value is not a valid email address"},
                        {"field": "name", "message": "String should have at least 1 character"},
                    ],
                },
            )
        if request.url.path.startswith("/v1/balances/"):
            self.calls.append(request)
            down = {"title": "Service unavailable", "detail": "mongo is down"}
            return httpx.Response(503, json=down)
        return super().__call__(request)


@pytest.fixture
async def refusing() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(), transport=httpx.MockTransport(Refusing()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        yield client


async def test_signup_errors_show_once_next_to_their_fields(refusing: httpx.AsyncClient) -> None:
    page = await refusing.get("/signup")
    form = {"csrf_token": csrf_of(page), "name": " ", "admin_name": "Gina",
            "admin_email": "gina@", "timezone": "UTC"}  # fmt: skip
    answer = await refusing.post("/signup", data=form)
    assert answer.status_code == 422
    email_said = "Enter an email address like name@example.com."
    assert answer.text.count(email_said) == 1
    assert f'<small class="error" id="e-admin_email">{email_said}</small>' in answer.text
    assert '<small class="error" id="e-name">Fill in the name.</small>' in answer.text
    assert 'class="problem"' not in answer.text  # no second copy above the form
    for raw in ("String should", "valid email address", "Unprocessable", "HTTP"):
        assert raw not in answer.text, raw
    assert 'value="Gina"' in answer.text  # what was typed stays


async def test_a_section_whose_service_is_down_says_so_in_words(
    refusing: httpx.AsyncClient,
) -> None:
    await sign_in(refusing, "eve@acme.test")
    part = await refusing.get("/partials/my-balances", headers={"hx-request": "true"})
    # The Home partial has its own sentence for this (the form's round); either way a
    # sentence, never the service's text.
    assert "Your balances could not be loaded. Reload the page in a moment." in part.text
    for raw in ("Service unavailable", "mongo is down", "HTTP 503"):
        assert raw not in part.text, raw
