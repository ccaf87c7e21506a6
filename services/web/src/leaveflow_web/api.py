"""The four services' public APIs as the signed-in person sees them (docs/api.md).

Every call carries that person's bearer token, so each service applies its own rules
(roles, departments, tenants); the web never decides what someone may see by itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import httpx

from leaveflow_kit.tls import client_tls

from . import problems

# A page shows at most this many thousand rows; beyond that, filters are the answer.
MAX_PAGES = 5

NOT_AVAILABLE = "not available"

Service = Literal["requests", "balances", "notifications", "calendar"]


@dataclass
class ApiError(Exception):
    """A service answered with an error (or could not be reached: status 503)."""

    status: int
    title: str
    detail: str = ""
    errors: list[dict[str, Any]] = field(default_factory=list)
    # Seconds to wait before trying again (a 429's or 503's Retry-After), when it said.
    retry_after: int | None = None
    # The problem's ``type`` URI (e.g. ending in ``/email-in-use``), "" when it gave none.
    type: str = ""
    # For a 409 overlapping-request: the request it runs into, dates filled in when known.
    overlap: problems.Overlap | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}" if self.detail else self.title

    @property
    def field_errors(self) -> dict[str, str]:
        """The messages by field name as sentences for people, shown next to the inputs."""
        return problems.field_sentences(self.errors)

    @property
    def sentence(self) -> str:
        """The whole problem as one sentence for people (``problems.sentence``)."""
        return problems.sentence(self)

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        title = str(body.get("title") or response.reason_phrase or "error")
        detail = str(body.get("detail") or "")
        if response.status_code == 404 and detail in ("", "Not Found"):
            # The framework's answer for a route the service does not have (yet).
            title, detail = NOT_AVAILABLE, "this server does not offer it yet"
        return cls(
            status=response.status_code,
            title=title,
            detail=detail,
            errors=list(body.get("errors") or []),
            retry_after=_seconds(response.headers.get("retry-after")),
            type=str(body.get("type") or ""),
        )


def _seconds(value: str | None) -> int | None:
    """Retry-After in delay-seconds (the only form our services send); None otherwise."""
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


class ServiceApis:
    """One pooled HTTP client per process; requests are made as a given bearer token."""

    def __init__(
        self,
        urls: Mapping[Service, str],
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}
        self.http = httpx.AsyncClient(timeout=timeout, transport=transport, verify=client_tls())
        # Event streams stay open as long as a page does: their own client, so a hundred
        # open tabs never take the pool that page loads need.
        self.streams = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, read=None),
            transport=transport,
            verify=client_tls(),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
        )

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.streams.aclose()

    def url(self, service: Service, path: str) -> str:
        return f"{self.urls[service]}{path}"

    async def call(
        self,
        method: str,
        service: Service,
        path: str,
        *,
        token: str | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        scheme: str = "Bearer",
    ) -> Any:
        """The decoded JSON body of a 2xx answer (None for 204); ApiError otherwise."""
        headers = {"authorization": f"{scheme} {token}"} if token else {}
        if content_type:
            headers["content-type"] = content_type
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self.http.request(
                method,
                self.url(service, path),
                params=clean,
                json=json,
                content=content,
                headers=headers,
            )
        except httpx.HTTPError as exc:
            raise ApiError(503, f"{service} service unreachable", type(exc).__name__) from exc
        if response.status_code >= 400:
            raise ApiError.from_response(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()


@dataclass
class Api:
    """``ServiceApis`` bound to one person's token: what views use."""

    apis: ServiceApis
    token: str

    async def get(self, service: Service, path: str, **params: Any) -> Any:
        return await self.apis.call("GET", service, path, token=self.token, params=params)

    async def post(self, service: Service, path: str, body: Any = None) -> Any:
        return await self._write("POST", service, path, body)

    async def _write(self, method: str, service: Service, path: str, body: Any) -> Any:
        """A change; a refusal for overlapping leave learns which days it overlaps."""
        try:
            return await self.apis.call(method, service, path, token=self.token, json=body)
        except ApiError as exc:
            if (overlap := problems.overlap_of(exc)) and overlap.request_id:
                exc.overlap = await self._dated(overlap)
            raise

    async def _dated(self, overlap: problems.Overlap) -> problems.Overlap:
        """The overlapped request's dates, so the sentence can say which days (the API's
        problem names only its id); the bare overlap when it cannot be read."""
        try:
            found = await self.get("requests", f"/v1/leave-requests/{overlap.request_id}")
            start = date.fromisoformat(str(found["start_date"]))
            end = date.fromisoformat(str(found.get("end_date") or found["start_date"]))
        except (ApiError, KeyError, TypeError, ValueError):
            return overlap
        status = str(found.get("status") or overlap.status)
        return problems.Overlap(overlap.request_id, status, start, end)

    async def put(self, service: Service, path: str, body: Any) -> Any:
        return await self.apis.call("PUT", service, path, token=self.token, json=body)

    async def patch(self, service: Service, path: str, body: Any) -> Any:
        return await self._write("PATCH", service, path, body)

    async def post_csv(self, service: Service, path: str, text: bytes) -> Any:
        return await self.apis.call(
            "POST", service, path, token=self.token, content=text, content_type="text/csv"
        )

    async def items(self, service: Service, path: str, **params: Any) -> list[dict[str, Any]]:
        """The items of a paged list, following ``next_cursor`` up to MAX_PAGES pages."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page = await self.get(service, path, limit=1000, cursor=cursor, **params)
            found.extend(page.get("items", []))
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return found
