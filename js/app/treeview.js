// A view of the component tree as nested elements, kept up to date
// incrementally: a change repaints the changed nodes and re-orders only the
// child lists it touched, never the whole tree (the canvas and the outline
// are both one of these).

/** @typedef {import("../src/editing/model.js").Document} Document */
/** @typedef {import("../src/editing/changes.js").Change} Change */

/**
 * How a view draws one node.
 * @typedef {{
 *   create: (id: string) => { el: HTMLElement, kids: HTMLElement },
 *   paint: (id: string, el: HTMLElement) => void,
 * }} Painter
 *   `create` makes a node's element and the element its children go in;
 *   `paint` draws the node's own content (type, name, properties).
 */

export class TreeView {
  /**
   * @param {Document} doc
   * @param {HTMLElement} root where the top-level nodes go
   * @param {Painter} painter
   */
  constructor(doc, root, painter) {
    this.doc = doc;
    this.root = root;
    this.painter = painter;
    /** @type {Map<string, { el: HTMLElement, kids: HTMLElement, parent: string | null }>} */
    this.nodes = new Map();
    /** Node ids painted by the last update (created or repainted). @type {string[]} */
    this.lastPainted = [];
    /** Node ids painted since the view was made. */
    this.paintCount = 0;
    /** Elements a sync took out of a list: only these can have left the view. @type {HTMLElement[]} */
    this._removed = [];
  }

  /** Draw the whole tree (the first time, or after a reset). */
  renderAll() {
    this.nodes.clear();
    this._removed = [];
    this.root.replaceChildren();
    this.lastPainted = [];
    this._sync(null);
  }

  /**
   * Apply a change: repaint nodes whose properties or type changed, and
   * re-sync the child lists that gained or lost a node.
   * @param {Change} change
   * @returns {string[]} the ids painted
   */
  update(change) {
    this.lastPainted = [];
    /** @type {Set<string | null>} */
    const lists = new Set();
    for (const { id, kind } of change.nodes) {
      const known = this.nodes.get(id);
      if (kind === "props" || kind === "type") {
        if (known !== undefined) this._paint(id, known.el);
        continue;
      }
      if (known !== undefined) lists.add(known.parent);
      const node = this.doc.node(id);
      if (node !== null && node.visible) lists.add(node.parent ?? null);
    }
    if (!change.local && change.nodes.some((n) => n.kind === "moved")) this._misplaced(lists);
    // A list whose own node is not drawn (hidden, or itself being added) is
    // drawn with that node; its ancestors' lists are in `lists` already.
    for (const parent of lists) {
      if (parent === null || this.nodes.has(parent)) this._sync(parent);
    }
    this._dropDetached();
    return this.lastPainted;
  }

  /** The element of node `id`, if drawn. @param {string} id */
  element(id) {
    return this.nodes.get(id)?.el ?? null;
  }

  /**
   * Make the children of `parent` (null: the top level) be, in order, its
   * visible children in the document: reuses elements, creates missing ones
   * (with their subtrees), moves only what is out of place.
   * @param {string | null} parent
   */
  _sync(parent) {
    const list = parent === null ? this.root : this.nodes.get(parent)?.kids;
    if (list === undefined) return;
    const wanted = this.doc.children(parent);
    const keep = new Set(wanted);
    for (const child of [...list.children]) {
      const id = child instanceof HTMLElement ? child.dataset.id : undefined;
      if (id === undefined || !keep.has(id)) {
        child.remove();
        if (child instanceof HTMLElement) this._removed.push(child);
      }
    }
    /** @type {Element | null} */
    let cursor = list.firstElementChild;
    for (const id of wanted) {
      let entry = this.nodes.get(id);
      if (entry === undefined) {
        const made = this.painter.create(id);
        entry = { ...made, parent };
        made.el.dataset.id = id;
        this.nodes.set(id, entry);
        this._paint(id, made.el);
        this._sync(id);
      }
      entry.parent = parent;
      if (entry.el === cursor) {
        cursor = cursor.nextElementSibling;
      } else {
        list.insertBefore(entry.el, cursor);
      }
    }
  }

  /**
   * Concurrent moves can make a cycle, which the layout rules break by
   * placing a node the change does not name (docs/editing.md, the conflict
   * rules): after a peer's moves, find every drawn node whose place or
   * visibility differs from the document's and re-sync its lists.
   * @param {Set<string | null>} lists
   */
  _misplaced(lists) {
    for (const [id, entry] of this.nodes) {
      const node = this.doc.node(id);
      if (node === null || !node.visible) lists.add(entry.parent);
      else if ((node.parent ?? null) !== entry.parent) {
        lists.add(entry.parent);
        lists.add(node.parent ?? null);
      }
    }
  }

  /**
   * Forget nodes whose elements left the view (deleted, hidden, or under
   * such a node). Only the elements a sync took out are looked at, with
   * what they hold, so a change costs what it touched, not the whole tree;
   * a moved node's element is back in another list by now and stays.
   */
  _dropDetached() {
    for (const el of this._removed.splice(0)) {
      if (this.root.contains(el)) continue;
      for (const node of [el, ...el.querySelectorAll("[data-id]")]) {
        const id = node instanceof HTMLElement ? node.dataset.id : undefined;
        if (id !== undefined && this.nodes.get(id)?.el === node) this.nodes.delete(id);
      }
    }
  }

  /** @param {string} id @param {HTMLElement} el */
  _paint(id, el) {
    this.painter.paint(id, el);
    this.lastPainted.push(id);
    this.paintCount += 1;
  }
}
