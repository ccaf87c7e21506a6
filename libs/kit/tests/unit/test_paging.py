"""Paging parameters: absurd limits and cursors are a 422 or read as the start, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leaveflow_kit.http import create_service_app
from leaveflow_kit.http.paging import MAX_OFFSET, Page, PageParams, page_out


@pytest.mark.parametrize(
    ("cursor", "offset"),
    [
        (None, 0),
        ("", 0),
        ("0", 0),
        ("250", 250),
        (str(MAX_OFFSET), MAX_OFFSET),
        (str(MAX_OFFSET + 1), 0),
        ("9" * 200, 0),
        ("²", 0),  # isdigit() says yes, int() says no
        ("٣", 0),  # an Arabic-Indic three
        ("-5", 0),
        ("12abc", 0),
        (" 7", 0),
    ],
)
def test_offset_cursors(cursor: str | None, offset: int) -> None:
    assert PageParams(limit=10, cursor=cursor).offset == offset


@given(st.text(max_size=200))
def test_any_cursor_gives_an_offset_in_range(cursor: str) -> None:
    assert 0 <= PageParams(limit=1, cursor=cursor).offset <= MAX_OFFSET


def app() -> Any:
    service = create_service_app(title="probe")

    @service.get("/v1/list")
    async def listing(page: Page) -> dict[str, Any]:
        return page_out([page.offset], page.cursor)

    return service


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"limit": "0"}, 422),
        ({"limit": "1001"}, 422),
        ({"limit": "9" * 400}, 422),
        ({"limit": "-1"}, 422),
        ({"limit": "1e3"}, 422),
        ({"limit": "NaN"}, 422),
        ({"cursor": "x" * 201}, 422),
        ({"cursor": "x" * 200}, 200),
        ({"cursor": "\x00\u202e²"}, 200),
    ],
)
async def test_absurd_paging_input_is_never_a_500(params: dict[str, str], status: int) -> None:
    transport = httpx.ASGITransport(app=app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/v1/list", params=params)
    assert response.status_code == status, response.text
    if status == 422:
        assert response.json()["errors"][0]["field"] in params
    else:
        assert response.json()["items"] == [0]


async def test_a_cursor_of_broken_utf8_is_read_as_text() -> None:
    transport = httpx.ASGITransport(app=app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/v1/list?cursor=%ED%A0%80%FF&limit=5")
    assert response.status_code == 200
    assert response.json()["next_cursor"] == "\ufffd" * 4  # a lone surrogate never gets in
