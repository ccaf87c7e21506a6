"""The `.ics` document of a feed (RFC 5545), built with the `icalendar` library.

Choices that calendar apps (Google Calendar, Outlook, Apple Calendar) rely on:
- one all-day VEVENT per leave: DTSTART/DTEND are DATE values, DTEND exclusive (the day after
  the last day off); UID derived from the request id, so it is stable for the request's life;
- SEQUENCE and LAST-MODIFIED move with every change of the leave or of the names shown;
  DTSTAMP equals LAST-MODIFIED instead of "now", so the same data renders the same bytes and
  the ETag only changes when something did;
- cancelled, denied or rejected leave is *removed* from the feed: subscribed calendars are
  re-read whole at every refresh and drop what is gone, which every one of these apps does,
  while STATUS:CANCELLED on a subscription is shown struck through by some and hidden by
  others;
- TRANSP:TRANSPARENT: a team's leave must not make the subscriber look busy;
- public holidays of the scope's locations are events of their own (UID per location and
  day, CATEGORIES:Holiday);
- NAME and X-WR-CALNAME name the calendar; REFRESH-INTERVAL and X-PUBLISHED-TTL ask for a
  refresh every hour (Outlook and Apple honour them; Google refreshes on its own schedule).

Rendering one event costs about 0.2 ms, so each rendered VEVENT is kept (keyed by all that
it shows): after an event only the changed leave is rendered again.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event, vDuration

from .leave_view import LeaveView, summary

PRODID = "-//Leaveflow//Leaveflow calendar//EN"
REFRESH = timedelta(hours=1)
UID_DOMAIN = "leaveflow"


@dataclass(frozen=True)
class HolidayView:
    location_id: str
    location_name: str
    day: date
    name: str
    sequence: int
    modified_at: datetime


def leave_uid(request_id: str) -> str:
    return f"leave-{request_id}@{UID_DOMAIN}"


def holiday_uid(location_id: str, day: date) -> str:
    return f"holiday-{location_id}-{day:%Y%m%d}@{UID_DOMAIN}"


def _event(
    uid: str,
    title: str,
    start: date,
    end: date,
    sequence: int,
    modified_at: datetime,
    category: str,
) -> bytes:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", modified_at)
    event.add("last-modified", modified_at)
    event.add("sequence", sequence)
    event.add("dtstart", start)
    event.add("dtend", end + timedelta(days=1))
    event.add("summary", title)
    event.add("transp", "TRANSPARENT")
    event.add("categories", [category])
    return bytes(event.to_ical())


@functools.lru_cache(maxsize=65536)
def leave_event(view: LeaveView) -> bytes:
    return _event(
        leave_uid(view.request_id),
        summary(view),
        view.start_date,
        view.end_date,
        view.sequence,
        view.modified_at,
        "Leave",
    )


@functools.lru_cache(maxsize=16384)
def holiday_event(view: HolidayView) -> bytes:
    return _event(
        holiday_uid(view.location_id, view.day),
        f"{view.name} (public holiday, {view.location_name})",
        view.day,
        view.day,
        view.sequence,
        view.modified_at,
        "Holiday",
    )


def render_feed(name: str, leaves: Iterable[LeaveView], holidays: Iterable[HolidayView]) -> bytes:
    """The whole VCALENDAR: the header from `icalendar`, then the (cached) events in order."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    head, tail = bytes(calendar.to_ical()).rsplit(b"END:VCALENDAR", 1)
    body = [leave_event(v) for v in leaves] + [holiday_event(h) for h in holidays]
    return b"".join([head, *body, b"END:VCALENDAR", tail])
