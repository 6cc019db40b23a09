"""Screening updates from peers before they reach the document.

A CRDT update cannot be rolled back once applied, so every remote update is
first applied to a *shadow* copy of the document and the nodes it touched are
checked against the schema. Only an update that leaves the shadow valid is
applied to the real document. A rejected update leaves the shadow dirty, so it
is rebuilt from the real document (costly, but only a faulty or hostile peer
pays for it).

The shadow is built when the first update needs checking, from the state it
was last reset to: a document that took a whole state in place (see
``Document.apply_update``) does not pay for the copy until a peer sends more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pycrdt import Doc, Map, Subscription, get_update, merge_updates
from pycrdt import _pycrdt as raw

from .schema import ValidationError, check_prop_name, check_value
from .snapshot import NODES, RAW_SHARED, raw_get, read_node

__all__ = ["NODES", "EventKeys", "RejectedUpdate", "UpdateGuard", "apply_checked", "observe_nodes"]

_MIRROR_BACKLOG = 256
"""Local updates held back from the shadow before they are merged into it anyway."""
_HELD_ENTRIES = 1024
_HELD_BYTES = 4 * 1024 * 1024
"""Accepted updates kept before those the document has taken in whole are dropped."""


class RejectedUpdate(ValueError):
    """An update from a peer was malformed or would break the document schema."""


def apply_checked(doc: Doc[Any], update: bytes) -> None:
    """Apply ``update`` to ``doc``; undecodable bytes or a crash raise ``RejectedUpdate``."""
    try:
        doc.apply_update(update)
    except Exception as exc:  # pycrdt raises ValueError for undecodable bytes
        raise RejectedUpdate(f"malformed update: {exc}") from None
    except BaseException as exc:
        if not is_panic(exc):
            raise
        raise RejectedUpdate("update crashed the CRDT library") from None


class UpdateGuard:
    """A shadow of the document ``doc`` that vets updates before ``doc`` applies them.

    A shadow spoiled by a refused update is rebuilt from ``doc``'s state plus
    the accepted updates yrs may still hold back for a missing part: the
    state leaves those out, and once the part arrived they would reach
    ``doc`` unchecked. Accepted updates are kept until ``doc`` has taken them
    in whole (checked now and then, not per update).
    """

    def __init__(self, doc: Doc[Any]) -> None:
        self._doc = doc
        self._touched: set[str] = set()
        self._touched_props: dict[str, set[str]] = {}  # only these props of a node changed
        self._check_all = False
        self._mirrored: list[bytes] = []
        self._quiet = False
        self._held: list[bytes] = []
        self._held_bytes = 0
        self._prune_at = (_HELD_ENTRIES, _HELD_BYTES)
        self._shadow: Doc[Map[object]] | None = None

    @property
    def held(self) -> int:
        """How many accepted updates are kept for a rebuild."""
        return len(self._held)

    def check(self, update: bytes) -> None:
        """Apply ``update`` to the shadow, or raise ``RejectedUpdate``.

        After a successful check the shadow already holds the update; the caller
        must apply it to the real document too.
        """
        shadow = self._catch_up()
        self._touched.clear()
        self._touched_props.clear()
        self._check_all = False
        try:
            apply_checked(shadow, update)
            self._find_problems(shadow)
        except RejectedUpdate:
            self._shadow = None  # spoiled: rebuilt when next needed
            raise
        self._hold(update)

    def mirror(self, update: bytes) -> None:
        """Take a trusted (local) update into the shadow.

        Only needed before the next remote update is checked, so local updates
        are gathered and applied as one: a burst of edits costs one apply.
        """
        if self._shadow is None:
            return  # not built yet: it will start from the document's state, this included
        self._mirrored.append(update)
        if len(self._mirrored) >= _MIRROR_BACKLOG:
            self._catch_up()

    def accepted(self, update: bytes) -> None:
        """``doc`` took ``update`` without the shadow (an empty document took a whole state).

        The shadow is rebuilt, with it, when the next update needs checking.
        """
        self._mirrored.clear()
        self._shadow = None
        self._hold(update)

    def _find_problems(self, shadow: Doc[Map[object]]) -> None:
        problems = []
        roots = set(shadow.keys()) - {NODES}
        if roots:
            problems.append(f"unknown root types {sorted(roots)}")
        nodes = shadow.get(NODES, type=Map)
        touched = set(nodes.keys()) if self._check_all else self._touched
        with shadow.transaction() as txn:
            for node_id in sorted(touched):
                problem = node_problem(node_id, nodes.integrated, txn._txn)
                if problem:
                    problems.append(problem)
            if not self._check_all:
                for node_id in sorted(set(self._touched_props) - touched):
                    problem = _props_problem(
                        node_id, self._touched_props[node_id], nodes.integrated, txn._txn
                    )
                    if problem:
                        problems.append(problem)
        if problems:
            raise RejectedUpdate("; ".join(problems[:5]))

    def _hold(self, update: bytes) -> None:
        self._held.append(update)
        self._held_bytes += len(update)
        entries, size = self._prune_at
        if len(self._held) > entries or self._held_bytes > size:
            self._prune()

    def _prune(self) -> None:
        state = self._doc.get_state()
        clocks = _state_vector(state)
        self._held = [u for u in self._held if not _taken_in(u, state, clocks)]
        self._held_bytes = sum(map(len, self._held))
        # Pruning reads every kept update: grow the bounds with what stays.
        self._prune_at = (
            max(_HELD_ENTRIES, 2 * len(self._held)),
            max(_HELD_BYTES, 2 * self._held_bytes),
        )

    def _catch_up(self) -> Doc[Map[object]]:
        self._quiet = True  # trusted: reading its events would be wasted work
        try:
            if self._shadow is None:
                self._shadow = self._new_shadow()
                self._mirrored.clear()  # local updates are in the state already
                self._shadow.apply_update(self._doc.get_update())
                for update in self._held:
                    self._shadow.apply_update(update)
            if self._mirrored:
                pending, self._mirrored = self._mirrored, []
                self._shadow.apply_update(
                    pending[0] if len(pending) == 1 else merge_updates(*pending)
                )
        finally:
            self._quiet = False
        return self._shadow

    def _new_shadow(self) -> Doc[Map[object]]:
        shadow: Doc[Map[object]] = Doc()
        # Keep the subscription: pycrdt drops the observer with its last reference.
        self._subscription = observe_nodes(
            shadow.get(NODES, type=Map), self._on_events, quiet=lambda: self._quiet
        )
        return shadow

    def _on_events(self, events: list[tuple[list[str], EventKeys | None]]) -> None:
        for path, keys in events:
            if len(path) == 2 and path[1] == "props" and keys is not None:
                # Only property values changed: check just those, not the whole node.
                self._touched_props.setdefault(path[0], set()).update(keys)
            elif path:
                self._touched.add(path[0])
            elif keys is None:
                self._check_all = True
            else:
                # A removed key needs no check (undoing an add removes the node).
                self._touched.update(k for k, c in keys.items() if c.get("action") != "delete")


def node_problem(node_id: str, nodes: Any, txn: Any) -> str | None:
    """Why node ``node_id`` breaks the schema, or ``None`` if it is valid.

    ``nodes`` is yrs' own ``nodes`` map and ``txn`` a yrs transaction on it.
    """
    try:
        read_node(node_id, nodes, txn)
    except ValidationError as exc:
        return f"node {node_id!r:.80}: {exc}"
    return None


def _props_problem(node_id: str, names: set[str], nodes: Any, txn: Any) -> str | None:
    """Check only the properties ``names`` of a node whose other fields did not change."""
    try:
        node = raw_get(nodes, txn, node_id)
        props = raw_get(node, txn, "props") if isinstance(node, raw.Map) else None
        if not isinstance(props, raw.Map):
            raise ValidationError("props is not a map")
        for name in sorted(names):
            check_prop_name(name)
            value = raw_get(props, txn, name, _MISSING)
            if value is _MISSING:
                continue  # removed
            if isinstance(value, RAW_SHARED):
                raise ValidationError(f"property {name!r:.80} holds a shared type, not JSON")
            check_value(value, f"property {name!r:.80}")
    except ValidationError as exc:
        return f"node {node_id!r:.80}: {exc}"
    return None


_MISSING = object()


EventKeys = dict[str, dict[str, object]]


def observe_nodes(
    nodes: Map[object],
    callback: Callable[[list[tuple[list[str], EventKeys | None]]], None],
    quiet: Callable[[], bool] | None = None,
) -> Subscription:
    """Observe ``nodes`` deeply, passing ``(path, changed keys)`` per event.

    pycrdt's own wrapper reads every field of every event up front, and yrs
    0.28 panics computing the changed keys of some events (seen with undo and
    out-of-order delivery), which would abort the whole transaction. Reading
    the raw events lazily confines that: the keys come as ``None`` instead.
    While ``quiet()`` is true, events are not read at all.
    """

    def on_events(events: list[Any]) -> None:
        if quiet is not None and quiet():
            return
        parts = []
        for event in events:
            path = [str(part) for part in event.path]
            try:
                keys: EventKeys | None = event.keys
            except BaseException as exc:
                if not is_panic(exc):
                    raise
                keys = None
            parts.append((path, keys))
        callback(parts)

    subscription: Subscription = nodes.integrated.observe_deep(on_events)
    return subscription


def _taken_in(update: bytes, state: bytes, clocks: dict[int, int]) -> bool:
    """Whether a document with state vector ``state`` (``clocks``) holds all of ``update``.

    yrs' diff against the state leaves the structs not yet integrated (none:
    it starts with a zero count) and the update's whole delete set, whose
    ranges must all lie below the document's clocks to have been applied.
    """
    diff = get_update(update, state)
    if diff[:1] != b"\x00":
        return False
    numbers = _varuints(diff, 1)
    for _ in range(next(numbers)):
        client, ranges = next(numbers), next(numbers)
        for _ in range(ranges):
            clock, length = next(numbers), next(numbers)
            if clock + length > clocks.get(client, 0):
                return False
    return True


def _state_vector(state: bytes) -> dict[int, int]:
    numbers = _varuints(state, 0)
    return {next(numbers): next(numbers) for _ in range(next(numbers))}


def _varuints(data: bytes, pos: int) -> Iterator[int]:
    """The unsigned varints in yrs' own output, from ``pos`` on."""
    value = shift = 0
    for byte in data[pos:]:
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            yield value
            value = shift = 0


def is_panic(exc: BaseException) -> bool:
    """Whether ``exc`` is a Rust panic surfacing from pycrdt (a ``BaseException``)."""
    return type(exc).__name__ == "PanicException"
