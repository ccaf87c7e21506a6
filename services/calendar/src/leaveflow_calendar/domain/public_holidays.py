"""A location's public holidays for the feeds: the `holidays` library read exactly as the
requests service prices leave. Which categories count (DE adds `catholic`) and the names'
language are decided there and travel in LocationUpserted.holidays, so this module only
asks the library; observed days are their own entries, company extra days join by name.

Pure: the library computes offline. A location it does not know (requests validates them,
so only an old or foreign record) simply has no public holidays here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date

import holidays as holidays_lib


@functools.lru_cache(maxsize=1024)
def _year(
    country: str,
    subdivision: str | None,
    year: int,
    categories: tuple[str, ...],
    language: str | None,
) -> tuple[tuple[date, str], ...]:
    try:
        calendar = holidays_lib.country_holidays(
            country,
            subdiv=subdivision,
            years=year,
            language=language,
            categories=categories,
            observed=True,
        )
    except NotImplementedError:
        return ()
    return tuple(sorted(calendar.items()))


def public_holidays(
    country: str | None,
    subdivision: str | None,
    extra: Iterable[tuple[date, str]],
    years: Iterable[int],
    *,
    categories: tuple[str, ...] = ("public",),
    language: str | None = None,
) -> dict[date, str]:
    """Holidays of the given years by date; several names on one day join with "; "."""
    wanted = set(years)
    found: dict[date, str] = {}
    if country:
        for year in sorted(wanted):
            found.update(
                _year(country.strip().upper(), subdivision or None, year, categories, language)
            )
    for day, name in extra:
        if day.year in wanted:
            found[day] = f"{found[day]}; {name}" if day in found else name
    return dict(sorted(found.items()))
