"""Turning the flat node map into a tree: pure, deterministic, no pycrdt.

Every replica that holds the same entries computes the same layout, whatever
order the updates arrived in. The rules (also in docs/editing.md):

- Siblings sort by ``(order, id)``.
- A cycle (two concurrent moves, each putting one node under the other) is
  broken at the node with the smallest id in the cycle: that node's move loses
  and it goes back to the position it was moved from (``prev``); if that also
  loops, or it has no ``prev``, it goes to the top level.
- A deleted node hides its whole subtree. A node whose parent does not exist
  (its parent's update has not arrived yet) is hidden until the parent arrives.
- A node more than ``MAX_DEPTH`` levels below the top level (which is depth
  0) is hidden with its subtree.
- A node with no stored position is at ``UNPLACED``: the top level, order
  key ``z`` (near the end), nodes with equal keys sorting by id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Place:
    """A position: the parent id (``None`` is the top level) and an order key."""

    parent: str | None
    order: str


MAX_DEPTH = 256
"""The deepest level shown; the top level is depth 0.

Adding, moving, importing and restoring refuse to go deeper, so only undo
and redo, a foreign writer (a hostile peer) or concurrent moves into a tree
already about this deep put a node below it. Hiding it there keeps every replica identical and every
reader of the tree (rendering, export, the browser's views) within a bounded
depth: a chain of 20,000 nodes would otherwise exhaust their recursion."""

UNPLACED = Place(None, "z")
"""Where a node with no stored ``pos`` goes.

An undo or redo can leave a node with no position at all: undoing a map
write deletes it and restores the value it replaced, but Yjs restores
nothing when a write from another replica came after that value, even one
the undone move itself replaced (so two concurrent moves, then an undo by
the winner, leave nothing). Every replica holds the same state, so reading
such a node at one fixed place keeps the replicas identical, and the node,
its properties and its subtree stay visible and editable instead of being
lost for good; the next move writes a whole position again. The same rule
covers a move's deletion of the old position arriving before the new one:
the node shows here until the rest of the update arrives.
"""


@dataclass(frozen=True)
class Entry:
    """What the layout needs to know about one node."""

    place: Place
    deleted: bool = False
    prev: Place | None = None


@dataclass
class Layout:
    """Where every node ends up.

    ``children[None]`` lists the top-level nodes; ``visible`` holds every node
    shown in the tree and ``depth`` its level (0: the top level); ``place`` is
    each node's effective position after cycle repair (it differs from the
    stored one only for a node whose move lost).
    """

    children: dict[str | None, list[str]] = field(default_factory=dict)
    visible: set[str] = field(default_factory=set)
    depth: dict[str, int] = field(default_factory=dict)
    place: dict[str, Place] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)

    def is_deleted(self, node_id: str) -> bool:
        """Whether the node itself carries the deleted flag."""
        return node_id in self.deleted

    def kids(self, parent: str | None) -> list[str]:
        """The visible children of ``parent`` in order (empty if none)."""
        return self.children.get(parent, [])

    def height(self, node_id: str) -> int:
        """How many levels of nodes hang below ``node_id`` (0: none), hidden ones
        included: a restore, or an undo, can show those again."""
        under: dict[str | None, list[str]] = {}
        for node, place in self.place.items():
            under.setdefault(place.parent, []).append(node)
        height, below = 0, under.get(node_id, [])
        while below:
            height += 1
            below = [kid for node in below for kid in under.get(node, ())]
        return height

    def is_ancestor(self, ancestor: str, node: str) -> bool:
        """Whether ``ancestor`` is ``node`` itself or above it in the tree."""
        current: str | None = node
        while current is not None:
            if current == ancestor:
                return True
            current = self.place[current].parent
        return False


def compute_layout(entries: Mapping[str, Entry]) -> Layout:
    """Compute the deterministic tree layout of ``entries``."""
    place = {node_id: entry.place for node_id, entry in entries.items()}
    _repair_cycles(entries, place)
    layout = Layout(place=place, deleted={i for i, entry in entries.items() if entry.deleted})
    hidden: set[str] = set()
    for node_id in entries:
        if _is_visible(node_id, entries, place, layout, hidden):
            parent = place[node_id].parent
            layout.children.setdefault(parent, []).append(node_id)
    for siblings in layout.children.values():
        siblings.sort(key=lambda node_id: (place[node_id].order, node_id))
    return layout


def _repair_cycles(entries: Mapping[str, Entry], place: dict[str, Place]) -> None:
    fell_back: set[str] = set()
    done: set[str] = set()
    for start in sorted(entries):
        while start not in done:
            path: list[str] = []
            on_path: set[str] = set()
            current: str | None = start
            while current is not None and current in entries and current not in done:
                if current in on_path:
                    break
                path.append(current)
                on_path.add(current)
                current = place[current].parent
            if current is None or current not in on_path:
                done.update(path)
                continue
            cycle = path[path.index(current) :]
            loser = min(cycle)
            prev = entries[loser].prev
            if loser not in fell_back and prev is not None:
                fell_back.add(loser)
                place[loser] = prev
            else:
                # Second failure (or nothing to go back to): the top level never loops.
                place[loser] = Place(None, (prev or place[loser]).order)
            # Walk again from start: the new parent may lead into another loop.


def _is_visible(
    node_id: str,
    entries: Mapping[str, Entry],
    place: Mapping[str, Place],
    layout: Layout,
    hidden: set[str],
) -> bool:
    chain: list[str] = []
    current: str | None = node_id
    while current is not None and current not in layout.visible:
        entry = entries.get(current)
        if entry is None or entry.deleted or current in hidden:
            hidden.update(chain)
            return False
        chain.append(current)
        current = place[current].parent
    # The chain hangs from the top level or from a node already shown: each
    # node is one level below the next; those past MAX_DEPTH stay hidden.
    depth = -1 if current is None else layout.depth[current]
    for node in reversed(chain):
        depth += 1
        if depth > MAX_DEPTH:
            hidden.add(node)
        else:
            layout.visible.add(node)
            layout.depth[node] = depth
    return node_id in layout.visible
