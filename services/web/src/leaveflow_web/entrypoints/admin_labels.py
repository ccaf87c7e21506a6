"""Employee labels ("senior", "nights"): typed as a comma list on the employee forms, sent
as the list docs/api.md describes; a policy's label extras grant days by them."""

from __future__ import annotations

import re
from typing import Any

_SEPARATORS = re.compile(r"[,;]")


def labels_of(text: str) -> list[str]:
    """The labels typed, trimmed, each once, in the order typed (commas or semicolons)."""
    found = (part.strip() for part in _SEPARATORS.split(text))
    return list(dict.fromkeys(label for label in found if label))


def labels_text(labels: Any) -> str:
    """Saved labels as the field shows them: "senior, nights"."""
    return ", ".join(str(label) for label in labels or [])


def with_labels(body: dict[str, Any], text: str, *, clearing: bool) -> dict[str, Any]:
    """The body with the labels typed; an emptied field clears them on an edit
    (``clearing``) and sends nothing on a new employee."""
    labels = labels_of(text)
    if labels or clearing:
        return {**body, "labels": labels}
    return body
