"""A test-only plugin for ``join`` processes: ``--plugin tests.e2e_plugin``.

Commands drive the bus; what arrives is reported as events, so a test reads
it from ``--events -``. It also sends hostile frames straight to a peer's
data channel, and any message on any topic (the core's own included), which
no real plugin may do. With ``--set e2e.save=FILE`` it saves the texts it
received to FILE when the session closes, the way a real plugin saves its
state, and reports it with the ``e2e.saved`` event.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from avacollab.bus import Message
from avacollab.feature import Feature, JoinCommand, Option
from avacollab.hookspecs import Register, hookimpl

TOPIC = "e2e.msg"


def payload(size: int) -> bytes:
    """Deterministic bytes, so the receiver can be checked by digest."""
    return random.Random(size).randbytes(size)


class E2e(Feature):
    """Commands that drive the bus; what arrives becomes ``e2e.received`` events."""

    name = "e2e"
    options = (
        Option(
            "max-incoming-frame",
            int,
            0,
            "Lower the bus's largest accepted frame to this many bytes (0: keep it).",
        ),
        Option("save", Path, None, "Save the texts received to this file when closing."),
    )
    received: list[str]

    async def start(self) -> None:
        self.received = []
        limit = self.config["max-incoming-frame"]
        if limit:
            # Lets a test prove the oversized-frame rule: two aiortc peers cannot
            # exceed the default limit, which equals aiortc's own maximum.
            bus: Any = self.session.bus
            bus.config = dataclasses.replace(bus.config, max_incoming_frame=limit)

    def topics(self) -> dict[str, Any]:
        session = self.session

        texts = self.received

        def received(message: Message) -> None:
            data = message.payload
            texts.append(data[:100].decode("utf-8", "replace"))
            session.emit(
                "e2e.received",
                sender=message.sender,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                reliable=message.reliable,
                text=data[:100].decode("utf-8", "replace") if len(data) <= 100 else None,
            )

        return {TOPIC: received}

    broken = False
    """Set by ``/break-status``: :meth:`status` then raises, as a buggy plugin's would."""

    def status(self) -> list[str]:
        if self.broken:
            raise RuntimeError("status is broken")
        return []

    def commands(self) -> list[JoinCommand]:
        session = self.session

        def break_status(_: str) -> str:
            self.broken = True
            return "broken"

        def send(rest: str) -> str:
            to, reliable = None, True
            if rest.startswith("--unordered "):
                # The unordered channel, for peers (browsers) whose channels are checked too.
                reliable, rest = False, rest.removeprefix("--unordered ")
            if rest.startswith("--to "):
                _, to, rest = rest.split(" ", 2)
            count = session.bus.publish(TOPIC, rest.encode(), to=to, reliable=reliable)
            session.emit("e2e.sent", to=to, count=count)
            return f"sent to {count}"

        async def big(rest: str) -> None:
            size = int(rest)
            data = payload(size)
            await session.bus.send(TOPIC, data)
            session.emit("e2e.sent", size=size, sha256=hashlib.sha256(data).hexdigest())

        def raw(frame: bytes) -> Any:
            def run(peer: str) -> None:
                full: Any = session  # link() is not in the plugin protocol
                link = full.link(peer)
                link.reliable.send(frame)
                session.emit("e2e.raw-sent", peer=peer, size=len(frame))

            return run

        def unknown(peer: str) -> None:
            session.bus.publish("nobody.listens", b"?", to=peer)
            session.emit("e2e.raw-sent", peer=peer, size=1)

        def publish(rest: str) -> None:
            peer, topic, text = rest.split(" ", 2)
            count = session.bus.publish(topic, text.encode(), to=peer)
            session.emit("e2e.published", peer=peer, topic=topic, size=len(text), count=count)

        def counters(_: str) -> None:
            bus: Any = session.bus
            session.emit("e2e.counters", **bus.counters.as_dict())

        return [
            JoinCommand(
                "send", "/send [--unordered] [--to PEER] TEXT: publish TEXT on e2e.msg", send
            ),
            JoinCommand("big", "/big N: send N deterministic bytes on e2e.msg", big),
            JoinCommand("garbage", "/garbage PEER: a frame that is no bus frame", raw(b"\xde\xad")),
            JoinCommand("oversized", "/oversized PEER: a 100 kB frame", raw(b"\x01" * 100_000)),
            JoinCommand("unknown", "/unknown PEER: a message nobody subscribes to", unknown),
            JoinCommand("counters", "/counters: emit the bus counters", counters),
            JoinCommand("publish", "/publish PEER TOPIC TEXT: TEXT as is, on any topic", publish),
            JoinCommand("break-status", "/break-status: make status() raise", break_status),
        ]

    async def close(self) -> None:
        path = self.config["save"]
        if path is not None:
            path.write_text(json.dumps({"received": self.received}), encoding="utf-8")
            self.session.emit("e2e.saved", path=str(path), count=len(self.received))


@hookimpl
def avacollab_register_features(register: Register) -> None:
    register(E2e)
