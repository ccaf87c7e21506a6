"""Issue 17's lines of a balance: seniority, label extra and time off in lieu earned (with
when the unused part starts to expire) on Home's breakdown and on the ledger page, and the
ledger entries behind them in words. A balance without them shows no such lines."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from leaveflow_web.bootstrap import create_app
from leaveflow_web.wording import day, ledger_entry

from .conftest import WEB, settings, sign_in
from .test_request_form import LeaveServices, answer, text_of

SOON = date.today() + timedelta(days=40)


@dataclass
class ExtraServices(LeaveServices):
    """``LeaveServices`` whose Vacation balance carries ``extras`` (issue 17's fields)."""

    extras: dict[str, Any] = field(default_factory=dict)

    def _balances(self, as_of: date) -> httpx.Response:
        body = super()._balances(as_of).json()
        body["balances"][0].update(self.extras)
        return answer(200, body)


@pytest.fixture
def extra() -> ExtraServices:
    return ExtraServices()


@pytest.fixture
async def eve(extra: ExtraServices) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(), transport=httpx.MockTransport(extra))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        await sign_in(client, "eve@acme.test")
        yield client


def line(page: httpx.Response, name: str) -> str | None:
    found = re.search(rf'data-line="{name}">([^<]+)<', page.text)
    return found[1] if found else None


async def test_home_breaks_the_balance_down_into_seniority_label_and_toil_lines(
    eve: httpx.AsyncClient, extra: ExtraServices
) -> None:
    extra.extras = {"seniority": 2.0, "label_extra": 1.5, "toil_earned": 3.0,
                    "toil_expires_on": SOON.isoformat()}  # fmt: skip
    page = await eve.get("/partials/my-balances")
    assert line(page, "seniority") == "2 days"
    assert line(page, "label_extra") == "1.5 days"
    assert line(page, "toil_earned") == "3 days"
    assert (
        f"Unused time off in lieu starts to expire on {day(SOON)}: take it before then."
        in text_of(page)
    )
    words = " ".join(text_of(page).split())
    assert "Extra for years of service 2 days Extra for labels 1.5 days" in words


async def test_a_balance_without_extras_shows_none_of_their_lines(
    eve: httpx.AsyncClient, extra: ExtraServices
) -> None:
    extra.extras = {"seniority": 0.0, "label_extra": 0.0, "toil_earned": 0.0,
                    "toil_expires_on": None}  # fmt: skip
    page = await eve.get("/partials/my-balances")
    for name in ("seniority", "label_extra", "toil_earned", "toil_expires_on"):
        assert line(page, name) is None, name
    assert "time off in lieu" not in text_of(page).lower()


async def test_the_ledger_page_shows_the_extras_and_each_entry_in_words(
    eve: httpx.AsyncClient, extra: ExtraServices
) -> None:
    worked = date.today() - timedelta(days=100)
    extra.extras = {"seniority": 2.0, "toil_earned": 1.0, "toil_expires_on": SOON.isoformat()}
    extra.ledger = [
        {"kind": "seniority", "amount": 2, "effective_date": date.today().isoformat(),
         "reason": "3 years of service"},
        {"kind": "label", "amount": 1.5, "effective_date": date.today().isoformat(),
         "reason": "label senior"},
        {"kind": "toil_credit", "amount": 1, "effective_date": worked.isoformat(),
         "reason": "covered the release", "expires_on": SOON.isoformat()},
        {"kind": "toil_expiry", "amount": -0.5, "effective_date": SOON.isoformat(),
         "reason": f"time off in lieu of {worked.isoformat()} not used before it expired"},
    ]  # fmt: skip
    page = await eve.get("/ledger/vac")
    words = " ".join(text_of(page).split())
    assert line(page, "seniority") == "2 days"
    assert f"unused time off in lieu starts to expire on {day(SOON)}" in words
    assert "Extra for 3 years of service +2 days" in words
    assert "Extra for the label senior +1.5 days" in words
    assert f"Time off in lieu: covered the release (expires {day(SOON)} if unused) +1 day" in words
    assert f"Time off in lieu of {day(worked)} expired unused -0.5 days" in words


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"kind": "seniority", "reason": "1 year of service"}, "Extra for 1 year of service"),
        ({"kind": "seniority", "reason": ""}, "Extra for years of service"),
        ({"kind": "label", "reason": ""}, "Extra for a label"),
        ({"kind": "toil_credit", "reason": "time off in lieu"}, "Time off in lieu"),
        ({"kind": "toil_credit", "reason": "night shift"}, "Time off in lieu: night shift"),
        ({"kind": "toil_expiry", "reason": "expired"}, "Time off in lieu expired unused"),
    ],
)
def test_each_entitlement_entry_reads_as_words(entry: dict[str, Any], words: str) -> None:
    assert ledger_entry(entry, {}) == words
