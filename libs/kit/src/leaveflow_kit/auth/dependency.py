"""FastAPI dependencies: the authenticated caller, and role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from ..http.problems import Forbidden, Unauthorized
from .tokens import InvalidToken, Principal, Verifier


async def current_user(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("missing bearer token")
    verifier: Verifier = request.app.state.token_verifier
    try:
        return await verifier.verify(token.strip())
    except InvalidToken as exc:
        raise Unauthorized(str(exc)) from exc


CurrentUser = Annotated[Principal, Depends(current_user)]


def require_role(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise Forbidden(f"requires role {' or '.join(roles)}")
        return user

    return check
