"""Reading a tenant's event log as a live stream: cursor, catch-up window, visibility.

Event ids are time-ordered, and on SQLite (one writer) they are also in commit order. With
concurrent writers (MongoDB) a transaction may commit after one with a later id; a reader
that had already passed that id would miss it. So each read looks back `LOOKBACK_MS` behind
the cursor and skips the ids it already sent: an event that commits late arrives late, but
arrives. A client that reconnects resumes strictly after its `Last-Event-ID`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from leaveflow_contracts import new_id

from .ports import ReadModel
from .visibility import Visibility

LOOKBACK_MS = 2000
BATCH = 500
EVENT_ID = re.compile(r"^[0-9a-f]{32}$")

Doc = dict[str, Any]


def floor_id(ms: int) -> str:
    """The smallest event id that can be made at millisecond `ms` (ids start with it)."""
    return f"{max(ms, 0):012x}" + "0" * 20


def now_ms() -> int:
    return int(time.time() * 1000)


def visible_to(doc: Doc, scope: Visibility) -> bool:
    """Same rule as the HTTP reads: the events of the requests of the people in the
    caller's scope, and the directory (which every employee may read)."""
    is_request_event = "request_id" in doc["envelope"]["data"]
    return not is_request_event or scope.covers(str(doc.get("employee_id")))


@dataclass
class StreamCursor:
    """Where one connection is: nothing at or before `floor` is sent (the client's
    `Last-Event-ID`, or the moment it connected), and ids sent recently are remembered for
    the look-back window."""

    floor: str
    last: str = ""
    recent: dict[str, int] = field(default_factory=dict)

    @classmethod
    def resume_after(cls, last_event_id: str | None) -> StreamCursor:
        """After the client's last event, or after everything this process made so far."""
        return cls(floor=last_event_id or new_id())

    def read_from(self, at_ms: int) -> str:
        """Key to read after: the floor until something was sent (a client resuming from an
        old `Last-Event-ID` gets everything since), then `LOOKBACK_MS` behind the last id
        sent; never before the floor."""
        if not self.last:
            return self.floor
        return max(min(self.last, floor_id(at_ms - LOOKBACK_MS)), self.floor)

    def take(self, docs: list[Doc], at_ms: int) -> list[Doc]:
        """The docs not sent yet, in key order; remembers them and forgets old ones."""
        fresh = [d for d in docs if d["id"] not in self.recent and d["id"] > self.floor]
        for doc in fresh:
            self.recent[doc["id"]] = at_ms
            self.last = max(self.last, doc["id"])
        horizon = at_ms - 2 * LOOKBACK_MS
        for key in [k for k, seen in self.recent.items() if seen < horizon]:
            del self.recent[key]
        return fresh


async def read_new(reads: ReadModel, tenant_id: str, cursor: StreamCursor) -> list[Doc]:
    """Every event of the tenant not yet sent on this connection, oldest first."""
    at = now_ms()
    after = cursor.read_from(at)
    found: list[Doc] = []
    while True:
        docs = await reads.events_after(tenant_id, after, limit=BATCH)
        found.extend(cursor.take(docs, at))
        if len(docs) < BATCH:
            return found
        after = docs[-1]["id"]
