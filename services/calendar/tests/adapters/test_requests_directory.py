"""The directory lookup asks requests' public API with the caller's token."""

from __future__ import annotations

import httpx
import pytest

from leaveflow_calendar.adapters.requests_directory import RequestsDirectory
from leaveflow_calendar.domain.errors import DirectoryUnavailable
from leaveflow_calendar.domain.feed import Scope


def directory(status: int, seen: list[httpx.Request]) -> RequestsDirectory:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json={})

    return RequestsDirectory(
        "http://req.test/", "Bearer abc", transport=httpx.MockTransport(answer)
    )


@pytest.mark.parametrize(
    ("status", "exists"), [(200, True), (404, False), (422, False), (307, False)]
)
async def test_the_answer_of_requests_decides(status: int, exists: bool) -> None:
    seen: list[httpx.Request] = []
    assert await directory(status, seen).exists(Scope.DEPARTMENT, "d/1 x") is exists
    (request,) = seen
    assert request.url.raw_path == b"/v1/departments/d%2F1%20x"
    assert request.headers["authorization"] == "Bearer abc"


@pytest.mark.parametrize("status", [401, 500, 503])
async def test_anything_else_is_unavailable_not_a_no(status: int) -> None:
    with pytest.raises(DirectoryUnavailable):
        await directory(status, []).exists(Scope.EMPLOYEE, "e1")


async def test_an_unreachable_directory_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    lookup = RequestsDirectory(
        "http://req.test", "Bearer abc", transport=httpx.MockTransport(refuse)
    )
    with pytest.raises(DirectoryUnavailable):
        await lookup.exists(Scope.LOCATION, "l1")
