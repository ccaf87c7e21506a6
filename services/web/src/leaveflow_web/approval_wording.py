"""A request's approval levels (docs/api.md "Approval levels") in words, and where the
person looking stands in them (pure).

The requests service decides who may decide; these functions only choose which group a
pending request is shown in and which buttons it gets: the current level's approvers,
their substitutes while a substitution holds, and admins decide the current level.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .i18n import gettext as _
from .wording import date_range, day, moment

Person = Mapping[str, Mapping[str, Any]]

MINE, SUBSTITUTE, LATER, ELSEWHERE = "mine", "substitute", "later", "elsewhere"


def levels_of(request: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    approval = request.get("approval") or {}
    return list(approval.get("levels") or [])


def current_of(request: Mapping[str, Any]) -> Mapping[str, Any] | None:
    approval = request.get("approval") or {}
    number = approval.get("current_level")
    levels = levels_of(request)
    if not isinstance(number, int) or not 1 <= number <= len(levels):
        return None
    return levels[number - 1]


def holding_for(
    substitutions: Sequence[Mapping[str, Any]], me: str, today: date
) -> dict[str, Mapping[str, Any]]:
    """The substitutions naming me as the substitute that hold today, by approver."""
    found: dict[str, Mapping[str, Any]] = {}
    for s in substitutions:
        start, end = str(s.get("start_date", "")), str(s.get("end_date", ""))
        if s.get("substitute_id") == me and start <= today.isoformat() <= end:
            found.setdefault(str(s["approver_id"]), s)
    return found


@dataclass(frozen=True)
class Position:
    """Where I stand on a pending request: I decide its current level (``mine``), decide
    it for ``approver_id`` as their substitute, decide a later level, or nothing."""

    kind: str
    approver_id: str = ""


def position(
    request: Mapping[str, Any],
    me: str,
    is_admin: bool,
    holding: Mapping[str, Mapping[str, Any]],
) -> Position:
    current = current_of(request)
    if current is None:
        # No levels known (a request reserved before levels existed): the department's
        # approvers decide, and the list only holds my departments' requests.
        return Position(MINE)
    deciders = [str(a) for a in current.get("approver_ids") or []]
    if me in deciders or is_admin:
        return Position(MINE)
    for approver in deciders:
        if approver in holding:
            return Position(SUBSTITUTE, approver)
    later = [lv for lv in levels_of(request) if lv.get("status") == "waiting"]
    if any(me in (lv.get("approver_ids") or []) for lv in later):
        return Position(LATER)
    return Position(ELSEWHERE)


def names(ids: list[Any], people: Person) -> str:
    known = [str(people.get(str(i), {}).get("name") or _("someone no longer listed")) for i in ids]
    if len(known) <= 1:
        return "".join(known)
    return _("%(first)s and %(last)s", first=", ".join(known[:-1]), last=known[-1])


def level_of_levels(request: Mapping[str, Any]) -> str:
    """ "Level 2 of 2" for the current level ("" when none is waiting, or for a single
    level: there is nothing to tell apart)."""
    current = current_of(request)
    if current is None or len(levels_of(request)) < 2:
        return ""
    return _("Level %(n)s of %(total)s", n=current.get("level"), total=len(levels_of(request)))


def _when(value: Any) -> str:
    try:
        return moment(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return ""


def _by(level: Mapping[str, Any], people: Person) -> str:
    who = str(level.get("decided_by") or "")
    if who == "system":
        return _("Leaveflow (automatically)")
    return names([who], people)


def decided_levels(request: Mapping[str, Any], people: Person) -> list[str]:
    """One sentence per level already decided, in order, with its note."""
    out = []
    for level in levels_of(request):
        status = level.get("status")
        if status not in ("approved", "denied"):
            continue
        values = {
            "n": level.get("level"),
            "who": _by(level, people),
            "when": _when(level.get("decided_at")),
        }
        said = (
            _("Level %(n)s approved by %(who)s on %(when)s", **values)
            if status == "approved"
            else _("Level %(n)s denied by %(who)s on %(when)s", **values)
        )
        note = str(level.get("note") or "")
        out.append(_("%(said)s: “%(note)s”", said=said, note=note) if note else said + ".")
    return out


def levels_to_come(request: Mapping[str, Any], people: Person) -> list[str]:
    return [
        _(
            "Then level %(n)s: %(who)s",
            n=level.get("level"),
            who=names(level.get("approver_ids") or [], people),
        )
        for level in levels_of(request)
        if level.get("status") == "waiting"
    ]


def substitute_heading(approver: str, substitution: Mapping[str, Any], people: Person) -> str:
    """ "For Ana, while you substitute until 14 Dec"."""
    try:
        until = day(date.fromisoformat(str(substitution.get("end_date"))), year=False)
    except ValueError:
        until = str(substitution.get("end_date", ""))
    return _(
        "For %(name)s, while you substitute until %(until)s",
        name=names([approver], people),
        until=until,
    )


def standing(request: Mapping[str, Any], people: Person) -> str:
    """Where one of my requests stands, by level ("" for a single level: "Waiting for
    approval" and "Approved" say it all then)."""
    levels = levels_of(request)
    status = request.get("status")
    if len(levels) < 2:
        return ""
    current = current_of(request)
    if status == "pending" and current is not None:
        return _(
            "Waiting for level %(n)s of %(total)s: %(who)s",
            n=current.get("level"),
            total=len(levels),
            who=names(current.get("approver_ids") or [], people),
        )
    if status == "approved":
        deciders = [lv.get("decided_by") for lv in levels if lv.get("status") == "approved"]
        if "system" in deciders:
            return _("Approved automatically by Leaveflow")
        return _("Approved by %(who)s", who=names(list(dict.fromkeys(deciders)), people))
    if status == "denied":
        for level in levels:
            if level.get("status") == "denied":
                values = {"n": level.get("level"), "who": _by(level, people)}
                note = str(level.get("note") or "")
                if note:
                    return _("Denied at level %(n)s by %(who)s: %(note)s", note=note, **values)
                return _("Denied at level %(n)s by %(who)s", **values)
    return ""


_BLACKOUT = re.compile(
    r"^(?P<name>.+) \((?P<start>\d{4}-\d\d-\d\d)(?: to (?P<end>\d{4}-\d\d-\d\d))?\) "
    r"is a blackout period\.?$"
)
_COVERAGE = re.compile(
    r"^(?P<department>.+) would have (?P<count>\d+) people off on (?P<day>\d{4}-\d\d-\d\d) "
    r"\(max_off is (?P<max>\d+)\)\.?$"
)


def warning_sentence(text: str) -> str:
    """A request's warning (the requests service writes them for developers: a blackout in
    warn mode, a coverage limit passed over) as a sentence for the approver."""
    if found := _BLACKOUT.match(text.strip()):
        return _(
            "%(name)s (%(days)s) is a blackout period: the company asks for no leave then.",
            name=found["name"],
            days=date_range(found["start"], found["end"] or found["start"]),
        )
    if found := _COVERAGE.match(text.strip()):
        return _(
            "%(department)s would have %(count)s people off on %(day)s; it allows %(max)s.",
            department=found["department"],
            count=found["count"],
            day=day(date.fromisoformat(found["day"])),
            max=found["max"],
        )
    return _("This request passes over a rule the company only warns about.")
