"""Employee labels (issue 17): what is kept of the labels given."""

from __future__ import annotations

import pytest

from leaveflow_requests.domain.directory import clean_labels


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ([], []),
        (["senior"], ["senior"]),
        ([" senior ", "nights"], ["senior", "nights"]),
        # Trimmed first, so these are one label; the first one's place is kept.
        (["senior", "nights", " senior"], ["senior", "nights"]),
        # Compared exactly, as a policy's label_extra names them.
        (["Senior", "senior"], ["Senior", "senior"]),
        (["x" * 40], ["x" * 40]),
        ([f"l{i}" for i in range(20)], [f"l{i}" for i in range(20)]),
        # Twenty-one given, twenty distinct.
        ([*(f"l{i}" for i in range(20)), "l0"], [f"l{i}" for i in range(20)]),
    ],
)
def test_labels_kept(given: list[str], kept: list[str]) -> None:
    assert clean_labels(given) == kept


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ([""], "a label is empty"),
        (["senior", "   "], "a label is empty"),
        (["x" * 41], "longer than 40 characters"),
        ([f"l{i}" for i in range(21)], "at most 20 labels"),
    ],
)
def test_labels_refused(given: list[str], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        clean_labels(given)
