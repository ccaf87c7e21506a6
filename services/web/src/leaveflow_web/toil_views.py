"""Time off in lieu in words (pure): which types can be claimed, where a claim stands per
approval level, and who decides it now."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
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


def i_decide(
    claim: Mapping[str, Any],
    employee_id: str,
    *,
    admin: bool,
    standing_in_for: frozenset[str] = frozenset(),
) -> bool:
    """A pending claim of someone else whose current level the person decides: as one of
    its approvers, or as the substitute of one (``standing_in_for``, today); admins decide
    any level; nobody decides their own claim."""
    if claim.get("status") != "pending" or claim.get("employee_id") == employee_id:
        return False
    if admin:
        return True
    return bool(({employee_id} | standing_in_for) & set(deciders_now(claim)))


def deciders_now(claim: Mapping[str, Any]) -> list[str]:
    """The approvers of the claim's current level."""
    current = current_level(claim)
    levels = (claim.get("approval") or {}).get("levels") or []
    level = next((lv for lv in levels if lv.get("level") == current), None)
    return list(level.get("approver_ids") or []) if level else []


def standing_in_for(
    substitutions: list[Mapping[str, Any]], employee_id: str, today: date
) -> dict[str, date]:
    """The approvers the person substitutes for today, with the last day of each."""
    out: dict[str, date] = {}
    for s in substitutions:
        first, last = iso_date(s.get("start_date")), iso_date(s.get("end_date"))
        holds = first is not None and last is not None and first <= today <= last
        if s.get("substitute_id") == employee_id and holds and last is not None:
            out[str(s.get("approver_id"))] = last
    return out


def substitute_line(
    claim: Mapping[str, Any],
    employee_id: str,
    held: Mapping[str, date],
    people: Mapping[str, Mapping[str, Any]],
) -> str:
    """ "For Ana, while you substitute until 14 Dec" when the person decides the claim
    only as a substitute ("" otherwise)."""
    deciders = deciders_now(claim)
    if employee_id in deciders:
        return ""
    for approver in deciders:
        if approver in held:
            return _(
                "For %(name)s, while you substitute until %(day)s",
                name=_names([approver], people),
                day=day(held[approver], year=False),
            )
    return ""


def claim_words(claim: Mapping[str, Any]) -> tuple[str, str]:
    """(the amount in its unit, the day worked) as people read them."""
    worked = iso_date(claim.get("date"))
    return (
        amount(claim.get("amount"), str(claim.get("unit") or "hours")),
        day(worked) if worked else str(claim.get("date", "")),
    )
