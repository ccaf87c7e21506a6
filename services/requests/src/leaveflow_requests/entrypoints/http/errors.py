"""Domain errors -> problem+json, once, at the edge."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from leaveflow_kit.http import problem_response

from ...domain import errors

_STATUS: list[tuple[type[errors.DomainError], int, str, str]] = [
    (errors.InvalidRequest, 422, "Unprocessable content", "validation-error"),
    (errors.OverlappingRequest, 409, "Overlapping request", "overlapping-request"),
    (errors.CoverageExceeded, 409, "Coverage limit", "coverage-limit"),
    (errors.InvalidTransition, 409, "Invalid transition", "invalid-transition"),
    (errors.DuplicateEmail, 409, "Duplicate email", "duplicate-email"),
    (errors.DuplicateName, 409, "Duplicate name", "duplicate-name"),
    (errors.LastAdmin, 409, "Last admin", "last-admin"),
    (errors.EmailInUse, 409, "Email in use", "email-in-use"),
    (errors.DomainClaimed, 409, "Domain claimed", "domain-claimed"),
    (errors.CounterMismatch, 409, "Counter mismatch", "counter-mismatch"),
    (errors.DuplicateCredential, 409, "Duplicate credential", "duplicate-credential"),
    (errors.Unauthenticated, 401, "Unauthorized", "unauthorized"),
    (errors.LinkGone, 410, "Gone", "gone"),
    (errors.SsoEnforced, 403, "Single sign-on enforced", "sso-enforced"),
    (errors.NotAllowed, 403, "Forbidden", "forbidden"),
    (errors.NotFound, 404, "Not found", "not-found"),
    (errors.Unavailable, 503, "Service unavailable", "service-unavailable"),
]


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.DomainError)
    async def _domain(_: Request, exc: errors.DomainError) -> JSONResponse:
        for cls, status, title, slug in _STATUS:
            if isinstance(exc, cls):
                field_errors = None
                if isinstance(exc, errors.InvalidRequest):
                    field_errors = [{"field": exc.field or "body", "message": str(exc)}]
                elif isinstance(exc, errors.DuplicateName):
                    field_errors = [{"field": exc.field, "message": str(exc)}]
                return problem_response(
                    status, title, str(exc), type_slug=slug, errors=field_errors
                )
        return problem_response(400, "Bad request", str(exc))
