// The tree panel: the same tree as an outline (an ARIA tree), its
// selection the canvas's. Kept up to date incrementally like the canvas.

import { h } from "./dom.js";
import { TreeView } from "./treeview.js";
import { displayName } from "./values.js";

export class Outline {
  /**
   * @param {import("../src/room.js").Room} room
   * @param {HTMLElement} root the `role="tree"` element
   * @param {(id: string | null) => void} select
   */
  constructor(room, root, select) {
    this.room = room;
    this.root = root;
    /** @type {string | null} */
    this.selected = null;
    this.view = new TreeView(room.doc, root, {
      create: () => {
        const el = h("li", { role: "treeitem", "aria-selected": "false", tabindex: "-1" });
        const kids = h("ul", { role: "group" });
        el.append(h("span", { class: "item" }), kids);
        return { el, kids };
      },
      paint: (id, el) => {
        const node = room.doc.node(id);
        if (node === null) return;
        const name = displayName(node.props);
        const label = /** @type {HTMLElement} */ (el.firstElementChild);
        label.textContent = name ? `${node.type} · ${name}` : node.type;
      },
    });
    root.addEventListener("click", (e) => {
      const item = e.target instanceof Element ? e.target.closest("[role=treeitem]") : null;
      if (item instanceof HTMLElement && item.dataset.id !== undefined) select(item.dataset.id);
    });
  }

  renderAll() {
    this.view.renderAll();
    this.markSelected(this.selected);
  }

  /** @param {import("../src/editing/changes.js").Change} change */
  update(change) {
    this.view.update(change);
  }

  /** @param {string | null} id */
  markSelected(id) {
    const old = this.selected === null ? null : this.view.element(this.selected);
    if (old !== null) {
      old.setAttribute("aria-selected", "false");
      old.setAttribute("tabindex", "-1");
    }
    this.selected = id;
    const el = id === null ? null : this.view.element(id);
    if (el !== null) {
      el.setAttribute("aria-selected", "true");
      el.setAttribute("tabindex", "0");
      el.scrollIntoView({ block: "nearest" });
    }
    // With nothing selected the tree itself takes the focus.
    this.root.setAttribute("tabindex", el === null ? "0" : "-1");
  }

  focusSelected() {
    const el = this.selected === null ? null : this.view.element(this.selected);
    (el ?? this.root).focus();
  }
}
