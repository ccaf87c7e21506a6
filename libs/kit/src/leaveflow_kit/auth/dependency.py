"""FastAPI dependencies: the authenticated caller, and role checks."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from ..http.problems import Forbidden, Unauthorized
from .standing import StandingLookup
from .tokens import InvalidToken, Principal, Verifier

# Says no more than that the token no longer works: not whether the person exists.
NO_LONGER_EMPLOYED = "no longer employed"


async def current_user(request: Request) -> Principal:
    """The caller of a valid bearer token, with the role the directory holds now when the
    app has a `StandingLookup` on `app.state.standing` (401 once they have left)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("missing bearer token")
    verifier: Verifier = request.app.state.token_verifier
    try:
        principal = await verifier.verify(token.strip())
    except InvalidToken as exc:
        raise Unauthorized(str(exc)) from exc
    lookup: StandingLookup | None = getattr(request.app.state, "standing", None)
    if lookup is None:
        return principal
    standing = await lookup.standing(principal.tenant_id, principal.employee_id)
    if standing is None:
        return principal
    if not standing.active:
        raise Unauthorized(NO_LONGER_EMPLOYED)
    if standing.role != principal.role:
        return dataclasses.replace(principal, role=standing.role)
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def require_role(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise Forbidden(f"requires role {' or '.join(roles)}")
        return user

    return check
