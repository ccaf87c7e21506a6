"""`POST /v1/auth/teams-person`: the web's question "who is this Teams SSO token?" answered
as the bot maps people (the Teams integration's `aad_tenant_id` → the company, the
employee's `teams_user_id` → the person); only Leaveflow services may ask."""

from __future__ import annotations

import pytest

from leaveflow_contracts import EmployeeUpserted

from ..http.conftest import App, AppFactory

SERVICE = {"authorization": "Service svc"}
AAD = "aad-tenant-of-t1"


@pytest.fixture
async def connected(make_app: AppFactory) -> App:
    app = await make_app()
    person = EmployeeUpserted(
        employee_id="t1-ana", name="Ana", email="ana@t1.test", role="user", teams_user_id="oid-ana"
    )
    await app.world.feed(person)
    await app.world.connect("teams", aad_tenant_id=AAD, webhook_url="https://example.invalid/h")
    return app


async def test_the_person_of_the_connected_directory(connected: App) -> None:
    answer = await connected.http.post(
        "/v1/auth/teams-person",
        json={"aad_tenant_id": AAD, "aad_object_id": "oid-ana"},
        headers=SERVICE,
    )
    assert answer.status_code == 200
    assert answer.json() == {"tenant_id": "t1", "employee_id": "t1-ana", "email": "ana@t1.test"}


@pytest.mark.parametrize(
    ("tenant", "oid", "slug"),
    [
        ("another-directory", "oid-ana", "teams-directory-unknown"),
        (AAD, "oid-x", "teams-person-unknown"),
    ],
)
async def test_unknown_directories_and_people_say_which(
    connected: App, tenant: str, oid: str, slug: str
) -> None:
    answer = await connected.http.post(
        "/v1/auth/teams-person",
        json={"aad_tenant_id": tenant, "aad_object_id": oid},
        headers=SERVICE,
    )
    assert answer.status_code == 404
    assert answer.json()["type"].endswith(f"/{slug}")


@pytest.mark.parametrize("headers", [{}, {"authorization": "Service wrong"}])
async def test_only_the_service_secret_may_ask(connected: App, headers: dict[str, str]) -> None:
    answer = await connected.http.post(
        "/v1/auth/teams-person",
        json={"aad_tenant_id": AAD, "aad_object_id": "oid-ana"},
        headers=headers,
    )
    assert answer.status_code == 401
