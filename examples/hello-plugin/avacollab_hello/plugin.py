"""The ``hello`` plugin: ``/say TEXT`` sends a chat line to every peer of the room.

A chat line is one reliable bus message on topic ``hello.message``, JSON
``{"text": "..."}``. Each peer that receives one emits a ``hello.message``
event (``peer``, ``name``, ``text``). A payload that is not such an object, or
whose text is empty or too long, is dropped and reported as ``hello.rejected``:
a peer must never be able to break our session with a bad message.
"""

from __future__ import annotations

from avacollab.bus import Handler, Message
from avacollab.feature import Feature, JoinCommand
from avacollab.hookspecs import Register, hookimpl

TOPIC = "hello.message"
MAX_TEXT = 2000
"""Characters in one chat line; longer lines are refused on both ends."""


def parse(payload: object) -> str:
    """The text of a decoded ``hello.message`` payload; ``ValueError`` if it is not valid."""
    if not isinstance(payload, dict) or not isinstance(payload.get("text"), str):
        raise ValueError('expected {"text": "..."}')
    text: str = payload["text"]
    if not text.strip():
        raise ValueError("empty text")
    if len(text) > MAX_TEXT:
        raise ValueError(f"text longer than {MAX_TEXT} characters")
    return text


class Hello(Feature):
    """The chat of one session."""

    name = "hello"

    def topics(self) -> dict[str, Handler]:
        return {TOPIC: self.received}

    def commands(self) -> list[JoinCommand]:
        return [JoinCommand("say", "Send TEXT to everyone in the room: /say TEXT", self.say)]

    def received(self, message: Message) -> None:
        try:
            text = parse(message.json())
        except ValueError as exc:  # json.JSONDecodeError is a ValueError too
            self.session.emit("hello.rejected", peer=message.sender, error=str(exc))
            return
        name = self.session.peers.get(message.sender, "")
        self.session.emit("hello.message", peer=message.sender, name=name, text=text)

    def say(self, text: str) -> str:
        try:
            count = self.session.bus.publish_json(TOPIC, {"text": parse({"text": text.strip()})})
        except ValueError as exc:
            return f"not sent: {exc}"
        if not count:
            return "not sent: nobody is connected yet"
        return f"sent to {count} peer{'' if count == 1 else 's'}"


@hookimpl
def avacollab_register_features(register: Register) -> None:
    register(Hello)
