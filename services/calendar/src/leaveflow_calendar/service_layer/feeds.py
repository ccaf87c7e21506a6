"""Feed use cases: create, list, revoke, and serve a feed's `.ics` document.

Serving reads the feed by its token's hash and the tenant's projection `version` (two small
reads), and answers from the cache when neither it nor the day changed; otherwise it
renders again from the tenant's snapshot (`queries.snapshot`, itself reloaded only when the
version moved; each rendered VEVENT is cached too, see `domain.ical`). Revocation deletes
the record, so the very next fetch on any instance is a 404 whatever the cache holds.

What a feed holds: *approved* leave only (like the team calendar in `queries`: visible to
the whole tenant), a private type's leave as "Away" whoever owns the feed (its URL is a
bearer secret that calendar apps share on), from a year back onwards, and the public
holidays of last year, this year and next year for the scope's locations. A feed stops
working (404) once its owner has left the company, like a revoked one.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from leaveflow_contracts import new_id
from leaveflow_kit.auth import Principal
from leaveflow_kit.auth.scope import scope_of
from leaveflow_kit.clock import Clock, today_in
from leaveflow_kit.documents import from_doc, to_doc
from leaveflow_kit.storage import Doc, Store, Transaction, tenant_get

from ..domain.absence import APPROVED, DepartmentReplica
from ..domain.errors import FeedForbidden, FeedNotFound, UnknownScope
from ..domain.feed import Feed, Scope, new_token, token_hash
from ..domain.ical import HolidayView, render_feed
from ..domain.leave_view import LeaveView
from ..domain.public_holidays import public_holidays
from .projection import DEPARTMENTS, FEEDS, LOCATIONS, PEOPLE, REPLICAS
from .queries import Directory, Snapshot, SnapshotCache, Viewer, snapshot, tenant_version

HISTORY = timedelta(days=365)
SCOPE_RECORDS = {Scope.DEPARTMENT: DEPARTMENTS, Scope.LOCATION: LOCATIONS, Scope.EMPLOYEE: PEOPLE}


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    # Gzip of the body, made once per render: a big tenant's feed is over a megabyte and
    # every subscriber re-reads it at each refresh; calendar apps accept gzip.
    gzipped: bytes
    etag: str  # a strong validator: quoted hash of the body
    version: int
    day: date  # the tenant's date it was rendered on
    timezone: str | None  # the tenant's zone then, which says what "today" is
    owner_left_on: date | None
    # A department's feed lasts while its owner may follow the department (by their
    # role and the department's approvers now): a demoted owner's URL answers 404.
    owner_may_follow: bool = True

    @property
    def gzip_etag(self) -> str:
        """Another encoding is another representation, so it has its own strong ETag."""
        return self.etag[:-1] + '-gzip"'


class DirectoryLookup(Protocol):
    """The directory's own answer on whether a scope exists (the requests service)."""

    async def exists(self, scope: Scope, scope_id: str) -> bool: ...


class FeedCache(Protocol):
    def get(self, feed_id: str) -> RenderedFeed | None: ...

    def put(self, feed_id: str, rendered: RenderedFeed) -> None: ...

    def drop(self, feed_id: str) -> None: ...


async def create_feed(
    store: Store,
    directory: DirectoryLookup,
    viewer: Viewer,
    scope: Scope,
    scope_id: str | None,
    now: datetime,
) -> tuple[Feed, str]:
    """A new feed and its token (returned once, never stored).

    A scope the projection knows is accepted at once; one it has not heard of yet (its
    event may still be on the way) is checked with the directory itself."""
    if scope is Scope.TENANT:
        scope_id = None
    elif not scope_id:
        raise UnknownScope(f"a {scope.value} feed needs scope_id")
    else:
        record = await REPLICAS[SCOPE_RECORDS[scope]].get(store, viewer.tenant_id, scope_id)
        if record is None and not await directory.exists(scope, scope_id):
            raise UnknownScope(f"no {scope.value} {scope_id!r} in this tenant")
        if scope is Scope.DEPARTMENT:
            _may_follow_department(viewer, scope_id, record)
    token = new_token()
    feed = Feed(
        id=new_id(),
        tenant_id=viewer.tenant_id,
        owner_id=viewer.employee_id,
        scope=scope.value,
        scope_id=scope_id,
        token_hash=token_hash(token),
        created_at=now,
    )

    async def save(tx: Transaction) -> None:
        await tx.insert(FEEDS, feed.id, to_doc(feed))

    await store.atomic(save)
    return feed, token


def _may_follow_department(viewer: Viewer, department_id: str, record: Doc | None) -> None:
    """A department's feed is for admins and the department's approvers (the visibility
    rule); one the projection has not heard of yet has no approvers known here."""
    department = from_doc(DepartmentReplica, record) if record else None
    known = [(department.id, department.approver_ids)] if department and department.active else []
    if not scope_of(viewer.principal, known).covers_department(department_id):
        raise FeedForbidden("only admins and its approvers may follow a department")


async def list_feeds(store: Store, viewer: Viewer) -> list[Feed]:
    """An admin sees the tenant's feeds; anyone else their own."""
    where = {"tenant_id": viewer.tenant_id}
    if viewer.role != "admin":
        where["owner_id"] = viewer.employee_id
    return [from_doc(Feed, d) for d in await store.find(FEEDS, where)]


async def revoke_feed(store: Store, cache: FeedCache, viewer: Viewer, feed_id: str) -> None:
    """Delete the feed (its owner or an admin); anyone else is told it does not exist."""

    async def revoke(tx: Transaction) -> None:
        found = await tenant_get(tx, FEEDS, viewer.tenant_id, feed_id)
        if found is None or (viewer.role != "admin" and found["owner_id"] != viewer.employee_id):
            raise FeedNotFound("no such feed")
        await tx.delete(FEEDS, feed_id)

    await store.atomic(revoke)
    cache.drop(feed_id)


async def feed_document(
    store: Store, snapshots: SnapshotCache, cache: FeedCache, token: str, clock: Clock
) -> RenderedFeed:
    """The rendered feed of a token; FeedNotFound for an unknown, revoked or orphaned one.

    "Today" (what a year back means, whether the owner has left) is the tenant's date."""
    found = await store.find(FEEDS, {"token_hash": token_hash(token)}, limit=1)
    if not found:
        raise FeedNotFound("no such feed")
    feed = from_doc(Feed, found[0])
    version = await tenant_version(store, feed.tenant_id)
    rendered = cache.get(feed.id)
    if (
        rendered is None
        or rendered.version < version
        or rendered.day != today_in(clock, rendered.timezone)
    ):
        tenant = await snapshot(store, snapshots, feed.tenant_id, version)
        zone = tenant.directory.tenant.timezone if tenant.directory.tenant else None
        rendered = _render(feed, tenant, today_in(clock, zone), zone)
        cache.put(feed.id, rendered)
    if rendered.owner_left_on is not None and rendered.day > rendered.owner_left_on:
        raise FeedNotFound("no such feed")
    if not rendered.owner_may_follow:
        raise FeedNotFound("no such feed")
    return rendered


def _render(feed: Feed, tenant: Snapshot, today: date, timezone: str | None) -> RenderedFeed:
    directory = tenant.directory
    since = today - HISTORY
    leaves = [
        view.away()
        for view in tenant.leaves
        if view.status == APPROVED and view.end_date >= since and _in_scope(feed, view)
    ]
    years = range(today.year - 1, today.year + 2)
    body = render_feed(_calendar_name(feed, directory), leaves, _holidays(feed, directory, years))
    owner = directory.people.get(feed.owner_id)
    return RenderedFeed(
        body=body,
        gzipped=gzip.compress(body, compresslevel=6, mtime=0),
        etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        version=tenant.version,
        day=today,
        timezone=timezone,
        owner_left_on=owner.end_date if owner else None,
        owner_may_follow=_owner_may_follow(feed, directory),
    )


def _owner_may_follow(feed: Feed, directory: Directory) -> bool:
    """The rule `create_feed` applied, by today's directory (every change of a role or of
    approvers moves the tenant's version, so the feed is rendered again and asks anew)."""
    owner = directory.people.get(feed.owner_id)
    if feed.scope != Scope.DEPARTMENT or feed.scope_id is None or owner is None:
        return True  # an owner not replicated (yet): as when the feed was made
    departments = ((d.id, d.approver_ids) for d in directory.departments.values() if d.active)
    principal = Principal(feed.tenant_id, owner.id, owner.role)
    return scope_of(principal, departments).covers_department(feed.scope_id)


def _in_scope(feed: Feed, view: LeaveView) -> bool:
    match feed.scope:
        case Scope.DEPARTMENT:
            return view.department_id == feed.scope_id
        case Scope.LOCATION:
            return view.location_id == feed.scope_id
        case Scope.EMPLOYEE:
            return view.employee_id == feed.scope_id
    return True


def _scope_location_ids(feed: Feed, directory: Directory) -> list[str]:
    match feed.scope:
        case Scope.LOCATION:
            return [feed.scope_id] if feed.scope_id else []
        case Scope.EMPLOYEE:
            person = directory.people.get(feed.scope_id or "")
            return [person.location_id] if person and person.location_id else []
        case Scope.DEPARTMENT:
            return sorted(
                {
                    p.location_id
                    for p in directory.people.values()
                    if p.department_id == feed.scope_id and p.location_id
                }
            )
    return sorted(directory.locations)


def _holidays(feed: Feed, directory: Directory, years: range) -> list[HolidayView]:
    views = []
    for location_id in _scope_location_ids(feed, directory):
        location = directory.locations.get(location_id)
        if location is None or not location.active or location.modified_at is None:
            continue
        extra = [(h.date, h.name) for h in location.extra_holidays]
        days = public_holidays(
            location.country,
            location.subdivision,
            extra,
            years,
            categories=tuple(location.holiday_categories),
            language=location.holiday_language,
        )
        views += [
            HolidayView(
                location_id=location.id,
                location_name=location.name,
                day=day,
                name=name,
                sequence=location.revision,
                modified_at=location.modified_at,
            )
            for day, name in days.items()
        ]
    return sorted(views, key=lambda h: (h.day, h.location_name))


def _calendar_name(feed: Feed, directory: Directory) -> str:
    tenant = directory.tenant.name if directory.tenant else "Leaveflow"
    named: str | None = None
    match feed.scope:
        case Scope.DEPARTMENT:
            department = directory.departments.get(feed.scope_id or "")
            named = department.name if department else None
        case Scope.LOCATION:
            location = directory.locations.get(feed.scope_id or "")
            named = location.name if location else None
        case Scope.EMPLOYEE:
            person = directory.people.get(feed.scope_id or "")
            named = person.name if person else None
    return f"{tenant} — {named} — who's off" if named else f"{tenant} — who's off"
