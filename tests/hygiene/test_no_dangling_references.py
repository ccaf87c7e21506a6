"""Every document a file cites is one a reader of the repository can open.

The first code cited ``API.md``, ``ARCHITECTURE.md`` and ``STACK_NOTES.md``, and tests
cited "Rule 4" or "Rule 5" of a spec; none of them is in the repository. The rule, for
every text file of the sources, the tests, the docs and the root (not ``.venv``,
``node_modules`` or other generated directories):

- A file name ``API.md``, ``ARCHITECTURE.md`` or ``STACK_NOTES.md`` (with or without a
  directory in front) must name a file that exists, relative to the repository's root or to
  the citing file. The repository's own copies are ``docs/api.md`` and
  ``docs/architecture.md``.
- "Rule N" must come with a path in the repository on the same line (the document that
  states the rule, e.g. an ADR); better still, say the rule in words.

One test per part of the repository (each library, each service, the root tests, the
docs, the root files), so a failure names whose files still cite a missing document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {
    ".git",
    ".venv",
    ".tools",
    ".data",
    "node_modules",
    "test-artifacts",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
}
TEXT_SUFFIXES = {".py", ".md", ".toml", ".txt", ".sh", ".yml", ".yaml", ".cfg", ".ini", ".html"}
TEXT_NAMES = {"Makefile", "run", "Dockerfile"}

# Split so this file does not cite them itself.
_NAMES = "|".join(("API", "ARCHITECTURE", "STACK_" + "NOTES"))
CITED_DOC = re.compile(rf"(?<![\w.-])((?:[\w.-]+/)*(?:{_NAMES})\.md)\b")
RULE = re.compile(r"\bRule \d+\b")
PATH_TOKEN = re.compile(r"[\w.-]+(?:/[\w.*-]+)+")


def parts() -> list[str]:
    """The parts of the repository, each checked by its own test."""
    found = [
        str(p.relative_to(ROOT))
        for pattern in ("libs/*", "services/*")
        for p in sorted(ROOT.glob(pattern))
        if p.is_dir()
    ]
    return [*found, "tests", "docs", "deploy", "."]


def text_files(part: Path) -> Iterator[Path]:
    if part == ROOT:  # the root's own files; its directories are parts of their own
        yield from (p for p in sorted(ROOT.iterdir()) if p.is_file() and _is_text(p))
        yield from (p for p in sorted((ROOT / ".ci").glob("*")) if p.is_file())
        return
    for path in sorted(part.rglob("*")):
        rel = path.relative_to(ROOT)
        if path.is_file() and not SKIPPED_DIRS.intersection(rel.parts) and _is_text(path):
            yield path


def _is_text(path: Path) -> bool:
    return path.suffix in TEXT_SUFFIXES or path.name in TEXT_NAMES


def _exists(cited: str, citing: Path) -> bool:
    # A glob like docs/adr/0003-*.md counts when it matches a file.
    return any(
        any(base.glob(cited)) if "*" in cited else (base / cited).is_file()
        for base in (ROOT, citing.parent)
    )


def dangling(path: Path, text: str) -> list[str]:
    """The lines of one file that cite a document the repository does not have."""
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        missing = [c for c in CITED_DOC.findall(line) if not _exists(c, path)]
        if missing:
            found.append(f"{where}:{number}: cites {', '.join(missing)}: {line.strip()}")
        if RULE.search(line) and not any(
            _exists(token.rstrip("."), path) for token in PATH_TOKEN.findall(line)
        ):
            found.append(f"{where}:{number}: a Rule without its document: {line.strip()}")
    return found


def test_a_bare_or_missing_document_is_caught(tmp_path: Path) -> None:
    citing = ROOT / "libs" / "example.py"
    doc = "API" + ".md"
    assert dangling(citing, f'"""Paging as {doc} fixes it."""')
    assert dangling(citing, f"see docs/{doc}")
    assert dangling(citing, f"# {'Rule'} 4 of the spec")
    assert dangling(citing, f"# {'Rule'} 4: see docs/nowhere.md")


def test_documents_in_the_repository_are_fine() -> None:
    citing = ROOT / "libs" / "example.py"
    assert not dangling(citing, "the contract (docs/api.md), the shape (docs/architecture.md)")
    assert not dangling(citing, f"{'Rule'} 4 of docs/adr/0005-reprice-on-holiday-changes.md.")
    assert not dangling(citing, "re-priced as docs/adr/0005-*.md decides")
    assert not dangling(citing, "the rule: newest occurred_at wins")


@pytest.mark.parametrize("part", parts())
def test_no_file_cites_a_document_that_is_not_in_the_repository(part: str) -> None:
    me = Path(__file__).resolve()
    found = [
        line
        for path in text_files((ROOT / part).resolve())
        if path != me
        for line in dangling(path, path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert not found, "cite a document in the repository, or say it in words:\n" + "\n".join(found)
