"""Which calendar day it is for someone: the date at `now` in their IANA time zone.

"Today" is never the server's date: a person in Tokyo asking at 23:30 UTC is already on
tomorrow. An unknown zone name (a typo that slipped in before validation) reads as UTC
rather than failing the command or the digest.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC_ZONE = ZoneInfo("UTC")


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else UTC_ZONE
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


def local_date(now: datetime, zone_name: str | None) -> date:
    return now.astimezone(zone(zone_name)).date()
