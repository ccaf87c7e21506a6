"""No sentence for people is written in the web's Python outside the catalog.

The templates are checked by ``test_catalogs``; this is the same guard for the Python: a
sentence built as an f-string or a plain literal would print in English on a German page.
"""

from __future__ import annotations

from pathlib import Path

from .python_text import untranslated, untranslated_under

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "leaveflow_web"

# (module, text) -> why it is no sentence for people. Keep this short.
ALLOWED = {
    ("api.py", "not available"): "the problem title code compares; people read NOT_OFFERED",
    ("api.py", "this server does not offer it yet"): "detail for logs; people read NOT_OFFERED",
    ("bootstrap.py", "Leaveflow web"): "the app's title in its OpenAPI document",
    ("config.py", "openid email profile"): "OAuth scopes",
    ("oidc.py", "openid email profile"): "OAuth scopes",
    ("entrypoints/admin_views.py", "timed out"): "the start of a delivery error it matches",
    ("session.py", "a browser"): "the session label stored when no user agent is sent; "
    "the sessions page shows device_of()'s translated name instead",
}


def test_every_sentence_in_the_python_goes_through_the_catalog() -> None:
    findings = untranslated_under(PACKAGE)
    left = [f for f in findings if (f.path, f.text) not in ALLOWED]
    assert left == [], "wrap these in _()/ngettext() and run `make i18n`"


def test_the_allowlist_holds_only_what_is_still_there() -> None:
    found = {(f.path, f.text) for f in untranslated_under(PACKAGE)}
    assert set(ALLOWED) - found == set()


def test_the_scan_finds_f_strings_and_literals_but_not_what_is_for_code() -> None:
    source = '''
def page(name, n):
    """A docstring with words in it."""
    log.info("started the page for someone")
    if title == "not available":
        raise ValueError("a developer reads this")
    if n:
        raise SignInRefused("the provider did not share an email")
    notice = f"{name} added."
    people = "1 person" if n == 1 else f"{n} people"
    fine = _("%(name)s saved.", name=name)
    header = "private, max-age=300"
    pattern = r"overlaps request (?P<id>\\S+)"
    matched = detail.startswith("input should be")
    return ApiError(502, "a service answered oddly"), notice, people, fine, header, pattern, matched
'''
    assert [(f.line, f.text) for f in untranslated(source)] == [
        (8, "the provider did not share an email"),
        (9, "{…} added."),
        (10, "1 person"),
        (10, "{…} people"),
    ]
