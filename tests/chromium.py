"""Debian's Chromium, driven by Playwright, for the tests that need a real browser.

No browser is downloaded: the tests use the ``chromium`` package's binary.
"""

from __future__ import annotations

from pathlib import Path

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
