"""Turning admin form fields into the JSON bodies docs/api.md describes (pure)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .admin_choices import subdivisions

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


def workweek(form: Any) -> list[int]:
    return sorted(int(day) for day in form.getlist("workweek") if str(day).isdigit())


def location_values(form: Any, fields: dict[str, str]) -> dict[str, str]:
    """What was typed, with the ticked work week kept as "1,2,3" to tick again."""
    return {**fields, "workweek": ",".join(str(d) for d in workweek(form))}


def location_body(
    form: Any, fields: dict[str, str], *, clear_holidays: bool = False
) -> dict[str, Any]:
    """A location to create, or (``clear_holidays``) to replace: no country then means
    no public holidays, not "keep the old ones"."""
    body: dict[str, Any] = {
        "name": fields["name"],
        "timezone": fields["timezone"] or "UTC",
        "workweek": workweek(form),
    }
    if fields["country"]:
        body["holidays"] = {"country": fields["country"].upper()}
        if fields["subdivision"]:
            body["holidays"]["subdivision"] = region_code(fields["country"], fields["subdivision"])
    elif clear_holidays:
        body["holidays"] = None
    return body


def region_code(country: str, region: str) -> str:
    """Region codes as ``holidays`` spells them: "BY", but also "Augsburg"; a typed "by"
    is the code "BY"."""
    known = {code for code, _ in subdivisions(country)}
    return region if region in known else region.upper()


def department_body(form: Any, fields: dict[str, str]) -> dict[str, Any]:
    approvers = [str(a) for a in form.getlist("approver_ids") if str(a)]
    return {"name": fields["name"], "approver_ids": list(dict.fromkeys(approvers))}


def leave_type_changes(form: Any, fields: dict[str, str]) -> dict[str, Any]:
    """A leave type's editable fields (its unit is fixed once created). ``private``: the
    calendar shows it as "Away" to everyone but the person, their approvers and admins."""
    body: dict[str, Any] = {
        "name": fields["name"],
        "requires_approval": checked(form, "requires_approval"),
        "allow_half_days": checked(form, "allow_half_days"),
        "private": checked(form, "private"),
    }
    if fields["color"]:
        body["color"] = fields["color"]
    return body


def leave_type_body(form: Any, fields: dict[str, str]) -> dict[str, Any]:
    return {"unit": fields["unit"] or "days", **leave_type_changes(form, fields)}


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


def policy_values(policy: dict[str, Any]) -> dict[str, str]:
    """A saved policy as the form's fields, to change it."""
    values = {
        name: "" if policy.get(name) is None else _plain(policy[name])
        for name in (
            "annual_allowance", "accrual", "carryover_max", "carryover_expiry_months",
            "negative_allowance",
        )
    }  # fmt: skip
    values.update({k: "on" for k in ("prorate_first_year", "unlimited") if policy.get(k)})
    return values


def _plain(value: Any) -> str:
    """25 not 25.0, 2.5 as 2.5: numbers as the form shows them."""
    text = str(value)
    try:
        parsed = Decimal(text)
    except InvalidOperation:
        return text
    return f"{parsed.normalize():f}" if parsed.is_finite() else text


def employee_body(fields: dict[str, str]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v}


def employee_changes(fields: dict[str, str]) -> dict[str, Any]:
    """The edit form as a PATCH: an emptied location, department or date is cleared."""
    body: dict[str, Any] = {k: fields[k] for k in ("name", "email", "role") if fields.get(k)}
    for name in ("location_id", "department_id", "start_date", "end_date"):
        body[name] = fields.get(name) or None
    return body


def given_fields(fields: dict[str, str], numeric: tuple[str, ...] = ()) -> dict[str, Any]:
    """An integration body: empty fields left out (a secret is never shown, so an empty
    input means "not given", not "erase")."""
    return {k: number(v) if k in numeric else v for k, v in fields.items() if v}
