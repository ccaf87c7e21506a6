"""A location's public holidays for the feeds, chosen exactly as the requests service prices
leave (its domain/holiday_calendar.py), so the calendar shows the days a request skips.

The selection is repeated here on purpose (a service never imports another): the `holidays`
library's `public` category, plus `catholic` in Germany, where partial-state holidays such
as Assumption Day in Bavaria live there; names in English where the library has them,
otherwise the country's language, never the host's locale. Observed days are their own
entries. The company's extra holidays of the location are added by name.

Pure: the library computes offline. A location the library does not know (requests
validates them, so only an old or foreign record) simply has no public holidays here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date

import holidays as holidays_lib

ENGLISH = "en_US"
COUNTRY_CATEGORIES: dict[str, tuple[str, ...]] = {"DE": ("public", "catholic")}
DEFAULT_CATEGORIES: tuple[str, ...] = ("public",)


@functools.lru_cache(maxsize=1024)
def _year(country: str, subdivision: str | None, year: int) -> tuple[tuple[date, str], ...]:
    try:
        probe = holidays_lib.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        return ()
    languages = tuple(probe.supported_languages)
    language = ENGLISH if ENGLISH in languages else probe.default_language
    wanted = COUNTRY_CATEGORIES.get(probe.country, DEFAULT_CATEGORIES)
    categories = tuple(c for c in wanted if c in probe.supported_categories)
    calendar = holidays_lib.country_holidays(
        country,
        subdiv=subdivision,
        years=year,
        language=language,
        categories=categories,
        observed=True,
    )
    return tuple(sorted(calendar.items()))


def public_holidays(
    country: str | None,
    subdivision: str | None,
    extra: Iterable[tuple[date, str]],
    years: Iterable[int],
) -> dict[date, str]:
    """Holidays of the given years by date; several names on one day join with "; "."""
    wanted = set(years)
    found: dict[date, str] = {}
    if country:
        for year in sorted(wanted):
            found.update(_year(country.strip().upper(), subdivision or None, year))
    for day, name in extra:
        if day.year in wanted:
            found[day] = f"{found[day]}; {name}" if day in found else name
    return dict(sorted(found.items()))
