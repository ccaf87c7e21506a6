"""Which language a page speaks, in process: the person's setting (kept in the session),
else the signed-out switch's cookie, else the browser's Accept-Language, else English; and
the words, dates and numbers of a German page.

The fake notifications service knows the ``language`` preference (as it does from issue 16
on) unless told to answer as an older one that does not: then nothing is sent it would
refuse, and the choice lives in the session only.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from leaveflow_web import i18n
from leaveflow_web.bootstrap import create_app
from leaveflow_web.entrypoints.admin import invite_notice
from leaveflow_web.entrypoints.decide import dates_in_words
from leaveflow_web.entrypoints.security import device_of
from leaveflow_web.month_grid import month_period, week_period
from leaveflow_web.wording import (
    amount,
    date_range,
    day,
    ledger_entry,
    number,
    standing,
    status_word,
)

from .conftest import WEB, FakeServices, csrf_of, employee_of, settings, sign_in


@dataclass
class LanguageServices(FakeServices):
    knows_language: bool = True
    language: dict[str, str | None] = field(default_factory=dict)
    saved: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, who = request.url.path, employee_of(request)
        if who is not None and path.startswith("/v1/preferences/"):
            whose = path.removeprefix("/v1/preferences/")
            if request.method == "PUT":
                body = json.loads(request.content)
                self.saved.append(body)
                self.language[whose] = body.get("language")
            doc: dict[str, Any] = {"employee_id": whose, "email": True, "available": ["email"]}
            if self.knows_language:
                doc["language"] = self.language.get(whose)
            return httpx.Response(200, json=doc)
        return super().__call__(request)


@pytest.fixture
def services() -> LanguageServices:
    return LanguageServices()


@pytest.fixture
async def browser(services: LanguageServices) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(), transport=httpx.MockTransport(services))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        yield client


def lang_of(page: httpx.Response) -> str:
    return page.text.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("de-AT", "de"),
        ("de-CH;q=0.9, fr;q=1", "de"),
        ("en-GB,en;q=0.9,de;q=0.8", "en"),
        ("fr-FR,fr;q=0.9", "en"),
        ("en;q=0.2, de;q=0.7", "de"),
        ("de;q=0, en", "en"),
        ("", "en"),
        ("*", "en"),
    ],
)
def test_the_browser_s_languages_are_negotiated_against_the_catalogs(
    header: str, expected: str
) -> None:
    assert i18n.from_browser(header) == expected


async def test_a_signed_out_page_follows_the_browser(browser: httpx.AsyncClient) -> None:
    german = await browser.get("/signin", headers={"accept-language": "de-DE,de;q=0.9"})
    assert lang_of(german) == "de"
    assert "<h1>Anmelden</h1>" in german.text
    assert "Ihre berufliche E-Mail" in german.text
    english = await browser.get("/signin", headers={"accept-language": "en-US,en;q=0.9"})
    assert lang_of(english) == "en"
    assert "<h1>Sign in</h1>" in english.text
    plain = await browser.get("/signin")
    assert lang_of(plain) == "en"


async def test_the_switch_on_signed_out_pages_sets_a_cookie_that_wins_over_the_browser(
    browser: httpx.AsyncClient,
) -> None:
    page = await browser.get("/signup", headers={"accept-language": "en"})
    assert 'href="/language/de?next=/signup"' in page.text
    switched = await browser.get("/language/de", params={"next": "/signup"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/signup"
    assert "httponly" in switched.headers["set-cookie"].lower()
    german = await browser.get("/signup", headers={"accept-language": "en"})
    assert lang_of(german) == "de"
    assert 'aria-current="true" lang="de">Deutsch' in german.text
    assert 'href="/language/en?next=/signup"' in german.text


async def test_the_switch_never_sends_anyone_to_another_site(browser: httpx.AsyncClient) -> None:
    away = await browser.get("/language/de", params={"next": "//evil.example/x"})
    assert away.headers["location"] == "/signin"
    unknown = await browser.get("/language/fr")
    assert unknown.status_code == 303
    assert "set-cookie" not in unknown.headers


async def test_the_person_s_setting_is_read_at_sign_in_and_wins_over_the_browser(
    browser: httpx.AsyncClient, services: LanguageServices
) -> None:
    services.language["eve"] = "de"
    await sign_in(browser, "eve@acme.test")
    home = await browser.get("/", headers={"accept-language": "en"})
    assert lang_of(home) == "de"
    assert "Meine Abwesenheiten" in home.text


async def test_choosing_a_language_on_the_preferences_page_saves_it_and_uses_it_at_once(
    browser: httpx.AsyncClient, services: LanguageServices
) -> None:
    await sign_in(browser, "eve@acme.test")
    page = await browser.get("/notifications", headers={"accept-language": "en"})
    assert '<select id="f-language" name="language">' in page.text
    saved = await browser.post(
        "/notifications/language", data={"csrf_token": csrf_of(page), "language": "de"}
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == "/notifications?saved=1"
    assert services.saved == [{"slack": True, "teams": True, "email": True, "language": "de"}]
    after = await browser.get("/notifications", headers={"accept-language": "en"})
    assert lang_of(after) == "de"
    assert '<option value="de" selected lang="de">Deutsch</option>' in after.text
    # Back to "as my browser asks": null at the service, the browser decides again.
    back = await browser.post(
        "/notifications/language", data={"csrf_token": csrf_of(after), "language": ""}
    )
    assert back.status_code == 303
    assert services.saved[-1]["language"] is None
    again = await browser.get("/notifications", headers={"accept-language": "en"})
    assert lang_of(again) == "en"


async def test_a_notifications_service_without_the_field_is_sent_nothing_it_would_refuse(
    browser: httpx.AsyncClient, services: LanguageServices
) -> None:
    services.knows_language = False
    await sign_in(browser, "eve@acme.test")
    page = await browser.get("/notifications")
    saved = await browser.post(
        "/notifications/language", data={"csrf_token": csrf_of(page), "language": "de"}
    )
    assert saved.status_code == 303
    assert services.saved == []  # PreferencesIn forbids unknown fields before issue 16
    assert lang_of(await browser.get("/notifications")) == "de"  # kept with the session
    channels = await browser.post(
        "/notifications", data={"csrf_token": csrf_of(page), "email": "on"}
    )
    assert channels.status_code == 303
    assert "language" not in services.saved[-1]


async def test_a_german_page_says_its_problems_in_german(browser: httpx.AsyncClient) -> None:
    missing = await browser.get("/no-such-page", headers={"accept-language": "de"})
    assert missing.status_code == 404
    assert "Seite nicht gefunden" in missing.text
    assert "Unter dieser Adresse gibt es keine Seite." in missing.text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["1 day", "2.5 days", "0.5 days", "2 hours", "1 hour", "-77.5 days"]),
        ("de", ["1 Tag", "2,5 Tage", "0,5 Tage", "2 Stunden", "1 Stunde", "-77,5 Tage"]),
    ],
)
def test_amounts_take_the_language_s_plural_and_decimal_mark(
    language: str, expected: list[str]
) -> None:
    with i18n.using(language):
        said = [
            amount(1),
            amount(Decimal("2.5")),
            amount("0.5"),
            amount(2, "hours"),
            amount(1, "hours"),
            amount(-77.5),
        ]
    assert said == expected


def test_german_dates_are_written_the_german_way() -> None:
    with i18n.using("de"):
        assert day(date(2026, 12, 14), year=False) == "14. Dez."
        assert date_range("2026-12-14", "2026-12-18") == "14.–18. Dez. 2026"
        # CLDR sets a thin space (U+2009) around the dash of a range across months.
        assert date_range("2026-11-30", "2026-12-02", year=False) == "30. Nov.\u2009–\u20092. Dez."
        assert date_range("2024-12-30", "2025-01-02") == "30. Dez. 2024\u2009–\u20092. Jan. 2025"
        assert number(Decimal("1234.5")) == "1234,5"
        assert month_period(date(2025, 3, 1)).title == "März 2025"
        assert week_period(date(2025, 3, 10)).title == "10.–16. März 2025"
    with i18n.using("en"):
        assert date_range("2026-12-14", "2026-12-18") == "14–18 Dec 2026"
        assert week_period(date(2025, 3, 10)).title == "10–16 March 2025"


def test_ledger_and_standing_read_in_german() -> None:
    requests = {"r1": {"start_date": "2026-12-14", "end_date": "2026-12-18"}}
    with i18n.using("de"):
        assert ledger_entry({"kind": "reservation", "request_id": "r1"}, requests) == (
            "Reserviert für 14.–18. Dez."
        )
        assert ledger_entry({"kind": "accrual", "effective_date": "2026-03-01"}, {}) == (
            "Aufgebaut für März"
        )
        assert standing({"status": "pending"}) == "Wartet auf Genehmigung"
        assert status_word("approved") == "genehmigt"  # "Der Antrag ist jetzt genehmigt."
        assert status_word("on_hold") == "on hold"  # unknown: readable, never an error
        assert standing({"status": "rejected", "rejection_reason": "insufficient_balance"}) == (
            "Nicht angenommen: nicht genug übrig"
        )


def test_outside_a_request_the_language_is_english() -> None:
    assert i18n.language() == "en"
    assert i18n.gettext("Approved") == "Approved"
    with i18n.using("de"):
        assert i18n.gettext("Approved") == "Genehmigt"
        assert i18n.gettext("") == ""  # never the catalog's header


def test_sentences_the_python_builds_read_in_german_and_stay_the_same_in_english() -> None:
    halves = {"start_date": "2025-03-10", "end_date": "2025-03-14"}
    halves |= {"start_part": "pm", "end_part": "am"}
    answer = {"invited": ["a", "b"], "skipped": [{"reason": "exists"}]}
    with i18n.using("de"):
        assert dates_in_words(halves) == (
            "Mo., 10. März 2025 (nachmittags) bis Fr., 14. März 2025 (vormittags)"
        )
        assert invite_notice(answer).startswith("Einladungen an 2 Personen gesendet")
        assert "1 nicht eingeladen (" in invite_notice(answer)
        assert device_of("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0") == "Firefox unter Linux"
    with i18n.using("en"):
        assert dates_in_words(halves) == (
            "Mon 10 Mar 2025 (afternoon) to Fri 14 Mar 2025 (morning)"
        )
        assert invite_notice(answer).startswith("Invites sent to 2 people:")
        assert " 1 not invited (" in invite_notice(answer)
        assert device_of("Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0") == "Firefox on Linux"
