"""A test-only plugin for ``join`` processes: ``--plugin tests.e2e_plugin``.

Commands drive the bus; what arrives is reported as events, so a test reads
it from ``--events -``. It also sends hostile frames straight to a peer's
data channel, which no real plugin may do.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from typing import Any

from avacollab.bus import Message
from avacollab.hookspecs import JoinCommand, Session, hookimpl

TOPIC = "e2e.msg"


def payload(size: int) -> bytes:
    """Deterministic bytes, so the receiver can be checked by digest."""
    return random.Random(size).randbytes(size)


@hookimpl
def avacollab_session_started(session: Session) -> None:
    limit = session.options.get("e2e.max-incoming-frame")
    if limit:
        # Lets a test prove the oversized-frame rule: two aiortc peers cannot
        # exceed the default limit, which equals aiortc's own maximum.
        bus: Any = session.bus
        bus.config = dataclasses.replace(bus.config, max_incoming_frame=int(limit))


@hookimpl
def avacollab_bus_topics(session: Session) -> dict[str, Any]:
    def received(message: Message) -> None:
        data = message.payload
        session.emit(
            "e2e.received",
            sender=message.sender,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            reliable=message.reliable,
            text=data[:100].decode("utf-8", "replace") if len(data) <= 100 else None,
        )

    return {TOPIC: received}


@hookimpl
def avacollab_join_commands(session: Session) -> list[JoinCommand]:
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

    def counters(_: str) -> None:
        bus: Any = session.bus
        session.emit("e2e.counters", **bus.counters.as_dict())

    return [
        JoinCommand("send", "/send [--unordered] [--to PEER] TEXT: publish TEXT on e2e.msg", send),
        JoinCommand("big", "/big N: send N deterministic bytes on e2e.msg", big),
        JoinCommand("garbage", "/garbage PEER: a frame that is no bus frame", raw(b"\xde\xad")),
        JoinCommand("oversized", "/oversized PEER: a 100 kB frame", raw(b"\x01" * 100_000)),
        JoinCommand("unknown", "/unknown PEER: a message nobody subscribes to", unknown),
        JoinCommand("counters", "/counters: emit the bus counters", counters),
    ]
