"""The interactive ``join`` commands of the presence plugin, and the presence table.

Each command takes the rest of the typed line and returns the text to print;
a mistake is answered with a line starting ``error:`` and changes nothing.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable, Iterable, Mapping

from avacollab import shortids, tables

from .presence import PeerPresence, Presence
from .state import STATUSES, InvalidState, PresenceState, parse_status


class UsageError(ValueError):
    """The command line does not match the command's syntax."""


Labels = Callable[[Iterable[str]], Mapping[str, str]]
"""Component ids to what a person reads (a name, a label, a short id): the editing
document's ``component_labels`` when one runs in the session."""


def table(presence: Presence, now_ms: float | None = None, labels: Labels | None = None) -> str:
    """Everyone in the room: name and short id, color, status, cursor, selection, last seen.

    Components are shown by ``labels`` (by short id without it); the table fits
    :data:`avacollab.tables.WIDTH` columns, long cells cut with ``…``."""
    now = time.time() * 1000 if now_ms is None else now_ms
    peers = sorted(presence.states().values(), key=lambda p: (not p.local, p.state.user.name))
    shown = shortids.short_ids((p.peer_id for p in peers), shortids.PEER_SHORT)
    components = [*(c for p in peers for c in _components(p.state))]
    if labels is not None:
        named = dict(labels(components))
    else:
        named = shortids.short_ids(components, shortids.COMPONENT_SHORT)
    rows = [("NAME", "COLOR", "STATUS", "CURSOR", "SELECTION", "LAST SEEN")]
    rows.extend(_row(peer, shown[peer.peer_id], named, now) for peer in peers)
    return "\n".join(tables.render(rows))


def _components(state: PresenceState) -> list[str]:
    cursor = state.cursor.component if state.cursor is not None else None
    return [*state.selection, *([cursor] if cursor is not None else [])]


def table_json(presence: Presence) -> str:
    """``/presence --json``: every peer's published state (the wire's JSON) with its peer
    id and whether it is this peer, for scripts."""
    peers = sorted(presence.states().values(), key=lambda p: (not p.local, p.state.user.name))
    return json.dumps(
        [{"peer": p.peer_id, "you": p.local, **p.state.to_json()} for p in peers],
        ensure_ascii=False,
    )


def presence_table(
    presence: Presence, line: str, now_ms: float, labels: Labels | None = None
) -> str:
    """``/presence [--json]``: the table, or the same as JSON."""
    words = _split(line)
    if words == ["--json"]:
        return table_json(presence)
    if words:
        raise UsageError("usage: /presence [--json]")
    return table(presence, now_ms, labels)


def _row(
    peer: PeerPresence, short: str, named: Mapping[str, str], now_ms: float
) -> tuple[str, str, str, str, str, str]:
    state = peer.state
    cursor = "-"
    if state.cursor is not None:
        cursor = f"{state.cursor.x:g},{state.cursor.y:g}"
        if state.cursor.component is not None:
            cursor += f" on {named[state.cursor.component]}"
    name = shortids.label(short, state.user.name) + (" (you)" if peer.local else "")
    seen = "-" if state.last_seen is None else _ago(now_ms - state.last_seen)
    selection = ", ".join(named[c] for c in state.selection) or "-"
    return (name, state.user.color, state.status, cursor, selection, seen)


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


def cursor(presence: Presence, line: str, resolve: Callable[[str], str] | None = None) -> str:
    """``/cursor X Y [COMPONENT]`` moves the cursor, ``/cursor off`` hides it.

    ``resolve``, as for :func:`select`, turns COMPONENT (an id or unique prefix)
    into a component id."""
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
    component = words[2] if len(words) == 3 else None
    if component is not None and resolve is not None:
        try:
            component = resolve(component)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    presence.set_cursor(x, y, component)
    return f"cursor at {x:g},{y:g}"


def select(
    presence: Presence,
    line: str,
    resolve: Callable[[str], str] | None = None,
    labels: Labels | None = None,
) -> str:
    """``/select [ID ...]``: replace the selection (nothing clears it).

    ``resolve`` (the editing document's, when one runs in the session) turns
    each ID or unique prefix into a component id and refuses one that names
    none, so a typo is not selected silently; ``labels`` (the document's too)
    names the selected components in the reply, as people read them."""
    ids = _split(line)
    if resolve is not None:
        try:
            ids = [resolve(word) for word in ids]
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    presence.set_selection(ids)
    if not ids:
        return "selection cleared"
    if labels is None:
        return f"selected {' '.join(ids)}"
    named = labels(ids)
    return f"selected {', '.join(named[i] for i in ids)}"


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


PRESENCE_COMMANDS: dict[str, tuple[Callable[..., str], str]] = {
    "status": (status, "/status active|idle|away: set your status"),
    "cursor": (cursor, "/cursor X Y [COMPONENT] | /cursor off: move or hide your cursor"),
    "select": (select, "/select [ID ...]: set your selection (any unique ID prefix will do)"),
}
"""Command name -> (function, help line); ``/presence`` (the table) is added by the session."""
