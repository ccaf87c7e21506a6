"""Employee labels (issue 17) on the admin pages: typed as a comma list, sent as the list
the requests API takes, shown again as typed and as chips, cleared by emptying the field;
the CSV import's help names the ``labels`` column and its separator."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from leaveflow_web.bootstrap import create_app
from leaveflow_web.entrypoints.admin_labels import labels_of

from .admin_fakes import AdminServices, invalid
from .conftest import WEB, csrf_of, settings, sign_in


@pytest.fixture
def services() -> AdminServices:
    return AdminServices()


def too_long_label(services: AdminServices) -> httpx.MockTransport:
    """The fake, refusing a label over 40 characters as the requests API does."""

    def answer(request: httpx.Request) -> httpx.Response:
        labels = request.content.split(b'"labels"', 1)[1:] if request.method != "GET" else []
        if labels and re.search(rb'"[^"]{41,}"', labels[0]):
            return invalid("labels.1", "String should have at most 40 characters")
        return services(request)

    return httpx.MockTransport(answer)


@pytest.fixture
async def admin(services: AdminServices) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings(), transport=too_long_label(services))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=WEB) as client:
        signed = await sign_in(client, "ada@acme.test")
        assert signed.status_code in (200, 303), signed.text
        yield client


async def post(client: httpx.AsyncClient, page: str, url: str, **data: str) -> httpx.Response:
    token = csrf_of(await client.get(page))
    return await client.post(url, data={"csrf_token": token, **data})


def eve_fields(**changes: str) -> dict[str, str]:
    return {"name": "Eve Example", "email": "eve@acme.test", "role": "user",
            "location_id": "", "department_id": "", "start_date": "", "end_date": "",
            **changes}  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "labels"),
    [
        ("senior, nights", ["senior", "nights"]),
        (" senior ;nights,, senior ", ["senior", "nights"]),
        ("", []),
        (" , ; ", []),
    ],
)
def test_labels_are_split_trimmed_and_kept_once(typed: str, labels: list[str]) -> None:
    assert labels_of(typed) == labels


async def test_labels_typed_on_an_employee_are_saved_as_a_list_and_shown_as_chips(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    page = await post(
        admin, "/admin/employees/eve", "/admin/employees/eve",
        **eve_fields(labels="senior, nights"),
    )  # fmt: skip
    assert page.status_code == 200, page.text
    method, path, body = services.writes[-1]
    assert (method, path) == ("PATCH", "/v1/employees/eve")
    assert body["labels"] == ["senior", "nights"]
    again = await admin.get("/admin/employees/eve")
    assert 'id="emp-labels" name="labels" type="text" value="senior, nights"' in again.text
    assert re.findall(r"<li>([^<]+)</li>", again.text.split('class="chips"', 1)[1])[:2] == [
        "senior", "nights",
    ]  # fmt: skip


async def test_emptying_the_labels_field_clears_them(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    services.records["employees"]["eve"]["labels"] = ["senior"]
    page = await post(
        admin, "/admin/employees/eve", "/admin/employees/eve", **eve_fields(labels="")
    )
    assert page.status_code == 200, page.text
    assert services.writes[-1][2]["labels"] == []
    assert 'class="chips"' not in (await admin.get("/admin/employees/eve")).text


async def test_a_new_employee_gets_labels_only_when_some_are_typed(
    admin: httpx.AsyncClient, services: AdminServices
) -> None:
    await post(
        admin, "/admin/employees", "/admin/employees",
        name="Nina Night", email="nina@acme.test", role="user", labels="nights",
    )  # fmt: skip
    assert services.writes[-1][2] == {
        "name": "Nina Night", "email": "nina@acme.test", "role": "user", "labels": ["nights"],
    }  # fmt: skip
    await post(admin, "/admin/employees", "/admin/employees",
               name="Otto Day", email="otto@acme.test", role="user")  # fmt: skip
    assert "labels" not in services.writes[-1][2]


async def test_a_refused_label_is_explained_at_the_field_with_what_was_typed(
    admin: httpx.AsyncClient,
) -> None:
    long = "x" * 41
    page = await post(
        admin, "/admin/employees/eve", "/admin/employees/eve",
        **eve_fields(labels=f"senior, {long}"),
    )  # fmt: skip
    assert page.status_code == 422
    error = re.search(r'<small class="error" id="e-emp-labels">([^<]+)</small>', page.text)
    assert error is not None
    assert error[1] == "The labels can be at most 40 characters long."
    assert f'value="senior, {long}"' in page.text


async def test_the_import_help_names_the_labels_column_and_its_separator(
    admin: httpx.AsyncClient,
) -> None:
    page = await admin.get("/admin/employees")
    text = " ".join(re.sub(r"<[^>]+>", " ", page.text).split())
    assert "and optionally labels ." in text
    assert "labels separated by semicolons, like senior;nights" in text
