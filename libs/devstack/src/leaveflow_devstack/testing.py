"""Helpers for tests that drive a running stack over HTTP (the e2e suite imports these).

They live in the package rather than in a conftest so test modules can import and type them
(`--import-mode=importlib` makes conftest modules unimportable by name).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar
from uuid import uuid4

import httpx

T = TypeVar("T")


@dataclass(frozen=True)
class Tenant:
    """A signed-up tenant; ``token`` is its admin's bearer token."""

    tenant_id: str
    admin_id: str
    admin_email: str
    token: str
    urls: Mapping[str, str]

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    def client(self, service: str) -> httpx.Client:
        """An httpx client for one service with the admin's token; close it (use ``with``)."""
        return httpx.Client(base_url=self.urls[service], headers=self.headers, timeout=10.0)


def sign_up(urls: Mapping[str, str], *, name: str | None = None, timezone: str = "UTC") -> Tenant:
    """Create a tenant through the public signup; unique names keep tests independent."""
    run = uuid4().hex[:10]
    email = f"admin-{run}@e2e.test"
    response = httpx.post(
        f"{urls['requests']}/v1/tenants",
        json={
            "name": name or f"E2E {run}",
            "admin_name": "E2E Admin",
            "admin_email": email,
            "timezone": timezone,
        },
        timeout=10.0,
    )
    assert response.status_code == 201, f"signup answered {response.status_code}: {response.text}"
    body = response.json()
    return Tenant(
        tenant_id=body["tenant_id"],
        admin_id=body["admin_id"],
        admin_email=email,
        token=body["token"],
        urls=dict(urls),
    )


def eventually(
    check: Callable[[], T | None],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    what: str = "condition",
) -> T:
    """Call ``check`` until it returns something truthy (and return that) or time runs out.

    For effects that travel through events (a request turning `pending`, a balance moving):
    polling with a deadline instead of a fixed sleep keeps tests fast and unflaky. Exceptions
    from ``check`` count as "not yet"; the last one is reported on timeout.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            result = check()
        except Exception as exc:  # reported below if it persists
            last = exc
        else:
            if result:
                return result
            last = result
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not met within {timeout}s; last result: {last!r}")
        time.sleep(interval)
