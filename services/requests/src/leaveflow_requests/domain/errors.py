"""Domain errors; the HTTP edge maps each kind to one status."""

from __future__ import annotations


class DomainError(Exception):
    """A rule was broken."""


class InvalidRequest(DomainError):
    """Input that can never be valid as given (HTTP 422). `field` names the culprit."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class OverlappingRequest(DomainError):
    """Another live request of the same employee covers one of the dates (HTTP 409)."""


class CoverageExceeded(DomainError):
    """More of a department's people would be off on a day than its `max_off` in "block"
    mode allows (HTTP 409, naming the day)."""


class InvalidTransition(DomainError):
    """The request's status does not allow this action (HTTP 409)."""


class Unavailable(DomainError):
    """Another Leaveflow service this action must ask cannot be reached now (HTTP 503):
    nothing was done, the caller may retry."""


class NotAllowed(DomainError):
    """The caller may not do this (HTTP 403)."""


class NotFound(DomainError):
    """No such thing in this tenant (HTTP 404)."""


class DuplicateEmail(DomainError):
    """Email is the key of an employee within a tenant (HTTP 409)."""


class DuplicateName(DomainError):
    """Two live locations, departments or leave types of one company may not share a name,
    compared trimmed and case-insensitively (HTTP 409, naming the field ``name``)."""

    field = "name"


class LastAdmin(DomainError):
    """A tenant always keeps at least one admin (HTTP 409)."""


class SignupClosed(NotFound):
    """Signup was open for the first company only, and it exists (HTTP 404, like signup off)."""


class Unauthenticated(DomainError):
    """A credential that proves nothing: a revoked session, a wrong refresh token, a link
    asked for in another browser (HTTP 401)."""


class LinkGone(DomainError):
    """A magic link that was used or has expired (HTTP 410)."""


class SsoEnforced(NotAllowed):
    """The company lets people in through its own single sign-on only (HTTP 403)."""


class EmailInUse(DomainError):
    """Signup with the email of another company's active admin (HTTP 409): only a
    confirmation link sent to that address may create a second company."""


class DomainClaimed(DomainError):
    """An email domain is another company's single sign-on domain (HTTP 409)."""


class CounterMismatch(DomainError):
    """A passkey's stored counter is not the one the caller verified against (HTTP 409)."""


class DuplicateCredential(DomainError):
    """A passkey with this credential id is registered already (HTTP 409)."""
