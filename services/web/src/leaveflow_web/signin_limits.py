"""How often one email, and one client address, may ask to sign in or for a link.

Per address: the kit's limiter (buckets "signin" and "links", LEAVEFLOW_RATE_LIMITS), the
same figures and counts as the services' own public routes. Per email: a bucket of its own
(WEB_SIGNIN_ATTEMPTS_PER_EMAIL per WEB_SIGNIN_WINDOW), so a flood spread over many
addresses still cannot fill one person's inbox. The counts live in the process, like the
kit's: each replica counts its own.
"""

from __future__ import annotations

import math
from typing import Literal

from fastapi import Request

from leaveflow_kit.http.limits import RateLimit, RateLimiter, client_address

Bucket = Literal["signin", "links"]


class EmailLimits:
    def __init__(self, attempts: int, window_seconds: float) -> None:
        limit = RateLimit(attempts, window_seconds)
        self.limiter = RateLimiter({"email:signin": limit, "email:links": limit})


def _kit_limiter(request: Request) -> tuple[RateLimiter, bool]:
    state = request.app.state
    limiter: RateLimiter = state.rate_limiter  # create_service_app installs it
    return limiter, bool(getattr(state, "trust_proxy", False))


def seconds_to_wait(request: Request, bucket: Bucket, email: str) -> int:
    """0 when this attempt may go on (and it is counted), else the seconds to wait."""
    limiter, trust_proxy = _kit_limiter(request)
    address = client_address(request, trust_proxy=trust_proxy)
    wait = limiter.hit(bucket, f"address:{address}")
    if wait <= 0 and email:
        per_email: EmailLimits = request.app.state.email_limits
        wait = per_email.limiter.hit(f"email:{bucket}", email.strip().lower()[:320])
    return max(1, math.ceil(wait)) if wait > 0 else 0
