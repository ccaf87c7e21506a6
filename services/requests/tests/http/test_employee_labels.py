"""Employee labels through the API (issue 17): trimmed and unique on POST/PATCH, echoed,
and carried in `EmployeeUpserted.labels` (balances grants `label_extra` from them)."""

from __future__ import annotations

import pytest

from leaveflow_contracts import EmployeeUpserted, parse_data

from .conftest import Api, Company

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def upserted(api: Api, tenant_id: str, employee_id: str) -> list[EmployeeUpserted]:
    found = []
    for row in await api.store.fetch_unpublished(10_000):
        if row.envelope.tenant_id == tenant_id and row.envelope.type == "EmployeeUpserted":
            data = parse_data(row.envelope)
            assert isinstance(data, EmployeeUpserted)
            if data.employee_id == employee_id:
                found.append(data)
    return found


async def test_labels_are_kept_trimmed_echoed_and_announced(company: Company) -> None:
    person = {"name": "Lia", "email": "lia@acme.test", "labels": [" senior", "nights", "senior "]}
    created = await company.ok("ada", "POST", "/v1/employees", person)
    assert created["labels"] == ["senior", "nights"]
    url = f"/v1/employees/{created['id']}"
    assert (await company.ok("ana", "GET", url))["labels"] == ["senior", "nights"]
    changed = await company.ok("ada", "PATCH", url, {"labels": ["lead"]})
    assert changed["labels"] == ["lead"]
    # A PATCH without labels keeps them.
    renamed = await company.ok("ada", "PATCH", url, {"name": "Lia M."})
    assert renamed["labels"] == ["lead"]
    events = await upserted(company.api, company.tenant_id, created["id"])
    assert [e.labels for e in events] == [["senior", "nights"], ["lead"], ["lead"]]
    # Someone given none has none.
    assert (await company.ok("ada", "GET", f"/v1/employees/{company.ids['ana']}"))["labels"] == []


@pytest.mark.parametrize(
    "labels",
    [["x" * 41], [""], [f"l{i}" for i in range(21)], "senior", [3]],
)
async def test_bad_labels_are_a_422_naming_labels(company: Company, labels: object) -> None:
    person = {"name": "Lia", "email": "lia@acme.test", "labels": labels}
    created = await company.call("ada", "POST", "/v1/employees", person)
    assert created.status_code == 422, created.text
    assert any("labels" in str(e["field"]) for e in created.json()["errors"]), created.text
    url = f"/v1/employees/{company.ids['ana']}"
    patched = await company.call("ada", "PATCH", url, {"labels": labels})
    assert patched.status_code == 422, patched.text


async def test_labels_cannot_be_null_and_only_admins_set_them(company: Company) -> None:
    url = f"/v1/employees/{company.ids['ana']}"
    null = await company.call("ada", "PATCH", url, {"labels": None})
    assert null.status_code == 422, null.text
    assert null.json()["errors"][0]["field"] == "labels"
    own = await company.call("ana", "PATCH", url, {"labels": ["senior"]})
    assert own.status_code == 403, own.text
