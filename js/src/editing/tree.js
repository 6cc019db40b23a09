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
// - A node more than MAX_DEPTH levels below the top level (depth 0) is
//   hidden with its subtree.
// - A node with no stored position is at UNPLACED (schema.js).
//
// Ids and order keys are ASCII, so JavaScript's string order (UTF-16 units)
// is Python's (code points).
//
// computeLayout reads every entry; updateLayout brings a layout up to date
// after a few entries changed (a Document does that after each transaction),
// and gives the same Layout computeLayout would.

/** @typedef {import("./schema.js").Place} Place */
/** @typedef {import("./schema.js").Entry} Entry */

/**
 * The deepest level shown; the top level is depth 0 (layout.py's MAX_DEPTH).
 * Adding, moving and restoring refuse to go deeper, so only undo and redo, a
 * foreign writer (a hostile peer) or concurrent moves into a tree already
 * about this deep put a node below it; hidden there, every reader of the tree stays within a bounded
 * depth, where a chain of 20,000 nodes would exhaust the stack.
 */
export const MAX_DEPTH = 256;

/** Where every node ends up. */
export class Layout {
  constructor() {
    /** @type {Map<string | null, string[]>} visible children by parent (null: the top level) */
    this.children = new Map();
    /** @type {Set<string>} every node shown in the tree */
    this.visible = new Set();
    /** @type {Map<string, number>} each visible node's level (0: the top level) */
    this.depth = new Map();
    /** @type {Map<string, Place>} each node's effective position, after cycle repair */
    this.place = new Map();
    /** @type {Set<string>} nodes carrying the deleted flag */
    this.deleted = new Set();
    /**
     * Every node by its effective parent, hidden ones too (a parent may be
     * absent): the nodes whose visibility a change to that parent reaches.
     * @type {Map<string | null, Set<string>>}
     */
    this.under = new Map();
    /** Whether some stored positions loop, so that cycle repair moved a node. */
    this.cyclic = false;
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

  /**
   * How many levels of nodes hang below `id` (0: none), hidden ones
   * included: a restore, or an undo, can show those again.
   * @param {string} id
   */
  height(id) {
    let height = 0;
    let below = [...(this.under.get(id) ?? [])];
    while (below.length) {
      height++;
      below = below.flatMap((node) => [...(this.under.get(node) ?? [])]);
    }
    return height;
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
 * Siblings sort by (order, id).
 * @param {Map<string, Place>} place
 * @returns {(a: string, b: string) => number}
 */
function bySiblingOrder(place) {
  return (a, b) => compare(/** @type {Place} */ (place.get(a)).order, /** @type {Place} */ (place.get(b)).order) || compare(a, b);
}

/**
 * @template K
 * @param {Map<K, Set<string>>} map
 * @param {K} key
 * @param {string} id
 */
function file(map, key, id) {
  const set = map.get(key);
  if (set) set.add(id);
  else map.set(key, new Set([id]));
}

/**
 * @template K
 * @param {Map<K, Set<string>>} map
 * @param {K} key
 * @param {string} id
 */
function unfile(map, key, id) {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(id);
  if (!set.size) map.delete(key); // as computeLayout has it: no empty sets
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
  layout.cyclic = repairCycles(entries, layout.place);
  for (const [id, place] of layout.place) file(layout.under, place.parent, id);
  /** @type {Set<string>} */
  const hidden = new Set();
  for (const id of entries.keys()) {
    if (isVisible(id, entries, layout, hidden)) {
      const parent = /** @type {Place} */ (layout.place.get(id)).parent;
      const siblings = layout.children.get(parent);
      if (siblings) siblings.push(id);
      else layout.children.set(parent, [id]);
    }
  }
  const order = bySiblingOrder(layout.place);
  for (const siblings of layout.children.values()) siblings.sort(order);
  return layout;
}

/**
 * Bring `layout`, computed from the entries as they were, up to date with
 * `entries` after the nodes of `before` changed; `before` holds each one's
 * entry before the change (undefined: it was absent or did not parse).
 * Only the changed nodes and the subtrees under them are looked at, except
 * where cycle repair is involved: which node of a loop gives way depends on
 * the whole loop, and its fallback to `prev` can close another, so a change
 * to the positions of a layout with a loop, or one that closes a loop, is
 * laid out again from all the entries. Loops come only from concurrent moves
 * (or foreign writers) and last until one of their nodes is moved again.
 * Returns the layout: `layout` itself, changed in place, or a new one.
 * @param {Layout} layout
 * @param {Map<string, Entry>} entries
 * @param {Map<string, Entry | undefined>} before
 * @returns {Layout}
 */
export function updateLayout(layout, entries, before) {
  /** @type {string[]} nodes whose position or deleted flag changed */
  const changed = [];
  /** @type {Map<string, Place | undefined>} the effective place, before, of the nodes whose position changed */
  const moved = new Map();
  for (const [id, old] of before) {
    const now = entries.get(id);
    if (old === undefined && now === undefined) continue;
    const samePlace = old !== undefined && now !== undefined && equalPlace(old.place, now.place);
    if (samePlace && old.deleted === now.deleted && equalPlace(old.prev, now.prev)) continue; // properties only
    changed.push(id);
    if (!samePlace) moved.set(id, layout.place.get(id));
  }
  if (!changed.length) return layout;
  // Without loops every effective place is the stored one; a loop that was
  // not there can only go through a node whose position changed.
  if (layout.cyclic || closesLoop(moved.keys(), entries)) return computeLayout(entries);

  for (const [id, was] of moved) {
    if (was !== undefined) unfile(layout.under, was.parent, id);
    const now = entries.get(id);
    if (now === undefined) {
      layout.place.delete(id);
    } else {
      layout.place.set(id, now.place);
      file(layout.under, now.place.parent, id);
    }
  }
  for (const id of changed) {
    if (entries.get(id)?.deleted) layout.deleted.add(id);
    else layout.deleted.delete(id);
  }

  // A changed node's depth (null: hidden by a missing or deleted node above)
  // follows from its chain of parents; below it, each node's from its
  // parent's. A node already reached has its final value (by its own chain or
  // its parent's), so no subtree is walked twice.
  /** @type {Map<string, number | null>} */
  const depths = new Map();
  for (const id of changed) {
    if (depths.has(id)) continue;
    /** @type {Array<[string, number | null]>} */
    const stack = [[id, chainDepth(id, entries)]];
    while (stack.length) {
      const [node, depth] = /** @type {[string, number | null]} */ (stack.pop());
      depths.set(node, depth);
      for (const kid of layout.under.get(node) ?? []) {
        if (depths.has(kid)) continue;
        stack.push([kid, depth === null || /** @type {Entry} */ (entries.get(kid)).deleted ? null : depth + 1]);
      }
    }
  }

  // Each sibling list loses the nodes that left it or were hidden and gains,
  // in order, those that came or were shown; the rest keep their order.
  /** @type {Map<string | null, Set<string>>} */
  const leaving = new Map();
  /** @type {Map<string | null, Set<string>>} */
  const coming = new Map();
  for (const [id, depth] of depths) {
    const visible = depth !== null && depth <= MAX_DEPTH;
    const was = layout.visible.has(id);
    const relocated = moved.has(id);
    if (was && (!visible || relocated)) file(leaving, /** @type {Place} */ (relocated ? moved.get(id) : layout.place.get(id)).parent, id);
    if (visible && (!was || relocated)) file(coming, /** @type {Place} */ (layout.place.get(id)).parent, id);
    if (visible) {
      layout.visible.add(id);
      layout.depth.set(id, depth);
    } else {
      layout.visible.delete(id);
      layout.depth.delete(id);
    }
  }
  const order = bySiblingOrder(layout.place);
  for (const parent of new Set([...leaving.keys(), ...coming.keys()])) {
    const gone = leaving.get(parent);
    const old = layout.children.get(parent) ?? [];
    const kept = gone ? old.filter((id) => !gone.has(id)) : old;
    const siblings = merge(kept, [...(coming.get(parent) ?? [])].sort(order), order);
    if (siblings.length) layout.children.set(parent, siblings);
    else layout.children.delete(parent);
  }
  return layout;
}

/**
 * @param {Place | null} a
 * @param {Place | null} b
 */
function equalPlace(a, b) {
  return a === b || (a !== null && b !== null && a.parent === b.parent && a.order === b.order);
}

/**
 * Whether a walk up the stored positions from one of `starts` comes back
 * to a node it passed.
 * @param {Iterable<string>} starts
 * @param {Map<string, Entry>} entries
 */
function closesLoop(starts, entries) {
  /** @type {Set<string>} nodes whose walk ends (at the top level or a missing parent) */
  const ends = new Set();
  for (const start of starts) {
    /** @type {Set<string>} */
    const path = new Set();
    /** @type {string | null} */
    let current = start;
    while (current !== null && !ends.has(current)) {
      const entry = entries.get(current);
      if (entry === undefined) break;
      if (path.has(current)) return true;
      path.add(current);
      current = entry.place.parent;
    }
    for (const id of path) ends.add(id);
  }
  return false;
}

/**
 * How many nodes are above `id`, or null when it or one of them is missing
 * or deleted (`entries` without loops).
 * @param {string} id
 * @param {Map<string, Entry>} entries
 * @returns {number | null}
 */
function chainDepth(id, entries) {
  let depth = -1;
  /** @type {string | null} */
  let current = id;
  while (current !== null) {
    const entry = entries.get(current);
    if (entry === undefined || entry.deleted) return null;
    depth++;
    current = entry.place.parent;
  }
  return depth;
}

/**
 * Two sorted lists as one.
 * @param {string[]} a
 * @param {string[]} b
 * @param {(a: string, b: string) => number} order
 */
function merge(a, b, order) {
  if (!b.length) return a;
  /** @type {string[]} */
  const out = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(order(a[i], b[j]) <= 0 ? a[i++] : b[j++]);
  while (i < a.length) out.push(a[i++]);
  while (j < b.length) out.push(b[j++]);
  return out;
}

/**
 * Move the nodes of each loop to where cycle repair puts them; whether there was one.
 * @param {Map<string, Entry>} entries
 * @param {Map<string, Place>} place
 */
function repairCycles(entries, place) {
  let repaired = false;
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
      repaired = true;
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
  return repaired;
}

/**
 * Whether `id` is shown; files it and the nodes walked through on the way up
 * in `layout.visible` (with their depth) or `hidden`.
 * @param {string} id
 * @param {Map<string, Entry>} entries
 * @param {Layout} layout
 * @param {Set<string>} hidden
 */
function isVisible(id, entries, layout, hidden) {
  /** @type {string[]} */
  const chain = [];
  /** @type {string | null} */
  let current = id;
  while (current !== null && !layout.visible.has(current)) {
    const entry = entries.get(current);
    if (entry === undefined || entry.deleted || hidden.has(current)) {
      for (const node of chain) hidden.add(node);
      return false;
    }
    chain.push(current);
    current = /** @type {Place} */ (layout.place.get(current)).parent;
  }
  // The chain hangs from the top level or from a node already shown: each
  // node is one level below the next; those past MAX_DEPTH stay hidden.
  let depth = current === null ? -1 : /** @type {number} */ (layout.depth.get(current));
  for (let i = chain.length - 1; i >= 0; i--) {
    depth++;
    if (depth > MAX_DEPTH) hidden.add(chain[i]);
    else {
      layout.visible.add(chain[i]);
      layout.depth.set(chain[i], depth);
    }
  }
  return layout.visible.has(id);
}
