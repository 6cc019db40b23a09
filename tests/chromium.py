"""Debian's Chromium, driven by Playwright, for the tests that need a real browser.

No browser is downloaded: the tests use the ``chromium`` package's binary.
"""

from __future__ import annotations

import contextlib
import os
import types
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

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


def in_module_loop(fixture: Any) -> Any:
    """A copy of a shared fixture that runs in the test module's event loop.

    For modules whose tests share one loop with a module-scoped browser.
    ``pytest_asyncio.fixture`` marks the function it is given with its loop
    scope, so it gets a fresh copy: marking the shared function itself would
    move every other module's use of the fixture into a module loop, where its
    server then waits on a loop no test runs (pages time out, joins fail).
    """
    shared = fixture.__wrapped__
    copy = types.FunctionType(
        shared.__code__,
        shared.__globals__,
        shared.__name__,
        shared.__defaults__,
        shared.__closure__,
    )
    copy.__kwdefaults__ = shared.__kwdefaults__
    copy.__annotations__ = dict(shared.__annotations__)
    copy.__doc__ = shared.__doc__
    copy.__module__ = shared.__module__
    copy.__qualname__ = shared.__qualname__
    return pytest_asyncio.fixture(loop_scope="module")(copy)
