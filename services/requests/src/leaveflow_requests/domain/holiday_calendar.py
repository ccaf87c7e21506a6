"""A location's public holidays, from the `holidays` library plus the company's own days.

Pure and synchronous: the `holidays` library computes dates offline, so no I/O happens.

Categories. The library files every holiday under a category; `public` is the statutory set,
the rest (`bank`, `government`, `optional`, `school`, `half_day`, religious-community days...)
are not days a company closes on. Germany is the one exception we know of: a few state
holidays that only apply in *part* of a state live in the `catholic` category -- Assumption
Day (15 Aug) in Bavaria's Catholic-majority municipalities (most of the state, Munich
included), Corpus Christi in some municipalities of Saxony and Thuringia. An office in those
states closes on them, so DE observes `public` + `catholic`. Elsewhere (ME, MK, PS) `catholic`
means days off for members of that community only, so it is *not* added there.
`HolidayCalendar.categories` overrides the choice for a location.

Names come in English (`en_US`) where the library translates the country; otherwise in the
country's default language. The language is always passed explicitly, because with
`language=None` the library follows the process locale (`LANG`), which would make names
depend on the host.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import holidays as holidays_lib

from .errors import InvalidRequest

ENGLISH = "en_US"
DEFAULT_CATEGORIES: tuple[str, ...] = ("public",)
COUNTRY_CATEGORIES: dict[str, tuple[str, ...]] = {
    # Partial-state public holidays (BY Assumption Day, SN/TH Corpus Christi); see above.
    "DE": ("public", "catholic"),
}


@dataclass(frozen=True)
class _Entity:
    country: str
    subdivision: str | None
    language: str | None
    categories: tuple[str, ...]


@functools.lru_cache(maxsize=512)
def _entity(country: str, subdivision: str | None, categories: tuple[str, ...] | None) -> _Entity:
    """Validate a location once; the library raises NotImplementedError for unknown codes."""
    try:
        probe = holidays_lib.country_holidays(country)
    except NotImplementedError:
        raise InvalidRequest(
            f"no holiday calendar for country {country!r}", field="holidays.country"
        ) from None
    if subdivision is not None:
        aliases: dict[str, str] = dict(getattr(probe, "subdivisions_aliases", {}))
        if subdivision in aliases:  # "Bayern" -> "BY"
            subdivision = aliases[subdivision]
        elif subdivision.upper() in probe.subdivisions:  # "by" -> "BY"
            subdivision = subdivision.upper()
        try:
            holidays_lib.country_holidays(country, subdiv=subdivision)
        except NotImplementedError:
            raise InvalidRequest(
                f"{country} has no subdivision {subdivision!r}", field="holidays.subdivision"
            ) from None
    supported_languages = tuple(probe.supported_languages)
    language = ENGLISH if ENGLISH in supported_languages else probe.default_language
    supported = set(probe.supported_categories)
    wanted = categories or COUNTRY_CATEGORIES.get(probe.country, DEFAULT_CATEGORIES)
    unknown = [c for c in wanted if c not in supported]
    if unknown:
        raise InvalidRequest(
            f"{country} has no holiday category {', '.join(unknown)}",
            field="holidays.categories",
        )
    return _Entity(country, subdivision, language, tuple(sorted(wanted)))


@functools.lru_cache(maxsize=1024)
def _year(entity: _Entity, year: int) -> tuple[tuple[date, str], ...]:
    """One year's holidays of one location, observed days included as separate entries."""
    calendar = holidays_lib.country_holidays(
        entity.country,
        subdiv=entity.subdivision,
        years=year,
        language=entity.language,
        categories=entity.categories,
        observed=True,
    )
    return tuple(sorted(calendar.items()))


@dataclass(frozen=True)
class HolidayCalendar:
    """The days off of one location: public holidays plus `extra_holidays` (date, name)."""

    country: str
    subdivision: str | None = None
    extra_holidays: Sequence[tuple[date, str]] = ()
    categories: tuple[str, ...] | None = field(default=None)

    def __post_init__(self) -> None:
        country = self.country.strip().upper()
        subdivision = (self.subdivision or "").strip() or None
        categories = tuple(self.categories) if self.categories is not None else None
        entity = _entity(country, subdivision, categories)
        object.__setattr__(self, "country", country)
        object.__setattr__(self, "subdivision", entity.subdivision)
        object.__setattr__(self, "categories", entity.categories)
        object.__setattr__(self, "extra_holidays", tuple(self.extra_holidays))

    def _resolved(self) -> _Entity:
        return _entity(self.country, self.subdivision, self.categories)

    @property
    def language(self) -> str | None:
        """The language of the holiday names (English where the library has it)."""
        return self._resolved().language

    @property
    def workweek(self) -> frozenset[int]:
        """The country's usual work week as ISO weekdays (the library's weekend is 0-based)."""
        weekend = holidays_lib.country_holidays(self.country).weekend
        return frozenset(d for d in range(1, 8) if d - 1 not in weekend)

    def holidays_between(self, start: date, end: date) -> dict[date, str]:
        """Holidays from `start` to `end` inclusive, by date; same-day names join with "; "."""
        found: dict[date, str] = {}
        if end < start:
            return found
        entity = self._resolved()
        for year in range(start.year, end.year + 1):
            for day, name in _year(entity, year):
                if start <= day <= end:
                    found[day] = name
        for day, name in self.extra_holidays:
            if start <= day <= end:
                found[day] = f"{found[day]}; {name}" if day in found else name
        return dict(sorted(found.items()))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and day in self.holidays_between(day, day)
