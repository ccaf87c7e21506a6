"""RFC 9457 problem details: one error hierarchy, mapped to HTTP in one place."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..logging import get_logger
from ..storage.port import StorageError, TransientConflict

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
# Seconds a client should wait before retrying a request the store could not serve.
STORE_RETRY_AFTER = "1"


class Problem(Exception):
    """An error with an HTTP meaning. Services raise subclasses; the edge renders them."""

    status = 400
    title = "Bad request"
    type_slug = "bad-request"

    def __init__(
        self,
        detail: str = "",
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers


class Unauthorized(Problem):
    status, title, type_slug = 401, "Unauthorized", "unauthorized"


class Forbidden(Problem):
    status, title, type_slug = 403, "Forbidden", "forbidden"


class NotFound(Problem):
    status, title, type_slug = 404, "Not found", "not-found"


class Conflict(Problem):
    status, title, type_slug = 409, "Conflict", "conflict"


class Gone(Problem):
    status, title, type_slug = 410, "Gone", "gone"


class PayloadTooLarge(Problem):
    status, title, type_slug = 413, "Content too large", "payload-too-large"


class TooManyRequests(Problem):
    status, title, type_slug = 429, "Too many requests", "rate-limited"

    def __init__(self, detail: str = "", *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class Unprocessable(Problem):
    status, title, type_slug = 422, "Unprocessable content", "validation-error"

    def __init__(self, detail: str = "", *, field: str | None = None, **kw: Any) -> None:
        errors = kw.pop("errors", None)
        if errors is None and field is not None:
            errors = [{"field": field, "message": detail}]
        super().__init__(detail, errors=errors or [])


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    type_slug: str = "about:blank",
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://leaveflow.dev/problems/{type_slug}"
        if type_slug != "about:blank"
        else type_slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def store_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or an error it was raised from) says the store is unreachable or too
    busy right now: MongoDB lost or not yet elected (pymongo's ConnectionFailure family:
    AutoReconnect, NetworkTimeout, NotPrimaryError, ServerSelectionTimeoutError), SQLite
    still locked after its busy timeout, a write conflict that outlasted the retries.

    The transaction did not commit (or, for a commit whose answer was lost, committed
    whole): the client may retry, so these answer 503 with Retry-After, never 500.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionFailure | TransientConflict):
            return True
        if isinstance(current, sqlite3.OperationalError):
            message = str(current)
            if "locked" in message or "busy" in message:
                return True
        current = current.__cause__ or current.__context__
    return False


def store_unavailable_response() -> JSONResponse:
    return problem_response(
        503,
        "Service unavailable",
        "the service's database is unavailable right now; retry shortly",
        type_slug="store-unavailable",
        headers={"Retry-After": STORE_RETRY_AFTER},
    )


def _field_of(loc: tuple[Any, ...]) -> str:
    # ("body", "end_date") -> "end_date"; ("query", "limit") -> "limit"; ("body",) -> "body"
    parts = [str(p) for p in loc[1:]] if len(loc) > 1 else [str(p) for p in loc]
    return ".".join(parts)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        headers.update(exc.headers or {})
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            type_slug=exc.type_slug,
            errors=exc.errors,
            headers=headers or None,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            message = str(err.get("msg", "invalid"))
            if err.get("type") == "json_invalid":
                message = "malformed JSON: " + str(err.get("ctx", {}).get("error", message))
            errors.append({"field": _field_of(tuple(err.get("loc", ()))), "message": message})
        return problem_response(
            422,
            "Unprocessable content",
            "the request is not valid: "
            + "; ".join(f"{e['field']}: {e['message']}" for e in errors),
            type_slug="validation-error",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            exc.status_code,
            str(exc.detail),
            str(exc.detail),
            headers=dict(exc.headers) if exc.headers else None,
        )

    # The store's errors get handlers of their own (not only the catch-all below) so they
    # are answered inside the app, without Starlette re-raising them to the server.
    @app.exception_handler(ConnectionFailure)
    @app.exception_handler(StorageError)
    @app.exception_handler(sqlite3.OperationalError)
    async def _store(request: Request, exc: Exception) -> JSONResponse:
        return _unexpected_or_unavailable(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return _unexpected_or_unavailable(request, exc)


def _unexpected_or_unavailable(request: Request, exc: Exception) -> JSONResponse:
    if store_unavailable(exc):
        log.warning("store_unavailable", path=request.url.path, error=type(exc).__name__)
        return store_unavailable_response()
    log.exception("unhandled_error", path=request.url.path, exc_info=exc)
    return problem_response(500, "Internal server error", "an unexpected error occurred")
