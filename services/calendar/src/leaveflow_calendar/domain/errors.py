"""Errors of the calendar's domain; the HTTP edge maps them once."""

from __future__ import annotations


class CalendarError(Exception):
    """Base of the calendar's expected errors."""


class UnknownScope(CalendarError):
    """A feed's scope names nothing of the caller's tenant (or nothing at all)."""


class FeedNotFound(CalendarError):
    """No such feed for this caller or token: unknown, revoked, of another tenant."""


class DirectoryUnavailable(CalendarError):
    """The requests service could not say whether a scope exists."""


class FeedForbidden(CalendarError):
    """The caller may not have a feed of this scope (a department they do not approve for)."""
