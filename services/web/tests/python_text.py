"""Sentences for people in the web's Python that do not go through the catalog.

An AST scan: a string constant or f-string "reads as words" when it holds a space and a
lowercase word of three letters or more. It is not a finding when it sits inside a
gettext call (``_``, ``gettext``, ``ngettext``, ``N_``), is a docstring or a bare
expression, is a log message, an assertion, an exception for developers (any ``raise``
but of the exceptions whose text people read, ``PERSON_FACING``), a problem built for
code (``ApiError(...)``, mirroring the services' machine text), an operand of a
comparison, ``in`` test or ``startswith``/``re.search`` (text matched against what an API
answered), or technical
(markup, URLs, headers, regular expressions, snake_case names).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

GETTEXT = frozenset({"_", "gettext", "ngettext", "N_", "raw_gettext", "raw_ngettext"})
LOG_METHODS = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log"})
# Exceptions whose message the sign-in and passkey pages show to the person.
PERSON_FACING = frozenset({"SignInRefused", "CeremonyRefused", "SessionRefused"})
# Built for code: the services' problem titles and details, matched by problems.py.
MACHINE_CALLS = frozenset({"ApiError"})
# Text matched against what an API answered, like a comparison's operand.
MATCHING = frozenset({"startswith", "endswith", "search", "match", "fullmatch", "find"})
WORD = re.compile(r"(?<![\w%])[a-z]{3,}(?!\w)")
TECHNICAL = re.compile(r"[<;=\\]|://|\(\?|\b[a-z]+_[a-z_]+\b")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _text(node: ast.Constant | ast.JoinedStr) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    return "".join(str(v.value) if isinstance(v, ast.Constant) else "{…}" for v in node.values)


def _reads_as_words(text: str) -> bool:
    return " " in text.strip() and bool(WORD.search(text)) and not TECHNICAL.search(text)


def _raised(node: ast.Raise) -> str:
    exc = node.exc
    return _name(exc.func) if isinstance(exc, ast.Call) else ""


def _exempt(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """Whether a string's place makes it not a sentence for people (see the module doc)."""
    child = node
    while child in parents:
        parent = parents[child]
        if isinstance(parent, (ast.Expr, ast.Assert, ast.Compare)):
            return True
        if isinstance(parent, ast.Raise):
            return _raised(parent) not in PERSON_FACING
        if isinstance(parent, ast.Call):
            called = _name(parent.func)
            if called in GETTEXT or called in MACHINE_CALLS or called in MATCHING:
                return True
            if isinstance(parent.func, ast.Attribute) and called in LOG_METHODS:
                return True
        child = parent
    return False


def untranslated(source: str, path: str = "<source>") -> list[Finding]:
    tree = ast.parse(source)
    parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    found: list[Finding] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if isinstance(parents.get(node), ast.JoinedStr):
                continue  # a piece of an f-string: the f-string is judged whole
        elif not isinstance(node, ast.JoinedStr):
            continue
        text = _text(node)
        if _reads_as_words(text) and not _exempt(node, parents):
            found.append(Finding(path, node.lineno, text))
    return sorted(found, key=lambda f: (f.line, f.text))


def untranslated_under(package: Path) -> list[Finding]:
    return [
        finding
        for module in sorted(package.rglob("*.py"))
        for finding in untranslated(module.read_text(), str(module.relative_to(package)))
    ]
