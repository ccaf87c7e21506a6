"""List paging as the public API fixes it (docs/api.md): `limit` (default 100, max
1000) and `cursor`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query

# An offset cursor past this is no page of anything: it reads as the start.
MAX_OFFSET = 10**9


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None

    @property
    def offset(self) -> int:
        """The cursor as an offset, for lists paged by position: ASCII digits up to
        `MAX_OFFSET`, anything else 0. (`str.isdigit` accepts "²", which `int` refuses.)"""
        cursor = self.cursor or ""
        if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 10:
            return 0
        value = int(cursor)
        return value if value <= MAX_OFFSET else 0


async def _page_params(  # async: a sync dependency would cost a thread hop
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor or None)


Page = Annotated[PageParams, Depends(_page_params)]


def page_out(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}
