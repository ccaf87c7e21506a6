"""CSV import of employees: all-or-nothing per file, every bad line reported.

Header: name,email,location,department,role,start_date (location and department by name or
id), and optionally labels (`;`-separated; a file without the column keeps everyone's
labels, an empty cell clears them). Email is the key within a tenant, so importing the same
file again updates people instead of duplicating them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from leaveflow_contracts import new_id
from leaveflow_kit.validation import MAX_DATE, MIN_DATE

from ..domain.directory import Department, Employee, Location, clean_labels, normalise_email
from . import approvals, integration
from .acting import record_by, require_admin
from .commands import Actor
from .ports import Repository, UnitOfWork

MAX_NAME = 200  # as for POST /v1/employees
COLUMNS = ("name", "email", "location", "department", "role", "start_date")
OPTIONAL = ("labels",)
ROLES = ("admin", "approver", "user")
# What the dashboard calls each role, accepted as well: people write what they read.
ROLE_WORDS = {"employee": "user", "administrator": "admin"}
MAX_ROWS = 10_000


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    line: int
    name: str
    email: str
    location: str
    department: str
    role: str
    start_date: date | None
    # None: the file has no labels column (the person's labels stay).
    labels: list[str] | None = None


def _rows(text: str, report: ImportReport) -> list[_Row]:
    # newline="" lets the csv module handle line ends inside quoted fields itself.
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _parse(reader, report)
    except csv.Error as exc:
        report.errors.append({"line": reader.line_num, "message": f"not valid CSV: {exc}"})
        return []


def _parse(reader: Any, report: ImportReport) -> list[_Row]:
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        report.errors.append({"line": 1, "message": f"missing columns: {', '.join(missing)}"})
        return []
    at = {c: header.index(c) for c in (*COLUMNS, *OPTIONAL) if c in header}
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            report.errors.append({"line": line, "message": f"more than {MAX_ROWS} rows"})
            break
        value = {c: (cells[i].strip() if i < len(cells) else "") for c, i in at.items()}
        problems = []
        if not value["name"]:
            problems.append("name is empty")
        elif len(value["name"]) > MAX_NAME:
            problems.append(f"name is longer than {MAX_NAME} characters")
        try:
            email = normalise_email(value["email"])
        except ValueError as exc:
            email = ""
            problems.append(str(exc))
        if email and email in seen:
            problems.append(f"{email} is also on line {seen[email]}")
        role = value["role"].strip().lower() or "user"
        role = ROLE_WORDS.get(role, role)
        if role not in ROLES:
            problems.append(f"role {value['role']!r} is not one of employee, approver, admin")
        start = None
        if value["start_date"]:
            try:
                start = date.fromisoformat(value["start_date"])
            except ValueError:
                problems.append(f"start_date {value['start_date'][:40]!r} is not YYYY-MM-DD")
            else:
                if not MIN_DATE <= start <= MAX_DATE:
                    problems.append(f"start_date must be between {MIN_DATE} and {MAX_DATE}")
        labels = None
        if "labels" in value:
            try:
                labels = clean_labels(v for v in value["labels"].split(";") if v.strip())
            except ValueError as exc:
                problems.append(f"labels: {exc}")
        if problems:
            report.errors.append({"line": line, "message": "; ".join(problems)})
            continue
        seen[email] = line
        rows.append(
            _Row(
                line,
                value["name"],
                email,
                value["location"],
                value["department"],
                role,
                start,
                labels,
            )
        )
    return rows


def _by_name_or_id(records: list[Location] | list[Department]) -> dict[str, str]:
    index: dict[str, str] = {}
    for found in records:
        if found.active:
            index[found.id] = found.id
            index.setdefault(found.name.strip().lower(), found.id)
    return index


async def import_employees(uow: UnitOfWork, actor: Actor, text: str) -> ImportReport:
    require_admin(actor)
    parsed = ImportReport()
    rows = _rows(text, parsed)

    async def work(repo: Repository) -> ImportReport:
        report = ImportReport(errors=list(parsed.errors))
        locations = _by_name_or_id(await repo.locations(actor.tenant_id))
        departments = _by_name_or_id(await repo.departments(actor.tenant_id))
        planned: list[tuple[Employee, bool, str | None]] = []
        for row in rows:
            problems = []
            location_id = locations.get(row.location.lower()) if row.location else None
            if row.location and location_id is None:
                problems.append(f"unknown location {row.location!r}")
            department_id = departments.get(row.department.lower()) if row.department else None
            if row.department and department_id is None:
                problems.append(f"unknown department {row.department!r}")
            if problems:
                report.errors.append({"line": row.line, "message": "; ".join(problems)})
                continue
            existing = await repo.employee_by_email(actor.tenant_id, row.email)
            employee = existing or Employee(
                id=new_id(), tenant_id=actor.tenant_id, name=row.name, email=row.email
            )
            was_in = employee.department_id
            employee.name, employee.role = row.name, row.role
            employee.location_id, employee.department_id = location_id, department_id
            employee.start_date = row.start_date
            if row.labels is not None:
                employee.labels = row.labels
            planned.append((employee, existing is None, was_in))
        admins = await repo.admin_ids(actor.tenant_id)
        for employee, _, _ in planned:
            (admins.add if employee.role == "admin" else admins.discard)(employee.id)
        if not admins:
            report.errors.append(
                {"line": 1, "message": "the file would leave the tenant without an admin"}
            )
        if report.errors:
            return report  # all or nothing: a file with one bad line changes nobody
        for employee, is_new, was_in in planned:
            await repo.save(employee)
            await record_by(repo, actor, integration.employee_upserted(employee))
            if not is_new and employee.department_id != was_in:
                await approvals.replan_pending_of(repo, employee)
            if is_new:
                report.created += 1
            else:
                report.updated += 1
        return report

    report = await uow.run(work)
    report.errors.sort(key=lambda e: int(str(e["line"])))
    return report
