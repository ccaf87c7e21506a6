"""Approval levels: which of a department's levels a request goes through, the state of
each level while it is decided, and who may decide the current one.

A department configures ordered `LevelRule`s. When a request becomes pending its
`Approval` is fixed from the rules that apply to it (`plan_approval`): only those levels
are listed, numbered 1..n in the department's order, the first `pending`, the others
`waiting`. A later change of the department does not move a request in flight, except that
`deciders_of` is computed against the department's approvers of now (a removed approver
can no longer decide).

Statuses of a level: waiting -> pending -> approved | denied; a deny leaves the levels after
it `skipped`; a cancel leaves every level as it is.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .errors import InvalidTransition

WAITING, LEVEL_PENDING, LEVEL_APPROVED, LEVEL_DENIED, SKIPPED = (
    "waiting",
    "pending",
    "approved",
    "denied",
    "skipped",
)
# The actor of automatic decisions (a scheduler's auto_approve / auto_deny).
SYSTEM = "system"


@dataclass
class LevelRule:
    """One configured level of a department: it applies to a request when every condition
    it has holds (`amount >= min_amount` in the type's unit; the type is listed). A level
    without conditions always applies."""

    approver_ids: list[str]
    min_amount: Decimal | None = None
    leave_type_ids: list[str] | None = None

    def applies(self, amount: Decimal, leave_type_id: str) -> bool:
        if self.min_amount is not None and amount < self.min_amount:
            return False
        return self.leave_type_ids is None or leave_type_id in self.leave_type_ids


@dataclass
class LevelState:
    level: int
    approver_ids: list[str]
    status: str = WAITING
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None


def _without(people: Iterable[str], who: str) -> list[str]:
    return [p for p in dict.fromkeys(people) if p != who]


def level_approvers(
    approver_ids: Iterable[str], requester_id: str, admin_ids: Iterable[str]
) -> list[str]:
    """A level's approvers for a request: never the requester; a level left with nobody
    falls to the admins other than the requester (the requester only when they are the
    company's sole admin, so that someone can still decide)."""
    others = _without(approver_ids, requester_id)
    if others:
        return others
    admins = sorted(set(admin_ids))
    return _without(admins, requester_id) or admins


@dataclass
class Approval:
    """Where a request's approval stands; `current_level` is None once it is decided."""

    levels: list[LevelState] = field(default_factory=list)
    current_level: int | None = None

    @property
    def current(self) -> LevelState | None:
        if self.current_level is None:
            return None
        return self.levels[self.current_level - 1]

    def _require_current(self) -> LevelState:
        level = self.current
        if level is None:
            raise InvalidTransition("no level of this request is waiting for a decision")
        return level

    def approve(self, by: str, at: datetime, note: str | None = None) -> bool:
        """Approve the current level; True when it was the last (the request is approved),
        else the next level is now pending."""
        level = self._require_current()
        level.status, level.decided_by, level.decided_at, level.note = (
            LEVEL_APPROVED,
            by,
            at,
            note,
        )
        if level.level == len(self.levels):
            self.current_level = None
            return True
        self.current_level = level.level + 1
        self.levels[level.level].status = LEVEL_PENDING
        return False

    def deny(self, by: str, at: datetime, note: str | None = None) -> None:
        """Deny at the current level: the request is denied, the levels after it skipped."""
        level = self._require_current()
        level.status, level.decided_by, level.decided_at, level.note = (
            LEVEL_DENIED,
            by,
            at,
            note,
        )
        for later in self.levels[level.level :]:
            later.status = SKIPPED
        self.current_level = None

    def restart(self) -> None:
        """An edit of a pending request: every level is decided again, from level 1."""
        for level in self.levels:
            level.status, level.decided_by, level.decided_at, level.note = (
                WAITING,
                None,
                None,
                None,
            )
        if self.levels:
            self.levels[0].status = LEVEL_PENDING
            self.current_level = 1


def plan_approval(
    rules: Sequence[LevelRule],
    *,
    amount: Decimal,
    leave_type_id: str,
    requester_id: str,
    admin_ids: Collection[str],
) -> Approval:
    """The levels a request goes through, fixed when it becomes pending. No applicable
    level: one level decided by the admins."""
    applicable = [r for r in rules if r.applies(amount, leave_type_id)] or [LevelRule([])]
    levels = [
        LevelState(
            level=number,
            approver_ids=level_approvers(rule.approver_ids, requester_id, admin_ids),
            status=LEVEL_PENDING if number == 1 else WAITING,
        )
        for number, rule in enumerate(applicable, start=1)
    ]
    return Approval(levels=levels, current_level=1)


@dataclass(frozen=True)
class DecidersContext:
    """Today's directory, as far as who decides a level depends on it.

    `department_approvers`: everyone who approves for the requester's department now (any
    level); `substitutes`: for each approver, the people substituting for them today;
    `away`: approvers with `when_on_leave` who have approved leave today."""

    requester_id: str
    admin_ids: frozenset[str]
    department_approvers: frozenset[str]
    substitutes: dict[str, list[str]] = field(default_factory=dict)
    away: frozenset[str] = frozenset()


def deciders_of(level: LevelState, ctx: DecidersContext) -> list[str]:
    """Who may decide `level` now and is to be told: its approvers who still approve for
    the department (or are admins), their substitutes holding today, and for an approver
    away on leave (`when_on_leave`) the department's other approvers, else the admins. A
    level left with nobody falls to the admins; never the requester, unless they are the
    sole admin."""
    still = [a for a in level.approver_ids if a in ctx.department_approvers or a in ctx.admin_ids]
    found: list[str] = []
    for approver in still:
        if approver in ctx.away:
            stand_ins = sorted(ctx.department_approvers - ctx.away - {approver})
            found.extend(stand_ins or sorted(ctx.admin_ids - ctx.away - {approver}))
        else:
            found.append(approver)
        found.extend(ctx.substitutes.get(approver, []))
    deciders = _without(found, ctx.requester_id)
    if deciders:
        return deciders
    admins = sorted(ctx.admin_ids)
    return _without(admins, ctx.requester_id) or admins


def may_decide(level: LevelState, ctx: DecidersContext, who: str) -> bool:
    """Whether `who` may decide `level` now: one of its deciders, or one of its approvers
    who still approves for the department while away (they are not asked, but may)."""
    if who in deciders_of(level, ctx):
        return True
    return (
        who != ctx.requester_id
        and who in level.approver_ids
        and (who in ctx.department_approvers or who in ctx.admin_ids)
    )
