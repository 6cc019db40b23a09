"""The shared component tree: one pycrdt ``Doc`` per room, edited through ``Document``.

Stored shape (docs/editing.md has the details and the reasons)::

    nodes: Map<id, Map{type: str, props: Map<name, JSON>, pos: {parent, order[, prev]},
                       deleted: bool}>

``pos`` is one plain value written at once, so a move is a single write and two
concurrent moves can never duplicate a node. There are no children arrays:
the tree is computed from the positions (see ``layout``).
"""

from __future__ import annotations

import bisect
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from pycrdt import Doc, Map, Subscription, Transaction, TransactionEvent, UndoManager

from .components import Component, parse_export, to_export, walk
from .fractional import key_between, keys_between, salt_for
from .guard import NODES, EventKeys, RejectedUpdate, UpdateGuard, apply_checked, observe_nodes
from .layout import Layout, Place, compute_layout
from .schema import (
    JSON,
    ValidationError,
    check_id,
    check_prop_name,
    check_type,
    check_value,
    normalize,
)
from .snapshot import Snapshot, paused_gc, read_document
from .wireformat import WireFormatError, check_state_vector, check_update

__all__ = [
    "Change",
    "CycleError",
    "Document",
    "EditError",
    "NodeChange",
    "NodeState",
]

log = logging.getLogger(__name__)

ChangeKind = Literal["added", "removed", "deleted", "restored", "moved", "props", "type"]

_EMPTY_STATE = Doc().get_state()
_EMPTY_UPDATE = Doc().get_update()


class EditError(ValueError):
    """A local operation cannot be done: unknown or deleted node, bad index, ..."""


class CycleError(EditError):
    """A move would put a node inside its own subtree."""


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


@dataclass(frozen=True)
class _View:
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
    def of(cls, snapshot: Snapshot) -> _View:
        """The view of a freshly read node map."""
        layout = compute_layout(snapshot.entries)
        missing = {
            place.parent
            for place in layout.place.values()
            if place.parent is not None and place.parent not in snapshot.entries
        }
        return cls(snapshot.records, layout, missing)


class _LocalOrigin:
    """Marks transactions made through one Document, so undo tracks only those."""


class Document:
    """A collaborative component tree.

    Every operation validates its arguments and raises ``ValidationError`` (bad
    id, type, property name or value) or ``EditError`` (the operation does not
    fit the current tree) before writing anything.
    """

    def __init__(
        self,
        ydoc: Doc[Map[object]] | None = None,
        *,
        capture_timeout_ms: int = 0,
        schedule: Callable[[Callable[[], None]], object] | None = None,
    ) -> None:
        """Wrap ``ydoc`` (a fresh ``Doc`` by default).

        ``capture_timeout_ms`` groups local transactions closer together than
        that into one undo step; the default 0 makes each transaction (each
        operation, or each ``batch()``) its own step.

        With ``schedule`` (e.g. ``loop.call_soon``) the operations made one
        after the other, with nothing in between that needs them committed,
        share one transaction, committed by the scheduled ``commit()``: one
        update, one change event and one undo step per event-loop turn
        instead of one per operation. Everything that must see them committed
        (sync, undo, applying a remote update, ``ydoc``) commits first.
        """
        self._schedule = schedule
        self._capture_timeout_ms = capture_timeout_ms
        self._open: Transaction | None = None
        self._local = _LocalOrigin()
        self._remote: str | None = None
        self._muted = False  # events of a whole state taken in place are not read
        self._cached: _View | None = None
        self._writing = 0  # depth of transactions made by this Document's operations
        self._props_maps: dict[str, Map[JSON]] = {}  # pycrdt reads are costly; dropped on change
        self._change_callbacks: list[Callable[[Change], None]] = []
        self._update_callbacks: list[Callable[[bytes], None]] = []
        self._subscriptions: list[Subscription] = []
        self._bind(ydoc if ydoc is not None else Doc())
        # Nothing was ever applied to or written in a Doc of our own. yrs
        # shows no sign of an update it holds back for a missing part (the
        # state vector stays empty), so emptiness cannot be read off the Doc.
        self._pristine = ydoc is None

    def _bind(self, ydoc: Doc[Map[object]]) -> None:
        """Start working on ``ydoc`` (at construction, or when a refused state replaced it)."""
        for subscription in self._subscriptions:
            subscription.drop()
        self._ydoc = ydoc
        self._nodes: Map[object] = ydoc.get(NODES, type=Map)
        self._salt = salt_for(ydoc.client_id)
        self._cached = None
        self._props_maps.clear()
        self._guard = UpdateGuard(ydoc)
        self._undo = UndoManager(
            scopes=[self._nodes], capture_timeout_millis=self._capture_timeout_ms
        )
        self._undo.include_origin(self._local)
        self._subscriptions = [
            observe_nodes(self._nodes, self._on_events, quiet=lambda: self._muted),
            ydoc.observe(self._on_transaction),
        ]

    @property
    def ydoc(self) -> Doc[Map[object]]:
        """The underlying pycrdt document (pending operations committed).

        A refused first update replaces it (see ``apply_update``): read it again
        rather than keeping it.
        """
        self.commit()
        return self._ydoc

    def commit(self) -> None:
        """Commit the operations gathered since the last commit (see ``schedule``)."""
        if self._open is None:
            return
        transaction, self._open = self._open, None
        self._writing += 1  # our view patches stay valid through the observers
        try:
            transaction.__exit__(None, None, None)
        finally:
            self._writing -= 1

    # -- operations ---------------------------------------------------------

    def add(
        self,
        type: str,
        props: dict[str, JSON] | None = None,
        *,
        parent: str | None = None,
        index: int | None = None,
        id: str | None = None,
    ) -> str:
        """Add a node under ``parent`` (top level if ``None``) and return its id.

        ``index`` is the position among the parent's visible children (``None``
        appends). A random id is made unless one is given.
        """
        node_id = uuid.uuid4().hex if id is None else check_id(id)
        check_type(type)
        values = self._checked_props(props or {})
        if node_id in self._nodes:
            raise EditError(f"node {node_id!r} already exists")
        self._check_parent(parent)
        order = self._order_at(parent, index, moving=None)
        with self._transaction(patched=True):
            self._nodes[node_id] = Map(
                {
                    "type": type,
                    "props": Map(values),
                    "pos": {"parent": parent, "order": order},
                    "deleted": False,
                }
            )
            self._patch_added(node_id, type, values, Place(parent, order))
        return node_id

    def set_prop(self, node_id: str, name: str, value: JSON) -> None:
        """Set one property of a node that is not deleted."""
        check_prop_name(name)
        checked = check_value(value, f"property {name!r}")
        props = self._live_props(node_id)
        with self._transaction(patched=True):
            props[name] = checked
            view = self._cached
            if view is not None and node_id in view.records:
                view.records[node_id][1][name] = checked
            else:
                self._cached = None

    def remove_prop(self, node_id: str, name: str) -> None:
        """Remove one property of a node that is not deleted."""
        check_prop_name(name)
        props = self._live_props(node_id)
        if name not in props:
            raise EditError(f"node {node_id!r} has no property {name!r}")
        with self._transaction(patched=True):
            del props[name]
            view = self._cached
            if view is not None and node_id in view.records:
                view.records[node_id][1].pop(name, None)
            else:
                self._cached = None

    def delete(self, node_id: str) -> None:
        """Delete a node and so hide its subtree (soft: undo or ``restore`` bring it back)."""
        node = self._live(node_id)
        with self._transaction():
            node["deleted"] = True

    def restore(self, node_id: str) -> None:
        """Bring back a deleted node with its properties and subtree."""
        node = self._node(node_id)
        if not node.get("deleted", False):
            raise EditError(f"node {node_id!r} is not deleted")
        with self._transaction():
            node["deleted"] = False

    def move(self, node_id: str, parent: str | None, index: int | None = None) -> None:
        """Move a node under ``parent`` at ``index`` among its children (``None`` appends).

        The old position is kept in ``pos.prev``: if a concurrent move by
        another peer makes this one form a cycle, this node goes back there.
        """
        node = self._live(node_id)
        self._check_parent(parent)
        layout = self._current_layout()
        if node_id not in layout.place:
            raise EditError(f"node {node_id!r} does not parse (written past the checks)")
        if parent is not None and layout.is_ancestor(node_id, parent):
            raise CycleError(f"cannot move {node_id!r} into its own subtree ({parent!r})")
        order = self._order_at(parent, index, moving=node_id)
        old = layout.place[node_id]
        with self._transaction():
            node["pos"] = {
                "parent": parent,
                "order": order,
                "prev": {"parent": old.parent, "order": old.order},
            }

    def reorder(self, node_id: str, index: int) -> None:
        """Move a node to ``index`` among its current siblings."""
        self._live(node_id)
        place = self._current_layout().place.get(node_id)
        if place is None or node_id not in self._current_layout().visible:
            raise EditError(f"node {node_id!r} is not in the tree")
        self.move(node_id, place.parent, index)

    def undo(self) -> bool:
        """Undo this replica's last local step; return whether there was one."""
        self.commit()
        return self._undo.undo()

    def redo(self) -> bool:
        """Redo the last undone step; return whether there was one."""
        self.commit()
        return self._undo.redo()

    @property
    def can_undo(self) -> bool:
        """Whether ``undo()`` has something to undo."""
        self.commit()
        return self._undo.can_undo()

    @property
    def can_redo(self) -> bool:
        """Whether ``redo()`` has something to redo."""
        self.commit()
        return self._undo.can_redo()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group several operations into one transaction: one update, one undo step."""
        with self._transaction():
            yield

    # -- reading ------------------------------------------------------------

    def tree(self) -> tuple[Component, ...]:
        """The visible tree, identical on every replica that holds the same updates."""
        view = self._view()
        records, children = view.records, view.layout.children

        def build(node_id: str) -> Component:
            node_type, props = records[node_id]
            kids = children.get(node_id, ())
            return Component(node_id, node_type, _readable(props), tuple(map(build, kids)))

        with paused_gc():
            return tuple(map(build, children.get(None, ())))

    def children(self, parent: str | None) -> list[str]:
        """Ids of the visible children of ``parent`` (top level if ``None``), in order."""
        return list(self._current_layout().kids(parent))

    def node(self, node_id: str) -> NodeState | None:
        """The stored state of a node, deleted or hidden ones included; ``None`` if unknown."""
        return self._state(node_id, self._view())

    def export(self) -> dict[str, JSON]:
        """The visible tree as JSON in the documented export format."""
        return to_export(self.tree())

    def import_(self, data: object, *, parent: str | None = None) -> list[str]:
        """Add the components of exported JSON under ``parent``; return the top-level ids.

        Accepts the export envelope, a single ``{id, type, properties,
        children}`` component or a list of them. Everything is validated first
        and written in one transaction (one undo step). Ids must be new.
        """
        components = parse_export(data)
        for component in walk(components):
            if component.id in self._nodes:
                raise EditError(f"node {component.id!r} already exists")
        self._check_parent(parent)
        top_orders = self._orders_after(parent, len(components))
        with self._transaction():
            pending = [(c, parent, order) for c, order in zip(components, top_orders, strict=True)]
            while pending:
                component, under, order = pending.pop()
                self._nodes[component.id] = Map(
                    {
                        "type": component.type,
                        "props": Map(dict(component.properties)),
                        "pos": {"parent": under, "order": order},
                        "deleted": False,
                    }
                )
                orders = keys_between(None, None, len(component.children), self._salt)
                pending.extend(
                    (child, component.id, child_order)
                    for child, child_order in zip(component.children, orders, strict=True)
                )
        return [component.id for component in components]

    # -- sync ---------------------------------------------------------------

    def state_vector(self) -> bytes:
        """The encoded state vector (what this replica has seen)."""
        self.commit()
        return self._ydoc.get_state()

    def get_update(self, state_vector: bytes | None = None) -> bytes:
        """Everything this replica has that ``state_vector`` lacks (all of it if ``None``).

        A state vector yrs could not read within bounds raises ``WireFormatError``
        (a ``ValueError``) before yrs sees it (``wireformat``).
        """
        if state_vector is not None:
            check_state_vector(state_vector)
        self.commit()
        return self._ydoc.get_update(state_vector)

    def apply_update(self, update: bytes, origin: str) -> None:
        """Apply an update received from elsewhere, after checking it.

        ``origin`` labels the change events (the peer id, or e.g. ``"storage"``).
        Raises ``RejectedUpdate``, leaving the document untouched, when the
        update is malformed (``wireformat`` reads it within bounds before yrs
        does) or would break the schema. A document that never
        held anything takes the update in place and checks the result; if
        that fails, ``ydoc`` is replaced by a fresh, empty ``Doc``.
        """
        if update == _EMPTY_UPDATE:
            return  # what a peer with nothing sends in sync step 2: no need to check it
        try:
            check_update(update)  # before yrs reads it: its claimed counts must fit its bytes
        except WireFormatError as exc:
            raise RejectedUpdate(f"malformed update: {exc}") from None
        self.commit()  # else pycrdt would apply it inside our open local transaction
        if self._pristine and self._is_empty():
            self._apply_to_empty(update, origin)
            return
        self._guard.check(update)
        self._remote = origin
        try:
            self._ydoc.apply_update(update)
        finally:
            self._remote = None

    def _is_empty(self) -> bool:
        # Also catches writes made straight into ``ydoc``.
        return self._ydoc.get_state() == _EMPTY_STATE and self._ydoc.get_update() == _EMPTY_UPDATE

    def _apply_to_empty(self, update: bytes, origin: str) -> None:
        """Take ``update`` into the empty document directly, then check the whole result.

        A late joiner's first update is the whole document: screening it in
        the shadow first would apply it twice. An empty document holds
        nothing that could be lost, so a refused update is dropped together
        with the ``Doc`` it went into, and a fresh one (same client id) takes
        its place. The check reads every node once, and that reading is the
        tree view, so the first ``tree()`` does not read the nodes again.
        """
        self._remote = origin
        self._muted = True
        try:
            apply_checked(self._ydoc, update)
            with paused_gc():
                snapshot = read_document(self._ydoc, strict=True)
                if not snapshot.problems:
                    self._cached = _View.of(snapshot)
                    change = Change(origin, tuple(NodeChange(i, "added") for i in snapshot.ids))
            if snapshot.problems:
                raise RejectedUpdate("; ".join(snapshot.problems[:5]))
        except BaseException:
            self._bind(Doc(client_id=self._ydoc.client_id))
            raise
        finally:
            self._remote = None
            self._muted = False
        self._pristine = False
        self._guard.accepted(update)  # the shadow copy waits for the next remote update
        if change.nodes:
            self._emit(change)

    def on_change(self, callback: Callable[[Change], None]) -> Callable[[], None]:
        """Call ``callback`` after every transaction that changed nodes; return an unsubscriber."""
        self._change_callbacks.append(callback)
        return lambda: self._change_callbacks.remove(callback)

    def on_update(self, callback: Callable[[bytes], None]) -> Callable[[], None]:
        """Call ``callback`` with the binary update of every local transaction.

        Local means made through this ``Document``, undo and redo included:
        exactly what must be sent to the other peers.
        """
        self._update_callbacks.append(callback)
        return lambda: self._update_callbacks.remove(callback)

    def close(self) -> None:
        """Commit what is pending and stop observing the document."""
        self.commit()
        for subscription in self._subscriptions:
            subscription.drop()
        self._subscriptions.clear()

    # -- internals ----------------------------------------------------------

    @contextmanager
    def _transaction(self, *, patched: bool = False) -> Iterator[None]:
        """A local transaction; unless ``patched`` (the operation updated the view
        itself), the view is rebuilt on the next read."""
        self._writing += 1
        self._pristine = False
        try:
            if self._schedule is not None and self._open is None and self._ydoc._txn is None:
                self._open = self._ydoc.transaction(origin=self._local)
                self._open.__enter__()
                self._schedule(self.commit)
            with self._ydoc.transaction(origin=self._local):
                yield
        finally:
            self._writing -= 1
            if not patched:
                self._cached = None

    def _live_props(self, node_id: str) -> Map[JSON]:
        """The props map of a live node, from the view and a cache when they know it."""
        view = self._view()
        props = self._props_maps.get(node_id)
        if node_id in view.records and props is not None:
            if view.layout.is_deleted(node_id):
                raise EditError(f"node {node_id!r} is deleted")
            return props
        props = self._props(self._live(node_id))
        self._props_maps[node_id] = props
        return props

    def _patch_added(self, node_id: str, type: str, props: dict[str, JSON], place: Place) -> None:
        view = self._cached
        if view is None or node_id in view.missing or node_id in view.records:
            self._cached = None  # nodes waiting for this one appear: rebuild
            return
        view.records[node_id] = (type, dict(props))
        layout = view.layout
        layout.place[node_id] = place
        layout.visible.add(node_id)
        siblings = layout.children.setdefault(place.parent, [])
        bisect.insort(siblings, node_id, key=lambda s: (layout.place[s].order, s))

    def _node(self, node_id: str) -> Map[object]:
        node = self._nodes.get(node_id)
        if not isinstance(node, Map):
            raise EditError(f"no node {node_id!r:.80}")
        return node

    def _live(self, node_id: str) -> Map[object]:
        node = self._node(node_id)
        if node.get("deleted", False):
            raise EditError(f"node {node_id!r} is deleted")
        return node

    @staticmethod
    def _props(node: Map[object]) -> Map[JSON]:
        props = node.get("props")
        assert isinstance(props, Map)  # the guard lets no other shape in
        return props

    @staticmethod
    def _checked_props(props: dict[str, JSON]) -> dict[str, JSON]:
        if not isinstance(props, dict):
            raise ValidationError("props must be a dict")
        return {check_prop_name(k): check_value(v, f"property {k!r}") for k, v in props.items()}

    def _check_parent(self, parent: str | None) -> None:
        if parent is None:
            return
        check_id(parent, "parent")
        if parent not in self._current_layout().visible:
            raise EditError(f"parent {parent!r} is not in the tree (unknown or deleted)")

    def _order_at(self, parent: str | None, index: int | None, moving: str | None) -> str:
        layout = self._current_layout()
        siblings = [s for s in layout.kids(parent) if s != moving]
        if index is None:
            index = len(siblings)
        if isinstance(index, bool) or not isinstance(index, int):
            raise ValidationError(f"index must be an integer, got {index!r:.80}")
        if not 0 <= index <= len(siblings):
            raise EditError(f"index {index} out of range 0..{len(siblings)}")
        orders = [layout.place[s].order for s in siblings]
        low = orders[index - 1] if index > 0 else None
        # Equal keys only come from foreign writers; then skip to the next larger one.
        high = next((o for o in orders[index:] if low is None or o > low), None)
        return key_between(low, high, self._salt)

    def _orders_after(self, parent: str | None, count: int) -> list[str]:
        kids = self._current_layout().kids(parent)
        last = self._current_layout().place[kids[-1]].order if kids else None
        return keys_between(last, None, count, self._salt)

    def _current_layout(self) -> Layout:
        return self._view().layout

    def _view(self) -> _View:
        if self._cached is None:
            # The guard lets nothing malformed in; leaving out what does not
            # parse only keeps reading total.
            with paused_gc():
                self._cached = _View.of(read_document(self._ydoc, strict=False))
        return self._cached

    def _state(self, node_id: str, view: _View) -> NodeState | None:
        record = view.records.get(node_id)
        if record is None:
            return None
        node_type, props = record
        return NodeState(
            id=node_id,
            type=node_type,
            props=_readable(props),
            parent=view.layout.place[node_id].parent,
            deleted=view.layout.is_deleted(node_id),
            visible=node_id in view.layout.visible,
        )

    def _on_transaction(self, event: TransactionEvent) -> None:
        # The deep observer does not report every change (the convergence test
        # found a stale view after out-of-order delivery), so every
        # transaction drops the cached view as well, except our own operations,
        # which patched it or dropped it themselves.
        if self._writing == 0:
            self._cached = None
            self._props_maps.clear()
        if self._remote is not None:
            return  # already in the shadow, and not ours to broadcast
        update = event.update
        self._guard.mirror(update)
        for callback in list(self._update_callbacks):
            try:
                callback(update)
            except Exception:
                log.exception("update callback failed")

    def _on_events(self, events: list[tuple[list[str], EventKeys | None]]) -> None:
        if self._writing == 0:
            self._cached = None
            self._props_maps.clear()
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
            return
        self._emit(
            Change(
                self._remote,
                tuple(NodeChange(i, k, tuple(sorted(n))) for (i, k), n in changes.items()),
            )
        )

    def _emit(self, change: Change) -> None:
        for callback in list(self._change_callbacks):
            try:
                callback(change)
            except Exception:
                log.exception("change callback failed")


_PLAIN = frozenset({str, bool, int, type(None)})


def _readable(props: dict[str, JSON]) -> dict[str, JSON]:
    """A copy of stored properties as they read back: sorted by name, normalized."""
    # Most values are plain strings or flags, which normalize() returns as they are.
    return {
        name: value if value.__class__ in _PLAIN else normalize(value)
        for name, value in sorted(props.items())
    }


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
