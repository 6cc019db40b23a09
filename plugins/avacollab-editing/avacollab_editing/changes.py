"""What a ``Document`` reports after a transaction: which nodes changed, how, by whom.

The node map's deep events are turned into one ``Change`` per transaction here,
so the same classification serves local edits, undo and remote updates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .guard import EventKeys

__all__ = ["Change", "ChangeKind", "NodeChange", "change_of"]

ChangeKind = Literal["added", "removed", "deleted", "restored", "moved", "props", "type"]


@dataclass(frozen=True)
class NodeChange:
    """What happened to one node in one transaction.

    ``kind`` is ``added``, ``deleted``, ``restored``, ``moved``, ``props`` (with
    the property names in ``keys``), ``removed`` (an add was undone) or, only
    from foreign writers, ``type``.
    """

    id: str
    kind: ChangeKind
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """One transaction's worth of changes and who made them.

    ``origin`` is ``None`` for an edit made through this ``Document`` (including
    undo and redo), otherwise the label given to ``apply_update``: the peer id
    for updates from the network.
    """

    origin: str | None
    nodes: tuple[NodeChange, ...] = field(default=())

    @property
    def local(self) -> bool:
        """Whether the change was made on this replica."""
        return self.origin is None


def change_of(
    events: list[tuple[list[str], EventKeys | None]], origin: str | None
) -> Change | None:
    """The ``Change`` that the node map's events of one transaction describe, if any."""
    changes: dict[tuple[str, ChangeKind], set[str]] = {}
    for path, keys in events:
        if keys is None:
            if path:  # the key details were lost (see observe_nodes)
                changes.setdefault((path[0], "props" if len(path) > 1 else "moved"), set())
            continue
        for key, change in keys.items():
            node_id, kind = _classify(path, key, change)
            names = changes.setdefault((node_id, kind), set())
            if kind == "props":
                names.add(key)
    if not changes:
        return None
    return Change(
        origin,
        tuple(NodeChange(i, k, tuple(sorted(n))) for (i, k), n in changes.items()),
    )


def _classify(path: list[str], key: str, change: dict[str, object]) -> tuple[str, ChangeKind]:
    action = change.get("action")
    if not path:
        return key, "removed" if action == "delete" else "added"
    node_id = path[0]
    if len(path) > 1:
        return node_id, "props"
    if key == "pos":
        return node_id, "moved"
    if key == "deleted":
        return node_id, "deleted" if change.get("newValue") else "restored"
    if key == "type":
        return node_id, "type"
    return node_id, "props"
