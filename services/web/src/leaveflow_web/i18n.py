"""The pages' language: English or German, through Babel's gettext catalogs.

Catalogs are the committed ``locale/<lang>/LC_MESSAGES/messages.po`` files, compiled in
memory once (no binary ``.mo`` in the repository that no test would check). The language of
one page is held in a context variable set per request (``LanguageMiddleware``), so the
templates' ``_()`` and every module's ``gettext`` read the same choice without passing it
down. Which language: the person's setting (kept in the session), else the signed-out
switch (a cookie), else the browser's ``Accept-Language``, else English.

A new or changed sentence: ``make i18n`` extracts the templates and the Python into
``locale/messages.pot`` and merges it into both catalogs; translate the German msgstr
(English's stay empty: the msgid is the English). ``tests/test_catalogs.py`` fails until
the template is current and every German msgstr is there, not fuzzy, with the same
placeholders. Python marks sentences with ``_()`` (``N_()`` in tables built at import);
templates with ``_()``/``ngettext()`` (newstyle: ``_("Hi %(name)s", name=x)``).
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "de")
DEFAULT = "en"
# The names a language has in itself, for the switch and the preferences' select.
NAMES = {"en": "English", "de": "Deutsch"}
# Babel's formats per language: English as written in Britain ("14 Dec 2026", 24 h clock).
FORMAT_LOCALES = {"en": "en_GB", "de": "de_DE"}
COOKIE = "leaveflow_lang"
SESSION_KEY = "language"

_current: ContextVar[str] = ContextVar("leaveflow_language", default=DEFAULT)


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalog of ``language`` (English's msgstrs are its msgids)."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return _gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def language() -> str:
    """The language of the page being made ("en" or "de")."""
    return _current.get()


def babel_locale() -> Locale:
    return Locale.parse(FORMAT_LOCALES[language()])


@contextmanager
def using(code: str) -> Iterator[None]:
    """Make what runs inside speak ``code`` (tests, and work outside a request)."""
    token = _current.set(code if code in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str, **values: Any) -> str:
    """``message`` in the page's language, with ``%(name)s`` filled from ``values``."""
    # gettext("") would answer the catalog's header.
    text = translations(language()).gettext(message) if message else ""
    return text % values if values else text


_ = gettext


def raw_gettext(message: str) -> str:
    """The translation alone, for Jinja2's i18n extension (which fills the values itself)."""
    return translations(language()).gettext(message) if message else ""


def raw_ngettext(singular: str, plural: str, n: int) -> str:
    return translations(language()).ngettext(singular, plural, n)


def ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    """The singular or plural sentence for ``n``; ``%(num)s`` is ``n`` unless given."""
    text = translations(language()).ngettext(singular, plural, n)
    return text % {"num": n, **values}


def N_(message: str) -> str:
    """Marks a sentence for the catalog where it is defined (a table); translated when used."""
    return message


def accepted(header: str) -> list[str]:
    """The languages of an ``Accept-Language`` header, most wanted first (``q=0`` dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _eq, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, position, tag.replace("-", "_")))
    return [tag for _q, _p, tag in sorted(ranked)]


def from_browser(header: str) -> str:
    """Babel's negotiation of the header against the catalogs ("de-AT" → "de")."""
    found = negotiate_locale(accepted(header), list(LANGUAGES), sep="_")
    if found is None:
        # negotiate_locale matches whole tags and aliases; "de_CH" alone means German too.
        found = next((t.split("_")[0] for t in accepted(header) if t[:2] in LANGUAGES), None)
    return found if found in LANGUAGES else DEFAULT


def chosen(connection: HTTPConnection) -> str:
    """The setting kept in the session, else the switch's cookie, else the browser."""
    if "session" in connection.scope:
        setting = connection.session.get(SESSION_KEY)
        if setting in LANGUAGES:
            return str(setting)
    cookie = connection.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return str(cookie)
    return from_browser(connection.headers.get("accept-language", ""))


def remember(connection: HTTPConnection, code: str | None) -> None:
    """Keep the person's setting with the session (None: follow the browser again)."""
    if code in LANGUAGES:
        connection.session[SESSION_KEY] = code
    else:
        connection.session.pop(SESSION_KEY, None)


class LanguageMiddleware:
    """Sets the page's language before anything renders (inside the session middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _current.set(chosen(HTTPConnection(scope)))
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)
