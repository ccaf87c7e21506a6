"""A sentence that no catalog holds fails here, before anyone sees English in a German page.

(a) Babel's extraction over the templates and the Python (with ``services/web/babel.cfg``,
the mapping ``make i18n`` uses) equals the committed ``messages.pot``; (b) every msgid has a
German msgstr that is neither empty nor fuzzy, with the same ``%(name)s`` placeholders;
(c) no template shows words outside the gettext calls.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from .template_text import templates_under, visible_constants, visible_text

WEB = Path(__file__).resolve().parents[1]
PACKAGE = WEB / "src" / "leaveflow_web"
LOCALE = PACKAGE / "locale"
# Unit names the templates pass as a default (``lt.get('unit', 'days')``), never printed.
MACHINE_WORDS = frozenset({"days", "hours"})

MsgId = str | tuple[str, ...]


def _key(value: object) -> MsgId:
    """A message's id (or msgstr) as one comparable value: plural forms as a tuple."""
    if isinstance(value, str):
        return value
    return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else ""


def _ids(catalog: Catalog) -> set[MsgId]:
    return {_key(m.id) for m in catalog if m.id}


def _extracted() -> set[MsgId]:
    with (WEB / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    found: set[MsgId] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), method_map, options_map
    ):
        found.add(_key(message))
    return found


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=locale)


def test_the_committed_template_holds_exactly_what_the_code_says() -> None:
    committed = _ids(_read(LOCALE / "messages.pot"))
    extracted = _extracted()
    assert extracted - committed == set(), "new sentences: run `make i18n` and translate them"
    assert committed - extracted == set(), "sentences no longer used: run `make i18n`"


@pytest.mark.parametrize("language", ["de", "en"])
def test_each_catalog_has_every_sentence_of_the_template(language: str) -> None:
    template = _ids(_read(LOCALE / "messages.pot"))
    catalog = _ids(_read(LOCALE / language / "LC_MESSAGES" / "messages.po", language))
    assert template - catalog == set()


def test_every_sentence_has_a_german_translation_with_the_same_placeholders() -> None:
    catalog = _read(LOCALE / "de" / "LC_MESSAGES" / "messages.po", "de")
    untranslated = [
        m.id
        for m in catalog
        if m.id
        and (
            "fuzzy" in m.flags
            or not m.string
            or (isinstance(m.string, tuple) and not all(m.string))
        )
    ]
    assert untranslated == []
    # Babel's own checks (placeholders of a kind msgstr may not mix) and ours: every
    # msgstr names the same ``%(name)s`` values as its msgid (Babel lets one drop them all).
    assert [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()] == []
    differ = [m.id for m in catalog if m.id and placeholders_differ(_key(m.id), _key(m.string))]
    assert differ == []


PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def placeholders_differ(msgid: MsgId, msgstr: MsgId) -> bool:
    def names(texts: MsgId) -> set[str]:
        return {
            n
            for t in ([texts] if isinstance(texts, str) else texts)
            for n in PLACEHOLDER.findall(t)
        }

    return names(msgid) != names(msgstr)


def test_a_translation_that_drops_a_placeholder_is_caught() -> None:
    """The check above can fail: a msgstr missing ``%(day)s`` is reported."""
    assert placeholders_differ("Invited %(day)s", "Eingeladen")
    assert placeholders_differ(("%(num)s day", "%(num)s days"), ("ein Tag", "Tage"))
    assert not placeholders_differ("Invited %(day)s", "Eingeladen am %(day)s")


TEMPLATES = templates_under(PACKAGE / "templates")


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_template_shows_words_outside_the_catalog(template: Path) -> None:
    source = template.read_text()
    assert [t.text for t in visible_text(source)] == []
    assert [c for c in visible_constants(source) if c not in MACHINE_WORDS] == []


def test_the_template_check_finds_words_in_text_attributes_and_constants() -> None:
    source = (
        '<p class="x">Hello {{ name }}</p><a aria-label="Edit">{{ _("ok") }}</a>'
        "<select {% if a %}disabled{% endif %}>{{ 'Invite' if b else _('No') }}"
        "<script>var x = 'not text';</script><b>After</b>"
    )
    assert [(t.kind, t.text.strip()) for t in visible_text(source)] == [
        ("text", "Hello"),
        ("aria-label", "Edit"),
        ("text", "After"),
    ]
    assert visible_constants(source) == ["Invite"]
    assert visible_text('<p>{{ _("Hello %(name)s", name=n) }} · 3</p>') == []
