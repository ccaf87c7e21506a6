"""Two session cookies: the dashboard's own, and the Teams tab's.

Inside Teams the dashboard is a third-party iframe: the browser sends it only cookies marked
``SameSite=None; Secure``, and (CHIPS) keeps a ``Partitioned`` one in a jar of Teams' site
alone, so the tab's session is never the one a person has when they open Leaveflow in a
browser tab, and the other way round. The dashboard's own cookie keeps ``SameSite=Lax``.

Which session a request uses:

- the tab's routes (``/teams/tab...``): the tab's cookie, always;
- what a tab page loads or calls (HTMX, its live events, its stylesheets: ``HX-Request``,
  or a ``Sec-Fetch-Dest`` that is not a navigation) that carries only the tab's cookie:
  the tab's;
- everything else: the dashboard's own.

CSRF: a ``SameSite=None`` cookie goes along with cross-site requests, so the cookie proves
nothing by itself. Every state-changing route already requires the session's CSRF token
(form field or ``X-CSRF-Token``), which a page of another site cannot read; the tab's own
sign-in POST (which has no session yet) takes only JSON from our own origin (see
``entrypoints/signin_teams.py``).
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .security_headers import TAB_PREFIX

TAB_COOKIE = "leaveflow_teams_tab"
# Where a tab session that ended (or never began) signs in again: the token exchange, not
# /signin (a page Teams cannot show: it refuses to be framed).
TAB_SIGNIN = "/teams/tab"


def in_tab(request: Request) -> bool:
    return bool(getattr(request.state, "teams_tab", False))


def _cookies(scope: Scope) -> set[str]:
    for name, value in scope.get("headers") or []:
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed header: as if there were none
                return set()
            return set(jar)
    return set()


NAVIGATIONS = frozenset({b"document", b"iframe", b"frame", b"embed", b"object"})


def _is_call(scope: Scope) -> bool:
    """What a page loads or calls (HTMX, its live events, a stylesheet), not a navigation:
    those come from the tab's page and keep its session."""
    headers = dict(scope.get("headers") or [])
    dest = headers.get(b"sec-fetch-dest")
    return b"hx-request" in headers or (dest is not None and dest not in NAVIGATIONS)


def uses_tab_session(scope: Scope, main_cookie: str) -> bool:
    path: str = scope.get("path", "")
    if path.startswith(TAB_PREFIX):
        return True
    cookies = _cookies(scope)
    return _is_call(scope) and TAB_COOKIE in cookies and main_cookie not in cookies


class _Partitioned:
    """Adds ``Partitioned`` to the tab cookie's Set-Cookie (Starlette has no option)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def partitioned(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                cookies = headers.getlist("set-cookie")
                if any(c.startswith(f"{TAB_COOKIE}=") for c in cookies):
                    del headers["set-cookie"]
                    for cookie in cookies:
                        mine = cookie.startswith(f"{TAB_COOKIE}=")
                        headers.append("set-cookie", f"{cookie}; partitioned" if mine else cookie)
            await send(message)

        await self.app(scope, receive, partitioned)


class Sessions:
    """The session middleware for both cookies, choosing per request (see the module)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret_key: str,
        session_cookie: str,
        max_age: int,
        https_only: bool,
    ) -> None:
        self.main_cookie = session_cookie
        self.main = SessionMiddleware(
            app,
            secret_key=secret_key,
            session_cookie=session_cookie,
            max_age=max_age,
            same_site="lax",
            https_only=https_only,
        )
        # SameSite=None needs Secure; browsers treat http://localhost as secure for it.
        tab = SessionMiddleware(
            app,
            secret_key=secret_key,
            session_cookie=TAB_COOKIE,
            max_age=max_age,
            same_site="none",
            https_only=True,
        )
        self.tab = _Partitioned(tab)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and uses_tab_session(scope, self.main_cookie):
            # request.state.teams_tab: the app's "sign in again" answers stay in the tab.
            scope.setdefault("state", {})["teams_tab"] = True
            await self.tab(scope, receive, send)
        else:
            await self.main(scope, receive, send)
