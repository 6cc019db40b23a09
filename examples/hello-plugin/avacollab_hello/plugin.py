"""The ``hello`` plugin: ``/say TEXT`` sends a chat line to every peer of the room.

On the wire a chat line is one reliable bus message on topic ``hello.message``
whose JSON payload is ``{"text": "..."}``. Each peer that receives one emits a
``hello.message`` event (``peer``, ``name``, ``text``), which ``join`` shows
and ``--events jsonl`` writes. A payload that is not such an object, or whose
text is empty or too long, is dropped and reported as ``hello.rejected``: a
peer must never be able to break our session with a bad message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from avacollab.bus import Handler, Message
from avacollab.hookspecs import JoinCommand, Session, hookimpl

TOPIC = "hello.message"
MAX_TEXT = 2000
"""Characters in one chat line; longer lines are refused on both ends."""


def parse(payload: Any) -> str:
    """The text of a decoded ``hello.message`` payload; ``ValueError`` if it is not valid."""
    if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
        raise ValueError('expected {"text": "..."}')
    text: str = payload["text"]
    if not text.strip():
        raise ValueError("empty text")
    if len(text) > MAX_TEXT:
        raise ValueError(f"text longer than {MAX_TEXT} characters")
    return text


@hookimpl
def avacollab_bus_topics(session: Session) -> Mapping[str, Handler]:
    """Receive chat lines."""

    def received(message: Message) -> None:
        try:
            text = parse(message.json())
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            session.emit("hello.rejected", peer=message.sender, error=str(exc))
            return
        name = session.peers.get(message.sender, "")
        session.emit("hello.message", peer=message.sender, name=name, text=text)

    return {TOPIC: received}


@hookimpl
def avacollab_join_commands(session: Session) -> list[JoinCommand]:
    """``/say TEXT``."""

    def say(text: str) -> str:
        text = text.strip()
        try:
            parse({"text": text})
        except ValueError as exc:
            return f"not sent: {exc}"
        count = session.bus.publish_json(TOPIC, {"text": text})
        if not count:
            return "not sent: nobody is connected yet"
        return f"sent to {count} peer{'' if count == 1 else 's'}"

    return [JoinCommand("say", "Send TEXT to everyone in the room: /say TEXT", say)]
