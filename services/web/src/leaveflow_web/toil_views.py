"""Time off in lieu in words (pure): which types can be claimed, where a claim stands per
approval level, and who decides it now."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .i18n import gettext as _
from .wording import amount, day, iso_date


def toil_type_ids(policies: list[Mapping[str, Any]], location_id: str | None) -> set[str]:
    """The leave types with a time-off-in-lieu policy at the location."""
    if not location_id:
        return set()
    return {
        str(p.get("leave_type_id"))
        for p in policies
        if p.get("location_id") == location_id and isinstance(p.get("toil"), dict)
    }


def _names(ids: list[str], people: Mapping[str, Mapping[str, Any]]) -> str:
    named = [str(people.get(i, {}).get("name") or "") for i in ids]
    known = list(dict.fromkeys(n for n in named if n))
    if not known:
        return _("the admins")
    if len(known) == 1:
        return known[0]
    return _("%(some)s and %(last)s", some=", ".join(known[:-1]), last=known[-1])


def standing(claim: Mapping[str, Any], people: Mapping[str, Mapping[str, Any]]) -> str:
    """Where a claim stands: "Waiting for level 2 of 2: Ben", "Approved by Ana and Ben",
    "Denied at level 2 by Ben: “too late”", "Cancelled"."""
    status = str(claim.get("status", ""))
    approval = claim.get("approval") or {}
    levels = list(approval.get("levels") or [])
    if status == "pending":
        current = approval.get("current_level")
        level = next((lv for lv in levels if lv.get("level") == current), None)
        if level is None:
            return _("Waiting for approval")
        return _(
            "Waiting for level %(level)s of %(count)s: %(who)s",
            level=current,
            count=len(levels),
            who=_names(list(level.get("approver_ids") or []), people),
        )
    if status == "approved":
        deciders = [str(lv.get("decided_by")) for lv in levels if lv.get("status") == "approved"]
        if not deciders:
            return _("Approved")
        return _("Approved by %(who)s", who=_names(deciders, people))
    if status == "denied":
        level = next((lv for lv in levels if lv.get("status") == "denied"), None)
        if level is None:
            return _("Denied")
        who = _names([str(level.get("decided_by"))], people)
        note = str(level.get("note") or "")
        if note:
            return _("Denied at level %(level)s by %(who)s: “%(note)s”",
                     level=level.get("level"), who=who, note=note)  # fmt: skip
        return _("Denied at level %(level)s by %(who)s", level=level.get("level"), who=who)
    if status == "cancelled":
        return _("Cancelled")
    return status.capitalize()


def current_level(claim: Mapping[str, Any]) -> int | None:
    level = (claim.get("approval") or {}).get("current_level")
    return level if isinstance(level, int) else None


def i_decide(claim: Mapping[str, Any], employee_id: str, *, admin: bool) -> bool:
    """A pending claim of someone else whose current level the person decides (admins
    decide any level; nobody decides their own claim)."""
    if claim.get("status") != "pending" or claim.get("employee_id") == employee_id:
        return False
    if admin:
        return True
    current = current_level(claim)
    levels = (claim.get("approval") or {}).get("levels") or []
    level = next((lv for lv in levels if lv.get("level") == current), None)
    return level is not None and employee_id in (level.get("approver_ids") or [])


def claim_words(claim: Mapping[str, Any]) -> tuple[str, str]:
    """(the amount in its unit, the day worked) as people read them."""
    worked = iso_date(claim.get("date"))
    return (
        amount(claim.get("amount"), str(claim.get("unit") or "hours")),
        day(worked) if worked else str(claim.get("date", "")),
    )
