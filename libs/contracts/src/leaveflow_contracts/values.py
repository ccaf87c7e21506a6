"""Shared value types of the wire: amounts, parts, roles, statuses."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

AMOUNT_QUANTUM = Decimal("0.01")


def quantize_amount(value: object) -> Decimal:
    """Amounts are exact decimals with two places; floats are read via their repr."""
    if isinstance(value, float):
        value = repr(value)
    return Decimal(str(value)).quantize(AMOUNT_QUANTUM, rounding=ROUND_HALF_UP)


# On the wire an amount is a string ("1.50") so no consumer ever sees a binary float.
Amount = Annotated[
    Decimal,
    BeforeValidator(quantize_amount),
    PlainSerializer(lambda d: str(d), return_type=str, when_used="json"),
]


class Role(StrEnum):
    ADMIN = "admin"
    APPROVER = "approver"
    USER = "user"


class DayPart(StrEnum):
    FULL = "full"
    AM = "am"
    PM = "pm"


class LeaveUnit(StrEnum):
    DAYS = "days"
    HOURS = "hours"


class LeaveStatus(StrEnum):
    SUBMITTED = "submitted"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    DENIED = "denied"
    CANCELLED = "cancelled"
