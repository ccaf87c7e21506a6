"""Headers that make the browser hold the dashboard to what its templates need.

The pages load only their own scripts and styles (/static), are never framed (the Teams
tab's pages only by Microsoft's hosts), and send no
Referer: an approve/deny link (``/decide/<token>``) must not leak its token to whatever the
page links to, and no other page needs to tell other sites where people came from.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No 'unsafe-inline' or 'unsafe-eval': the templates have no inline script, style or handler
# (htmx is told not to inject its indicator <style>). No form-action: single sign-on's form
# redirects to the identity provider, which form-action would refuse in some browsers.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)

# The Teams tab's pages may be framed by Microsoft's hosts only (Microsoft's tab
# requirements: Teams, the Microsoft 365 app, Outlook, and *.cloud.microsoft they move to),
# plus the origins the operator adds; X-Frame-Options cannot name them, so it is left off.
TAB_PREFIX = "/teams/tab"
TEAMS_FRAME_ANCESTORS = (
    "teams.microsoft.com",
    "*.teams.microsoft.com",
    "*.cloud.microsoft",
    "*.microsoft365.com",
    "*.office.com",
    "outlook.office.com",
    "outlook.office365.com",
    "outlook-sdf.office.com",
    "outlook-sdf.office365.com",
)
_NOT_FRAMED = "; frame-ancestors 'none'"
TEAMS_SDK_CDN = "https://res.cdn.office.net"


def tab_headers(extra_origins: str = "") -> tuple[tuple[bytes, bytes], ...]:
    ancestors = " ".join((*TEAMS_FRAME_ANCESTORS, *extra_origins.split()))
    policy = CONTENT_SECURITY_POLICY.removesuffix(_NOT_FRAMED) + "; frame-ancestors " + ancestors
    # The Teams SDK fetches Microsoft's list of valid host origins from its CDN.
    policy = policy.replace("; connect-src 'self';", f"; connect-src 'self' {TEAMS_SDK_CDN};")
    return tuple(
        (b"content-security-policy", policy.encode()) if name == b"content-security-policy" else h
        for h in HEADERS
        if (name := h[0]) != b"x-frame-options"
    )


# FastAPI's own API explorer loads its scripts from a CDN; it is not a dashboard page.
NO_CSP_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})

# Pages whose URL is a secret (an approval link's token, a sign-in link's): never cached.
PRIVATE_PREFIXES = ("/decide/", "/signin/link")


class SecurityHeaders:
    """Adds the headers to every response that does not set them itself (plain ASGI)."""

    def __init__(self, app: ASGIApp, *, tab_frame_origins: str = "") -> None:
        self.app = app
        self.tab = tab_headers(tab_frame_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers = self.tab if path.startswith(TAB_PREFIX) else HEADERS
        extra = [h for h in headers if not (path in NO_CSP_PATHS and h[0].startswith(b"content-"))]
        if path.startswith(PRIVATE_PREFIXES):
            extra.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _merged(message.get("headers") or [], extra)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _merged(
    headers: Iterable[tuple[bytes, bytes]], extra: Iterable[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    out = list(headers)
    present = {name.lower() for name, _ in out}
    out.extend((name, value) for name, value in extra if name not in present)
    return out
