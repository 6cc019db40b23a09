"""A hand-driven clock and an in-memory room of Presence instances for tests."""

from __future__ import annotations

import heapq
import itertools
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from avacollab_presence import Presence, PresenceChange, PresenceConfig, Rejection


class FakeTimer:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeScheduler:
    """Time stands still until :meth:`advance` moves it, firing timers in order."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._heap: list[tuple[float, int, FakeTimer, Callable[[], object]]] = []
        self._seq = itertools.count()

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], object], /) -> FakeTimer:
        assert delay >= 0
        timer = FakeTimer()
        heapq.heappush(self._heap, (self.now + delay, next(self._seq), timer, callback))
        return timer

    def advance(self, seconds: float) -> None:
        target = self.now + seconds
        while self._heap and self._heap[0][0] <= target:
            due, _, timer, callback = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            self.now = max(self.now, due)
            callback()
        self.now = target

    def pending(self) -> int:
        return sum(not timer.cancelled for _, _, timer, _ in self._heap)


@dataclass
class Sent:
    at: float
    data: bytes
    reliable: bool


@dataclass
class Member:
    presence: Presence
    sent: list[Sent] = field(default_factory=list)
    changes: list[PresenceChange] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    connected: bool = True


class Room:
    """Peers whose sends reach every other connected peer when :meth:`deliver` runs.

    Delivery is queued rather than immediate so a peer that answers inside
    ``receive`` (a color change) does not re-enter another peer's handler.
    """

    def __init__(self, scheduler: FakeScheduler, wall: Callable[[], float] | None = None) -> None:
        self.scheduler = scheduler
        self.wall = wall or (lambda: 1_700_000_000.0 + scheduler.time())
        self.members: dict[str, Member] = {}
        self.queue: list[tuple[str, bytes, bool]] = []
        self.drop_unreliable = False

    def add(self, peer_id: str, config: PresenceConfig) -> Member:
        def send(data: bytes, reliable: bool) -> None:
            member.sent.append(Sent(self.scheduler.time(), data, reliable))
            if member.connected:
                self.queue.append((peer_id, data, reliable))

        presence = Presence(peer_id, config, send, scheduler=self.scheduler, wall_clock=self.wall)
        member = Member(presence)
        presence.subscribe(member.changes.append)
        self.members[peer_id] = member
        return member

    def deliver(self) -> None:
        while self.queue:
            sender, data, reliable = self.queue.pop(0)
            if not reliable and self.drop_unreliable:
                continue
            for peer_id, member in self.members.items():
                if peer_id != sender and member.connected:
                    member.rejections += member.presence.receive(sender, data)

    def advance(self, seconds: float, step: float = 0.001) -> None:
        """Move time in small steps, delivering after each, like a real network would."""
        end = self.scheduler.now + seconds
        while self.scheduler.now < end - 1e-9:
            self.scheduler.advance(min(step, end - self.scheduler.now))
            self.deliver()
        self.deliver()


def node_or_skip(directory: Path, package: str) -> str:
    """The ``node`` executable, once ``package`` is installed in ``directory``/node_modules.

    Skips the test when either is missing, except under CI=true, where it fails.
    """
    node = shutil.which("node")
    missing = None
    if node is None:
        missing = "node is not installed"
    elif not (directory / "node_modules" / package).is_dir():
        missing = f"{package} is not installed: run `npm ci --prefix {directory}`"
    if missing is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"interop test cannot run in CI: {missing}")
        pytest.skip(missing)
    assert node is not None
    return node
