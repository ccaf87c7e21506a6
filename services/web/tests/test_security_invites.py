"""Invites on the admin's employees page: one person, everyone not invited yet, and the
people of a CSV import just made (``POST /v1/invites``; notifications sends the emails)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from .security_app import signed_in_as, web_for
from .security_fakes import IdentityFake, Person

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def fake() -> IdentityFake:
    return IdentityFake()


@pytest.fixture
async def ada(fake: IdentityFake) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    async with web_for(fake) as client:
        await signed_in_as(client, "ada")
        page = await client.get("/admin/employees")
        found = CSRF.search(page.text)
        assert page.status_code == 200
        assert found
        yield client, found.group(1)


async def test_each_person_has_an_invite_button_and_one_invites_them(
    ada: tuple[httpx.AsyncClient, str], fake: IdentityFake
) -> None:
    client, token = ada
    page = await client.get("/admin/employees")
    assert 'aria-label="Invite Eve Example"' in page.text
    answer = await client.post(
        "/admin/employees/invite", data={"csrf_token": token, "employee_ids": "eve"}
    )
    assert answer.status_code == 200
    assert fake.invite_calls == [["eve"]]
    assert "Invites sent to 1 person: each gets an email with a link to sign in." in answer.text
    assert 'aria-label="Invite again Eve Example"' in answer.text
    assert "Invited Sat 3 Jan 2026" in answer.text


async def test_invite_all_not_yet_invited_leaves_out_those_invited(
    ada: tuple[httpx.AsyncClient, str], fake: IdentityFake
) -> None:
    client, token = ada
    await client.post("/admin/employees/invite", data={"csrf_token": token, "employee_ids": "eve"})
    answer = await client.post(
        "/admin/employees/invite", data={"csrf_token": token, "everyone": "not_invited"}
    )
    assert sorted(fake.invite_calls[-1]) == ["ada", "sid"]
    assert "Invites sent to 2 people" in answer.text
    again = await client.post(
        "/admin/employees/invite", data={"csrf_token": token, "everyone": "not_invited"}
    )
    assert "Everyone has been invited already." in again.text
    assert len(fake.invite_calls) == 2


async def test_skipped_people_are_named_with_the_reason(
    ada: tuple[httpx.AsyncClient, str], fake: IdentityFake
) -> None:
    client, token = ada
    fake.people["leo"] = Person("leo", "leo@acme.test", "Leo Left", status="left")
    answer = await client.post(
        "/admin/employees/invite",
        data={"csrf_token": token, "employee_ids": ["eve", "leo"]},
    )
    assert "Invites sent to 1 person" in answer.text
    assert "1 not invited (has left)." in answer.text


async def test_after_a_csv_import_one_button_invites_the_people_imported(
    ada: tuple[httpx.AsyncClient, str], fake: IdentityFake
) -> None:
    client, token = ada
    csv_text = (
        "name,email,location,department,role,start_date\n"
        "Nia New,nia@acme.test,,,user,\n"
        "Omar New,OMAR@acme.test,,,user,\n"
    )
    imported = await client.post(
        "/admin/employees/import", data={"csrf_token": token, "csv": csv_text}
    )
    assert imported.status_code == 200
    assert "Send invites to the 2 people imported" in imported.text
    report = imported.text.split('id="import-report"')[1].split("</div>")[0]
    ids = re.findall(r'name="employee_ids" value="([^"]+)"', report)
    assert sorted(ids) == ["nia", "omar"]
    sent = await client.post(
        "/admin/employees/invite", data={"csrf_token": token, "employee_ids": ids}
    )
    assert sorted(fake.invite_calls[-1]) == ["nia", "omar"]
    assert "Invites sent to 2 people" in sent.text


async def test_only_admins_invite(fake: IdentityFake) -> None:
    async with web_for(fake) as client:
        await signed_in_as(client, "eve")
        page = await client.get("/")
        found = CSRF.search(page.text)
        assert found
        answer = await client.post(
            "/admin/employees/invite", data={"csrf_token": found.group(1), "employee_ids": "sid"}
        )
        assert answer.status_code == 403
    assert fake.invite_calls == []
