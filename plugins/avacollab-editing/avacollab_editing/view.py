"""The parsed node map a ``Document`` reads from, and what reading it gives.

Pure: a ``View`` is built from a ``Snapshot`` (``snapshot``) and its layout
(``layout``); nothing here touches the pycrdt document.
"""

from __future__ import annotations

from dataclasses import dataclass

from .components import Component
from .layout import Layout, compute_layout
from .schema import JSON, normalize
from .snapshot import Snapshot, paused_gc

__all__ = ["NodeState", "View", "build_tree", "node_state", "readable"]


@dataclass(frozen=True)
class NodeState:
    """Everything stored about one node, visible in the tree or not."""

    id: str
    type: str
    props: dict[str, JSON]
    parent: str | None
    deleted: bool
    visible: bool


@dataclass(frozen=True)
class View:
    """A parsed snapshot of the node map.

    Rebuilt after a change from elsewhere (or undo, or a move); the cheap local
    edits (adding a node, setting a property) patch it instead, so a burst of
    them does not rebuild it each time.
    """

    records: dict[str, tuple[str, dict[str, JSON]]]
    layout: Layout
    missing: set[str]
    """Parents named by some node but not present: adding one of those reshapes the tree."""

    @classmethod
    def of(cls, snapshot: Snapshot) -> View:
        """The view of a freshly read node map."""
        layout = compute_layout(snapshot.entries)
        missing = {
            place.parent
            for place in layout.place.values()
            if place.parent is not None and place.parent not in snapshot.entries
        }
        return cls(snapshot.records, layout, missing)


def build_tree(view: View) -> tuple[Component, ...]:
    """The visible tree of ``view``."""
    records, children = view.records, view.layout.children

    def build(node_id: str) -> Component:
        node_type, props = records[node_id]
        kids = children.get(node_id, ())
        return Component(node_id, node_type, readable(props), tuple(map(build, kids)))

    with paused_gc():
        return tuple(map(build, children.get(None, ())))


def node_state(view: View, node_id: str) -> NodeState | None:
    """The stored state of ``node_id`` in ``view``; ``None`` if unknown."""
    record = view.records.get(node_id)
    if record is None:
        return None
    node_type, props = record
    return NodeState(
        id=node_id,
        type=node_type,
        props=readable(props),
        parent=view.layout.place[node_id].parent,
        deleted=view.layout.is_deleted(node_id),
        visible=node_id in view.layout.visible,
    )


_PLAIN = frozenset({str, bool, int, type(None)})


def readable(props: dict[str, JSON]) -> dict[str, JSON]:
    """A copy of stored properties as they read back: sorted by name, normalized."""
    # Most values are plain strings or flags, which normalize() returns as they are.
    return {
        name: value if value.__class__ in _PLAIN else normalize(value)
        for name, value in sorted(props.items())
    }
