"""Tokens: issuing, JWKS verification, and the FastAPI dependency for the caller."""

from .dependency import CurrentUser, current_user, require_role
from .standing import Standing, StandingLookup
from .tokens import InvalidToken, Principal, TokenIssuer, TokenVerifier, Verifier

__all__ = [
    "CurrentUser",
    "InvalidToken",
    "Principal",
    "Standing",
    "StandingLookup",
    "TokenIssuer",
    "TokenVerifier",
    "Verifier",
    "current_user",
    "require_role",
]
