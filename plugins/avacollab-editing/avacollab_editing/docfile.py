"""Two-way sync between a JSON file (``--doc design.json``) and the shared document.

Edits made to the file are found by diffing it against the content last
written or read (the *base*), not against the live document: that way remote
changes that arrived in between are merged, not reverted. The diff is a list of
operations (``diff`` is pure); ``apply_ops`` replays them on the document in one
transaction. The document is written back atomically.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .components import Component, parse_export, walk
from .model import Document, EditError
from .schema import JSON, ValidationError
from .storage import atomic_write


class DocFileError(ValueError):
    """The JSON file cannot be read as a document, or asks for an impossible change."""


@dataclass(frozen=True)
class Add:
    """Add a component (its children come as separate ``Add`` operations)."""

    id: str
    type: str
    properties: dict[str, JSON]
    parent: str | None
    after: str | None


@dataclass(frozen=True)
class SetProp:
    """Set one property."""

    id: str
    name: str
    value: JSON


@dataclass(frozen=True)
class RemoveProp:
    """Remove one property."""

    id: str
    name: str


@dataclass(frozen=True)
class Delete:
    """Delete a component (and so its subtree)."""

    id: str


@dataclass(frozen=True)
class Move:
    """Put a component under ``parent`` right after sibling ``after`` (first if ``None``)."""

    id: str
    parent: str | None
    after: str | None


Op = Add | SetProp | RemoveProp | Delete | Move


@dataclass(frozen=True)
class Skipped:
    """An operation that no longer fits the document (e.g. its node was deleted remotely)."""

    op: Op
    reason: str


def diff(old: list[Component] | tuple[Component, ...], new: list[Component]) -> list[Op]:
    """The operations that turn forest ``old`` into forest ``new``.

    Order matters and is chosen so replaying works: parents are placed before
    their children, and deletions come last (so a node moved out of a deleted
    subtree survives). Among siblings that stayed under the same parent, the
    longest run still in the same relative order stays put and only the rest
    move. Raises ``DocFileError`` if a component changed type.
    """
    old_info = _index(old)
    new_info = _index(new)
    ops: list[Op] = []
    for parent, kids in _sibling_lists(new):
        stayed = [k for k in kids if k in old_info and old_info[k][1] == parent]
        kept = _longest_increasing(stayed, lambda k: old_info[k][2])
        after: str | None = None
        for kid in kids:
            component = new_info[kid][0]
            if kid not in old_info:
                ops.append(Add(kid, component.type, dict(component.properties), parent, after))
            elif kid not in kept:
                ops.append(Move(kid, parent, after))
            after = kid
    for node_id, (component, _, _) in new_info.items():
        if node_id not in old_info:
            continue
        before = old_info[node_id][0]
        if before.type != component.type:
            raise DocFileError(
                f"component {node_id!r} changed type from {before.type!r} to"
                f" {component.type!r}; types are fixed, give the new component a new id"
            )
        for name, value in component.properties.items():
            if name not in before.properties or not _same(before.properties[name], value):
                ops.append(SetProp(node_id, name, value))
        ops.extend(
            RemoveProp(node_id, n) for n in before.properties if n not in component.properties
        )
    for node_id, (_, parent, _) in old_info.items():
        if node_id not in new_info and (parent is None or parent in new_info):
            ops.append(Delete(node_id))
    return ops


def apply_ops(document: Document, ops: list[Op]) -> list[Skipped]:
    """Replay ``ops`` on ``document`` in one transaction; return those that did not fit."""
    skipped: list[Skipped] = []
    with document.batch():
        for op in ops:
            try:
                _apply(document, op)
            except (EditError, ValidationError) as exc:
                skipped.append(Skipped(op, str(exc)))
    return skipped


class DocFile:
    """Keeps the JSON file at ``path`` and ``document`` in sync both ways.

    Call ``open()`` once (after loading any saved CRDT state into the
    document), ``sync()`` whenever the file or the document may have changed.
    """

    def __init__(self, path: Path, document: Document) -> None:
        self.path = path
        self.document = document
        self._base: list[Component] = []
        self._written: bytes | None = None

    def open(self) -> list[Skipped]:
        """Reconcile file and document at start-up.

        An empty document takes the file's content; otherwise the document is
        taken as what the file held when last written, so edits made to the
        file while no peer was running are merged as operations.
        """
        if not self.path.exists():
            self.push()
            return []
        if self.document.ydoc.get_state() == b"\x00":  # nothing was ever written
            components = self._read()
            if components is not None:
                self.document.import_(components_json(components))
            self.push()
            return []
        self._base = list(self.document.tree())
        return self.sync()

    def sync(self) -> list[Skipped]:
        """Merge edits made to the file into the document, then write the document back."""
        skipped: list[Skipped] = []
        components = self._read()
        if components is not None:
            skipped = apply_ops(self.document, diff(self._base, components))
        self.push()
        return skipped

    def push(self) -> None:
        """Write the document to the file if it changed (atomically)."""
        tree = list(self.document.tree())
        data = (json.dumps(self.document.export(), indent=2, ensure_ascii=False) + "\n").encode()
        if data != self._written:
            atomic_write(self.path, data)
            self._written = data
        self._base = tree

    def _read(self) -> list[Component] | None:
        """The file's components, or ``None`` if it is what we last wrote."""
        raw = self.path.read_bytes()
        if raw == self._written:
            return None
        try:
            return parse_export(json.loads(raw))
        except (ValueError, UnicodeDecodeError) as exc:
            raise DocFileError(f"{self.path.name}: {exc}") from None


def components_json(components: list[Component]) -> list[JSON]:
    """Components as a JSON list (what ``Document.import_`` accepts)."""
    return [component.to_json() for component in components]


def _apply(document: Document, op: Op) -> None:
    if isinstance(op, SetProp):
        document.set_prop(op.id, op.name, op.value)
    elif isinstance(op, RemoveProp):
        document.remove_prop(op.id, op.name)
    elif isinstance(op, Delete):
        document.delete(op.id)
    elif isinstance(op, Move):
        document.move(op.id, op.parent, _index_after(document, op.parent, op.after, op.id))
    else:
        existing = document.node(op.id)
        if existing is None:
            index = _index_after(document, op.parent, op.after, op.id)
            document.add(op.type, op.properties, parent=op.parent, index=index, id=op.id)
            return
        # The id is back (re-added after a delete, or added remotely meanwhile):
        # make the stored node match the file.
        if existing.type != op.type:
            raise EditError(f"node {op.id!r} exists with type {existing.type!r}")
        if existing.deleted:
            document.restore(op.id)
        document.move(op.id, op.parent, _index_after(document, op.parent, op.after, op.id))
        for name, value in op.properties.items():
            document.set_prop(op.id, name, value)
        for name in existing.props:
            if name not in op.properties:
                document.remove_prop(op.id, name)


def _same(a: JSON, b: JSON) -> bool:
    # Python says True == 1 == 1.0; a JSON file does not.
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _index_after(document: Document, parent: str | None, after: str | None, node: str) -> int:
    siblings = [s for s in document.children(parent) if s != node]
    if after is None:
        return 0
    if after in siblings:
        return siblings.index(after) + 1
    return len(siblings)  # the anchor went elsewhere meanwhile: append


def _index(
    forest: list[Component] | tuple[Component, ...],
) -> dict[str, tuple[Component, str | None, int]]:
    """id -> (component, parent id, position among siblings)."""
    info: dict[str, tuple[Component, str | None, int]] = {}
    for i, top in enumerate(forest):
        info[top.id] = (top, None, i)
    for component in walk(forest):
        for i, child in enumerate(component.children):
            info[child.id] = (child, component.id, i)
    return info


def _sibling_lists(forest: list[Component]) -> list[tuple[str | None, list[str]]]:
    lists: list[tuple[str | None, list[str]]] = [(None, [c.id for c in forest])]
    lists.extend(
        (component.id, [child.id for child in component.children])
        for component in walk(forest)
        if component.children
    )
    return lists


def _longest_increasing(items: list[str], key: Callable[[str], int]) -> set[str]:
    """The items of the longest subsequence whose keys increase (patience sorting)."""
    tails: list[int] = []  # tails[k]: index of the smallest tail of a run of length k+1
    tail_keys: list[int] = []
    back: list[int] = [-1] * len(items)
    for i, item in enumerate(items):
        value = key(item)
        pos = bisect_left(tail_keys, value)
        if pos:
            back[i] = tails[pos - 1]
        if pos == len(tails):
            tails.append(i)
            tail_keys.append(value)
        else:
            tails[pos] = i
            tail_keys[pos] = value
    kept: set[str] = set()
    i = tails[-1] if tails else -1
    while i >= 0:
        kept.add(items[i])
        i = back[i]
    return kept
