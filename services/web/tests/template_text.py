"""Where a template shows words to people outside the gettext calls.

The template's source is cut at Jinja2's own delimiters; what lies between them is page
data. An HTML state machine runs over that data across the cuts (a tag may be split by an
``{% if %}``), so only the text between tags and the attributes people see or hear
(``aria-label``, ``title``, ``placeholder``, ``alt``) count. A letter there means a word no
catalog holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
LETTER = re.compile(r"[A-Za-zÀ-ÿ]")
SEEN_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt", "hx-confirm", "data-label")
ENTITY = re.compile(r"&[a-zA-Z]+;|&#\d+;")


@dataclass(frozen=True)
class Text:
    start: int
    end: int
    text: str
    kind: str  # "text" or an attribute's name


def visible_text(source: str) -> list[Text]:
    """The stretches of ``source`` that people see, each as written (Jinja cut out)."""
    found: list[Text] = []
    state = "text"  # text | tag | quoted | raw (script/style)
    quote = ""
    tag = ""
    attribute = ""
    value_start = -1
    text_start = -1
    raw_until = ""
    position = 0
    pieces: list[tuple[int, int, bool]] = []  # (start, end, is_data)
    for match in JINJA.finditer(source):
        pieces.append((position, match.start(), True))
        pieces.append((match.start(), match.end(), False))
        position = match.end()
    pieces.append((position, len(source), True))

    def close_text(end: int) -> None:
        nonlocal text_start
        if text_start >= 0 and end > text_start:
            chunk = source[text_start:end]
            if LETTER.search(ENTITY.sub("", chunk)):
                found.append(Text(text_start, end, chunk, "text"))
        text_start = -1

    for start, end, is_data in pieces:
        if not is_data:
            if state == "text":
                close_text(start)
            continue
        i = start
        while i < end:
            ch = source[i]
            if state == "raw":
                if source.startswith(raw_until, i):
                    state, tag, i = "tag", "", i + len(raw_until)
                    continue
                i += 1
                continue
            if state == "text":
                if ch == "<":
                    close_text(i)
                    state, tag, attribute = "tag", "", ""
                    m = re.match(r"</?([a-zA-Z0-9-]+)", source[i:end])
                    tag = m[1].lower() if m else ""
                    closing = source.startswith("</", i)
                    i += m.end() if m else 1
                    if not closing and tag in ("script", "style"):
                        raw_until = f"</{tag}"
                        tag = "raw-opening"
                    continue
                if text_start < 0:
                    text_start = i
                i += 1
                continue
            if state == "tag":
                if ch in "\"'":
                    state, quote, value_start = "quoted", ch, i + 1
                elif ch == ">":
                    state = "raw" if tag == "raw-opening" else "text"
                elif ch == "=":
                    pass
                elif re.match(r"[a-zA-Z-]", ch):
                    m = re.match(r"[a-zA-Z0-9_:-]+", source[i:end])
                    attribute = m[0].lower() if m else ""
                    i += m.end() if m else 1
                    continue
                i += 1
                continue
            if state == "quoted":
                close = source.find(quote, i, end)
                if close < 0:
                    i = end
                    continue
                if attribute in SEEN_ATTRIBUTES:
                    value = source[value_start:close]
                    if LETTER.search(JINJA.sub("", value)):
                        found.append(Text(value_start, close, value, attribute))
                state, i = "tag", close + 1
                continue
        if state == "text":
            close_text(end)
    return found


def templates_under(root: Path) -> list[Path]:
    return sorted(root.rglob("*.html"))


GETTEXT_CALLS = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext"})


def visible_constants(source: str) -> list[str]:
    """String constants a template prints without a gettext call around them: printed as
    they are, one branch of ``a if c else b``, the default of ``.get(key, default)``, or a
    label-like positional argument of a macro (not its first: that is a field's name)."""
    from jinja2 import Environment, nodes

    tree = Environment(extensions=["jinja2.ext.i18n"]).parse(source)
    found: list[str] = []

    def wordy(node: nodes.Node) -> bool:
        return (
            isinstance(node, nodes.Const)
            and isinstance(node.value, str)
            and bool(LETTER.search(node.value))
        )

    def visit(node: nodes.Node, shown: bool) -> None:
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
            if node.node.name in GETTEXT_CALLS:
                return
            for arg in node.args[1:]:
                text = arg.value if wordy(arg) else ""  # type: ignore[attr-defined]
                if " " in text or text[:1].isupper():
                    found.append(text)
        if (
            isinstance(node, nodes.Call)
            and isinstance(node.node, nodes.Getattr)
            and node.node.attr == "get"
            and len(node.args) == 2
            and wordy(node.args[1])
        ):
            found.append(node.args[1].value)  # type: ignore[attr-defined]
        if shown and wordy(node):
            found.append(node.value)  # type: ignore[attr-defined]
            return
        for child in node.iter_child_nodes():
            passes = shown and isinstance(node, nodes.CondExpr) and child is not node.test
            visit(
                child,
                passes
                or (isinstance(node, nodes.Output) and not isinstance(child, nodes.TemplateData)),
            )

    visit(tree, False)
    return found
