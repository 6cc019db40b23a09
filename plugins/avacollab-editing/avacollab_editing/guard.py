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

from pycrdt import Array, Doc, Map, Subscription, Text, XmlElement, XmlFragment, XmlText

from .schema import (
    ValidationError,
    check_id,
    check_prop_name,
    check_type,
    check_value,
    parse_entry,
)

NODES = "nodes"
# Shared (non-JSON) values a foreign writer could smuggle into a node.
_SHARED = (Array, Doc, Map, Text, XmlElement, XmlFragment, XmlText)


class RejectedUpdate(ValueError):
    """An update from a peer was malformed or would break the document schema."""


class UpdateGuard:
    """A shadow document that vets updates before the real one applies them."""

    def __init__(self, state: bytes) -> None:
        self._touched: set[str] = set()
        self._check_all = False
        self._shadow = self._new_shadow(state)

    def check(self, update: bytes) -> None:
        """Apply ``update`` to the shadow, or raise ``RejectedUpdate``.

        After a successful check the shadow already holds the update; the caller
        must apply it to the real document too.
        """
        self._touched.clear()
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
        for node_id in sorted(touched):
            problem = node_problem(node_id, nodes.get(node_id))
            if problem:
                problems.append(problem)
        if problems:
            raise RejectedUpdate("; ".join(problems[:5]))

    def mirror(self, update: bytes) -> None:
        """Apply a trusted (local) update to the shadow."""
        self._shadow.apply_update(update)

    def reset(self, state: bytes) -> None:
        """Rebuild the shadow from the real document's full state."""
        self._shadow = self._new_shadow(state)

    def _new_shadow(self, state: bytes) -> Doc[Map[object]]:
        shadow: Doc[Map[object]] = Doc()
        # Keep the subscription: pycrdt drops the observer with its last reference.
        self._subscription = observe_nodes(shadow.get(NODES, type=Map), self._on_events)
        shadow.apply_update(state)
        return shadow

    def _on_events(self, events: list[tuple[list[str], EventKeys | None]]) -> None:
        for path, keys in events:
            if path:
                self._touched.add(path[0])
            elif keys is None:
                self._check_all = True
            else:
                # A removed key needs no check (undoing an add removes the node).
                self._touched.update(k for k, c in keys.items() if c.get("action") != "delete")


def node_problem(node_id: str, node: object) -> str | None:
    """Why the stored node ``node`` breaks the schema, or ``None`` if it is valid."""
    try:
        check_id(node_id)
        _check_node(node)
    except ValidationError as exc:
        return f"node {node_id!r:.80}: {exc}"
    return None


def _check_node(node: object) -> None:
    if not isinstance(node, Map):
        raise ValidationError("is not a map")
    check_type(node.get("type"))
    props = node.get("props")
    if not isinstance(props, Map):
        raise ValidationError("props is not a map")
    for name, value in props.items():
        check_prop_name(name)
        if isinstance(value, _SHARED):
            raise ValidationError(f"property {name!r:.80} holds a shared type, not JSON")
        check_value(value, f"property {name!r:.80}")
    pos = node.get("pos")
    if pos is None:
        # Legitimately transient: a move's deletion of the old position can
        # arrive before the new position (Yjs applies deletions at once and
        # holds back items whose causal predecessors are missing).
        return
    if isinstance(pos, _SHARED):
        raise ValidationError("pos is a shared type, not a plain value")
    parse_entry({"pos": pos, "deleted": node.get("deleted", False)})


EventKeys = dict[str, dict[str, object]]


def observe_nodes(
    nodes: Map[object], callback: Callable[[list[tuple[list[str], EventKeys | None]]], None]
) -> Subscription:
    """Observe ``nodes`` deeply, passing ``(path, changed keys)`` per event.

    pycrdt's own wrapper reads every field of every event up front, and yrs
    0.28 panics computing the changed keys of some events (seen with undo and
    out-of-order delivery), which would abort the whole transaction. Reading
    the raw events lazily confines that: the keys come as ``None`` instead.
    """

    def on_events(events: list[Any]) -> None:
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
