// Turning the flat node map into a tree: the JavaScript twin of
// plugins/avacollab-editing/avacollab_editing/layout.py, step for step, so
// every replica, browser or Python, computes the same tree from the same
// entries (conformance/tree_cases.json). The rules (docs/editing.md):
//
// - Siblings sort by (order, id).
// - A cycle (two concurrent moves, each putting one node under the other) is
//   broken at the node with the smallest id in the cycle: its move loses and
//   it goes back to where it was moved from (`prev`); if that also loops, or
//   it has no `prev`, it goes to the top level.
// - A deleted node hides its whole subtree; a node whose parent does not
//   exist is hidden until the parent arrives.
// - A node with no stored position is at UNPLACED (schema.js).
//
// Ids and order keys are ASCII, so JavaScript's string order (UTF-16 units)
// is Python's (code points).

/** @typedef {import("./schema.js").Place} Place */
/** @typedef {import("./schema.js").Entry} Entry */

/** Where every node ends up. */
export class Layout {
  constructor() {
    /** @type {Map<string | null, string[]>} visible children by parent (null: the top level) */
    this.children = new Map();
    /** @type {Set<string>} every node shown in the tree */
    this.visible = new Set();
    /** @type {Map<string, Place>} each node's effective position, after cycle repair */
    this.place = new Map();
    /** @type {Set<string>} nodes carrying the deleted flag */
    this.deleted = new Set();
  }

  /**
   * The visible children of `parent` in order.
   * @param {string | null} parent
   * @returns {readonly string[]}
   */
  kids(parent) {
    return this.children.get(parent) ?? [];
  }

  /**
   * Whether `ancestor` is `node` itself or above it in the tree.
   * @param {string} ancestor
   * @param {string} node
   */
  isAncestor(ancestor, node) {
    /** @type {string | null} */
    let current = node;
    while (current !== null) {
      if (current === ancestor) return true;
      current = this.place.get(current)?.parent ?? null;
    }
    return false;
  }
}

/**
 * @param {string} a
 * @param {string} b
 */
function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The deterministic tree layout of `entries`.
 * @param {Map<string, Entry>} entries
 */
export function computeLayout(entries) {
  const layout = new Layout();
  for (const [id, entry] of entries) {
    layout.place.set(id, entry.place);
    if (entry.deleted) layout.deleted.add(id);
  }
  repairCycles(entries, layout.place);
  /** @type {Set<string>} */
  const hidden = new Set();
  for (const id of entries.keys()) {
    if (isVisible(id, entries, layout.place, layout.visible, hidden)) {
      const parent = /** @type {Place} */ (layout.place.get(id)).parent;
      const siblings = layout.children.get(parent);
      if (siblings) siblings.push(id);
      else layout.children.set(parent, [id]);
    }
  }
  for (const siblings of layout.children.values()) {
    siblings.sort((a, b) => {
      const pa = /** @type {Place} */ (layout.place.get(a));
      const pb = /** @type {Place} */ (layout.place.get(b));
      return compare(pa.order, pb.order) || compare(a, b);
    });
  }
  return layout;
}

/**
 * @param {Map<string, Entry>} entries
 * @param {Map<string, Place>} place
 */
function repairCycles(entries, place) {
  /** @type {Set<string>} */
  const fellBack = new Set();
  /** @type {Set<string>} */
  const done = new Set();
  for (const start of [...entries.keys()].sort(compare)) {
    while (!done.has(start)) {
      /** @type {string[]} */
      const path = [];
      /** @type {Set<string>} */
      const onPath = new Set();
      /** @type {string | null} */
      let current = start;
      while (current !== null && entries.has(current) && !done.has(current)) {
        if (onPath.has(current)) break;
        path.push(current);
        onPath.add(current);
        current = /** @type {Place} */ (place.get(current)).parent;
      }
      if (current === null || !onPath.has(current)) {
        for (const id of path) done.add(id);
        continue;
      }
      const cycle = path.slice(path.indexOf(current));
      const loser = cycle.reduce((a, b) => (b < a ? b : a));
      const prev = /** @type {Entry} */ (entries.get(loser)).prev;
      if (!fellBack.has(loser) && prev !== null) {
        fellBack.add(loser);
        place.set(loser, prev);
      } else {
        // Second failure (or nothing to go back to): the top level never loops.
        place.set(loser, { parent: null, order: (prev ?? /** @type {Place} */ (place.get(loser))).order });
      }
      // Walk again from start: the new parent may lead into another loop.
    }
  }
}

/**
 * @param {string} id
 * @param {Map<string, Entry>} entries
 * @param {Map<string, Place>} place
 * @param {Set<string>} visible
 * @param {Set<string>} hidden
 */
function isVisible(id, entries, place, visible, hidden) {
  /** @type {string[]} */
  const chain = [];
  /** @type {string | null} */
  let current = id;
  let ok = true;
  while (current !== null && !visible.has(current)) {
    const entry = entries.get(current);
    if (entry === undefined || entry.deleted || hidden.has(current)) {
      ok = false;
      break;
    }
    chain.push(current);
    current = /** @type {Place} */ (place.get(current)).parent;
  }
  const into = ok ? visible : hidden;
  for (const node of chain) into.add(node);
  return ok;
}
