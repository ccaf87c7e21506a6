"""Helpers for tests that drive a running stack over HTTP (the e2e suite imports these).

They live in the package rather than in a conftest so test modules can import and type them
(`--import-mode=importlib` makes conftest modules unimportable by name).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import uuid4

import httpx

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

T = TypeVar("T")

CHROMIUM = Path("/usr/bin/chromium")
"""The machine's Chromium (Debian package ``chromium``; ``make test`` installs it)."""

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@contextmanager
def chromium() -> Iterator[Browser]:
    """The system Chromium driven by Playwright; closed on exit.

    Never Playwright's own browser download: the tests use what the machine has. Playwright
    starts it with a fresh temporary profile (``--user-data-dir``) and deletes it afterwards;
    each ``browser.new_context()`` is a separate cookie jar (one per person in a test).
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


# What sticks out on the right of the viewport, to name in a failure.
_STICKING_OUT = """() => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth)
  .map((e) => e.tagName + '.' + e.className + '#' + e.id).slice(0, 8)"""


def no_sideways_scroll(page: Page) -> None:
    """Fail when the page is wider than its viewport, naming what sticks out."""
    widths = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], (
        f"{page.url} scrolls sideways: {widths} {page.evaluate(_STICKING_OUT)}"
    )


def open_signed_in(
    browser: Browser, web: str, viewport: ViewportSize, email: str, wait_ms: int
) -> Page:
    """A new cookie jar at `viewport`, signed in as `email` through the dev sign-in
    (no mail, no passkey), on the "My leave" page."""
    context = browser.new_context(base_url=web, viewport=viewport)
    context.set_default_timeout(wait_ms)
    page = context.new_page()
    dev_sign_in(page, email)
    return page


def dev_sign_in(page: Page, email: str) -> None:
    """Sign `page` in as `email` through the dev sign-in box, which takes an email only
    (each test's people belong to one company); it waits for the "My leave" page."""
    from playwright.sync_api import expect

    page.goto("/signin")
    page.get_by_label("Email of the person to be").fill(email)
    page.get_by_role("button", name="Sign in without a check").click()
    expect(page.get_by_role("heading", name="My leave")).to_be_visible()


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

    def _create(self, service: str, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        with self.client(service) as http:
            response = http.post(path, json=dict(body))
        assert response.status_code == 201, f"POST {path}: {response.status_code} {response.text}"
        return dict(response.json())

    def location(self, name: str = "HQ", **fields: Any) -> str:
        """A location (Mon-Fri, UTC, no public holidays unless given); returns its id."""
        return str(self._create("requests", "/v1/locations", {"name": name, **fields})["id"])

    def leave_type(
        self,
        name: str = "Vacation",
        *,
        allowance: Decimal | int | str = 25,
        location_ids: Sequence[str] = (),
        policy: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> str:
        """A leave type with `allowance` days a year for people of `location_ids`.

        The one place tests make a type usable: it also sets the balances policy of the
        type at each of `location_ids` (upfront grant, no carry-over unless `policy` says
        otherwise: its keys override the policy body of `PUT /v1/policies/...`).
        """
        body = {"name": name, **fields}
        leave_type_id = str(self._create("requests", "/v1/leave-types", body)["id"])
        rules = {"annual_allowance": str(allowance), "accrual": "upfront", **(policy or {})}
        with self.client("balances") as http:
            for location_id in location_ids:
                path = f"/v1/policies/{location_id}/{leave_type_id}"
                response = http.put(path, json=rules)
                assert response.status_code == 200, f"PUT {path}: {response.text}"
        if rules.get("active", True):
            wait_offered(self.urls["requests"], self.headers, leave_type_id, location_ids)
        return leave_type_id

    def employee(
        self, name: str, email: str | None = None, *, role: str = "user", **fields: Any
    ) -> tuple[str, str]:
        """An employee (employed since 2020 unless told) and their bearer token."""
        email = email or f"{name.lower().replace(' ', '.')}-{uuid4().hex[:6]}@e2e.test"
        body = {"name": name, "email": email, "role": role, "start_date": "2020-01-01", **fields}
        employee_id = str(self._create("requests", "/v1/employees", body)["id"])
        return employee_id, self.login(email)

    def login(self, email: str) -> str:
        """A bearer token for an employee of this tenant (the stack's dev login)."""
        response = httpx.post(
            f"{self.urls['requests']}/v1/auth/dev-login",
            json={"tenant_id": self.tenant_id, "email": email},
            timeout=10.0,
        )
        assert response.status_code == 200, f"dev-login: {response.status_code} {response.text}"
        return str(response.json()["token"])


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


def wait_offered(
    requests_url: str,
    headers: Mapping[str, str],
    leave_type_id: str,
    location_ids: Sequence[str],
) -> None:
    """Wait until the requests service offers the type at every location: it learns a
    policy from the balances service's events, a few milliseconds after the PUT."""
    if not location_ids:
        return

    def offered() -> bool:
        got = httpx.get(
            f"{requests_url}/v1/leave-types/{leave_type_id}", headers=dict(headers), timeout=10
        ).json()
        return set(location_ids) <= set(got.get("location_ids", []))

    eventually(offered, what=f"leave type {leave_type_id} offered at {list(location_ids)}")


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


WEEKS_SEARCHED = 520
"""How far ahead `coming_mondays` looks (ten years) before it gives up."""


def this_monday(today: date | None = None) -> date:
    """The Monday of the current week (``today`` defaults to the machine's date)."""
    today = today or date.today()
    return today - timedelta(days=today.weekday())


def coming_mondays(
    count: int = 1,
    *,
    weeks_ahead: int = 1,
    free_of: Container[date] = (),
    where: Callable[[Sequence[date]], bool] | None = None,
    today: date | None = None,
) -> list[date]:
    """Mondays of the first `count` distinct weeks, from `weeks_ahead` weeks after the
    current one on, whose Monday to Friday lie in one month, hold no day of `free_of` and
    (if given) pass ``where(monday_to_friday)``.

    Tests date their requests with it instead of literal dates, which would turn into past
    dates one day and fail (or test something else) from then on. ``free_of`` takes any
    container of dates, e.g. a ``holidays.DE(subdiv="BY")`` calendar; one month keeps a week
    inside one leave year (for years starting on 1 January).
    """
    if count < 1 or weeks_ahead < 0:
        raise ValueError("count must be positive and weeks_ahead not negative")
    found: list[date] = []
    monday = this_monday(today) + timedelta(weeks=weeks_ahead)
    for _ in range(WEEKS_SEARCHED):
        week = [monday + timedelta(days=i) for i in range(5)]
        if (
            week[-1].month == monday.month
            and not any(day in free_of for day in week)
            and (where is None or where(week))
        ):
            found.append(monday)
            if len(found) == count:
                return found
        monday += timedelta(weeks=1)
    raise LookupError(f"only {len(found)} of {count} such weeks in {WEEKS_SEARCHED} weeks")


def coming_monday(
    weeks_ahead: int = 1,
    *,
    free_of: Container[date] = (),
    where: Callable[[Sequence[date]], bool] | None = None,
    today: date | None = None,
) -> date:
    """The Monday of the first such week (see `coming_mondays`)."""
    return coming_mondays(1, weeks_ahead=weeks_ahead, free_of=free_of, where=where, today=today)[0]
