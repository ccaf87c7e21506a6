"""Sign-in and signup tell people when to try again (429); oversized posts get a 413 page."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from leaveflow_web.body_limit import MIB

from .conftest import FakeServices, csrf_of, sign_in


async def test_sign_in_says_how_long_to_wait(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.retry_after = 42
    answer = await sign_in(dashboard, "eve@acme.test", next_path="/decide/tok")
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "42"
    assert "Too many attempts - try again in 42 seconds." in answer.text
    assert 'name="next" value="/decide/tok"' in answer.text  # the link is not lost
    assert (await dashboard.get("/")).status_code == 303  # not signed in


async def test_signup_says_how_long_to_wait_and_keeps_what_was_typed(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.retry_after = 30
    page = await dashboard.get("/signup")
    answer = await dashboard.post(
        "/signup",
        data={
            "csrf_token": csrf_of(page),
            "name": "Acme Robotics",
            "admin_name": "Ada",
            "admin_email": "ada@acme.test",
        },
    )
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "30"
    assert "Too many attempts - try again in 30 seconds." in answer.text
    assert 'value="Acme Robotics"' in answer.text


async def test_a_post_over_one_mib_gets_a_413_page(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    page = await dashboard.get("/signin")
    body = {"csrf_token": csrf_of(page), "tenant_id": "t1", "email": "x" * MIB}
    answer = await dashboard.post("/signin/dev", data=body)
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert "larger than this form accepts" in answer.text
    assert fake.calls == []  # never parsed, never passed on


async def test_a_chunked_post_over_the_limit_is_refused_the_same_way(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * (64 * 1024 + 1)  # no Content-Length: counted as it arrives

    answer = await dashboard.post(
        "/signin/dev",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 413
    assert "content-length" not in {k.lower() for k in answer.request.headers}


async def test_a_post_under_the_limit_reaches_the_form(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    page = await dashboard.get("/signin")
    padding = "x" * (MIB - 4096)  # with the other fields, just under 1 MiB
    answer = await dashboard.post(
        "/signin/dev",
        data={
            "csrf_token": csrf_of(page),
            "tenant_id": "t1",
            "email": "eve@acme.test",
            "padding": padding,
        },
    )
    assert answer.status_code == 303  # signed in


async def test_the_csv_import_accepts_a_larger_file(
    dashboard: httpx.AsyncClient, fake: FakeServices
) -> None:
    fake.people["admin@acme.test"] = ("admin", "admin")
    await sign_in(dashboard, "admin@acme.test")
    page = await dashboard.get("/admin/employees")
    rows = b"name,email\n" + b"".join(
        f"Person {i},p{i}@acme.test\n".encode() for i in range(60_000)
    )
    assert MIB < len(rows) < 10 * MIB
    answer = await dashboard.post(
        "/admin/employees/import",
        data={"csrf_token": csrf_of(page)},
        files={"file": ("people.csv", rows, "text/csv")},
    )
    assert answer.status_code != 413
    imported = [c for c in fake.calls if c.url.path == "/v1/employees/import"]
    assert imported
    assert imported[0].content == rows
