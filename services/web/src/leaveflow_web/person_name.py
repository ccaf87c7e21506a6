"""The signed-in person's name in the header of every page, where only the email was:
looked up once when the session opens and kept with it, so no page pays an API call for
it (as ``company`` keeps the company's name)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from .api import Api, ApiError

_KEY = "person_name"
MAX_LENGTH = 200


def remember(request: Request, name: str) -> None:
    if name.strip():
        request.session[_KEY] = name.strip()[:MAX_LENGTH]


def of(request: Request) -> str:
    """The signed-in person's name ("" before sign-in, or when it is not known)."""
    if "session" not in request.scope:
        return ""  # a page answered outside the session's middleware (a 500)
    name = request.session.get(_KEY)
    return name if isinstance(name, str) else ""


async def look_up(request: Request, api: Api, employee_id: str) -> None:
    """The directory's name for the person. Without an answer the header shows the email
    alone, as before: a missing name never stops a sign-in."""
    try:
        employee: Any = await api.get("requests", f"/v1/employees/{employee_id}")
    except ApiError:
        return
    if isinstance(employee, dict) and isinstance(employee.get("name"), str):
        remember(request, employee["name"])
