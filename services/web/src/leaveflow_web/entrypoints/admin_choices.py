"""What the admin forms offer to pick from, so nobody types an IANA name or an ISO code.

Time zones come from the system's tz database (``zoneinfo``), countries and their regions
from ``holidays`` - the library the requests service computes public holidays with, so
every choice offered is one the API accepts.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

import holidays
from holidays.registry import COUNTRIES

from ..i18n import N_
from ..i18n import gettext as _

# Roles as people read them; the API's words are the values.
ROLE_WORDS = (("user", N_("Employee")), ("approver", N_("Approver")), ("admin", N_("Admin")))
ROLE_NAMES = dict(ROLE_WORDS)

# Old aliases ("US/Pacific", "Etc/GMT+3") stay valid for the API but only confuse a picker.
_AREAS = (
    "Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/",
    "Indian/", "Pacific/",
)  # fmt: skip


@cache
def timezones() -> tuple[tuple[str, str], ...]:
    """(IANA name, "America/New_York" read as "America/New York") for a select, UTC first."""
    names = sorted(z for z in available_timezones() if z.startswith(_AREAS))
    return (("UTC", "UTC"), *((z, z.replace("_", " ")) for z in names))


@cache
def countries() -> tuple[tuple[str, str], ...]:
    """(ISO code, English name) of every country ``holidays`` knows, by name."""
    supported = holidays.list_supported_countries()
    named = {
        code: key.replace("_", " ").title()
        for key, (_name, code, *_rest) in COUNTRIES.items()
        if code in supported
    }
    return tuple(sorted(named.items(), key=lambda pair: pair[1]))


def country_name(code: str | None) -> str:
    return dict(countries()).get((code or "").upper(), code or "")


@cache
def subdivisions(country: str) -> tuple[tuple[str, str], ...]:
    """(code, "Bayern (BY)") of the regions with holidays of their own; () if none or the
    country is unknown."""
    codes = holidays.list_supported_countries().get(country.upper())
    if not codes:
        return ()
    calendar = type(holidays.country_holidays(country.upper()))
    aliases: dict[str, list[str]] = calendar.get_subdivision_aliases()
    out = []
    for code in codes:
        names = aliases.get(code) or []
        out.append((code, f"{names[0]} ({code})" if names else code))
    return tuple(sorted(out, key=lambda pair: pair[1]))


def role_name(role: Any) -> str:
    known = ROLE_NAMES.get(str(role))
    return _(known) if known else str(role).capitalize()


def role_words() -> list[tuple[str, str]]:
    """(role, its name in the page's language) for the role picker."""
    return [(role, _(name)) for role, name in ROLE_WORDS]
