"""The company's name in the header of every page: kept with the session at sign-in, when
the name is known anyway, so no page pays an API call for it."""

from __future__ import annotations

from fastapi import Request

from .api import ApiError
from .session_text import SessionText
from .tokens import IdentityApi

_TEXT = SessionText("company")
remember = _TEXT.remember
of = _TEXT.of


async def look_up(request: Request, identity: IdentityApi, tenant_id: str, email: str) -> None:
    """For sign-ins that do not carry the name (a passkey, a confirmed signup): the
    directory's answer for the email names its companies. Without it the header simply
    shows no name."""
    try:
        found = await identity.lookup(email)
    except ApiError:
        return
    for company in found.companies:
        if company.tenant_id == tenant_id:
            remember(request, company.name)
            return
