"""Sign-in links by email, bound to the browser that asked for them.

The browser keeps a random nonce in its (signed) session cookie; the requests service
stores only sha256(nonce) with the link, so the link signs in nobody in another browser,
and a copied mail is useless without this cookie. Opening the link (GET) only shows a
"Continue" button: mail scanners that fetch links must not use them up. The POST redeems.

Asking for a link answers the same page at once whatever the email; the link is made
and mailed in a background task, so neither the page nor its timing says whether the
email belongs to anyone.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, Response

from .. import company
from ..api import ApiError
from ..i18n import N_
from ..i18n import gettext as _
from ..proof import onward
from ..session import Csrf, SessionRefused, identity, open_session
from ..tokens import IdentityApi
from .common import form_fields, render
from .signin_common import after_proof, kept_options, limited, message_page, service_refused

router = APIRouter()
log = logging.getLogger(__name__)

_NONCE_KEY = "link_nonce"
_NEXT_KEY = "link_next"

OTHER_BROWSER = N_("Open the link in the browser where you asked for it.")
USED_OR_EXPIRED = N_(
    "This link has already been used or has expired (links work once, for 15 minutes). "
    "Ask for a new one."
)
UNKNOWN_LINK = N_(
    "This link is not valid. Check that you opened the whole link, or ask for a new one."
)


def browser_nonce(request: Request) -> str:
    """This browser's nonce: one per session, shared by every link it asks for."""
    nonce = request.session.get(_NONCE_KEY)
    if not isinstance(nonce, str) or not nonce:
        nonce = secrets.token_urlsafe(32)
        request.session[_NONCE_KEY] = nonce
    return nonce


def nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def link_url(request: Request, token: str) -> str:
    public_url: str = request.app.state.settings.public_url
    return f"{public_url.rstrip('/')}/signin/link?{urlencode({'token': token})}"


async def _send_sign_in_link(api: IdentityApi, email: str, hashed: str, public_url: str) -> None:
    """Make and mail the link, after the page has gone: nothing here may reach the person
    (that would tell them whether the email is known), so failures are only logged."""
    try:
        token, tenant_ids = await api.magic_link(email, hashed, "sign_in")
        if token is None:
            return  # nobody has this email: no mail, the same page
        link = f"{public_url.rstrip('/')}/signin/link?{urlencode({'token': token})}"
        await api.send_mail(email, "sign_in", link, tenant_ids)
    except ApiError as exc:
        # Neither the email nor the link goes to the log.
        log.warning("a sign-in link could not be sent: %s %s", exc.status, exc.title)


@router.post("/signin/link", dependencies=[Csrf])
async def ask_for_link(request: Request, tasks: BackgroundTasks) -> Response:
    options = kept_options(request)
    if options is None:
        return render(request, "signin.html", 400, message=_("Start again: enter your email."))
    if refused := limited(request, "links", options.email, options.next_path):
        return refused
    request.session[_NEXT_KEY] = options.next_path or ""
    public_url: str = request.app.state.settings.public_url
    tasks.add_task(
        _send_sign_in_link,
        identity(request),
        options.email,
        nonce_hash(browser_nonce(request)),
        public_url,
    )
    return render(request, "signin_sent.html", email=options.email)


@router.get("/signin/link", response_class=HTMLResponse)
async def open_link(request: Request, token: str = "") -> Response:
    """Only a button: a GET never uses the link up."""
    if not token:
        return render(request, "signin_link.html", 404, message=_(UNKNOWN_LINK))
    return render(request, "signin_link.html", token=token[:512])


@router.post("/signin/link/redeem", dependencies=[Csrf])
async def redeem(request: Request) -> Response:
    token = form_fields(await request.form(), "token")["token"]
    nonce = request.session.get(_NONCE_KEY)
    if not isinstance(nonce, str) or not nonce:
        # This browser never asked for a link: the link cannot be for it.
        return render(request, "signin_link.html", 401, message=_(OTHER_BROWSER))
    try:
        redeemed = await identity(request).redeem(token, nonce)
    except ApiError as exc:
        if exc.status == 401:
            return render(request, "signin_link.html", 401, message=_(OTHER_BROWSER))
        if exc.status == 410:
            return render(request, "signin_link.html", 410, message=_(USED_OR_EXPIRED))
        if exc.status in (404, 422):
            return render(request, "signin_link.html", 404, message=_(UNKNOWN_LINK))
        return service_refused(request, exc)
    next_raw = request.session.get(_NEXT_KEY)
    next_path = next_raw if isinstance(next_raw, str) and next_raw else None
    if redeemed.created is not None:
        made = redeemed.created
        try:
            await open_session(
                request,
                tenant_id=made.tenant_id,
                employee_id=made.admin_id,
                email=redeemed.email,
                via="magic_link",
            )
        except SessionRefused as exc:
            return message_page(request, _("We could not sign you in"), str(exc), exc.status)
        await company.look_up(request, identity(request), made.tenant_id, redeemed.email)
        return onward("/admin")
    return await after_proof(request, redeemed.email, "magic_link", redeemed.companies, next_path)


async def confirm_signup(request: Request, email: str, body: dict[str, Any]) -> Response:
    """The email already administers a company: a second one only once that address
    confirms, by a link (mailed now) that creates the company when redeemed here."""
    if refused := limited(request, "links", email):
        return refused
    api = identity(request)
    try:
        token, tenant_ids = await api.magic_link(
            email, nonce_hash(browser_nonce(request)), "signup", signup=body
        )
        if token is None:
            raise ApiError(502, "no confirmation link was made")
        await api.send_mail(email, "confirm_signup", link_url(request, token), tenant_ids)
    except ApiError as exc:
        return render(
            request,
            "signup.html",
            503 if exc.status == 503 else 502,
            values=body,
            message=_("We could not send the confirmation email. Try again in a minute."),
        )
    return message_page(
        request,
        _("Confirm by email"),
        _(
            "We have emailed %(email)s a link to confirm another company. Open it in this "
            "browser within 15 minutes.",
            email=email,
        ),
        202,
        problem=False,
    )
