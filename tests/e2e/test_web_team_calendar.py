"""The team calendar as a new customer reads it, in the machine's Chromium, at desktop
(1366x850) and phone (390x844) size (issue 15, item 3).

A company with a Mon–Fri office in Berlin (DE holidays) and a Sun–Thu office in Tel Aviv
(IL holidays); Vacation (blue) and a private Sick leave (red). Each bullet the customer
found is tried again on the page:
- every location's holidays merged into one header (Tel Aviv staff got Christmas);
- weekends always Sat–Sun, also for the Sun–Thu office;
- leave-type colours ignored; a half day filling the whole cell;
- only people who are off got a row; no weekday letters, no "today";
- the grid used about half of a 1366 px screen; on a phone the page scrolled sideways;
- sick leave showed by name to everyone and in feeds.

The company is set up through the API (the admin pages are another test's subject); the
calendar is then read only through the browser. Screenshots: test-artifacts/web/.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from leaveflow_devstack import Stack
from leaveflow_devstack.testing import Tenant, coming_monday, eventually, sign_up

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)
SIZES = {"desktop": (1366, 850), "phone": (390, 844)}
TODAY = datetime.now(UTC).date()
BLUE, RED = "#1f77b4", "#d62728"
DE, IL = holidays.country_holidays("DE"), holidays.country_holidays("IL")


def _free(day: date) -> bool:
    return day not in DE and day not in IL


# A coming week (Monday to Sunday, one month) with no holiday in either country, and the
# Monday to Wednesday of the week after it (same month too), for the leave below.
WEEK = coming_monday(
    2,
    where=lambda days: (
        all(_free(d) for d in days)
        and _free(days[0] + timedelta(days=6))
        and (days[0] + timedelta(days=9)).month == days[0].month
    ),
)
SUNDAY, THURSDAY = WEEK + timedelta(days=6), WEEK + timedelta(days=3)
NEXT_MONDAY, NEXT_TUESDAY = WEEK + timedelta(days=7), WEEK + timedelta(days=8)


def german_only_holiday() -> date:
    """A coming German public holiday that is no Israeli one, on a Monday to Thursday (a
    working day in both offices): Christmas, Easter Monday, ..."""
    day = TODAY + timedelta(days=1)
    while not (day in DE and day not in IL and day.isoweekday() <= 4):
        day += timedelta(days=1)
    return day


HOLIDAY = german_only_holiday()


@dataclass
class Company:
    tenant: Tenant
    ids: dict[str, str]
    emails: dict[str, str]
    tokens: dict[str, str]


def _post(tenant: Tenant, path: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else tenant.headers
    response = httpx.post(tenant.urls["requests"] + path, json=body, headers=headers, timeout=10)
    assert response.status_code in (200, 201, 202), f"POST {path}: {response.text}"
    return response.json()


def _request(
    company: Company, who: str, leave_type: str, start: date, end: date, **more: Any
) -> str:
    body = {
        "leave_type_id": company.ids[leave_type],
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        **more,
    }
    made = _post(company.tenant, "/v1/leave-requests", body, company.tokens[who])
    request_id = str(made["id"])

    def status() -> str | None:
        got = httpx.get(
            f"{company.tenant.urls['requests']}/v1/leave-requests/{request_id}",
            headers={"authorization": f"Bearer {company.tokens[who]}"},
            timeout=10,
        ).json()
        return str(got["status"]) if got["status"] in ("pending", "approved") else None

    eventually(status, timeout=20, what=f"{who}'s request pending")
    return request_id


def _approve(company: Company, request_id: str) -> None:
    _post(company.tenant, f"/v1/leave-requests/{request_id}/approve", {}, company.tokens["paula"])


@pytest.fixture(scope="module")
def company(stack: Stack) -> Company:
    """Berlin (Mon–Fri, DE) and Tel Aviv (Sun–Thu, IL); Engineering approved by Paula.
    Bea (Berlin) and Noa (Tel Aviv) take leave, Carl (Berlin) takes none, Lea left last
    year. Sick leave is private."""
    tenant = sign_up(stack.urls, name="Acme Calendar")
    ids: dict[str, str] = {}
    ids["berlin"] = tenant.location(
        "Berlin", timezone="Europe/Berlin", workweek=[1, 2, 3, 4, 5], holidays={"country": "DE"}
    )
    ids["tlv"] = tenant.location(
        "Tel Aviv", timezone="Asia/Jerusalem", workweek=[7, 1, 2, 3, 4], holidays={"country": "IL"}
    )
    places = [ids["berlin"], ids["tlv"]]
    ids["vacation"] = tenant.leave_type("Vacation", color=BLUE, location_ids=places)
    ids["sick"] = tenant.leave_type("Sick leave", color=RED, private=True, location_ids=places)
    emails: dict[str, str] = {}
    tokens: dict[str, str] = {}
    people: dict[str, tuple[str, str, str, dict[str, Any]]] = {
        "paula": ("Paula Approver", "berlin", "approver", {}),
        "bea": ("Bea Berlin", "berlin", "user", {}),
        "noa": ("Noa Tel Aviv", "tlv", "user", {}),
        "carl": ("Carl Quiet", "berlin", "user", {}),
    }
    for key, (name, place, role, more) in people.items():
        emails[key] = f"{key}-{tenant.tenant_id[:8]}@acme.test"
        ids[key], tokens[key] = tenant.employee(
            name, emails[key], role=role, location_id=ids[place], **more
        )
    # Lea left last year (no sign-in for her any more).
    lea = {
        "name": "Lea Left",
        "email": f"lea-{tenant.tenant_id[:8]}@acme.test",
        "location_id": ids["berlin"],
        "start_date": "2020-01-01",
        "end_date": f"{TODAY.year - 1}-06-30",
    }
    ids["lea"] = str(_post(tenant, "/v1/employees", lea)["id"])
    engineering = {"name": "Engineering", "approver_ids": [ids["paula"]]}
    ids["eng"] = str(_post(tenant, "/v1/departments", engineering)["id"])
    with tenant.client("requests") as http:
        for key in [*people, "lea"]:
            answer = http.patch(f"/v1/employees/{ids[key]}", json={"department_id": ids["eng"]})
            assert answer.status_code == 200, answer.text
    made = Company(tenant, ids, emails, tokens)
    # Bea: Monday to Friday, approved; Tuesday morning of the week after, still pending.
    _approve(made, _request(made, "bea", "vacation", WEEK, WEEK + timedelta(days=4)))
    _request(made, "bea", "vacation", NEXT_TUESDAY, NEXT_TUESDAY, start_part="am")
    # Noa: Thursday to Sunday (Fri and Sat are her weekend), approved; sick the Monday after.
    _approve(made, _request(made, "noa", "vacation", THURSDAY, SUNDAY))
    _approve(made, _request(made, "noa", "sick", NEXT_MONDAY, NEXT_MONDAY))

    def all_in_calendar() -> bool:
        got = httpx.get(
            f"{tenant.urls['calendar']}/v1/whos-off",
            params={
                "from": WEEK.isoformat(),
                "to": NEXT_TUESDAY.isoformat(),
                "include_pending": "true",
            },
            headers=tenant.headers,
            timeout=10,
        ).json()
        return len(got["items"]) == 4

    eventually(all_in_calendar, timeout=30, what="the four leaves in the calendar")
    return made


def signed_in(browser: Browser, stack: Stack, email: str, size: str) -> Page:
    width, height = SIZES[size]
    context = browser.new_context(
        base_url=stack.urls["web"], viewport={"width": width, "height": height}
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto("/signin")
    # The stack's dev sign-in form, found by what it posts to (its words may change).
    form = page.locator("form[action='/signin/dev']")
    form.locator("input[name=email]").fill(email)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/signin" not in url)
    return page


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def row(page: Page, name: str) -> Locator:
    return page.locator("table.team tbody tr", has=page.locator("th", has_text=name))


def cell(page: Page, name: str, day: date, first: date) -> Locator:
    return row(page, name).locator("td").nth((day - first).days)


def month_of(day: date) -> str:
    return f"/team?view=month&date={day:%Y-%m}"


def no_page_scroll(page: Page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= page.evaluate("innerWidth"), f"the page is {width} px wide"


def rgb(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@pytest.mark.parametrize("size", list(SIZES))
def test_each_row_has_its_own_week_holidays_colours_and_halves(
    stack: Stack, browser: Browser, company: Company, size: str
) -> None:
    page = signed_in(browser, stack, company.emails["bea"], size)
    first = WEEK.replace(day=1)
    page.goto(month_of(WEEK))
    expect(page.get_by_role("heading", name=WEEK.strftime("%B %Y"))).to_be_visible()

    # Everyone active gets a row, leave or not; a leaver does not.
    names = row(page, "").locator("th").all_inner_texts()
    assert [n.split("\n")[0] for n in names] == [
        "Bea Berlin",
        "Carl Quiet",
        "E2E Admin",  # no department, no location: still one of the company
        "Noa Tel Aviv",
        "Paula Approver",
    ]

    # Weekday letters over each day.
    letters = page.locator("table.team thead th.day .letter").all_inner_texts()
    assert letters[:7] == ["MTWTFSS"[(first + timedelta(days=i)).weekday()] for i in range(7)]

    # Each row's own weekend: Bea's is Sat–Sun, Noa's Fri–Sat.
    friday, saturday = WEEK + timedelta(days=4), WEEK + timedelta(days=5)
    for day, bea_off, noa_off in (
        (friday, False, True),
        (saturday, True, True),
        (SUNDAY, True, False),
    ):
        for name, off in (("Bea Berlin", bea_off), ("Noa Tel Aviv", noa_off)):
            target = cell(page, name, day, first)
            if off:
                expect(target).to_have_attribute("title", "Not a working day")
            else:
                expect(target).not_to_have_attribute("title", "Not a working day")

    # Leave only on the days each person works: Bea Mon–Fri, Noa Thu and Sun (not Fri/Sat).
    bea = [cell(page, "Bea Berlin", WEEK + timedelta(days=i), first) for i in range(7)]
    noa = [cell(page, "Noa Tel Aviv", WEEK + timedelta(days=i), first) for i in range(7)]
    assert [c.locator(".half").count() > 0 for c in bea] == [True] * 5 + [False] * 2
    assert [c.locator(".half").count() > 0 for c in noa] == [
        False,
        False,
        False,
        True,
        False,
        False,
        True,
    ]

    # The type's colour, and its code written in the cell (not colour alone).
    vacation = bea[0].locator(".half.whole")
    expect(vacation).to_have_text("V")
    expect(vacation).to_have_css("background-color", rgb(BLUE))
    expect(bea[0]).to_have_attribute("title", "Vacation, approved")

    # A pending morning fills the left half only, striped.
    tuesday = cell(page, "Bea Berlin", NEXT_TUESDAY, first)
    expect(tuesday).to_have_attribute("title", "Morning: Vacation, waiting for approval")
    morning, afternoon = tuesday.locator(".half.am"), tuesday.locator(".half.pm")
    expect(morning).to_have_class(re.compile(r"\bpending\b"))
    expect(morning).to_have_css("background-color", rgb(BLUE))
    expect(afternoon).to_have_css("background-color", "rgba(0, 0, 0, 0)")
    box, whole = morning.bounding_box(), tuesday.bounding_box()
    assert box is not None
    assert whole is not None
    assert box["width"] < whole["width"] * 0.6

    # Bea may not know why Noa is off on Monday: "Away", grey, and no "Sick leave" anywhere.
    monday = cell(page, "Noa Tel Aviv", NEXT_MONDAY, first)
    expect(monday).to_have_attribute("title", "Away, approved")
    expect(monday.locator(".half.whole")).not_to_have_css("background-color", rgb(RED))
    assert "Sick leave" not in page.locator("#team-grid").inner_text()

    # Full width on a desktop; on a phone the grid scrolls in its box, the page never.
    no_page_scroll(page)
    grid = page.locator(".team-scroll")
    if size == "desktop":
        table = page.locator("table.team").bounding_box()
        assert table is not None
        assert table["width"] >= 1366 - 80, f"the grid is only {table['width']} px wide"
    else:
        assert grid.evaluate("e => e.scrollWidth > e.clientWidth")
        # The names stay in view while the days scroll under them.
        grid.evaluate("e => e.scrollLeft = 400")
        label = row(page, "Bea Berlin").locator("th").bounding_box()
        assert label is not None
        assert 0 <= label["x"] < 40
        no_page_scroll(page)
    shot(page, f"team-month-{size}")

    # The week view: seven days, the type's name in the cell.
    page.get_by_role("link", name="Week view").click()
    expect(page.locator("table.team thead th.day")).to_have_count(7)
    expect(page.locator("table.team thead th.day .letter").first).to_have_text("Mon")
    page.goto(f"/team?view=week&date={WEEK.isoformat()}")
    expect(cell(page, "Bea Berlin", WEEK, WEEK).locator(".half.whole")).to_have_text("Vacation")
    no_page_scroll(page)
    page.get_by_role("link", name="Next week").click()
    expect(cell(page, "Noa Tel Aviv", NEXT_MONDAY, NEXT_MONDAY)).to_have_attribute(
        "title", "Away, approved"
    )
    shot(page, f"team-week-{size}")
    page.context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_holidays_are_each_locations_own_and_today_is_marked(
    stack: Stack, browser: Browser, company: Company, size: str
) -> None:
    page = signed_in(browser, stack, company.emails["noa"], size)
    page.goto(month_of(HOLIDAY))
    first = HOLIDAY.replace(day=1)
    berlin, tel_aviv = (cell(page, n, HOLIDAY, first) for n in ("Bea Berlin", "Noa Tel Aviv"))
    expect(berlin).to_have_attribute("title", f"Public holiday: {_holiday_name(company, HOLIDAY)}")
    expect(berlin.locator(".star")).to_be_visible()
    # Tel Aviv works that day: no German holiday in Noa's row.
    assert "Public holiday" not in (tel_aviv.get_attribute("title") or "")
    expect(tel_aviv.locator(".star")).to_have_count(0)
    shot(page, f"team-holidays-{size}")

    page.goto("/team")
    today = page.locator("table.team thead th[aria-current=date]")
    expect(today).to_have_count(1)
    expect(today).to_contain_text("Today")
    # Noa's today is Tel Aviv's, a day ahead of UTC for two hours before midnight.
    expect(today).to_contain_text(str(datetime.now(ZoneInfo("Asia/Jerusalem")).day))
    no_page_scroll(page)
    page.context.close()


def _holiday_name(company: Company, day: date) -> str:
    """The name the requests service gives the day at Berlin (its language choice)."""
    with company.tenant.client("requests") as http:
        listed = http.get(
            f"/v1/locations/{company.ids['berlin']}/holidays", params={"year": day.year}
        ).json()
    return next(str(h["name"]) for h in listed["items"] if h["date"] == day.isoformat())


@pytest.mark.parametrize(("who", "sees"), [("paula", "Sick leave"), ("noa", "Sick leave")])
def test_the_person_and_their_approver_see_the_private_type(
    stack: Stack, browser: Browser, company: Company, who: str, sees: str
) -> None:
    page = signed_in(browser, stack, company.emails[who], "desktop")
    page.goto(f"/team?view=week&date={NEXT_MONDAY.isoformat()}")
    monday = cell(page, "Noa Tel Aviv", NEXT_MONDAY, NEXT_MONDAY)
    expect(monday).to_have_attribute("title", f"{sees}, approved")
    expect(monday.locator(".half.whole")).to_have_css("background-color", rgb(RED))
    expect(page.locator(".legend")).to_contain_text("Sick leave (private: others see “Away”)")
    shot(page, f"team-private-seen-by-{who}")
    page.context.close()


def test_a_feed_shows_private_leave_as_away(
    stack: Stack, browser: Browser, company: Company
) -> None:
    """Even the feed of the person's approver: its link may be passed on."""
    page = signed_in(browser, stack, company.emails["paula"], "phone")
    page.goto(month_of(NEXT_MONDAY))
    page.get_by_role("button", name="Get the calendar link for this view").click()
    link = page.get_by_label("Feed link")
    expect(link).to_be_visible()
    url = link.input_value()
    no_page_scroll(page)
    shot(page, "team-feed-phone")
    page.context.close()
    body = httpx.get(url, timeout=10).text
    assert "Noa Tel Aviv — Away" in body
    assert "Sick leave" not in body
    assert "Bea Berlin — Vacation" in body
