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

from .changes import Change
from .components import Component, parse_export, walk
from .model import Document, EditError
from .schema import JSON, ValidationError
from .storage import SavedState, append_state, atomic_write, digest, write_state


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


COMPACT_FROM = 1 << 16
"""Appended state records below this many bytes never force a rewrite of the whole state."""


class DocFile:
    """Keeps the JSON file at ``path`` and ``document`` in sync both ways.

    With ``state`` (a path), the CRDT state is saved there whenever the file
    is written, and whenever the document changed while the file does not
    parse. Call ``open()`` once (after loading any saved state into the
    document), ``sync()`` whenever the file or the document may have changed.
    """

    def __init__(self, path: Path, document: Document, state: Path | None = None) -> None:
        self.path = path
        self.document = document
        self.state = state
        self._base: list[Component] = []
        self._base_raw: bytes | None = None  # the bytes _base was read from or written as
        self._written: bytes | None = None
        self._unsaved = True  # the document holds something the state file does not
        # What the state file holds: the state vector of its updates, its size
        # as written by us, and the size of its whole-state record.
        self._saved_vector: bytes | None = None
        self._state_size = 0
        self._whole_size = 0
        self._unsubscribe = document.on_change(self._changed)

    def open(self, saved: SavedState | None = None) -> list[Skipped]:
        """Reconcile file and document at start-up; ``saved`` is the state loaded, if any.

        With no saved state, an empty document takes the file's content. With
        one, the file is either what the state says was written with it
        (nothing to do: taking it in again would replay it as new writes, which
        can overwrite what other peers wrote meanwhile) or was edited while no
        peer ran: then it is diffed, like a live edit, against what it held when
        the state was saved, so only the edit becomes operations.
        """
        if not self.path.exists():
            self.push()
            return []
        if saved is None and self.document.ydoc.get_state() == b"\x00":  # never written
            raw = self.path.read_bytes()
            self.document.import_(components_json(self._parse(raw)))
            self._base_raw = raw  # so the first state names it as what the file replaces
            self.push()
            return []
        self._base = list(self.document.tree())
        if saved is not None and saved.base is not None:
            # Saved while the file did not parse: its edit is against that older base.
            self._base = self._parse(saved.base)
            self._base_raw = saved.base
        elif saved is not None and self._mirrored(saved):
            self._unsaved = False
            self._written = self._base_raw = self.path.read_bytes()
            self.push()  # rewrites a file that lags its state
            return []
        return self.sync()

    def sync(self) -> list[Skipped]:
        """Merge edits made to the file into the document, then write the document back."""
        skipped: list[Skipped] = []
        raw = self.path.read_bytes()
        components = self._read(raw)
        if components is not None:
            skipped = apply_ops(self.document, diff(self._base, components))
            self._base_raw = raw  # merged: the state about to be saved holds it
        self.push()
        return skipped

    def push(self) -> None:
        """Write the document to the file if it changed, the state first (both atomically)."""
        tree = list(self.document.tree())
        data = (json.dumps(self.document.export(), indent=2, ensure_ascii=False) + "\n").encode()
        changed = data != self._written
        if self.state is not None and (changed or self._unsaved):
            # The state goes first and names both the file's old and new content.
            # A crash before the file is written leaves the old content, which
            # open() knows is in the state; the other order would leave a file
            # newer than any state, taken for an edit and replayed as new writes.
            replaces = None if self._base_raw is None else digest(self._base_raw)
            self._save(digest(data), replaces, None)
        if changed:
            atomic_write(self.path, data)
            self._written = data
        self._base = tree
        self._base_raw = data

    def save_unsynced(self) -> None:
        """Save the state when the file cannot be merged (it does not parse).

        The file is left alone, so the state records the base its pending edit
        is against; a restart diffs the file from there once it parses.
        """
        if self.state is not None and self._unsaved:
            self._save(None, None, self._base_raw or b"[]")

    def close(self) -> None:
        """Stop following the document's changes."""
        self._unsubscribe()

    def _save(self, mirrors: str | None, replaces: str | None, base: bytes | None) -> None:
        """Append what changed since the last save, or rewrite the whole state.

        The whole state is rewritten once the appended records weigh as much
        as it does, so a long session costs about twice the changes it saves.
        """
        assert self.state is not None
        if self._saved_vector is not None and self._state_size - self._whole_size < max(
            self._whole_size, COMPACT_FROM
        ):
            try:
                appendable = self.state.stat().st_size == self._state_size
            except FileNotFoundError:
                appendable = False  # removed meanwhile: a delta alone would be useless
            if appendable:
                delta = self.document.get_update(self._saved_vector)
                record = SavedState(delta, mirrors, replaces, base)
                self._state_size += append_state(self.state, record)
                self._saved_vector = self.document.state_vector()
                self._unsaved = False
                return
        whole = SavedState(self.document.get_update(), mirrors, replaces, base)
        write_state(self.state, whole)
        self._saved_vector = self.document.state_vector()
        self._state_size = self._whole_size = self.state.stat().st_size
        self._unsaved = False

    def _changed(self, _change: Change) -> None:
        self._unsaved = True

    def _mirrored(self, saved: SavedState) -> bool:
        """Whether the file holds nothing the saved state lacks."""
        found = digest(self.path.read_bytes())
        if found == saved.mirrors:
            return True
        # The state was written and the file not yet: a crash between the two.
        # A file put back to that content later (by hand, from version control)
        # is newer than the state, and so taken as an edit.
        return (
            found == saved.replaces
            and self.state is not None
            and self.path.stat().st_mtime_ns <= self.state.stat().st_mtime_ns
        )

    def _read(self, raw: bytes) -> list[Component] | None:
        """The file's components, or ``None`` if it is what we last wrote."""
        if raw == self._written:
            return None
        return self._parse(raw)

    def _parse(self, raw: bytes) -> list[Component]:
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
