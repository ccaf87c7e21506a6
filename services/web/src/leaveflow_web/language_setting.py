"""The person's language setting, read once when the session opens and kept with it (as
``person_name`` keeps the name), so no page pays a call to notifications for it.

The setting is the ``language`` field of notifications' ``/v1/preferences/{id}``. A
notifications service that does not know the field yet (older than issue 16) answers
without it: the person then follows their browser, and nothing is sent it would refuse.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from . import i18n
from .api import Api, ApiError


def setting_of(prefs: Any) -> str | None:
    """The chosen language in a preferences answer; None for "follow the browser"."""
    if isinstance(prefs, dict) and prefs.get("language") in i18n.LANGUAGES:
        return str(prefs["language"])
    return None


def stored_by(prefs: Any) -> bool:
    """Whether this notifications service keeps a language setting at all."""
    return isinstance(prefs, dict) and "language" in prefs


async def look_up(request: Request, api: Api, employee_id: str) -> None:
    """Keep the person's setting with the session; a failed read never stops a sign-in."""
    try:
        prefs = await api.get("notifications", f"/v1/preferences/{employee_id}")
    except ApiError:
        return
    i18n.remember(request, setting_of(prefs))
