"""Screening updates from peers before they reach the document.

A CRDT update cannot be rolled back once applied, so every remote update is
first applied to a *shadow* copy of the document and the nodes it touched are
checked against the schema. Only an update that leaves the shadow valid is
applied to the real document. A rejected update leaves the shadow dirty, so it
is rebuilt from the real document (costly, but only a faulty or hostile peer
pays for it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pycrdt import Doc, Map, Subscription, merge_updates
from pycrdt import _pycrdt as raw

from .schema import (
    ValidationError,
    check_id,
    check_prop_name,
    check_type,
    check_value,
    parse_entry,
)

NODES = "nodes"
# Shared (non-JSON) values a foreign writer could smuggle into a node, as yrs
# hands them out before pycrdt wraps them: checking a large update node by
# node through pycrdt's wrappers cost ~250 us a node (one transaction per
# read); reading yrs' values in one transaction costs a tenth of that.
_RAW_SHARED = (raw.Array, raw.Doc, raw.Map, raw.Text, raw.XmlElement, raw.XmlFragment, raw.XmlText)
_MIRROR_BACKLOG = 256
"""Local updates held back from the shadow before they are merged into it anyway."""


class RejectedUpdate(ValueError):
    """An update from a peer was malformed or would break the document schema."""


class UpdateGuard:
    """A shadow document that vets updates before the real one applies them."""

    def __init__(self, state: bytes) -> None:
        self._touched: set[str] = set()
        self._touched_props: dict[str, set[str]] = {}  # only these props of a node changed
        self._check_all = False
        self._mirrored: list[bytes] = []
        self._quiet = False
        self._shadow = self._new_shadow(state)

    def check(self, update: bytes) -> None:
        """Apply ``update`` to the shadow, or raise ``RejectedUpdate``.

        After a successful check the shadow already holds the update; the caller
        must apply it to the real document too.
        """
        self._catch_up()
        self._touched.clear()
        self._touched_props.clear()
        self._check_all = False
        try:
            self._shadow.apply_update(update)
        except Exception as exc:  # pycrdt raises ValueError for undecodable bytes
            raise RejectedUpdate(f"malformed update: {exc}") from None
        except BaseException as exc:
            if not is_panic(exc):
                raise
            raise RejectedUpdate("update crashed the CRDT library") from None
        problems = []
        roots = set(self._shadow.keys()) - {NODES}
        if roots:
            problems.append(f"unknown root types {sorted(roots)}")
        nodes = self._shadow.get(NODES, type=Map)
        touched = set(nodes.keys()) if self._check_all else self._touched
        with self._shadow.transaction() as txn:
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

    def mirror(self, update: bytes) -> None:
        """Take a trusted (local) update into the shadow.

        Only needed before the next remote update is checked, so local updates
        are gathered and applied as one: a burst of edits costs one apply.
        """
        self._mirrored.append(update)
        if len(self._mirrored) >= _MIRROR_BACKLOG:
            self._catch_up()

    def reset(self, state: bytes) -> None:
        """Rebuild the shadow from the real document's full state."""
        self._mirrored.clear()
        self._shadow = self._new_shadow(state)

    def _catch_up(self) -> None:
        if self._mirrored:
            pending, self._mirrored = self._mirrored, []
            self._quiet = True  # trusted: reading its events would be wasted work
            try:
                self._shadow.apply_update(
                    pending[0] if len(pending) == 1 else merge_updates(*pending)
                )
            finally:
                self._quiet = False

    def _new_shadow(self, state: bytes) -> Doc[Map[object]]:
        shadow: Doc[Map[object]] = Doc()
        # Keep the subscription: pycrdt drops the observer with its last reference.
        self._subscription = observe_nodes(
            shadow.get(NODES, type=Map), self._on_events, quiet=lambda: self._quiet
        )
        shadow.apply_update(state)
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
        check_id(node_id)
        node = _raw_get(nodes, txn, node_id)
        if not isinstance(node, raw.Map):
            raise ValidationError("is not a map")
        check_type(_raw_get(node, txn, "type"))
        props = _raw_get(node, txn, "props")
        if not isinstance(props, raw.Map):
            raise ValidationError("props is not a map")
        names: list[str] = props.keys(txn)  # type: ignore[attr-defined]  # not in the stubs
        for name in names:
            check_prop_name(name)
            value = props.get(txn, name)
            if isinstance(value, _RAW_SHARED):
                raise ValidationError(f"property {name!r:.80} holds a shared type, not JSON")
            check_value(value, f"property {name!r:.80}")
        pos = _raw_get(node, txn, "pos")
        if pos is None:
            # Legitimately transient: a move's deletion of the old position can
            # arrive before the new position (Yjs applies deletions at once and
            # holds back items whose causal predecessors are missing).
            return None
        if isinstance(pos, _RAW_SHARED):
            raise ValidationError("pos is a shared type, not a plain value")
        deleted = _raw_get(node, txn, "deleted", False)
        parse_entry({"pos": pos, "deleted": deleted})
    except ValidationError as exc:
        return f"node {node_id!r:.80}: {exc}"
    return None


def _props_problem(node_id: str, names: set[str], nodes: Any, txn: Any) -> str | None:
    """Check only the properties ``names`` of a node whose other fields did not change."""
    try:
        node = _raw_get(nodes, txn, node_id)
        props = _raw_get(node, txn, "props") if isinstance(node, raw.Map) else None
        if not isinstance(props, raw.Map):
            raise ValidationError("props is not a map")
        for name in sorted(names):
            check_prop_name(name)
            value = _raw_get(props, txn, name, _MISSING)
            if value is _MISSING:
                continue  # removed
            if isinstance(value, _RAW_SHARED):
                raise ValidationError(f"property {name!r:.80} holds a shared type, not JSON")
            check_value(value, f"property {name!r:.80}")
    except ValidationError as exc:
        return f"node {node_id!r:.80}: {exc}"
    return None


_MISSING = object()


def _raw_get(container: Any, txn: Any, key: str, default: object = None) -> object:
    try:
        return container.get(txn, key)  # one call instead of has() then get()
    except ValueError:  # yrs' "Key error"
        return default


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


def is_panic(exc: BaseException) -> bool:
    """Whether ``exc`` is a Rust panic surfacing from pycrdt (a ``BaseException``)."""
    return type(exc).__name__ == "PanicException"
