"""Every dashboard response carries the headers that hold the browser to what the templates
need; the templates hold nothing the Content-Security-Policy would block."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

import leaveflow_web
from leaveflow_web.security_headers import CONTENT_SECURITY_POLICY

from .conftest import FakeServices, Link, sign_in

TEMPLATES = Path(leaveflow_web.__file__).resolve().parent / "templates"

EXPECTED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def directives(policy: str) -> dict[str, str]:
    found = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            found[name] = value
    return found


def test_the_policy_allows_only_the_sites_own_scripts_and_styles() -> None:
    found = directives(CONTENT_SECURITY_POLICY)
    assert found["default-src"] == "'self'"
    assert found["script-src"] == "'self'"
    assert found["style-src"] == "'self'"
    assert found["frame-ancestors"] == "'none'"
    assert found["object-src"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "path", ["/signin", "/signup", "/", "/decide/tok", "/static/app.css", "/nowhere"]
)
async def test_every_response_has_the_headers(
    dashboard: httpx.AsyncClient, fake: FakeServices, path: str
) -> None:
    fake.links["tok"] = Link(approver_id="eve")
    await sign_in(dashboard, "eve@acme.test")
    answer = await dashboard.get(path)
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    for name, value in EXPECTED.items():
        assert answer.headers[name] == value


async def test_the_413_page_has_them_too(dashboard: httpx.AsyncClient) -> None:
    answer = await dashboard.post("/signup", content=b"x" * (2 * 1024 * 1024))
    assert answer.status_code == 413
    assert answer.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_no_template_has_what_the_policy_blocks(template: Path) -> None:
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline script"
    assert "<style" not in text
    assert not re.search(r"\sstyle=", text), "inline style attribute"
    assert not re.search(r"\son[a-z]+=", text), "inline event handler"
    assert "javascript:" not in text
    assert "hx-on" not in text  # htmx evaluates those: 'unsafe-eval'


def test_htmx_is_told_not_to_inject_its_own_style() -> None:
    assert '"includeIndicatorStyles": false' in (TEMPLATES / "base.html").read_text()
