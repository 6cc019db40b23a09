"""The replica under a ``Document``: one pycrdt ``Doc``, its transactions, undo, sync, events.

``Replica`` knows nothing of what a node means beyond reading the node map into
a ``View``; the component-tree operations are ``Document``'s (``model``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pycrdt import Doc, Map, Subscription, Transaction, TransactionEvent, UndoManager

from .changes import Change, NodeChange, change_of
from .fractional import salt_for
from .guard import NODES, EventKeys, RejectedUpdate, UpdateGuard, apply_checked, observe_nodes
from .layout import Layout
from .schema import JSON
from .snapshot import paused_gc, read_document
from .view import View
from .wireformat import WireFormatError, check_state_vector, check_update

__all__ = ["Replica"]

log = logging.getLogger(__name__)

_EMPTY_STATE = Doc().get_state()
_EMPTY_UPDATE = Doc().get_update()


class _LocalOrigin:
    """Marks transactions made through one Document, so undo tracks only those."""


class Replica:
    """A pycrdt ``Doc`` as one replica edits it; ``Document`` adds the tree operations."""

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
        self._cached: View | None = None
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
                    self._cached = View.of(snapshot)
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

    def _current_layout(self) -> Layout:
        return self._view().layout

    def _view(self) -> View:
        if self._cached is None:
            # The guard lets nothing malformed in; leaving out what does not
            # parse only keeps reading total.
            with paused_gc():
                self._cached = View.of(read_document(self._ydoc, strict=False))
        return self._cached

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
        change = change_of(events, self._remote)
        if change is not None:
            self._emit(change)

    def _emit(self, change: Change) -> None:
        for callback in list(self._change_callbacks):
            try:
                callback(change)
            except Exception:
                log.exception("change callback failed")


_PLAIN = frozenset({str, bool, int, type(None)})
