"""Routes only other Leaveflow services call: `authorization: Service <secret>`.

The secret is `LEAVEFLOW_SERVICE_SECRET`, shared by the services of one deployment. Without
one configured such a route does not exist (404). The web and the bots sign everyone in
through these routes, all from one address, so only wrong secrets count against the
`signin` limit: a guesser is soon stopped and they never are.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request

from .limits import count_failure, refuse_if_failures_spent
from .problems import NotFound, Unauthorized

__all__ = ["check_service_caller", "service_caller"]

SCHEME = "service"


def check_service_caller(request: Request, expected: str | None) -> None:
    """Refuse the request unless it carries `Service <expected>`; 404 when `expected` is
    unset (the deployment has no service secret)."""
    if not expected:
        raise NotFound("not found")
    refuse_if_failures_spent(request, "signin")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != SCHEME or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        count_failure(request, "signin")
        raise Unauthorized("bad service credentials")


def service_caller(secret_of: Callable[[Request], str | None]) -> Any:
    """A dependency for `dependencies=[...]`: the secret comes from `secret_of(request)`."""

    async def _check(request: Request) -> None:
        check_service_caller(request, secret_of(request))

    return Depends(_check)
