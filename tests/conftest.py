"""Fixtures every suite under `tests/` may use (e2e, security, deploy)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module: what a module opens in it ends with it."""
    # Imported here: Playwright is only loaded by the modules that drive a browser.
    from leaveflow_devstack.testing import chromium

    with chromium() as launched:
        yield launched
