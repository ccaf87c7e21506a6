"""`LEAVEFLOW_SIGNUP_OPEN=first` (the compose default): a fresh install lets exactly one
company sign up, its owner's, then answers like closed signup; `true`/`false` as before."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest

from leaveflow_kit.auth import TokenIssuer
from leaveflow_kit.storage import open_store
from leaveflow_requests.adapters.repository import INDEXES
from leaveflow_requests.bootstrap import Overrides, create_app
from leaveflow_requests.config import Settings

Client = Callable[[str], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, issuer: TokenIssuer) -> Client:
    """A requests app on one SQLite file, with LEAVEFLOW_SIGNUP_OPEN as given."""

    @asynccontextmanager
    async def make(signup_open: str) -> AsyncIterator[httpx.AsyncClient]:
        monkeypatch.setenv("LEAVEFLOW_SIGNUP_OPEN", signup_open)
        store = open_store(f"sqlite:///{tmp_path / 'requests.db'}", INDEXES)
        await store.start()
        app = create_app(
            Settings(data_dir=tmp_path), overrides=Overrides(store=store, issuer=issuer)
        )
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://requests") as c:
                yield c
        finally:
            await store.close()

    return make


def _signup(name: str) -> dict[str, str]:
    return {"name": name, "admin_name": "Ada", "admin_email": f"ada@{name.lower()}.test"}


async def test_first_company_signs_up_then_signup_is_closed(client: Client) -> None:
    async with client("first") as http:
        first = await http.post("/v1/tenants", json=_signup("Acme"))
        assert first.status_code == 201, first.text
        second = await http.post("/v1/tenants", json=_signup("Other"))
        assert second.status_code == 404, second.text
        assert second.headers["content-type"].startswith("application/problem+json")
        assert "signup is closed" in second.json()["detail"]
        # The first admin's token works: the company exists and is theirs.
        token = first.json()["token"]
        me = await http.get("/v1/employees", headers={"authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert [e["email"] for e in me.json()["items"]] == ["ada@acme.test"]


async def test_racing_first_signups_let_exactly_one_in(client: Client) -> None:
    async with client("first") as http:
        answers = await asyncio.gather(
            *(http.post("/v1/tenants", json=_signup(f"Co{i}")) for i in range(4))
        )
    assert sorted(a.status_code for a in answers) == [201, 404, 404, 404]


async def test_an_install_that_already_has_a_company_stays_closed(client: Client) -> None:
    async with client("true") as http:  # signed up while signup was fully open
        assert (await http.post("/v1/tenants", json=_signup("Acme"))).status_code == 201
    async with client("first") as http:
        assert (await http.post("/v1/tenants", json=_signup("Late"))).status_code == 404


async def test_open_and_closed_signup_keep_their_meaning(client: Client) -> None:
    async with client("true") as http:
        for name in ("A", "B"):
            assert (await http.post("/v1/tenants", json=_signup(name))).status_code == 201
    async with client("false") as http:
        assert (await http.post("/v1/tenants", json=_signup("C"))).status_code == 404
