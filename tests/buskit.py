"""Helpers for bus tests: an inbox of one topic, awaited by count."""

from __future__ import annotations

import asyncio

from avacollab.bus import Bus, Message


class Inbox:
    """Collects the messages of one topic; :meth:`wait` returns once ``count`` arrived."""

    def __init__(self, bus: Bus, topic: str, *, timeout: float = 5.0) -> None:
        self.messages: list[Message] = []
        self.timeout = timeout
        self._changed = asyncio.Event()
        bus.subscribe(topic, self._add)

    def _add(self, message: Message) -> None:
        self.messages.append(message)
        self._changed.set()

    @property
    def payloads(self) -> list[bytes]:
        return [m.payload for m in self.messages]

    async def wait(self, count: int) -> list[Message]:
        async with asyncio.timeout(self.timeout):
            while len(self.messages) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.messages
