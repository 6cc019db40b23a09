// Reading the stored node map: each node parsed and checked, and the view a
// Document reads from (records, entries, layout), read whole or brought up
// to date for the nodes a transaction touched.
//
// Pure: the JavaScript twin of avacollab_editing/view.py and snapshot.py
// (refreshView is this package's own).

import * as Y from "yjs";

import { ValidationError, checkId, checkPropName, checkType, checkValue, parseEntry } from "./schema.js";
import { computeLayout, updateLayout } from "./tree.js";

/** @typedef {import("./schema.js").JSONValue} JSONValue */
/** @typedef {import("./schema.js").Entry} Entry */
/** @typedef {import("./tree.js").Layout} Layout */
/** @typedef {{ type: string, props: Record<string, JSONValue> }} NodeRecord */
/**
 * The parsed node map: each node's type and properties, its entry
 * (position, deleted flag), and the layout of the entries. Nodes that do
 * not parse are in none of them.
 * @typedef {{ records: Map<string, NodeRecord>, entries: Map<string, Entry>, layout: Layout }} View
 */

/**
 * Parse node `id` of the nodes map: its type and properties, and its entry.
 * `strict` also checks every property name and value (what a peer could
 * have got wrong); without it a node that does not parse is only left out.
 * @param {string} id
 * @param {unknown} node
 * @param {boolean} strict
 * @returns {{ type: string, props: Record<string, JSONValue>, entry: Entry }}
 */
export function readNode(id, node, strict) {
  checkId(id);
  if (!(node instanceof Y.Map)) throw new ValidationError("is not a map");
  const type = checkType(node.get("type"));
  const props = node.get("props");
  if (!(props instanceof Y.Map)) throw new ValidationError("props is not a map");
  /** @type {Record<string, JSONValue>} */
  const values = {};
  for (const [name, value] of props.entries()) {
    if (value instanceof Y.AbstractType || value instanceof Y.Doc) {
      throw new ValidationError(`property ${JSON.stringify(name).slice(0, 80)} holds a shared type, not JSON`);
    }
    putProp(values, name, strict ? checkValue(value, `property ${JSON.stringify(checkPropName(name))}`) : value);
  }
  const pos = node.get("pos");
  if (pos instanceof Y.AbstractType || pos instanceof Y.Doc) throw new ValidationError("pos is a shared type, not a plain value");
  return { type, props: values, entry: parseEntry({ pos, deleted: node.get("deleted") }) };
}

/**
 * Every node of a nodes map, parsed; what does not parse is listed in `problems`.
 * @param {Y.Map<unknown>} nodes
 * @param {boolean} strict
 */
export function readNodes(nodes, strict) {
  /** @type {Map<string, NodeRecord>} */
  const records = new Map();
  /** @type {Map<string, Entry>} */
  const entries = new Map();
  /** @type {string[]} */
  const problems = [];
  for (const [id, node] of nodes.entries()) {
    try {
      const { type, props, entry } = readNode(id, node, strict);
      records.set(id, { type, props });
      entries.set(id, entry);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      problems.push(`node ${JSON.stringify(id).slice(0, 80)}: ${error.message}`);
    }
  }
  return { records, entries, problems };
}


/**
 * The view of a nodes map; leaving out what does not parse keeps reading total.
 * @param {Y.Map<unknown>} nodes
 * @returns {View}
 */
export function readView(nodes) {
  const { records, entries } = readNodes(nodes, false);
  return { records, entries, layout: computeLayout(entries) };
}

/**
 * Bring `view` up to date with `nodes` after the nodes named in `ids` (and
 * only those) changed, were added or removed: they are read again and the
 * layout updated for them (tree.js, updateLayout). The result is what
 * readView would read.
 * @param {View} view changed in place
 * @param {Y.Map<unknown>} nodes
 * @param {Iterable<string>} ids
 */
export function refreshView(view, nodes, ids) {
  /** @type {Map<string, Entry | undefined>} */
  const before = new Map();
  for (const id of ids) {
    if (before.has(id)) continue;
    before.set(id, view.entries.get(id));
    let read = null;
    if (nodes.has(id)) {
      try {
        read = readNode(id, nodes.get(id), false);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
      }
    }
    if (read === null) {
      view.records.delete(id);
      view.entries.delete(id);
    } else {
      view.records.set(id, { type: read.type, props: read.props });
      view.entries.set(id, read.entry);
    }
  }
  view.layout = updateLayout(view.layout, view.entries, before);
}

/**
 * A copy of stored properties sorted by name, as Python's tree() shows them.
 * @param {Record<string, JSONValue>} props
 */
export function sortedProps(props) {
  /** @type {Record<string, JSONValue>} */
  const out = {};
  for (const name of Object.keys(props).sort()) putProp(out, name, props[name]);
  return out;
}

/**
 * `props[name] = value`, except that a property called `__proto__` (a valid
 * name, which Python shows like any other) becomes a key of its own instead
 * of setting the object's prototype and vanishing from the view.
 * @param {Record<string, JSONValue>} props
 * @param {string} name
 * @param {JSONValue} value
 */
export function putProp(props, name, value) {
  if (name === "__proto__") Object.defineProperty(props, name, { value, enumerable: true, writable: true, configurable: true });
  else props[name] = value;
}

