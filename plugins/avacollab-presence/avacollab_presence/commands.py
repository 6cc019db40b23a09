"""The interactive ``join`` commands of the presence plugin, and the presence table.

Each command takes the rest of the typed line and returns the text to print;
a mistake is answered with a line starting ``error:`` and changes nothing.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable

from .presence import PeerPresence, Presence
from .state import STATUSES, InvalidState, parse_status


class UsageError(ValueError):
    """The command line does not match the command's syntax."""


def table(presence: Presence, now_ms: float | None = None) -> str:
    """Everyone in the room: name, color, status, cursor, selection, last seen."""
    now = time.time() * 1000 if now_ms is None else now_ms
    rows = [("NAME", "COLOR", "STATUS", "CURSOR", "SELECTION", "LAST SEEN")]
    peers = sorted(presence.states().values(), key=lambda p: (not p.local, p.state.user.name))
    rows.extend(_row(peer, now) for peer in peers)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def table_json(presence: Presence) -> str:
    """``/presence --json``: every peer's published state (the wire's JSON) with its peer
    id and whether it is this peer, for scripts."""
    peers = sorted(presence.states().values(), key=lambda p: (not p.local, p.state.user.name))
    return json.dumps(
        [{"peer": p.peer_id, "you": p.local, **p.state.to_json()} for p in peers],
        ensure_ascii=False,
    )


def presence_table(presence: Presence, line: str, now_ms: float) -> str:
    """``/presence [--json]``: the table, or the same as JSON."""
    words = _split(line)
    if words == ["--json"]:
        return table_json(presence)
    if words:
        raise UsageError("usage: /presence [--json]")
    return table(presence, now_ms)


def _row(peer: PeerPresence, now_ms: float) -> tuple[str, str, str, str, str, str]:
    state = peer.state
    cursor = "-"
    if state.cursor is not None:
        cursor = f"{state.cursor.x:g},{state.cursor.y:g}"
        if state.cursor.component is not None:
            cursor += f" on {state.cursor.component}"
    name = state.user.name + (" (you)" if peer.local else "")
    seen = "-" if state.last_seen is None else _ago(now_ms - state.last_seen)
    return (name, state.user.color, state.status, cursor, " ".join(state.selection) or "-", seen)


def _ago(ms: float) -> str:
    seconds = max(0, round(ms / 1000))
    if seconds < 60:
        return f"{seconds}s ago"
    if seconds < 3600:
        return f"{seconds // 60}m ago"
    return f"{seconds // 3600}h ago"


def status(presence: Presence, line: str) -> str:
    """``/status active|idle|away``: set the status until the next input."""
    words = _split(line)
    if len(words) != 1:
        raise UsageError(f"usage: /status {'|'.join(STATUSES)}")
    presence.set_status(parse_status(words[0]))
    return f"status {words[0]}"


def cursor(presence: Presence, line: str) -> str:
    """``/cursor X Y [COMPONENT]`` moves the cursor, ``/cursor off`` hides it."""
    words = _split(line)
    if words == ["off"]:
        presence.clear_cursor()
        return "cursor hidden"
    if len(words) not in (2, 3):
        raise UsageError("usage: /cursor X Y [COMPONENT] | /cursor off")
    try:
        x, y = float(words[0]), float(words[1])
    except ValueError:
        raise UsageError("X and Y must be numbers") from None
    presence.set_cursor(x, y, words[2] if len(words) == 3 else None)
    return f"cursor at {x:g},{y:g}"


def select(presence: Presence, line: str, resolve: Callable[[str], str] | None = None) -> str:
    """``/select [ID ...]``: replace the selection (nothing clears it).

    ``resolve`` (the editing document's, when one runs in the session) turns
    each ID or unique prefix into a component id and refuses one that names
    none, so a typo is not selected silently."""
    ids = _split(line)
    if resolve is not None:
        try:
            ids = [resolve(word) for word in ids]
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    presence.set_selection(ids)
    return f"selected {' '.join(ids)}" if ids else "selection cleared"


def guarded(command: Callable[[], str]) -> str:
    """Run a command, turning a mistake into an ``error:`` line."""
    try:
        return command()
    except (UsageError, InvalidState) as exc:
        return f"error: {exc}"


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


PRESENCE_COMMANDS: dict[str, tuple[Callable[[Presence, str], str], str]] = {
    "status": (status, "/status active|idle|away: set your status"),
    "cursor": (cursor, "/cursor X Y [COMPONENT] | /cursor off: move or hide your cursor"),
    "select": (select, "/select [ID ...]: set your selection"),
}
"""Command name -> (function, help line); ``/presence`` (the table) is added by the session."""
