"""Turning admin form fields into the JSON bodies docs/api.md describes (pure)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

WEEKDAYS = (
    (1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun"),
)  # fmt: skip


def number(value: str) -> Any:
    """A JSON number when the text is one; else the text, so the API's 422 names the field."""
    try:
        parsed = Decimal(value)
    except InvalidOperation:
        return value
    if not parsed.is_finite():
        return value
    return int(parsed) if parsed == parsed.to_integral_value() else float(parsed)


def checked(form: Any, name: str) -> bool:
    return form.get(name) in ("on", "true", "1")


def location_body(form: Any, fields: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": fields["name"],
        "timezone": fields["timezone"] or "UTC",
        "workweek": sorted(int(day) for day in form.getlist("workweek") if str(day).isdigit()),
    }
    if fields["country"]:
        body["holidays"] = {"country": fields["country"].upper()}
        if fields["subdivision"]:
            body["holidays"]["subdivision"] = fields["subdivision"].upper()
    return body


def leave_type_body(form: Any, fields: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": fields["name"],
        "unit": fields["unit"] or "days",
        "requires_approval": checked(form, "requires_approval"),
        "allow_half_days": checked(form, "allow_half_days"),
    }
    if fields["color"]:
        body["color"] = fields["color"]
    return body


def policy_body(form: Any, fields: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "annual_allowance": number(fields["annual_allowance"] or "0"),
        "accrual": fields["accrual"] or "upfront",
        "prorate_first_year": checked(form, "prorate_first_year"),
        "unlimited": checked(form, "unlimited"),
    }
    for name in ("carryover_max", "carryover_expiry_months", "negative_allowance"):
        if fields[name]:
            body[name] = number(fields[name])
    return body


def employee_body(fields: dict[str, str]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v}


def given_fields(fields: dict[str, str], numeric: tuple[str, ...] = ()) -> dict[str, Any]:
    """An integration body: empty fields left out (a secret is never shown, so an empty
    input means "not given", not "erase")."""
    return {k: number(v) if k in numeric else v for k, v in fields.items() if v}
