"""Debian's Chromium, driven by Playwright, for the tests that need a real browser.

No browser is downloaded: the tests use the ``chromium`` package's binary.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def chromium_unavailable() -> str | None:
    """Why Chromium cannot be driven here, or None when it can."""
    if not CHROMIUM.is_file():
        return "needs Debian's chromium package"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "needs the playwright Python package"
    return None


def require_chromium(what: str) -> None:
    """Skip the test when Chromium cannot run here; under CI=true, fail it instead."""
    reason = chromium_unavailable()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run {what}: {reason}")
        pytest.skip(reason)


@contextlib.asynccontextmanager
async def launched(flags: Sequence[str], what: str) -> AsyncIterator[Any]:
    """Headless Chromium started with ``flags`` (see :func:`require_chromium`)."""
    require_chromium(what)
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=list(flags))
        try:
            yield browser
        finally:
            await browser.close()
