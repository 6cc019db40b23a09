"""The shared component tree: one pycrdt ``Doc`` per room, edited through ``Document``.

Stored shape (docs/editing.md has the details and the reasons)::

    nodes: Map<id, Map{type: str, props: Map<name, JSON>, pos: {parent, order[, prev]},
                       deleted: bool}>

``pos`` is one plain value written at once, so a move is a single write and two
concurrent moves can never duplicate a node. There are no children arrays:
the tree is computed from the positions (see ``layout``).
"""

import bisect
import uuid

from pycrdt import Map

from .components import Component, parse_export, to_export, walk
from .fractional import key_between, keys_between
from .layout import MAX_DEPTH, Place
from .replica import Replica
from .schema import (
    JSON,
    ValidationError,
    check_id,
    check_prop_name,
    check_type,
    check_value,
)
from .view import NodeState, build_tree, node_state

__all__ = ["CycleError", "Document", "EditError"]


class EditError(ValueError):
    """A local operation cannot be done: unknown or deleted node, bad index, ..."""


class CycleError(EditError):
    """A move would put a node inside its own subtree."""


class Document(Replica):
    """A collaborative component tree.

    Every operation validates its arguments and raises ``ValidationError`` (bad
    id, type, property name or value) or ``EditError`` (the operation does not
    fit the current tree) before writing anything.
    """

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
        self._check_depth(parent, 0, f"adding under {parent!r}")
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
        layout = self._current_layout()
        place = layout.place.get(node_id)
        if place is not None and (place.parent is None or place.parent in layout.visible):
            # It comes back into the tree, and its subtree with it.
            self._check_depth(place.parent, layout.height(node_id), f"restoring {node_id!r}")
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
        self._check_depth(parent, layout.height(node_id), f"moving {node_id!r} under {parent!r}")
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

    # -- reading ------------------------------------------------------------

    def tree(self) -> tuple[Component, ...]:
        """The visible tree, identical on every replica that holds the same updates."""
        return build_tree(self._view())

    def children(self, parent: str | None) -> list[str]:
        """Ids of the visible children of ``parent`` (top level if ``None``), in order."""
        return list(self._current_layout().kids(parent))

    def node(self, node_id: str) -> NodeState | None:
        """The stored state of a node, deleted or hidden ones included; ``None`` if unknown."""
        return node_state(self._view(), node_id)

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
        height, level = -1, components
        while level:
            height, level = height + 1, [kid for c in level for kid in c.children]
        self._check_depth(parent, max(height, 0), "importing there")
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

    # -- internals ----------------------------------------------------------

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
        layout.depth[node_id] = 0 if place.parent is None else layout.depth[place.parent] + 1
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

    def _check_depth(self, parent: str | None, height: int, what: str) -> None:
        """Refuse nodes ``height`` levels below a new child of ``parent`` past MAX_DEPTH:
        the layout would hide them (``parent`` is in the tree)."""
        top = 0 if parent is None else self._current_layout().depth[parent] + 1
        if top + height > MAX_DEPTH:
            raise EditError(f"{what} would nest the tree more than {MAX_DEPTH} deep")

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
