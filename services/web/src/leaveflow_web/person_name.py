"""The signed-in person's name in the header of every page, where only the email was:
looked up once when the session opens and kept with it, so no page pays an API call for
it (as ``company`` keeps the company's name)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from .api import Api, ApiError
from .session_text import SessionText

_TEXT = SessionText("person_name")
remember = _TEXT.remember
of = _TEXT.of


async def look_up(request: Request, api: Api, employee_id: str) -> None:
    """The directory's name for the person. Without an answer the header shows the email
    alone, as before: a missing name never stops a sign-in."""
    try:
        employee: Any = await api.get("requests", f"/v1/employees/{employee_id}")
    except ApiError:
        return
    if isinstance(employee, dict) and isinstance(employee.get("name"), str):
        remember(request, employee["name"])
