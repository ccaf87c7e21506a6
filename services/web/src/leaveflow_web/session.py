"""Who is signed in, and the CSRF token of the session.

The session is Starlette's signed cookie (HttpOnly, SameSite=Lax, Secure behind TLS): it
holds the sign-in session the requests service opened (its id and refresh token) and the
person's current API token, so the browser's JavaScript never sees them and every page the
web renders is fetched with that person's rights. The web keeps no state of its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import asdict, dataclass, replace
from typing import Annotated, Any

from cryptography.fernet import Fernet, InvalidToken
from fastapi import Depends, Request

from . import language_setting, person_name
from .api import Api, ApiError
from .i18n import N_
from .i18n import gettext as _
from .tokens import IdentityApi, Via

_USER_KEY = "user"
_CSRF_KEY = "csrf"
_FRESH_KEY = "fresh"
_REFRESH_KEY = "refresh"
# Session tokens live 300 s; refreshing once they are this old keeps every page's token
# fresh and makes a promotion, a demotion or a departure show within this period.
REFRESH_AFTER_SECONDS = 30.0
# The longest label the requests service keeps for a session (the browser's user agent).
LABEL_MAX = 200
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class SignedIn:
    tenant_id: str
    employee_id: str
    role: str
    email: str
    token: str
    # The requests service's sign-in session ("" for a token without one).
    session_id: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def may_approve(self) -> bool:
        return self.role in ("admin", "approver")


class NotSignedIn(Exception):
    """Raised by ``current_user``; the app answers with a redirect to the sign-in page."""


class SessionEnded(NotSignedIn):
    """The requests service ended the session (revoked, the person left) or an API refused
    its token (401). The app ends the session and sends them to sign in again, saying why.
    """


class SessionRefused(Exception):
    """The requests service would not open a session; the message is safe to show."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class CsrfRejected(Exception):
    """A state-changing request without the session's CSRF token (403)."""


NOT_ACTIVE = N_("This person is not an active member of that company any more.")
SSO_ONLY = N_(
    "Your company asks everyone to sign in with its own single sign-on. "
    "Use your company's sign-in button instead."
)


def _sealer(request: Request) -> Fernet:
    """The cookie is signed, not encrypted: the tokens inside are sealed on their own, so a
    copied cookie value shows nobody the bearer or the refresh token."""
    secret: str = request.app.state.settings.session_secret
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


def identity(request: Request) -> IdentityApi:
    """The service-only identity routes, as the web's own (``Service``) caller."""
    found: IdentityApi = request.app.state.identity
    return found


def _seal(request: Request, value: str) -> str:
    return _sealer(request).encrypt(value.encode()).decode()


def _store(request: Request, user: SignedIn, refresh_token: str) -> None:
    request.session[_USER_KEY] = asdict(replace(user, token=_seal(request, user.token)))
    request.session[_REFRESH_KEY] = _seal(request, refresh_token) if refresh_token else ""
    request.session[_FRESH_KEY] = now()


async def open_session(
    request: Request, *, tenant_id: str, employee_id: str, email: str, via: Via
) -> SignedIn:
    """The one way every sign-in ends, once the person is proven: the requests service opens
    a session (``POST /v1/auth/sessions``) and this browser keeps it.

    SessionRefused when the service will not (the person left, or the company requires its
    single sign-on); any other ``ApiError`` (429, 503) goes up to the app's handler.
    """
    label = request.headers.get("user-agent", "")[:LABEL_MAX] or "a browser"
    try:
        opened = await identity(request).open_session(tenant_id, employee_id, via, label)
    except ApiError as exc:
        if exc.status == 404:
            raise SessionRefused(_(NOT_ACTIVE), 403) from exc
        if exc.status == 403:
            raise SessionRefused(_(SSO_ONLY), 403) from exc
        raise
    user = start(
        request,
        SignedIn(tenant_id, opened.employee_id, opened.role, email, opened.token),
        session_id=opened.session_id,
        refresh_token=opened.refresh_token,
    )
    api = Api(request.app.state.apis, opened.token)
    await person_name.look_up(request, api, user.employee_id)
    await language_setting.look_up(request, api, user.employee_id)
    return user


def start(
    request: Request, user: SignedIn, *, session_id: str = "", refresh_token: str = ""
) -> SignedIn:
    """Keep ``user`` in this browser's cookie: a new session for a new identity, nothing
    carried over from before (a fixed session id or CSRF token included)."""
    user = replace(user, session_id=session_id)
    request.session.clear()
    _store(request, user, refresh_token)
    request.session[_CSRF_KEY] = secrets.token_urlsafe(32)
    return user


def now() -> float:
    return time.time()


def sign_out(request: Request) -> None:
    request.session.clear()


def signed_in(request: Request) -> SignedIn | None:
    raw: Any = request.session.get(_USER_KEY)
    if not isinstance(raw, dict):
        return None
    try:
        user = SignedIn(**raw)
        token = _sealer(request).decrypt(user.token.encode()).decode()
    except (TypeError, InvalidToken):
        return None
    return replace(user, token=token)


def _refresh_token(request: Request) -> str:
    sealed = request.session.get(_REFRESH_KEY)
    if not isinstance(sealed, str) or not sealed:
        return ""
    try:
        return _sealer(request).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return ""


async def current_user(request: Request) -> SignedIn:
    user = signed_in(request)
    if user is None:
        raise NotSignedIn
    return await _fresh(request, user)


async def _fresh(request: Request, user: SignedIn) -> SignedIn:
    """A token at most REFRESH_AFTER_SECONDS old, carrying the role the directory holds
    now; a session the service no longer knows (revoked, the person left) ends here."""
    fresh = request.session.get(_FRESH_KEY)
    if isinstance(fresh, int | float) and 0 <= now() - fresh < REFRESH_AFTER_SECONDS:
        return user
    refresh_token = _refresh_token(request)
    if not user.session_id or not refresh_token:
        return user  # a token without a session: it lives as long as it lasts
    try:
        renewed = await identity(request).refresh(user.session_id, refresh_token)
    except ApiError as exc:
        if exc.status == 401:
            raise SessionEnded from exc
        # Cannot tell now (the service is busy or down): the token still lives up to 300 s,
        # and the next page asks again.
        return user
    user = replace(user, token=renewed.token, role=renewed.role)
    _store(request, user, refresh_token)
    return user


User = Annotated[SignedIn, Depends(current_user)]


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (the sign-in forms need one too)."""
    token = request.session.get(_CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[_CSRF_KEY] = token
    return token


async def require_csrf(request: Request) -> None:
    """Every POST carries the session's token: a form field or (HTMX) the header."""
    expected = request.session.get(_CSRF_KEY)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfRejected


Csrf = Depends(require_csrf)
