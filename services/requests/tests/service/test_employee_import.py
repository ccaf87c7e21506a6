"""CSV import: all or nothing, every bad line reported, email is the key."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from leaveflow_kit.storage import Store, open_store
from leaveflow_kit.validation import MAX_DATE, MIN_DATE
from leaveflow_requests.adapters.repository import INDEXES, StoreReads, StoreUnitOfWork
from leaveflow_requests.domain import errors
from leaveflow_requests.domain.directory import Employee
from leaveflow_requests.service_layer import directory
from leaveflow_requests.service_layer.commands import (
    Actor,
    CreateTenant,
    DepartmentFields,
    LocationFields,
    UpsertEmployee,
)
from leaveflow_requests.service_layer.employee_import import import_employees

HEADER = "name,email,location,department,role,start_date\n"


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    s = open_store("memory://", INDEXES)
    await s.start()
    yield s
    await s.close()


async def setup(store: Store) -> Actor:
    tenant, admin = await directory.create_tenant(
        StoreUnitOfWork(store),
        CreateTenant(name="Acme", admin_name="Ada", admin_email="ada@acme.test"),
    )
    actor = Actor(tenant.id, admin.id, "admin")
    await directory.save_location(
        StoreUnitOfWork(store), actor, LocationFields(name="Munich", country="DE", subdivision="BY")
    )
    await directory.save_department(StoreUnitOfWork(store), actor, DepartmentFields(name="Sales"))
    return actor


def fifty() -> str:
    return HEADER + "".join(
        f"Person {i},p{i}@acme.test,Munich,sales,user,2024-0{1 + i % 9}-01\n" for i in range(50)
    )


async def employees(store: Store, actor: Actor) -> list[Employee]:
    items, _ = await StoreReads(store).employees_of(actor.tenant_id, limit=1000, cursor=None)
    return items


async def test_imports_fifty_then_reimport_updates(store: Store) -> None:
    admin = await setup(store)
    report = await import_employees(StoreUnitOfWork(store), admin, fifty())
    assert (report.created, report.updated, report.errors) == (50, 0, [])
    people = await employees(store, admin)
    assert len(people) == 51  # with the admin
    assert all(p.location_id and p.department_id for p in people if p.email.startswith("p"))
    renamed = fifty().replace("Person 7,", "Person Seven,")
    again = await import_employees(
        StoreUnitOfWork(store), admin, renamed.replace(",p1@acme.test,", ",P1@Acme.TEST,")
    )
    assert (again.created, again.updated, again.errors) == (0, 50, [])
    assert len(await employees(store, admin)) == 51
    names = {p.email: p.name for p in await employees(store, admin)}
    assert names["p7@acme.test"] == "Person Seven"


async def test_a_bad_file_changes_nobody_and_reports_every_bad_line(store: Store) -> None:
    admin = await setup(store)
    text = (
        HEADER
        + "Ok,ok@acme.test,Munich,Sales,user,2024-01-01\n"
        + ",noname@acme.test,,,user,\n"
        + "Bad Mail,not-an-email,,,user,\n"
        + "Where,where@acme.test,Atlantis,,user,\n"
        + "Role,role@acme.test,,,king,2024-13-01\n"
        + "Twice,ok@acme.test,,,user,\n"
    )
    report = await import_employees(StoreUnitOfWork(store), admin, text)
    assert (report.created, report.updated) == (0, 0)
    assert [e["line"] for e in report.errors] == [3, 4, 5, 6, 7]
    messages = [str(e["message"]) for e in report.errors]
    assert "unknown location 'Atlantis'" in messages[2]
    assert "king" in messages[3]
    assert "start_date" in messages[3]
    assert "line 2" in messages[4]
    assert len(await employees(store, admin)) == 1


async def test_roles_read_as_the_dashboard_names_them(store: Store) -> None:
    admin = await setup(store)
    text = (
        HEADER
        + "Eve,eve@acme.test,,,Employee,\n"
        + "Abe,abe@acme.test,,,administrator,\n"
        + "Uma,uma@acme.test,,,user,\n"
    )
    report = await import_employees(StoreUnitOfWork(store), admin, text)
    assert report.errors == []
    roles = {e.email: e.role for e in await employees(store, admin)}
    assert (roles["eve@acme.test"], roles["abe@acme.test"], roles["uma@acme.test"]) == (
        "user",
        "admin",
        "user",
    )


async def test_missing_columns_are_reported_on_line_one(store: Store) -> None:
    admin = await setup(store)
    report = await import_employees(StoreUnitOfWork(store), admin, "name,email\nA,a@acme.test\n")
    assert report.errors == [
        {"line": 1, "message": "missing columns: location, department, role, start_date"}
    ]


async def test_only_admins_import(store: Store) -> None:
    admin = await setup(store)
    with pytest.raises(errors.NotAllowed):
        await import_employees(
            StoreUnitOfWork(store), Actor(admin.tenant_id, "x", "approver"), fifty()
        )


async def test_a_file_that_is_not_csv_is_reported_not_a_crash(store: Store) -> None:
    admin = await setup(store)
    huge_field = "x" * 200_000  # beyond the csv module's field limit
    report = await import_employees(
        StoreUnitOfWork(store), admin, HEADER + f'"{huge_field}",a@acme.test\n'
    )
    assert (report.created, report.updated) == (0, 0)
    assert report.errors == [
        {"line": 2, "message": "not valid CSV: field larger than field limit (131072)"}
    ]
    # a bare carriage return ends a CSV record: the broken rows are reported, nothing applied
    report = await import_employees(
        StoreUnitOfWork(store), admin, HEADER + "Ann\r,ann@acme.test,,,user,\n"
    )
    assert report.created == 0
    assert [e["line"] for e in report.errors] == [2, 3]


async def test_a_file_that_demotes_the_last_admin_changes_nobody(store: Store) -> None:
    actor = await setup(store)
    demote = HEADER + "Ada,ada@acme.test,Munich,,user,\nBo,bo@acme.test,,,user,\n"
    report = await import_employees(StoreUnitOfWork(store), actor, demote)
    assert (report.created, report.updated) == (0, 0)
    assert [e["line"] for e in report.errors] == [1]
    assert "without an admin" in str(report.errors[0]["message"])
    # Handing the role over in the same file is fine.
    handover = HEADER + "Ada,ada@acme.test,Munich,,user,\nBo,bo@acme.test,,,admin,\n"
    report = await import_employees(StoreUnitOfWork(store), actor, handover)
    assert (report.created, report.updated, report.errors) == (1, 1, [])


async def test_patch_cannot_demote_the_last_admin(store: Store) -> None:
    actor = await setup(store)
    with pytest.raises(errors.LastAdmin):
        await directory.update_employee(
            StoreUnitOfWork(store), actor, actor.employee_id, {"role": "approver"}
        )
    second = await directory.create_employee(
        StoreUnitOfWork(store), actor, UpsertEmployee(name="Bo", email="bo@acme.test", role="admin")
    )
    demoted = await directory.update_employee(
        StoreUnitOfWork(store), actor, actor.employee_id, {"role": "user"}
    )
    assert demoted.role == "user"
    with pytest.raises(errors.LastAdmin):
        await directory.update_employee(StoreUnitOfWork(store), actor, second.id, {"role": "user"})


async def test_far_dates_and_long_names_are_bad_lines(store: Store) -> None:
    admin = await setup(store)
    text = (
        HEADER
        + "Far,far@acme.test,Munich,Sales,user,9999-12-31\n"
        + f"{'N' * 201},long@acme.test,Munich,Sales,user,2024-01-01\n"
        + "Fine,fine@acme.test,Munich,Sales,user,2024-01-01\n"
    )
    report = await import_employees(StoreUnitOfWork(store), admin, text)
    assert [(e["line"], e["message"]) for e in report.errors] == [
        (2, f"start_date must be between {MIN_DATE} and {MAX_DATE}"),
        (3, "name is longer than 200 characters"),
    ]
    assert [e.email for e in await employees(store, admin)] == ["ada@acme.test"]


async def test_a_labels_column_sets_clears_or_refuses_labels(store: Store) -> None:
    admin = await setup(store)
    uow = StoreUnitOfWork(store)
    header = HEADER.rstrip("\n") + ",labels\n"
    text = header + "Pat,pat@acme.test,Munich,Sales,user,2024-01-01, senior ;nights;;senior\n"
    report = await import_employees(uow, admin, text)
    assert (report.created, report.errors) == (1, [])
    (pat,) = [p for p in await employees(store, admin) if p.email == "pat@acme.test"]
    assert pat.labels == ["senior", "nights"]
    # A file without the column keeps them; an empty cell clears them.
    kept = await import_employees(uow, admin, HEADER + "Pat,pat@acme.test,Munich,,user,\n")
    assert (kept.updated, kept.errors) == (1, [])
    (pat,) = [p for p in await employees(store, admin) if p.email == "pat@acme.test"]
    assert pat.labels == ["senior", "nights"]
    cleared = await import_employees(uow, admin, header + "Pat,pat@acme.test,Munich,,user,,\n")
    assert cleared.errors == []
    (pat,) = [p for p in await employees(store, admin) if p.email == "pat@acme.test"]
    assert pat.labels == []
    too_long = await import_employees(
        uow, admin, header + f"Pat,pat@acme.test,Munich,,user,,{'x' * 41}\n"
    )
    assert too_long.errors == [
        {"line": 2, "message": f"labels: label {'x' * 20!r}… is longer than 40 characters"}
    ]
