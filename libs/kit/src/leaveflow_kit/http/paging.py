"""List paging as the public API fixes it (docs/api.md): `limit` (default 100, max
1000) and `cursor`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


async def _page_params(  # async: a sync dependency would cost a thread hop
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor or None)


Page = Annotated[PageParams, Depends(_page_params)]


def page_out(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}
