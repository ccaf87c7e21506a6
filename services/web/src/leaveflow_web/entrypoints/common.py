"""What every page needs: templates, the person's API handle, and error-tolerant fetches."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import available_timezones

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from .. import company, i18n, problems, wording
from ..api import Api, ApiError, ServiceApis
from ..session import SessionEnded, SignedIn, csrf_token, current_user, signed_in

T = TypeVar("T")

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
templates.env.add_extension("jinja2.ext.i18n")
# Newstyle: ``_("Hi %(name)s", name=x)`` fills and escapes the values, the catalog's text is
# trusted markup. The callables read the page's language (i18n.LanguageMiddleware).
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.raw_gettext, i18n.raw_ngettext, newstyle=True
)
templates.env.globals["language"] = i18n.language
templates.env.globals["language_names"] = i18n.NAMES


def _options(items: list[dict[str, Any]], value: str = "id", text: str = "name") -> list[Any]:
    """(value, text) pairs for a select, e.g. ``leave_types|options``."""
    return [(str(item.get(value, "")), str(item.get(text, ""))) for item in items]


def _number(value: Any) -> str:
    """An amount as people write it: 5, 0.5, 2.25 (2,25 in German)."""
    found = wording.decimal_of(value)
    return wording.number(found) if found is not None else str(value)


templates.env.filters["options"] = _options
templates.env.filters["num"] = _number
# Every problem reaches a page as a sentence (``problems.py``), never as the service's text.
templates.env.filters["sentence"] = problems.sentence
# Offered while typing a time zone (a <datalist>): the IANA names this Python knows.
_ZONES = (zone for zone in available_timezones() if "/" in zone and not zone.startswith("Etc/"))
templates.env.globals["time_zones"] = [*sorted(_ZONES), "UTC"]


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    settings = request.app.state.settings
    context.setdefault("user", signed_in(request))
    context.setdefault("errors", {})
    context.setdefault("company", company.of(request) if context["user"] else "")
    return templates.TemplateResponse(
        request,
        name,
        {
            "csrf_token": csrf_token(request),
            "dev_login": settings.dev_login,
            "oidc_enabled": settings.oidc_enabled,
            **context,
        },
        status_code=status_code,
    )


def apis(request: Request) -> ServiceApis:
    apis_: ServiceApis = request.app.state.apis
    return apis_


async def user_api(request: Request, user: SignedIn = Depends(current_user)) -> Api:
    return Api(apis(request), user.token)


UserApi = Annotated[Api, Depends(user_api)]


async def attempt(call: Awaitable[T]) -> tuple[T | None, ApiError | None]:
    """The result of an API call, or the error to show in its place on the page.

    A page is made of sections fed by different services; one service failing (or not
    having an endpoint yet) must show a clear message in its section, not break the page.
    """
    try:
        return await call, None
    except ApiError as exc:
        if exc.status == 401:
            # The token expired, its key rotated, or the person left: the session ends here.
            raise SessionEnded from exc
        return None, exc


def too_many_attempts(problem: ApiError) -> str:
    """What a 429 from a service means to the person who filled in the form."""
    return problems.too_many_attempts(problem.retry_after)


def retry_headers(problem: ApiError) -> dict[str, str]:
    return {"retry-after": str(problem.retry_after)} if problem.retry_after is not None else {}


def by_id(items: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    return {str(item["id"]): item for item in items or [] if "id" in item}


def form_fields(form: Any, *names: str) -> dict[str, str]:
    """Named text fields of a submitted form, stripped; absent ones as empty strings."""
    out = {}
    for name in names:
        value = form.get(name)
        out[name] = value.strip() if isinstance(value, str) else ""
    return out
