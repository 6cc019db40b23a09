"""What ``avacollab join`` prints: a status line per event, JSON lines for scripts.

People are shown by display name and short id (``ada (3f9a1c)``,
:mod:`avacollab.shortids`), the same in every line and table, so what is
read can be typed back. Where a terminal shows colour (rich decides: never
in a pipe or a file, never with ``NO_COLOR``) lines are coloured by what
they are (errors red, room changes cyan) and each person in the colour the
session's features give them (``Feature.peer_color``: presence's colour,
the one others see on the canvas).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

import rich.console
import rich.style
import rich.text

from .. import shortids

if TYPE_CHECKING:
    from ..peer.session import Session

__all__ = ["STYLES", "Terminal", "describe", "links"]

Who = Callable[[str, object], str]
"""``who(peer_id, display_name)``: how a line names a peer."""

STYLES = (("error:", "bold red"), ("! ", "red"), ("* ", "cyan"))
"""Line prefix to colour, where a terminal shows colour."""


def alone(peer: str, name: object) -> str:
    """A peer's label with no room to compare ids against (before the session exists)."""
    return shortids.label(shortids.short_id(peer, (), shortids.PEER_SHORT), str(name or ""))


class Terminal:
    """Status lines for people, JSON lines for scripts.

    A spinner shows while connecting, and colour, only where ``out`` is a
    terminal and ``NO_COLOR`` is not set: rich decides that, and writes
    plain lines to a pipe or file.
    """

    def __init__(self, out: IO[str], events: IO[str] | None) -> None:
        self.out = out
        self.events = events
        self.console = rich.console.Console(file=out, highlight=False, soft_wrap=True)
        self.session: Session | None = None
        """The session whose peers the lines name (set by :meth:`attach`)."""

    def attach(self, session: Session) -> None:
        """Name peers by ``session``'s room from now on: short ids unique in it, and
        the colours its features give."""
        self.session = session

    def who(self, peer: str, name: object = None) -> str:
        """``ada (3f9a1c)``: ``peer`` by display name and short id among the room."""
        if self.session is None:
            return alone(peer, name)
        return shortids.peer_label(self.session, peer, str(name) if name else None)

    def say(self, line: str) -> None:
        if not self.console.is_terminal:
            self.out.write(line + "\n")
            self.out.flush()
            return
        style = next((style for prefix, style in STYLES if line.startswith(prefix)), "")
        text = rich.text.Text(line, style=style)
        for label, color in self._colours():
            text.highlight_words([label], style=rich.style.Style(color=color, bold=True))
        self.console.print(text)

    def _colours(self) -> list[tuple[str, str]]:
        """Each room member's label and colour, where a feature gives one."""
        session = self.session
        if session is None:
            return []
        room = {**session.peers, session.peer_id: session.name}
        found = []
        for peer, name in room.items():
            color = session.features.peer_color(peer)  # checked #rrggbb, or None
            if color is not None:
                found.append((self.who(peer, name), color))
        return found

    def connecting(self, url: str) -> contextlib.AbstractContextManager[object]:
        """A spinner while the session joins (nothing where it would not show)."""
        if not self.console.is_terminal:
            return contextlib.nullcontext()
        return self.console.status(f"connecting to {url}", spinner="dots")

    def events_only(self, event: dict[str, Any]) -> None:
        """Record ``event`` in ``--events`` without a status line (a command's reply,
        already printed)."""
        if self.events is not None:
            event = {**event, "ts": round(time.time(), 3)}
            self.events.write(json.dumps(event, default=str, separators=(",", ":")) + "\n")
            self.events.flush()

    def wants(self, event: str) -> bool:
        # Events without text or error are for --events only (see describe()).
        return self.events is not None

    def __call__(self, event: dict[str, Any]) -> None:
        if self.events is not None:
            self.events.write(json.dumps(event, default=str, separators=(",", ":")) + "\n")
            self.events.flush()
        line = describe(event, self.who)
        if line:
            self.say(line)


def describe(event: dict[str, Any], who: Who = alone) -> str:
    """The status line for an event; ``who`` names its peer."""
    kind = event["event"]
    peer = event.get("peer", "")
    if kind == "joined":
        others = len(event["peers"])
        company = "alone so far" if not others else _count(others, "other peer")
        return f"* joined {event['room']} as {who(peer, event.get('name'))} ({company})"
    if kind == "peer-joined":
        return f"* {who(peer, event.get('name'))} is in the room, connecting"
    if kind == "peer-connected":
        route = event.get("route")
        return f"* {who(peer, event.get('name'))} connected" + (f" via {route}" if route else "")
    if kind == "peer-left":
        reason = event["reason"]  # a clean goodbye needs no explaining
        return f"* {who(peer, event.get('name'))} left" + (
            "" if reason == "left" else f" ({reason})"
        )
    if kind == "link-failed":
        return f"! link to {who(peer, event.get('name'))}: {event['error']}"
    if kind == "media-unavailable":
        return (
            f"! media with {who(peer, event.get('name'))} unavailable: {event['reason']} "
            f"(the data link stays; trying again in {event['retry_in']:g} s)"
        )
    if kind == "signaling-lost":
        return "! signaling lost, reconnecting (links to peers stay up)"
    if kind == "rejoined":
        return "* signaling reconnected"
    if kind == "plugin-error":
        return f"! {event['feature']}: {event['method']} failed: {event['error']}"
    if kind in ("renegotiated", "closed"):
        return ""
    if "." in kind:
        # Plugin events are for --events; people see what is meant for them:
        # a message (chat text) or an error.
        if "note" in event:  # what another peer did, in a few words
            return f"* {event['note']}"
        if "text" in event:
            return f"<{who(peer, event.get('name'))}> {event['text']}" if peer else event["text"]
        if "error" in event:
            return f"! {kind}: {event['error']}"
        return ""
    fields = " ".join(f"{k}={v}" for k, v in event.items() if k not in ("event", "ts"))
    return f"* {kind} {fields}".rstrip()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def links(session: Session, who: Who, only: str | None = None) -> str:
    """The ``/links`` table: one line per peer (or the ``only`` one) with its link state
    and RTT."""
    lines = [f"you: {who(session.peer_id, session.name)} in {session.room}"]
    for row in session.status():
        if only is not None and row["peer"] != only:
            continue
        rtt = "-" if row["rtt_ms"] is None else f"{row['rtt_ms']} ms"
        lines.append(
            f"  {who(row['peer'], row['name'])}: {row['state']}, link {row['link']}, rtt {rtt}"
        )
    return "\n".join(lines)
