"""Passkeys (WebAuthn) for the dashboard: the two ceremonies, with the `webauthn` library.

The web keeps nothing but the ceremony's challenge, in the signed session cookie, and takes it
out on the first answer (a challenge is good for one try). The credentials themselves live in
the requests service (``/v1/auth/passkeys``, called with the service secret).

The relying party is the dashboard's public address (``WEB_PUBLIC_URL``): its host is the rp
id and the address itself the only origin accepted, so a passkey made for one deployment is
useless on another.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .i18n import gettext as _

RP_NAME = "Leaveflow"
_REGISTER_KEY = "passkey_register"
_SIGN_IN_KEY = "passkey_sign_in"
TIMEOUT_MS = 120_000


class CeremonyRefused(Exception):
    """The browser's answer does not prove what it should; ``str()`` is the sentence to show."""


class ClonedCredential(CeremonyRefused):
    """Signed by the right key, but its counter did not move forward: a copy of the passkey."""


@dataclass(frozen=True)
class RelyingParty:
    rp_id: str
    origin: str

    @property
    def usable(self) -> bool:
        """Browsers refuse WebAuthn on an IP address: the site must be reached by a name."""
        try:
            ipaddress.ip_address(self.rp_id.strip("[]"))
        except ValueError:
            return True
        return False

    @classmethod
    def of(cls, public_url: str) -> RelyingParty:
        parts = urlsplit(public_url)
        return cls(rp_id=parts.hostname or "localhost", origin=f"{parts.scheme}://{parts.netloc}")


@dataclass(frozen=True)
class NewPasskey:
    credential_id: str  # base64url, as the browser names it
    public_key: str  # base64url COSE key
    sign_count: int
    transports: list[str]


@dataclass(frozen=True)
class Assertion:
    """A sign-in answer, parsed only as far as needed to find its stored credential."""

    credential_id: str
    raw: dict[str, Any]


def user_handle(tenant_id: str, employee_id: str) -> bytes:
    """Stable and opaque: the authenticator keeps it, so it must say nothing about the person."""
    return hashlib.sha256(f"{tenant_id}:{employee_id}".encode()).hexdigest()[:32].encode()


def _relying_party(request: Request) -> RelyingParty:
    return RelyingParty.of(request.app.state.settings.public_url)


def registration_options(
    request: Request, *, tenant_id: str, employee_id: str, email: str
) -> dict[str, Any]:
    """Options for ``navigator.credentials.create``; the challenge waits in the session."""
    party = _relying_party(request)
    options = generate_registration_options(
        rp_id=party.rp_id,
        rp_name=RP_NAME,
        user_name=email or employee_id,
        user_id=user_handle(tenant_id, employee_id),
        timeout=TIMEOUT_MS,
        # A discoverable credential is what lets "Sign in with a passkey" work with no email.
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    request.session[_REGISTER_KEY] = bytes_to_base64url(options.challenge)
    decoded: dict[str, Any] = json.loads(options_to_json(options))
    return decoded


def verify_registration(request: Request, credential: Any) -> NewPasskey:
    challenge = _take_challenge(request, _REGISTER_KEY)
    party = _relying_party(request)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=party.rp_id,
            expected_origin=party.origin,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise CeremonyRefused(
            _("Your browser's answer could not be checked, so no passkey was added. Try again.")
        ) from exc
    response = credential.get("response") if isinstance(credential, dict) else None
    transports = response.get("transports") if isinstance(response, dict) else None
    return NewPasskey(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        transports=[str(t) for t in transports or [] if isinstance(t, str)][:10],
    )


def authentication_options(request: Request) -> dict[str, Any]:
    """Options for ``navigator.credentials.get`` with no allowed list: the authenticator
    offers the person's own discoverable passkeys, and nobody is asked for an email."""
    options = generate_authentication_options(
        rp_id=_relying_party(request).rp_id,
        timeout=TIMEOUT_MS,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    request.session[_SIGN_IN_KEY] = bytes_to_base64url(options.challenge)
    decoded: dict[str, Any] = json.loads(options_to_json(options))
    return decoded


def parse_assertion(credential: Any) -> Assertion:
    if not isinstance(credential, dict) or not isinstance(credential.get("id"), str):
        raise CeremonyRefused(_("Your browser sent no passkey. Try again."))
    return Assertion(credential_id=credential["id"], raw=credential)


def verify_assertion(
    request: Request, assertion: Assertion, *, public_key: str, sign_count: int
) -> int:
    """The authenticator's new counter once the answer is proven; refusals otherwise.

    The library checks the counter together with everything else. When it refuses, the same
    answer is checked once more without the counter: a valid signature then means the only
    fault was a counter that did not move forward, i.e. a copied (cloned) passkey.
    """
    challenge = _take_challenge(request, _SIGN_IN_KEY)
    party = _relying_party(request)

    def verify(stored_count: int) -> int:
        verified = verify_authentication_response(
            credential=assertion.raw,
            expected_challenge=challenge,
            expected_rp_id=party.rp_id,
            expected_origin=party.origin,
            credential_public_key=base64url_to_bytes(public_key),
            credential_current_sign_count=stored_count,
        )
        return verified.new_sign_count

    try:
        return verify(sign_count)
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        refused = exc
    try:
        verify(0)
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise CeremonyRefused(
            _("This passkey's answer could not be verified, so you are not signed in.")
        ) from refused
    raise ClonedCredential(
        _(
            "This passkey was refused: it looks like a copy of a passkey that was already used "
            "(its use counter went backwards). Sign in another way, then remove it on your "
            "Security page and add a new one."
        )
    ) from refused


def _take_challenge(request: Request, key: str) -> bytes:
    """The session's challenge for this ceremony, removed: one answer per challenge."""
    stored = request.session.pop(key, None)
    if not isinstance(stored, str) or not stored:
        raise CeremonyRefused(_("This passkey request has expired. Try again."))
    return base64url_to_bytes(stored)
