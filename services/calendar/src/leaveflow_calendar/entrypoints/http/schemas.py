"""Bodies of the calendar API (docs/api.md): what the routes accept and answer, so every
operation's response is in the OpenAPI document."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from ...domain.feed import Scope


class FeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: Scope
    # Directory ids are opaque tokens; "." or "/" would make the existence check ask
    # requests about another path (a list, a redirect) instead of one resource.
    scope_id: str | None = Field(None, min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")


class WhosOffItem(BaseModel):
    request_id: str
    employee_id: str
    employee_name: str | None
    department_id: str | None
    location_id: str | None
    # None, with the name "Away" and no colour, for a private type the caller may not see.
    leave_type_id: str | None
    leave_type_name: str | None
    leave_type_color: str | None
    private: bool
    start_date: date
    end_date: date
    start_part: str
    end_part: str
    status: str


class WhosOffOut(BaseModel):
    items: list[WhosOffItem]
    next_cursor: str | None = None


class FeedOut(BaseModel):
    """A feed as lists show it: never its token."""

    id: str
    scope: Scope
    scope_id: str | None
    owner_id: str
    # As stored (ISO 8601 with its offset): the bytes clients already parse.
    created_at: str = Field(json_schema_extra={"format": "date-time"})


class FeedCreatedOut(FeedOut):
    """The new feed, with its URL and token: shown this once, the service keeps a hash."""

    url: str
    token: str


class FeedPage(BaseModel):
    items: list[FeedOut]
    next_cursor: str | None
