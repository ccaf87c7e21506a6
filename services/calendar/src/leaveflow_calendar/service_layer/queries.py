"""Who is off: read the projection, join names at read time so renames follow at once."""

from __future__ import annotations

from datetime import date
from typing import Any

from leaveflow_kit.documents import from_doc
from leaveflow_kit.storage import Store

from ..domain.absence import Absence, LeaveTypeReplica, PersonReplica
from .projection import ABSENCES, GONE, LEAVE_TYPES, PEOPLE


async def whos_off(
    store: Store,
    tenant_id: str,
    start: date,
    end: date,
    *,
    department_id: str | None = None,
    location_id: str | None = None,
    include_pending: bool = False,
) -> list[dict[str, Any]]:
    docs = await store.find(ABSENCES, {"tenant_id": tenant_id})
    absences = [from_doc(Absence, d) for d in docs if d["status"] != GONE]
    absences = [
        a for a in absences if a.within(start, end) and (include_pending or a.status == "approved")
    ]
    people = {
        d["id"]: from_doc(PersonReplica, d)
        for d in await store.find(PEOPLE, {"tenant_id": tenant_id})
    }
    types = {
        d["id"]: from_doc(LeaveTypeReplica, d)
        for d in await store.find(LEAVE_TYPES, {"tenant_id": tenant_id})
    }
    items = []
    for a in sorted(absences, key=lambda a: (a.start_date, a.employee_id)):
        person = people.get(a.employee_id)
        if department_id and (person is None or person.department_id != department_id):
            continue
        if location_id and (person is None or person.location_id != location_id):
            continue
        leave_type = types.get(a.leave_type_id)
        items.append(
            {
                "request_id": a.id,
                "employee_id": a.employee_id,
                "employee_name": person.name if person else None,
                "department_id": person.department_id if person else None,
                "location_id": person.location_id if person else None,
                "leave_type_id": a.leave_type_id,
                "leave_type_name": leave_type.name if leave_type else None,
                "start_date": a.start_date.isoformat(),
                "end_date": a.end_date.isoformat(),
                "start_part": a.start_part,
                "end_part": a.end_part,
                "status": a.status,
            }
        )
    return items
