"""Substitutes: someone who decides for an approver between two dates (inclusive, in the
approver's location's dates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .errors import InvalidRequest


@dataclass
class Substitution:
    id: str
    tenant_id: str
    approver_id: str
    substitute_id: str
    start_date: date
    end_date: date
    created_by: str
    created_at: datetime

    def __post_init__(self) -> None:
        if self.end_date < self.start_date:
            raise InvalidRequest("end_date is before start_date", field="end_date")
        if self.substitute_id == self.approver_id:
            raise InvalidRequest(
                "an approver cannot substitute for themselves", field="substitute_id"
            )

    def holds_on(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date
