"""Limits at the edge: request body size, and request rates on the public endpoints.

Body size. `BodyLimitMiddleware` (installed by `create_service_app`, so on every service)
answers 413 to a body over the limit: before the app runs when `Content-Length` says so,
or, for a chunked body, as soon as the bytes read pass it. The refused body is never
buffered; it is read and dropped (up to 64 MiB) so that the client sees the answer.
Default 1 MiB (`LEAVEFLOW_MAX_BODY_BYTES`); a route with a documented larger limit passes
`runtime.app(..., body_limits={path: bytes})`.

Rates. `rate_limited(bucket)` is a dependency for the public endpoints:

    @router.post("/v1/tenants", dependencies=[rate_limited("signup")])
    @router.post("/v1/auth/dev-login",
                 dependencies=[rate_limited("signin", account=json_field("tenant_id", "email"))])

Each bucket is a token bucket per client address and, with `account`, per account too:
`count` requests at once, refilled at `count` per `seconds` (`LEAVEFLOW_RATE_LIMITS`, e.g.
"signup=30/60,signin=120/60"). Over it: 429 with `Retry-After`. The counts live in the
process: each replica counts its own (N replicas allow up to N times the figure). The
client address is the connection's; behind a proxy on another host set
`LEAVEFLOW_TRUST_PROXY=true` to use the last `X-Forwarded-For` entry (the one our proxy
added), or every client shares the proxy's address.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from fastapi import Request
from fastapi.params import Depends as DependsParam
from prometheus_client import Counter
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import PayloadTooLarge, TooManyRequests, problem_response

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_RATE_LIMITS",
    "BodyLimitMiddleware",
    "LimitSettings",
    "RateLimit",
    "RateLimiter",
    "json_field",
    "parse_rate_limits",
    "rate_limited",
]

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# A refused body is still read (and dropped, never kept) up to this much so the client
# sees the 413; past it the connection is simply closed.
DRAIN_MAX_BYTES = 64 * 1024 * 1024

RATE_LIMITED = Counter(
    "leaveflow_http_rate_limited_total", "Requests refused by a rate limit", ["bucket", "by"]
)
BODY_TOO_LARGE = Counter("leaveflow_http_body_too_large_total", "Request bodies refused (413)")


@dataclass(frozen=True)
class RateLimit:
    """`count` requests per `seconds` (a burst of `count`, then `count / seconds` a second)."""

    count: int
    seconds: float

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 < self.seconds < math.inf:
            raise ValueError(f"a rate limit needs count >= 1 and seconds > 0: {self}")


# Generous: a script setting up a company (signup once, then dozens of sign-ins and link
# openings a minute from one address) stays far below them; a flood does not.
DEFAULT_RATE_LIMITS: Mapping[str, RateLimit] = {
    "signup": RateLimit(60, 60),
    "signin": RateLimit(300, 60),
    "links": RateLimit(300, 60),
    "inbound": RateLimit(1200, 60),
}


def parse_rate_limits(text: str) -> dict[str, RateLimit]:
    """ "signup=30/60,signin=120/60" -> {bucket: RateLimit}; a ValueError names a bad part."""
    limits: dict[str, RateLimit] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        bucket, eq, figure = part.partition("=")
        count, slash, seconds = figure.partition("/")
        try:
            if not (eq and slash and bucket.strip()):
                raise ValueError(part)
            limits[bucket.strip()] = RateLimit(int(count), float(seconds))
        except ValueError as exc:
            raise ValueError(f"rate limit {part!r} is not bucket=count/seconds") from exc
    return limits


class LimitSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    max_body_bytes: int = Field(
        DEFAULT_MAX_BODY_BYTES, ge=1, validation_alias=AliasChoices("LEAVEFLOW_MAX_BODY_BYTES")
    )
    # Overrides of DEFAULT_RATE_LIMITS, bucket by bucket: "signup=30/60,signin=120/60".
    rate_limits_text: str = Field("", validation_alias=AliasChoices("LEAVEFLOW_RATE_LIMITS"))
    trust_proxy: bool = Field(False, validation_alias=AliasChoices("LEAVEFLOW_TRUST_PROXY"))

    @field_validator("rate_limits_text")
    @classmethod
    def _parses(cls, value: str) -> str:
        # A typo fails at start-up, not on the first request (or never).
        unknown = set(parse_rate_limits(value)) - set(DEFAULT_RATE_LIMITS)
        if unknown:
            known = ", ".join(DEFAULT_RATE_LIMITS)
            raise ValueError(f"unknown rate-limit bucket(s) {sorted(unknown)}: one of {known}")
        return value

    @property
    def rate_limits(self) -> dict[str, RateLimit]:
        return parse_rate_limits(self.rate_limits_text)


# ---- body size ---------------------------------------------------------------------------


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Pure ASGI: refuses bodies over the limit before (or while) they are read.

    `limits` maps a path to its own limit; a key ending in `*` is a prefix."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.default = max_body_bytes
        self.exact = {p: n for p, n in (limits or {}).items() if not p.endswith("*")}
        self.prefixes = sorted(
            ((p[:-1], n) for p, n in (limits or {}).items() if p.endswith("*")),
            key=lambda item: -len(item[0]),
        )

    def limit_for(self, path: str) -> int:
        if path in self.exact:
            return self.exact[path]
        for prefix, limit in self.prefixes:
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            # Refused before the app, and before anything is buffered.
            if not _expects_continue(scope):
                await _drain(receive, DRAIN_MAX_BYTES)
            await _refuse(scope, send, limit)
            return
        received = 0
        exceeded = False
        finished = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded, finished
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                finished = not message.get("more_body", False)
                if received > limit:
                    exceeded = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's answer to the exception: ours goes instead
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(_TooLarge):  # FastAPI turns it into a 400: ours goes instead
            await self.app(scope, counting_receive, guarded_send)
        if exceeded and not started:
            if not finished:
                await _drain(receive, DRAIN_MAX_BYTES - received)
            await _refuse(scope, send, limit)


def _expects_continue(scope: Scope) -> bool:
    # The client waits for "100 Continue" (sent only once the app reads): it sends nothing.
    return any(
        name == b"expect" and value.lower() == b"100-continue"
        for name, value in scope.get("headers") or ()
    )


async def _drain(receive: Receive, budget: int) -> None:
    """Read and drop the rest of the body, up to `budget` bytes. Clients that send the whole
    body before reading (httpx, requests) would otherwise meet a reset connection instead
    of the 413: the server closes while their bytes are still coming."""
    while budget > 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    BODY_TOO_LARGE.inc()
    problem = PayloadTooLarge(f"the request body exceeds {limit} bytes")
    response = problem_response(
        problem.status, problem.title, problem.detail, type_slug=problem.type_slug
    )
    # The unread rest of the body makes the connection useless for another request.
    response.headers["connection"] = "close"

    async def no_body() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, no_body, send)


# ---- request rates -----------------------------------------------------------------------


class RateLimiter:
    """Token buckets in memory, one per (bucket, key). At most `max_keys` are kept (least
    recently used go first): a flood of distinct keys costs bounded memory, and a key
    dropped simply starts again full."""

    def __init__(
        self,
        limits: Mapping[str, RateLimit] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.limits = {**DEFAULT_RATE_LIMITS, **(limits or {})}
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()

    def hit(self, bucket: str, key: str) -> float:
        """Take one request from `key`'s bucket: 0.0 when allowed, else the seconds until
        one is allowed again (nothing is taken then)."""
        limit = self.limits.get(bucket)
        if limit is None:
            raise KeyError(f"no rate limit named {bucket!r}")
        now = self._clock()
        rate = limit.count / limit.seconds
        tokens, updated = self._buckets.get((bucket, key), (float(limit.count), now))
        tokens = min(float(limit.count), tokens + (now - updated) * rate)
        if tokens < 1.0:
            self._buckets[(bucket, key)] = (tokens, now)
            self._buckets.move_to_end((bucket, key))
            return (1.0 - tokens) / rate
        self._buckets[(bucket, key)] = (tokens - 1.0, now)
        self._buckets.move_to_end((bucket, key))
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return 0.0


AccountOf = Callable[[Request], Awaitable[str | None]]


def client_address(request: Request, *, trust_proxy: bool) -> str:
    if trust_proxy:
        forwarded = request.headers.get("x-forwarded-for", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:64]
    return request.client.host if request.client else "unknown"


def _limiter_of(request: Request) -> tuple[RateLimiter, bool]:
    state = request.app.state
    limiter: RateLimiter | None = getattr(state, "rate_limiter", None)
    if limiter is None:  # an app not built by create_service_app
        settings = LimitSettings()
        limiter = RateLimiter(settings.rate_limits)
        state.rate_limiter = limiter
        state.trust_proxy = settings.trust_proxy
    return limiter, bool(getattr(state, "trust_proxy", False))


def rate_limited(bucket: str, *, account: AccountOf | None = None) -> DependsParam:
    """A dependency refusing (429) a client address, or an account (`account(request)`,
    None: none known), that has spent bucket `bucket`'s limit."""
    if bucket not in DEFAULT_RATE_LIMITS:
        known = ", ".join(DEFAULT_RATE_LIMITS)
        raise ValueError(f"unknown rate-limit bucket {bucket!r}: one of {known}")

    async def check(request: Request) -> None:
        limiter, trust_proxy = _limiter_of(request)
        keys = [("address", client_address(request, trust_proxy=trust_proxy))]
        if account is not None:
            who = await account(request)
            if who:
                keys.append(("account", who))
        for by, key in keys:
            wait = limiter.hit(bucket, f"{by}:{key}")
            if wait > 0:
                RATE_LIMITED.labels(bucket, by).inc()
                raise TooManyRequests(
                    "too many requests; retry later", retry_after=max(1, math.ceil(wait))
                )

    check.__name__ = f"rate_limited_{bucket}"
    return DependsParam(dependency=check)


def json_field(*names: str) -> AccountOf:
    """An `account` for `rate_limited`: the JSON body's `names` fields joined ("t1:a@b.c"),
    None when the body is not a JSON object holding them all. FastAPI has read the body
    already, so this costs one parse."""

    async def account(request: Request) -> str | None:
        try:
            body = json.loads(await request.body())
        except (ValueError, RecursionError):  # deep nesting: a 1 MiB "[[[[..." body
            return None
        if not isinstance(body, dict):
            return None
        values = [body.get(name) for name in names]
        if not all(isinstance(v, str) and v for v in values):
            return None
        return ":".join(str(v).strip().lower()[:320] for v in values)

    return account
