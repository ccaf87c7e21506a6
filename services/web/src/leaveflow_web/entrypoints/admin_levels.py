"""A department's approval levels on the admin page: the levels form read back (with the
move/remove/add buttons applied), the API's refusals as sentences at the level they are
about, and the preview sentence of where a request goes (pure; admin.py does the I/O).

The preview selects levels as the requests service does (docs/api.md "Approval levels"):
the department's levels whose every condition holds - ``amount >= min_amount`` in the
type's unit, the type listed - in the department's order; none applies: the admins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import wording
from ..api import ApiError
from ..i18n import gettext as _
from ..problems import field_sentence
from .admin_forms import number

# The API takes at most this many levels (422 beyond).
MAX_LEVELS = 10

_OP = re.compile(r"^(up|down|remove)-(\d+)$")


@dataclass
class Levels:
    """The levels as typed: each ``{"approver_ids", "min_amount", "leave_type_ids"}``
    with the amount still text, so a refused form comes back as it was."""

    levels: list[dict[str, Any]] = field(default_factory=list)
    # Whether the button pressed changes what is saved (add only extends the form).
    save: bool = True

    def body(self) -> dict[str, Any]:
        out = []
        # A level left blank (nobody ticked, no condition) is no level: how the one empty
        # level offered to a department without levels stays unsaved.
        for level in filter(_filled, self.levels):
            rule: dict[str, Any] = {"approver_ids": level["approver_ids"]}
            if level["min_amount"]:
                rule["min_amount"] = number(level["min_amount"])
            if level["leave_type_ids"]:
                rule["leave_type_ids"] = level["leave_type_ids"]
            out.append(rule)
        return {"approval_levels": out}


EMPTY: dict[str, Any] = {"approver_ids": [], "min_amount": "", "leave_type_ids": []}


def _filled(level: Mapping[str, Any]) -> bool:
    return bool(level["approver_ids"] or level["min_amount"] or level["leave_type_ids"])


def _ids(form: Any, name: str) -> list[str]:
    return list(dict.fromkeys(str(v) for v in form.getlist(name) if str(v)))


def read_form(form: Any) -> Levels:
    """The levels form with its button applied: ``up-N``/``down-N`` swap level N with its
    neighbour, ``remove-N`` drops it, ``add`` appends an empty one (not saved: a level needs
    approvers first), anything else saves as typed."""
    count = str(form.get("levels", "0"))
    levels = [
        {
            "approver_ids": _ids(form, f"level-{i}-approver_ids"),
            "min_amount": str(form.get(f"level-{i}-min_amount", "")).strip(),
            "leave_type_ids": _ids(form, f"level-{i}-leave_type_ids"),
        }
        for i in range(min(int(count), MAX_LEVELS + 1) if count.isdigit() else 0)
    ]
    op = str(form.get("op", "save"))
    if op == "add":
        return Levels([*levels, dict(EMPTY)], save=False)
    if match := _OP.match(op):
        action, index = match[1], int(match[2])
        if index < len(levels):
            if action == "remove":
                levels.pop(index)
            else:
                other = index - 1 if action == "up" else index + 1
                if 0 <= other < len(levels):
                    levels[index], levels[other] = levels[other], levels[index]
    return Levels(levels)


def of_department(department: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A department's saved levels in the form's shape (the shorthand is one level)."""
    saved = department.get("approval_levels")
    if saved is None:
        saved = [{"approver_ids": department.get("approver_ids") or []}]
    return [
        {
            "approver_ids": list(level.get("approver_ids") or []),
            "min_amount": "" if level.get("min_amount") is None else str(level["min_amount"]),
            "leave_type_ids": list(level.get("leave_type_ids") or []),
        }
        for level in saved
        if level.get("approver_ids")
    ]


def level_errors(problem: ApiError) -> dict[str, str]:
    """The problem's sentences keyed ``levels`` (about the levels as a whole) or
    ``level-N`` (pydantic names the level: ``approval_levels.N.min_amount``)."""
    out: dict[str, str] = {}
    for error in problem.errors:
        where = str(error.get("field", "") or "")
        message = str(error.get("message", ""))
        if not where.startswith(("approval_levels", "approver_ids")):
            continue
        parts = where.split(".")
        key = f"level-{parts[1]}" if len(parts) > 1 and parts[1].isdigit() else "levels"
        out.setdefault(key, _level_sentence(parts[-1], message))
    return out


def _level_sentence(name: str, message: str) -> str:
    lowered = message.lower()
    if "needs an approver" in lowered or (name == "approver_ids" and "at least" in lowered):
        return _("Each level needs at least one approver: tick someone, or remove the level.")
    if "not an active approver" in lowered:
        return _(
            "Someone ticked no longer approves (they left, or lost the Approver role). "
            "Reload the page and tick someone else."
        )
    if "min_amount" in lowered or name == "min_amount":
        if "negative" in lowered or "greater than" in lowered:
            return _("The minimum amount must be 0 or more.")
        return field_sentence("amount", message)
    if "unknown leave type" in lowered:
        return _("A leave type ticked no longer exists. Reload the page and tick again.")
    if "first level" in lowered:
        return _("The first level's approvers changed meanwhile. Reload the page and retry.")
    if "at most" in lowered:
        return _("A department can have at most %(n)s levels.", n=MAX_LEVELS)
    return _("Check the approval levels.")


def amount_of(text: str) -> Decimal | None:
    try:
        found = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return found if found.is_finite() and found >= 0 else None


def applies(level: Mapping[str, Any], amount: Decimal, leave_type_id: str) -> bool:
    minimum = amount_of(str(level.get("min_amount") or ""))
    if minimum is not None and amount < minimum:
        return False
    types = level.get("leave_type_ids") or []
    return not types or leave_type_id in types


def default_case(
    levels: list[dict[str, Any]], leave_types: list[dict[str, Any]]
) -> tuple[str, Decimal]:
    """A case that shows the levels: the first type some level is limited to (else the
    first type), and the largest minimum amount (else one)."""
    listed = [t for level in levels for t in level.get("leave_type_ids") or []]
    known = [str(t["id"]) for t in leave_types]
    chosen = next((t for t in listed if t in known), known[0] if known else "")
    minimums = [amount_of(str(level.get("min_amount") or "")) for level in levels]
    amounts = [m for m in minimums if m is not None]
    return chosen, max(amounts) if amounts else Decimal(1)


def preview_sentence(
    department: Mapping[str, Any],
    levels: list[dict[str, Any]],
    leave_type: Mapping[str, Any] | None,
    amount: Decimal,
    people: Mapping[str, Mapping[str, Any]],
) -> str:
    """ "A 6-day Vacation request in Engineering goes: Level 1 (Ana) → Level 2 (Ben)"."""
    type_id = str((leave_type or {}).get("id", ""))
    type_name = str((leave_type or {}).get("name", "")) or _("leave")
    hours = (leave_type or {}).get("unit") == "hours"
    # "6-day" is an adjective in English (never plural): one sentence, not ngettext.
    what = (
        _(
            "A %(num)s-hour %(type)s request in %(department)s",
            num=wording.number(amount), type=type_name, department=department.get("name", ""),
        )
        if hours
        else _(
            "A %(num)s-day %(type)s request in %(department)s",
            num=wording.number(amount), type=type_name, department=department.get("name", ""),
        )
    )  # fmt: skip
    chosen = [level for level in levels if applies(level, amount, type_id)]
    if not chosen:
        return _("%(what)s goes to the admins: no level applies to it.", what=what)
    steps = [
        _(
            "Level %(n)s (%(names)s)",
            n=n,
            names=", ".join(
                str(people.get(a, {}).get("name") or _("someone no longer listed"))
                for a in level["approver_ids"]
            ),
        )
        for n, level in enumerate(chosen, 1)
    ]
    return _("%(what)s goes: %(steps)s", what=what, steps=" → ".join(steps))


def conditions(level: Mapping[str, Any], types_by_id: Mapping[str, Mapping[str, Any]]) -> str:
    """A level's conditions in words ("" when it applies to every request)."""
    said = []
    minimum = amount_of(str(level.get("min_amount") or ""))
    types = level.get("leave_type_ids") or []
    units = {str(types_by_id.get(t, {}).get("unit", "days")) for t in types}
    if minimum is not None and len(units) == 1:
        said.append(_("from %(amount)s", amount=wording.amount(minimum, units.pop())))
    elif minimum is not None:
        said.append(_("from %(n)s days or hours", n=wording.number(minimum)))
    if types:
        names = ", ".join(str(types_by_id.get(t, {}).get("name", t)) for t in types)
        said.append(_("only %(types)s", types=names))
    return "; ".join(said)


def preview_context(
    query: Mapping[str, str], directory: Mapping[str, Any], typed: Mapping[str, Any]
) -> dict[str, Any]:
    """Per department id: its levels (as typed when it is being edited) and its preview,
    for the case in ``query`` (``preview``, ``leave_type_id``, ``amount``) or the default."""
    leave_types = [t for t in directory.get("leave_types", []) if t.get("active", True)]
    types_by_id = {str(t["id"]): t for t in directory.get("leave_types", [])}
    out: dict[str, Any] = {}
    for department in directory.get("departments", []):
        dep_id = str(department["id"])
        levels = typed.get(dep_id)
        if levels is None:
            levels = of_department(department)
        levels = levels or [dict(EMPTY)]
        saved = [level for level in levels if level["approver_ids"]]
        type_id, amount = default_case(saved, leave_types)
        if query.get("preview") == dep_id:
            asked = amount_of(str(query.get("amount", "")))
            type_id = str(query.get("leave_type_id") or type_id)
            amount = asked if asked is not None else amount
        out[dep_id] = {
            "levels": levels,
            "conditions": [conditions(level, types_by_id) for level in levels],
            "case_type": type_id,
            "case_amount": wording.number(amount),
            "preview": preview_sentence(
                department, saved, types_by_id.get(type_id), amount, directory.get("people", {})
            ),
        }
    return out
