"""Sign in with a passkey alone (the button of ``partials/passkey_signin.html`` on /signin).

No email is asked: the options allow any credential, the device offers the person's own
discoverable passkeys, and the credential id it answers with names the stored passkey
(``POST /v1/auth/passkeys/find``). Then the answer is verified (the library checks the
counter; a counter that went backwards is a copied passkey, refused), the new counter is
recorded with a compare-and-set (``/used``: a concurrent use of the same passkey loses), and
the session is opened like every other sign-in.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from .. import company
from ..api import ApiError
from ..i18n import N_
from ..i18n import gettext as _
from ..local_paths import local_path
from ..passkeys import CeremonyRefused, authentication_options, parse_assertion, verify_assertion
from ..session import Csrf, SessionRefused, identity, open_session
from .security import service_call

router = APIRouter(prefix="/signin/passkey")

UNKNOWN = N_(
    "This passkey is not known here: it may have been removed, or your account is no longer "
    "active. Sign in another way."
)
RACED = N_(
    "This passkey was used somewhere else at the same moment, so this sign-in was refused. "
    "If that was not you, remove the passkey on your Security page."
)
UNAVAILABLE = N_("Signing in with a passkey is not possible just now. Try again in a minute.")


def _refused(message: str, status: int = 401) -> JSONResponse:
    return JSONResponse({"error": _(message)}, status_code=status)


@router.post("/options", dependencies=[Csrf])
async def options(request: Request) -> Response:
    return JSONResponse(authentication_options(request))


@router.post("", dependencies=[Csrf])
async def sign_in_with_passkey(request: Request) -> Response:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return _refused(_("Your browser sent no passkey. Try again."), 400)
    try:
        assertion = parse_assertion(body.get("credential"))
    except CeremonyRefused as exc:
        return _refused(str(exc), 400)
    try:
        found = await service_call(
            request, "/v1/auth/passkeys/find", {"credential_id": assertion.credential_id}
        )
    except ApiError as exc:
        return _refused(UNKNOWN) if exc.status == 404 else _refused(UNAVAILABLE, 503)
    try:
        key_id, public_key = str(found["id"]), str(found["public_key"])
        stored_count = int(found["sign_count"])
        tenant_id, employee_id = str(found["tenant_id"]), str(found["employee_id"])
        email = str(found["email"])  # a passkey names nobody; the header shows who signed in
    except (KeyError, TypeError, ValueError):
        return _refused(UNAVAILABLE, 502)
    try:
        new_count = verify_assertion(
            request, assertion, public_key=public_key, sign_count=stored_count
        )
    except CeremonyRefused as exc:
        return _refused(str(exc))
    try:
        await service_call(
            request,
            f"/v1/auth/passkeys/{key_id}/used",
            {"expected_sign_count": stored_count, "sign_count": new_count},
        )
    except ApiError as exc:
        return _refused(RACED) if exc.status == 409 else _refused(UNAVAILABLE, 503)
    try:
        await open_session(
            request, tenant_id=tenant_id, employee_id=employee_id, email=email, via="passkey"
        )
    except SessionRefused as exc:
        return _refused(str(exc), exc.status)
    await company.look_up(request, identity(request), tenant_id, email)
    return JSONResponse({"redirect": local_path(body.get("next")) or "/"})
