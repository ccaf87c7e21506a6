"""Composition root of the web dashboard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from leaveflow_kit.http import create_service_app
from leaveflow_kit.http.limits import LimitSettings
from leaveflow_kit.logging import get_logger

from .api import ApiError, ServiceApis
from .body_limit import LARGER_LIMITS, BodyLimit
from .config import Settings
from .entrypoints import (
    admin,
    approvals,
    auth,
    blackouts,
    decide,
    home,
    live,
    notification_settings,
    passkey_signin,
    request_edit,
    security,
    signin_links,
    signin_oidc,
    signin_teams,
    substitutes,
    team,
    toil,
)
from .entrypoints.common import render, retry_headers, templates, too_many_attempts
from .entrypoints.errors import broken_page, failure_page
from .i18n import N_, LanguageMiddleware
from .i18n import gettext as _
from .local_paths import local_path
from .oidc import Clients
from .person_name import of as person_name_of
from .security_headers import SecurityHeaders
from .session import CsrfRejected, NotSignedIn, SessionEnded, sign_out
from .signin_limits import EmailLimits
from .tab_session import TAB_SIGNIN, Sessions, in_tab
from .teams_sso import TeamsSso, app_id_uri
from .tokens import IdentityApi

STATIC = Path(__file__).resolve().parent / "static"
# The header's name, read from the session the page's request carries (base.html).
templates.env.globals["person_name"] = person_name_of
log = get_logger(__name__)
SESSION_COOKIE = "leaveflow_session"
NOT_ALLOWED = N_(
    "You are not allowed to do this. If your role changed recently, the pages now show what "
    "your new role allows."
)


def create_app(
    settings: Settings | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """``transport`` replaces the network for the calls to the services (tests)."""
    settings = settings or Settings()
    apis = ServiceApis(
        {
            "requests": settings.requests_url,
            "balances": settings.balances_url,
            "notifications": settings.notifications_url,
            "calendar": settings.calendar_url,
        },
        timeout=settings.api_timeout_seconds,
        transport=transport,
    )

    teams_sso = (
        TeamsSso(
            app_id=settings.teams_app_id,
            app_id_uri=app_id_uri(settings.public_url, settings.teams_app_id),
            login_url=settings.teams_login_url,
            timeout=settings.api_timeout_seconds,
        )
        if settings.teams_app_id
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await apis.aclose()
        if teams_sso is not None:
            await teams_sso.aclose()

    async def requests_reachable() -> None:
        response = await apis.http.get(apis.url("requests", "/healthz"))
        response.raise_for_status()

    limits = LimitSettings()
    app = create_service_app(
        title="Leaveflow web",
        lifespan=lifespan,
        readiness=[("requests", requests_reachable)],
        body_limits=LARGER_LIMITS,
        limits=limits,
    )
    app.state.settings = settings
    app.state.apis = apis
    app.state.identity = IdentityApi(apis, settings.service_secret)
    app.state.teams_sso = teams_sso
    app.state.oidc_clients = Clients(settings.api_timeout_seconds)
    app.state.email_limits = EmailLimits(
        settings.signin_attempts_per_email, settings.signin_window_seconds
    )
    # Inside the session's middleware: the language setting is read from the session.
    app.add_middleware(LanguageMiddleware)
    app.add_middleware(
        Sessions,
        secret_key=settings.session_secret,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_seconds,
        https_only=settings.cookie_secure,
    )
    # Outside the session and every form parser: a too-large body is refused unread.
    # The kit's own limit (problem+json) stays inside as a second guard with the same figures.
    app.add_middleware(
        BodyLimit, refusal=_too_large_page(), default=limits.max_body_bytes, larger=LARGER_LIMITS
    )
    app.add_middleware(SecurityHeaders, tab_frame_origins=settings.teams_frame_origins)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        # Browsers and bookmarks ask here without reading the page's <link rel="icon">.
        return RedirectResponse("/static/favicon.svg", status_code=301)

    for module in (auth, signin_links, signin_oidc, home, approvals, team, admin, live, decide):
        app.include_router(module.router)
    app.include_router(security.router)
    app.include_router(passkey_signin.router)
    app.include_router(notification_settings.router)
    app.include_router(substitutes.router)
    app.include_router(request_edit.router)
    app.include_router(blackouts.router)
    app.include_router(toil.router)
    app.include_router(signin_teams.router)
    _install_handlers(app)
    return app


def _too_large_page() -> bytes:
    return templates.get_template("too_large.html").render(user=None, csrf_token="").encode()


ENDED = "/signin?reason=ended"


def _tab_signin(request: Request) -> Response:
    """Inside the Teams tab: the token exchange again, in the frame, back to the same tab."""
    page = "team" if request.url.path.startswith(("/teams/tab/team", "/team")) else "my-leave"
    target = f"{TAB_SIGNIN}?page={page}"
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _session_ended(request: Request) -> Response:
    """An API refused the person's token: end the session, say so on the sign-in page."""
    sign_out(request)
    if in_tab(request):
        return _tab_signin(request)
    if request.headers.get("hx-request"):
        return Response(status_code=401, headers={"HX-Redirect": ENDED})
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    onward = local_path(here) if request.method == "GET" else None
    target = f"{ENDED}&{urlencode({'next': onward})}" if onward and onward != "/" else ENDED
    return RedirectResponse(target, status_code=303)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_failure(request: Request, exc: HTTPException) -> Response:
        """An unknown URL, a wrong method: a page saying so, never the framework's JSON."""
        return failure_page(request, exc.status_code, dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled_error", path=request.url.path, exc_info=exc)
        return broken_page(request)

    @app.exception_handler(SessionEnded)
    async def session_ended(request: Request, exc: SessionEnded) -> Response:
        return _session_ended(request)

    @app.exception_handler(ApiError)
    async def api_refused(request: Request, exc: ApiError) -> Response:
        """A service's error that no page handled: a sentence, never a 500 or raw error."""
        if exc.status == 401:
            return _session_ended(request)
        if exc.status == 403:
            return render(
                request, "error.html", 403, title=_("Not allowed"), message=_(NOT_ALLOWED)
            )
        if exc.status == 429:
            response = render(
                request, "error.html", 429, title=_("Slow down"), message=too_many_attempts(exc)
            )
            response.headers.update(retry_headers(exc))
            return response
        return render(
            request,
            "error.html",
            502,
            title=_("Something went wrong"),
            message=_("A Leaveflow service did not answer as expected. Try again in a minute."),
        )

    @app.exception_handler(NotSignedIn)
    async def to_signin(request: Request, exc: NotSignedIn) -> Response:
        if in_tab(request):
            return _tab_signin(request)
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/signin"})
        return RedirectResponse("/signin", status_code=303)

    @app.exception_handler(CsrfRejected)
    async def csrf_refused(request: Request, exc: CsrfRejected) -> Response:
        return render(
            request,
            "error.html",
            403,
            message=_("This form has expired or did not come from this site. Reload and retry."),
        )

    @app.exception_handler(admin.NotAdmin)
    async def not_admin(request: Request, exc: admin.NotAdmin) -> Response:
        return render(request, "error.html", 403, message=_("Only administrators can open this."))
