"""What a leave request and a TOIL claim share: a decision taken level by level.

Both are pending while their `approval` (domain/approval.py) has a level left to decide;
approving the last level, or denying any, ends it. The aggregate says which moves its own
states allow (`_move`) and how it names itself when refused (`_require_pending`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .approval import Approval

PENDING, APPROVED, DENIED = "pending", "approved", "denied"


class LevelledDecision:
    status: str
    history: list[dict[str, Any]]
    approval: Approval | None

    def _move(self, to: str, at: datetime, by: str | None, note: str | None = None) -> None:
        """Each aggregate's own transitions (overridden by both)."""

    def _require_pending(self, action: str) -> None:
        """Each aggregate's own refusal wording (overridden by both)."""

    @property
    def current_level(self) -> int | None:
        return self.approval.current_level if self.approval else None

    def approve(self, by: str, at: datetime, note: str | None = None) -> bool:
        """Approve the current level; True when it is now approved, False when a later
        level decides next (it stays pending, and the history says which level moved)."""
        self._require_pending("approve")
        level = self.current_level
        if self.approval is not None and not self.approval.approve(by, at, note):
            self.history.append(
                {
                    "from": PENDING,
                    "to": PENDING,
                    "at": at.isoformat(),
                    "by": by,
                    "note": note,
                    "level": level,
                }
            )
            return False
        self._move(APPROVED, at, by, note)
        return True

    def deny(self, by: str, at: datetime, note: str | None = None) -> None:
        """Deny at the current level: the later levels are skipped."""
        self._require_pending("deny")
        if self.approval is not None:
            self.approval.deny(by, at, note)
        self._move(DENIED, at, by, note)
