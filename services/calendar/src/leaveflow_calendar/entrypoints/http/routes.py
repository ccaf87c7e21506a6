"""HTTP routes of the calendar service."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from leaveflow_kit.auth import Principal
from leaveflow_kit.clock import today_in
from leaveflow_kit.http import Forbidden, NotFound, Unprocessable, problem_response
from leaveflow_kit.http.deps import ActorDep, ClockDep, StoreDep, app_state
from leaveflow_kit.http.paging import Page
from leaveflow_kit.logging import get_logger
from leaveflow_kit.validation import BoundedDate

from ...domain.errors import DirectoryUnavailable, FeedForbidden, FeedNotFound, UnknownScope
from ...domain.leave_view import LeaveView
from ...service_layer import feeds
from ...service_layer.feeds import DirectoryLookup, FeedCache
from ...service_layer.queries import SnapshotCache, Viewer, tenant_timezone, whos_off_views
from .schemas import FeedCreatedOut, FeedIn, FeedOut, FeedPage, WhosOffOut

router = APIRouter(tags=["calendar"])
log = get_logger(__name__)

ICAL_TYPE = "text/calendar; charset=utf-8"
# Longer than any id the directory makes: such a filter names nothing.
ID_LENGTH = 200
# Clients may keep a copy for 5 minutes; never a shared cache: the URL is a credential.
ICAL_CACHE_CONTROL = "private, max-age=300"


SnapshotsDep = Annotated[SnapshotCache, Depends(app_state("snapshots"))]
FeedCacheDep = Annotated[FeedCache, Depends(app_state("feed_cache"))]
DirectoryForDep = Annotated[Callable[[str], DirectoryLookup], Depends(app_state("directory_for"))]


def _viewer(user: Principal) -> Viewer:
    return Viewer(tenant_id=user.tenant_id, employee_id=user.employee_id, role=user.role)


def whos_off_body(views: Iterable[LeaveView]) -> bytes:
    """The `WhosOffOut` document of `views`, from each view's own JSON (made once per view):
    validating 6,000 items into models, and FastAPI doing it again for the response model,
    took about a tenth of a second a call (issue 19). The bytes are those the model's own
    serialisation gives (a test holds them to it)."""
    items = ",".join(view.item_json for view in views)
    return f'{{"items":[{items}],"next_cursor":null}}'.encode()


@router.get("/v1/whos-off", response_model=WhosOffOut)
async def get_whos_off(
    user: ActorDep,
    store: StoreDep,
    snapshots: SnapshotsDep,
    clock: ClockDep,
    from_: Annotated[BoundedDate | None, Query(alias="from")] = None,
    to: BoundedDate | None = None,
    department_id: Annotated[str | None, Query(max_length=ID_LENGTH)] = None,
    location_id: Annotated[str | None, Query(max_length=ID_LENGTH)] = None,
    include_pending: bool = False,
) -> Response:
    """Who is off between `from` and `to` (default: today, the company's date, and the
    next 6 days; each day 1900-01-01..9000-12-31).

    Approved leave is visible to the whole tenant; pending leave (`include_pending`) by
    the visibility rule: an admin all, an approver their departments' people and their
    own, a user their own. The same rule shows a private type's leave (sick leave): to
    anyone else it is "Away", without the type's id or colour."""
    start = from_ or today_in(clock, await tenant_timezone(store, user.tenant_id))
    end = to or start + timedelta(days=6)
    if end < start:
        raise Unprocessable("to is before from", field="to")
    if (end - start).days > 366:
        raise Unprocessable("a window spans at most 366 days", field="to")
    views = await whos_off_views(
        store,
        snapshots,
        _viewer(user),
        start,
        end,
        department_id=department_id,
        location_id=location_id,
        include_pending=include_pending,
    )
    return Response(whos_off_body(views), media_type="application/json")


def _feed_url(request: Request, token: str) -> str:
    return f"{request.app.state.settings.feed_base_url}/ical/{token}.ics"


@router.post(
    "/v1/feeds",
    status_code=201,
    response_model=FeedCreatedOut,
    responses={
        403: {"description": "a department the caller does not approve for"},
        503: {"description": "the directory could not be reached"},
    },
)
async def create_feed(
    body: FeedIn,
    request: Request,
    user: ActorDep,
    store: StoreDep,
    clock: ClockDep,
    directory_for: DirectoryForDep,
) -> Any:
    """A feed URL for the tenant, a department, a location or one employee.

    The token is shown only here; the service keeps its hash. A feed holds only approved
    leave and holidays, which every member can already read through `GET /v1/whos-off`,
    so anyone in the tenant may follow the tenant, a location or a person; a department's
    feed is for admins and the department's approvers (403 otherwise)."""
    directory = directory_for(request.headers["authorization"])
    try:
        feed, token = await feeds.create_feed(
            store, directory, _viewer(user), body.scope, body.scope_id, clock.now()
        )
    except UnknownScope as exc:
        raise Unprocessable(str(exc), field="scope_id") from None
    except FeedForbidden as exc:
        raise Forbidden(str(exc)) from None
    except DirectoryUnavailable:
        return problem_response(503, "Unavailable", "the directory could not be reached")
    return FeedCreatedOut.model_validate(
        {**feed.as_item(), "url": _feed_url(request, token), "token": token}
    )


@router.get("/v1/feeds")
async def list_feeds(user: ActorDep, store: StoreDep, page: Page) -> FeedPage:
    """The caller's feeds (an admin: the tenant's), without tokens."""
    found = sorted(await feeds.list_feeds(store, _viewer(user)), key=lambda f: f.id)
    after = [f for f in found if page.cursor is None or f.id > page.cursor]
    shown = after[: page.limit]
    cursor = shown[-1].id if len(after) > page.limit else None
    return FeedPage(items=[FeedOut.model_validate(f.as_item()) for f in shown], next_cursor=cursor)


@router.delete("/v1/feeds/{feed_id}", status_code=204)
async def revoke_feed(
    feed_id: str, user: ActorDep, store: StoreDep, cache: FeedCacheDep
) -> Response:
    """Revoke a feed (its owner or an admin): its URL answers 404 from the next fetch on."""
    try:
        await feeds.revoke_feed(store, cache, _viewer(user), feed_id)
    except FeedNotFound:
        raise NotFound("no such feed") from None
    return Response(status_code=204)


def _matches(if_none_match: str, *etags: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or any(etag in tags for etag in etags)


def _accepts_gzip(accept_encoding: str) -> bool:
    for part in accept_encoding.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


_FEED_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/calendar": {}}},
    304: {},
    404: {},
}


# Two registrations, not one api_route with both methods: that gives HEAD and GET one
# operation id, which OpenAPI forbids (FastAPI warns "Duplicate Operation ID").
@router.get(
    "/ical/{token}.ics",
    operation_id="ical_feed",
    response_class=Response,
    responses=_FEED_RESPONSES,
)
@router.head(
    "/ical/{token}.ics",
    operation_id="ical_feed_head",
    response_class=Response,
    responses=_FEED_RESPONSES,
)
async def ical_feed(token: str, request: Request) -> Response:
    """*Public*: the feed's iCalendar document; the token in the URL is the credential.

    The token must never reach a log: the route handles its own failures (the kit's
    handler for unexpected errors logs the request path), and only the feed's id is logged.
    """
    try:
        state = request.app.state
        rendered = await feeds.feed_document(
            state.store, state.snapshots, state.feed_cache, token, state.clock
        )
    except FeedNotFound:
        return problem_response(404, "Not found", "no such feed", type_slug="not-found")
    except Exception as exc:
        log.error("feed_failed", error=type(exc).__name__)
        return problem_response(503, "Unavailable", "the feed could not be produced")
    gzipped = _accepts_gzip(request.headers.get("accept-encoding", ""))
    headers = {
        "ETag": rendered.gzip_etag if gzipped else rendered.etag,
        "Cache-Control": ICAL_CACHE_CONTROL,
        "Vary": "Accept-Encoding",
        "X-Robots-Tag": "noindex",
    }
    # Either validator names this version of the document, whichever encoding it came in.
    if _matches(request.headers.get("if-none-match", ""), rendered.etag, rendered.gzip_etag):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = 'inline; filename="leaveflow.ics"'
    if gzipped:
        headers["Content-Encoding"] = "gzip"
        return Response(rendered.gzipped, media_type=ICAL_TYPE, headers=headers)
    return Response(rendered.body, media_type=ICAL_TYPE, headers=headers)
