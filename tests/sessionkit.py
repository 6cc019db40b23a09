"""Helpers for session tests: recorded events, waits bounded by timeouts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

WAIT = 15.0


class Events:
    """An event sink that remembers every event and lets a test wait for one."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._changed = asyncio.Event()

    def __call__(self, event: dict[str, Any]) -> None:
        self.items.append(event)
        self._changed.set()

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.items if e["event"] == name]

    async def wait(
        self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = WAIT
    ) -> None:
        async with asyncio.timeout(timeout):
            while not predicate(self.items):
                self._changed.clear()
                await self._changed.wait()

    async def wait_for(self, name: str, timeout: float = WAIT, **fields: Any) -> dict[str, Any]:
        """The first event ``name`` whose fields include ``fields``."""

        def match() -> dict[str, Any] | None:
            for e in self.named(name):
                if all(e.get(k) == v for k, v in fields.items()):
                    return e
            return None

        await self.wait(lambda _: match() is not None, timeout)
        found = match()
        assert found is not None
        return found
