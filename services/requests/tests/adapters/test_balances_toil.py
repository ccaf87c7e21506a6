"""The HTTP adapter asking balances to take a claim's credit back: the service secret on
the route for Leaveflow services; balances' 409 sentence as a 409 here; anything else
(balances down, a 5xx, no secret configured) as "unavailable" (503), nothing done."""

from __future__ import annotations

import json

import httpx
import pytest

from leaveflow_requests.adapters.balances_toil import BalancesToilCredits
from leaveflow_requests.domain.errors import InvalidTransition, Unavailable

SENTENCE = "approved leave already uses 2 days of this time off in lieu: cancel that leave first"


def adapter(answer: httpx.Response, seen: list[httpx.Request]) -> BalancesToilCredits:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer

    return BalancesToilCredits(
        "http://balances:8002/", "s3cret", transport=httpx.MockTransport(handle)
    )


async def test_a_credit_taken_back_is_asked_with_the_service_secret() -> None:
    seen: list[httpx.Request] = []
    ok = httpx.Response(200, json={"toil_id": "t/1", "taken_back_now": True})
    await adapter(ok, seen).take_back("tn", "e1", "t/1", "ada")
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == "http://balances:8002/internal/toil-credits/t%2F1/take-back"
    assert request.headers["authorization"] == "Service s3cret"
    assert json.loads(request.content) == {
        "tenant_id": "tn",
        "employee_id": "e1",
        "cancelled_by": "ada",
    }


async def test_balances_keeping_the_credit_is_its_sentence() -> None:
    kept = httpx.Response(409, json={"title": "Conflict", "detail": SENTENCE})
    with pytest.raises(InvalidTransition) as refused:
        await adapter(kept, []).take_back("tn", "e1", "t1", "e1")
    assert str(refused.value) == SENTENCE


@pytest.mark.parametrize("status", [401, 404, 500, 503])
async def test_any_other_answer_is_unavailable(status: int) -> None:
    with pytest.raises(Unavailable):
        await adapter(httpx.Response(status, json={}), []).take_back("tn", "e1", "t1", "e1")


async def test_unreachable_or_unconfigured_is_unavailable() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    unreachable = BalancesToilCredits("http://b", "s", transport=httpx.MockTransport(down))
    with pytest.raises(Unavailable):
        await unreachable.take_back("tn", "e1", "t1", "e1")
    with pytest.raises(Unavailable):
        await BalancesToilCredits("http://b", None).take_back("tn", "e1", "t1", "e1")
