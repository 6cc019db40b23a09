// The shared component tree on a Y.Doc: the JavaScript twin of
// plugins/avacollab-editing/avacollab_editing/model.py. Same stored shape,
// same checks, same reading rules, so a browser and a Python peer edit one
// document (docs/editing.md):
//
//   nodes: Y.Map<id, Y.Map{type: string, props: Y.Map<name, JSON>,
//                          pos: {parent, order[, prev]}, deleted: boolean}>
//
// `pos` is one plain value written at once, so a move is a single write and
// two concurrent moves can never duplicate a node. There are no children
// arrays: the tree is computed from the positions (tree.js).

import * as Y from "yjs";

import { keyBetween, saltFor } from "./order.js";
import { ValidationError, checkId, checkPropName, checkType, checkValue, isPlainObject } from "./schema.js";
import { RejectedUpdate, UpdateGuard } from "./guard.js";
import { RemoteOrigin, changeOf } from "./changes.js";
import { MAX_DEPTH } from "./tree.js";
import { putProp, readNode, readView, refreshView, sortedProps } from "./view.js";

// The names this module has always offered (the `model` namespace of index.js).
export { RemoteOrigin } from "./changes.js";
export { RejectedUpdate } from "./guard.js";
export { readNode, readNodes } from "./view.js";

/** The document's only root: the map of nodes. */
export const NODES = "nodes";

/** @typedef {import("./schema.js").JSONValue} JSONValue */
/** @typedef {import("./view.js").View} View */
/** @typedef {import("./changes.js").Change} Change */
/**
 * One component of the tree: the unit of tree(), export and import.
 * @typedef {{ id: string, type: string, properties: Record<string, JSONValue>, children: Component[] }} Component
 */
/**
 * Everything stored about one node, visible in the tree or not.
 * @typedef {{ id: string, type: string, props: Record<string, JSONValue>, parent: string | null, deleted: boolean, visible: boolean }} NodeState
 */

export const FORMAT = "avacollab-editing";
export const VERSION = 1;

/** A local operation cannot be done: unknown or deleted node, bad index, ... */
export class EditError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "EditError";
  }
}

/** A move would put a node inside its own subtree. */
export class CycleError extends EditError {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "CycleError";
  }
}

/** @param {unknown} error */
function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}

/** 32 random hex digits, like Python's uuid4().hex (getRandomValues works on any page). */
function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A collaborative component tree. Every operation validates its arguments
 * and throws ValidationError (bad id, type, property name or value) or
 * EditError (it does not fit the current tree) before writing anything.
 */
export class Document {
  /**
   * @param {Y.Doc} [ydoc] a fresh Y.Doc by default
   * @param {{ captureTimeout?: number }} [options] local transactions closer
   *   together than `captureTimeout` ms are one undo step (default 0: each
   *   operation, or each batch(), is its own step, as in Python)
   */
  constructor(ydoc = new Y.Doc(), { captureTimeout = 0 } = {}) {
    this.ydoc = ydoc;
    /** @type {Y.Map<unknown>} */
    this.nodes = ydoc.getMap(NODES);
    this._salt = saltFor(ydoc.clientID);
    /** Marks this Document's transactions, so undo tracks only those. */
    this._local = {};
    this._undo = new Y.UndoManager(this.nodes, { captureTimeout, trackedOrigins: new Set([this._local]) });
    this._guard = new UpdateGuard(ydoc, NODES, (id, node) => readNode(id, node, true));
    // The view is read whole once (null: not yet), then kept up to date
    // node by node: every transaction names the nodes it touched (_changed),
    // and so does each operation as it writes (_transact), so that the next
    // operation of a batch sees it before the transaction ends. The next
    // read reads those nodes again (refreshView): a peer's edit to one node
    // costs that node, not the tree.
    /** @type {View | null} */
    this._view = null;
    /** @type {Set<string>} nodes written since the view was last brought up to date */
    this._stale = new Set();
    /** How many _transact calls are running (inside one: a batch). */
    this._depth = 0;
    /** @type {Array<(change: Change) => void>} */
    this._changeCallbacks = [];
    /** @type {Array<(update: Uint8Array) => void>} */
    this._updateCallbacks = [];
    /** @param {Uint8Array} update @param {unknown} origin */
    this._onUpdate = (update, origin) => {
      if (origin instanceof RemoteOrigin) return; // not ours to broadcast (the guard has it already)
      this._guard.mirror(update);
      for (const callback of [...this._updateCallbacks]) {
        try {
          callback(update);
        } catch (error) {
          console.error("avacollab: update callback failed", error);
        }
      }
    };
    /** @param {Array<Y.YEvent<any>>} events @param {Y.Transaction} transaction */
    this._onEvents = (events, transaction) => this._changed(events, transaction);
    ydoc.on("update", this._onUpdate);
    this.nodes.observeDeep(this._onEvents);
  }

  // -- operations ---------------------------------------------------------

  /**
   * Add a node under `parent` (the top level if null) and return its id.
   * `index` is the position among the parent's visible children (default:
   * append). A random id is made unless one is given.
   * @param {string} type
   * @param {Record<string, JSONValue>} [props]
   * @param {{ parent?: string | null, index?: number, id?: string }} [where]
   */
  add(type, props = {}, { parent = null, index, id } = {}) {
    const nodeId = id === undefined ? randomId() : checkId(id);
    checkType(type);
    const values = this._checkedProps(props);
    if (this.nodes.has(nodeId)) throw new EditError(`node ${JSON.stringify(nodeId)} already exists`);
    this._checkParent(parent);
    this._checkDepth(parent, 0, `adding under ${JSON.stringify(parent)}`);
    const order = this._orderAt(parent, index, null);
    this._transact(() => {
      const node = new Y.Map();
      node.set("type", type);
      node.set("props", new Y.Map(Object.entries(values)));
      node.set("pos", { parent, order });
      node.set("deleted", false);
      this.nodes.set(nodeId, node);
    }, nodeId);
    return nodeId;
  }

  /**
   * Set one property of a node that is not deleted.
   * @param {string} id
   * @param {string} name
   * @param {JSONValue} value
   */
  setProp(id, name, value) {
    checkPropName(name);
    const checked = checkValue(value, `property ${JSON.stringify(name)}`);
    const props = this._props(this._live(id));
    this._transact(() => props.set(name, checked), id);
  }

  /**
   * Set several properties of a node in one step (one update, one undo),
   * as the `/set ID NAME=VALUE ...` command does. All are checked first:
   * a bad one sets none.
   * @param {string} id
   * @param {Record<string, JSONValue>} props
   */
  set(id, props) {
    const values = this._checkedProps(props);
    const target = this._props(this._live(id));
    this._transact(() => {
      for (const [name, value] of Object.entries(values)) target.set(name, value);
    }, id);
  }

  /**
   * Remove one property of a node that is not deleted.
   * @param {string} id
   * @param {string} name
   */
  removeProp(id, name) {
    checkPropName(name);
    const props = this._props(this._live(id));
    if (!props.has(name)) throw new EditError(`node ${JSON.stringify(id)} has no property ${JSON.stringify(name)}`);
    this._transact(() => props.delete(name), id);
  }

  /**
   * Delete a node and so hide its subtree (soft: undo or restore() bring it back).
   * @param {string} id
   */
  delete(id) {
    const node = this._live(id);
    this._transact(() => node.set("deleted", true), id);
  }

  /**
   * Bring back a deleted node with its properties and subtree.
   * @param {string} id
   */
  restore(id) {
    const node = this._node(id);
    if (!node.get("deleted")) throw new EditError(`node ${JSON.stringify(id)} is not deleted`);
    const layout = this._layout();
    const place = layout.place.get(id);
    if (place !== undefined && (place.parent === null || layout.visible.has(place.parent))) {
      // It comes back into the tree, and its subtree with it.
      this._checkDepth(place.parent, layout.height(id), `restoring ${JSON.stringify(id)}`);
    }
    this._transact(() => node.set("deleted", false), id);
  }

  /**
   * Move a node under `parent` at `index` among its children (default:
   * append). The old position is kept in `pos.prev`: if a concurrent move
   * by another peer makes this one form a cycle, this node goes back there.
   * @param {string} id
   * @param {string | null} parent
   * @param {number} [index]
   */
  move(id, parent, index) {
    const node = this._live(id);
    this._checkParent(parent);
    const layout = this._layout();
    const old = layout.place.get(id);
    if (old === undefined) throw new EditError(`node ${JSON.stringify(id)} does not parse (written past the checks)`);
    if (parent !== null && layout.isAncestor(id, parent)) {
      throw new CycleError(`cannot move ${JSON.stringify(id)} into its own subtree (${JSON.stringify(parent)})`);
    }
    this._checkDepth(parent, layout.height(id), `moving ${JSON.stringify(id)} under ${JSON.stringify(parent)}`);
    const order = this._orderAt(parent, index, id);
    this._transact(() => node.set("pos", { parent, order, prev: { parent: old.parent, order: old.order } }), id);
  }

  /**
   * Move a node to `index` among its current siblings.
   * @param {string} id
   * @param {number} index
   */
  reorder(id, index) {
    this._live(id);
    const layout = this._layout();
    const place = layout.place.get(id);
    if (place === undefined || !layout.visible.has(id)) throw new EditError(`node ${JSON.stringify(id)} is not in the tree`);
    this.move(id, place.parent, index);
  }

  /**
   * Run `fn`'s operations as one transaction: one update, one undo step.
   * @template T
   * @param {() => T} fn
   * @returns {T}
   */
  batch(fn) {
    /** @type {T} */
    let result = /** @type {any} */ (undefined);
    this._transact(() => {
      result = fn();
    });
    return result;
  }

  /** Undo this replica's last local step; whether there was one. */
  undo() {
    this._forgetInBatch();
    return this._undo.undo() !== null;
  }

  /** Redo the last undone step; whether there was one. */
  redo() {
    this._forgetInBatch();
    return this._undo.redo() !== null;
  }

  get canUndo() {
    return this._undo.canUndo();
  }

  get canRedo() {
    return this._undo.canRedo();
  }

  // -- reading ------------------------------------------------------------

  /**
   * The visible tree, identical on every replica that holds the same updates.
   * @returns {Component[]}
   */
  tree() {
    const { records, layout } = this._read();
    /** @param {string} id @returns {Component} */
    const build = (id) => {
      const record = /** @type {{ type: string, props: Record<string, JSONValue> }} */ (records.get(id));
      return { id, type: record.type, properties: sortedProps(record.props), children: layout.kids(id).map(build) };
    };
    return layout.kids(null).map(build);
  }

  /**
   * Ids of the visible children of `parent` (the top level if null), in order.
   * @param {string | null} parent
   */
  children(parent) {
    return [...this._layout().kids(parent)];
  }

  /**
   * The stored state of a node, deleted or hidden ones included; null if unknown.
   * @param {string} id
   * @returns {NodeState | null}
   */
  node(id) {
    const { records, layout } = this._read();
    const record = records.get(id);
    if (record === undefined) return null;
    return {
      id,
      type: record.type,
      props: sortedProps(record.props),
      parent: /** @type {import("./schema.js").Place} */ (layout.place.get(id)).parent,
      deleted: layout.deleted.has(id),
      visible: layout.visible.has(id),
    };
  }

  /** The visible tree in the export format `{format, version, components}`. */
  export() {
    return { format: FORMAT, version: VERSION, components: this.tree() };
  }

  // -- updates ------------------------------------------------------------

  /**
   * Apply an update from elsewhere; `origin` labels the change events.
   * Throws RejectedUpdate, leaving the document untouched, when the bytes
   * do not decode, when the nodes it writes break the schema (read with
   * every check in a shadow copy first, as the Python guard does: a bad
   * id, type, property or position, a shared type where JSON belongs, a
   * root other than `nodes`), or when Yjs fails to apply it.
   * @param {Uint8Array} update
   * @param {string} origin
   */
  applyUpdate(update, origin) {
    try {
      Y.decodeUpdate(update); // the delete set is read only after the structs are in
    } catch (error) {
      throw new RejectedUpdate(`malformed update: ${errorText(error)}`);
    }
    try {
      this._guard.check(update);
    } catch (error) {
      if (error instanceof ValidationError) throw new RejectedUpdate(error.message);
      throw new RejectedUpdate(`update does not apply: ${errorText(error)}`);
    }
    try {
      Y.applyUpdate(this.ydoc, update, new RemoteOrigin(origin));
    } catch (error) {
      throw new RejectedUpdate(`update does not apply: ${errorText(error)}`);
    }
  }

  /**
   * Call `callback` with the update of every local transaction (this
   * Document's edits, undo and redo): what must be sent to the other
   * peers. Returns the function that unsubscribes.
   * @param {(update: Uint8Array) => void} callback
   */
  onUpdate(callback) {
    this._updateCallbacks.push(callback);
    return () => {
      this._updateCallbacks = this._updateCallbacks.filter((c) => c !== callback);
    };
  }

  /**
   * Call `callback` after every transaction that changed nodes.
   * @param {(change: Change) => void} callback
   */
  onChange(callback) {
    this._changeCallbacks.push(callback);
    return () => {
      this._changeCallbacks = this._changeCallbacks.filter((c) => c !== callback);
    };
  }

  /** Stop observing the document. */
  close() {
    this.ydoc.off("update", this._onUpdate);
    this.nodes.unobserveDeep(this._onEvents);
    this._undo.destroy();
    this._guard._drop();
  }

  // -- internals ----------------------------------------------------------

  /**
   * Run `fn` in a local transaction (or in the batch's). `id` names the node
   * it writes: the view reads it again before it is next read, in the same
   * batch too. (What `fn` writes without naming it, in a batch, is read
   * again once the transaction is over, from its events.)
   * @param {() => void} fn
   * @param {string} [id]
   */
  _transact(fn, id) {
    if (id !== undefined) this._stale.add(id);
    this._depth++;
    try {
      this.ydoc.transact(fn, this._local);
    } finally {
      this._depth--;
    }
  }

  /**
   * Undo and redo inside a batch: which nodes they write is known only from
   * the transaction's events, at its end, and the batch's next operation
   * must see them, so the view is read whole then.
   */
  _forgetInBatch() {
    if (this._depth > 0) this._view = null;
  }

  /** @returns {View} */
  _read() {
    if (this._view === null) {
      this._view = readView(this.nodes);
    } else if (this._stale.size) {
      try {
        refreshView(this._view, this.nodes, this._stale);
      } catch (error) {
        this._view = null; // half updated: read it whole next time
        throw error;
      }
    } else {
      return this._view;
    }
    this._stale.clear();
    return this._view;
  }

  _layout() {
    return this._read().layout;
  }

  /** @param {string} id */
  _node(id) {
    const node = typeof id === "string" ? this.nodes.get(id) : undefined;
    if (!(node instanceof Y.Map)) throw new EditError(`no node ${String(JSON.stringify(id)).slice(0, 80)}`);
    return node;
  }

  /** @param {string} id */
  _live(id) {
    const node = this._node(id);
    if (node.get("deleted")) throw new EditError(`node ${JSON.stringify(id)} is deleted`);
    return node;
  }

  /** @param {Y.Map<any>} node @returns {Y.Map<JSONValue>} */
  _props(node) {
    const props = node.get("props");
    if (!(props instanceof Y.Map)) throw new EditError("node props is not a map (written past the checks)");
    return props;
  }

  /** @param {Record<string, JSONValue>} props */
  _checkedProps(props) {
    if (!isPlainObject(props)) throw new ValidationError("props must be an object");
    /** @type {Record<string, JSONValue>} */
    const out = {};
    for (const [name, value] of Object.entries(props)) putProp(out, checkPropName(name), checkValue(value, `property ${JSON.stringify(name)}`));
    return out;
  }

  /** @param {string | null} parent */
  _checkParent(parent) {
    if (parent === null) return;
    checkId(parent, "parent");
    if (!this._layout().visible.has(parent)) {
      throw new EditError(`parent ${JSON.stringify(parent)} is not in the tree (unknown or deleted)`);
    }
  }

  /**
   * Refuse nodes `height` levels below a new child of `parent` past
   * MAX_DEPTH: the layout would hide them (`parent` is in the tree).
   * @param {string | null} parent
   * @param {number} height
   * @param {string} what
   */
  _checkDepth(parent, height, what) {
    const top = parent === null ? 0 : /** @type {number} */ (this._layout().depth.get(parent)) + 1;
    if (top + height > MAX_DEPTH) throw new EditError(`${what} would nest the tree more than ${MAX_DEPTH} deep`);
  }

  /**
   * @param {string | null} parent
   * @param {number | undefined} index
   * @param {string | null} moving
   */
  _orderAt(parent, index, moving) {
    const layout = this._layout();
    const siblings = layout.kids(parent).filter((s) => s !== moving);
    const at = index ?? siblings.length;
    if (!Number.isInteger(at)) throw new ValidationError(`index must be an integer, got ${String(index).slice(0, 80)}`);
    if (at < 0 || at > siblings.length) throw new EditError(`index ${at} out of range 0..${siblings.length}`);
    const orders = siblings.map((s) => /** @type {import("./schema.js").Place} */ (layout.place.get(s)).order);
    const low = at > 0 ? orders[at - 1] : null;
    // Equal keys only come from foreign writers; then skip to the next larger one.
    const high = orders.slice(at).find((o) => low === null || o > low) ?? null;
    return keyBetween(low, high, this._salt);
  }

  /**
   * @param {Array<Y.YEvent<any>>} events
   * @param {Y.Transaction} transaction
   */
  _changed(events, transaction) {
    // Every writer's transaction (a peer, undo, redo, this Document's own):
    // the nodes it touched are read again before the change listeners read.
    // Local ones are mostly fresh already (_transact), and reading a node
    // again that did not change changes nothing.
    if (this._view !== null) {
      for (const event of events) {
        if (event.path.length) this._stale.add(String(event.path[0]));
        else for (const key of /** @type {Y.YMapEvent<unknown>} */ (event).keysChanged) this._stale.add(key);
      }
    }
    const change = changeOf(events, transaction);
    if (change === null) return;
    for (const callback of [...this._changeCallbacks]) {
      try {
        callback(change);
      } catch (error) {
        console.error("avacollab: change callback failed", error);
      }
    }
  }
}
