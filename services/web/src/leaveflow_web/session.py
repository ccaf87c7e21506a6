"""Who is signed in, and the CSRF token of the session.

The session is Starlette's signed cookie (HttpOnly, SameSite=Lax, Secure behind TLS): it
holds the person's API token, so the browser's JavaScript never sees it and every page the
web renders is fetched with that person's rights.
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

from .api import ApiError, ServiceApis
from .tokens import Grant

_USER_KEY = "user"
_CSRF_KEY = "csrf"
_CHECKED_KEY = "checked"
# How often a session asks the directory for the person's current role: a promotion or a
# demotion shows in the dashboard (menus, admin pages) within this, like in the APIs.
ROLE_CHECK_SECONDS = 30.0
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class SignedIn:
    tenant_id: str
    employee_id: str
    role: str
    email: str
    token: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def may_approve(self) -> bool:
        return self.role in ("admin", "approver")


class NotSignedIn(Exception):
    """Raised by ``current_user``; the app answers with a redirect to the sign-in page."""


class SessionEnded(NotSignedIn):
    """An API refused the session's token (401): the person left, or the token expired.

    The app ends the session and sends them to sign in again, saying why.
    """


class CsrfRejected(Exception):
    """A state-changing request without the session's CSRF token (403)."""


def _sealer(request: Request) -> Fernet:
    """The cookie is signed, not encrypted: the API token inside is sealed on its own, so a
    copied cookie value shows nobody the bearer token."""
    secret: str = request.app.state.settings.session_secret
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


def sign_in(request: Request, grant: Grant, email: str) -> SignedIn:
    user = SignedIn(grant.tenant_id, grant.employee_id, grant.role, email, grant.token)
    sealed = _sealer(request).encrypt(grant.token.encode()).decode()
    request.session.clear()  # a new session for a new identity: nothing carried over
    request.session[_USER_KEY] = asdict(replace(user, token=sealed))
    request.session[_CSRF_KEY] = secrets.token_urlsafe(32)
    request.session[_CHECKED_KEY] = now()
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


async def current_user(request: Request) -> SignedIn:
    user = signed_in(request)
    if user is None:
        raise NotSignedIn
    return await _with_current_role(request, user)


async def _with_current_role(request: Request, user: SignedIn) -> SignedIn:
    """The role the directory holds now (checked every ROLE_CHECK_SECONDS), not the one at
    sign-in; a token the service refuses (the person left) ends the session."""
    checked = request.session.get(_CHECKED_KEY)
    if isinstance(checked, int | float) and 0 <= now() - checked < ROLE_CHECK_SECONDS:
        return user
    apis: ServiceApis = request.app.state.apis
    try:
        me = await apis.call(
            "GET", "requests", f"/v1/employees/{user.employee_id}", token=user.token
        )
    except ApiError as exc:
        if exc.status == 401:
            raise SessionEnded from exc
        me = None  # cannot tell now: keep what the session has, ask again next period
    request.session[_CHECKED_KEY] = now()
    role = me.get("role") if isinstance(me, dict) else None
    if not isinstance(role, str) or not role or role == user.role:
        return user
    stored = dict(request.session[_USER_KEY])
    stored["role"] = role
    request.session[_USER_KEY] = stored
    return replace(user, role=role)


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
