// The canvas: the component tree as nested boxes, drawn in document order
// (the editing plugin's layout rules decide parent and order; the boxes
// nest and stack as the tree does). Select, drag to move or re-parent,
// others' cursors and selections on top.
//
// Coordinates shared through presence (cursors) are CSS pixels from the
// top-left corner of the canvas content (`#canvas-content`), scroll
// included: a peer's cursor at (x, y) is drawn at that point of the content.

import { h } from "./dom.js";
import { TreeView } from "./treeview.js";
import { displayName, keyProps } from "./values.js";

/** @typedef {import("../src/room.js").Room} Room */

/** Pixels a pointer moves with the button down before it is a drag, not a click. */
const DRAG_THRESHOLD = 4;
/** Drag frame times kept (the newest), for the page's own measurement. */
const FRAMES_KEPT = 2000;

/**
 * Where a drop puts the dragged node.
 * @typedef {{ parent: string | null, index: number | undefined, target: HTMLElement | null, where: "before" | "after" | "inside" | "end" }} Drop
 */

export class Canvas {
  /**
   * @param {Room} room
   * @param {HTMLElement} content the scrolled content element boxes go in
   * @param {{ select: (id: string | null) => void, say: (text: string) => void }} hooks
   */
  constructor(room, content, hooks) {
    this.room = room;
    this.content = content;
    this.hooks = hooks;
    this.boxes = h("div", { class: "boxes", role: "list", "aria-label": "Components" });
    this.cursors = h("div", { class: "cursors", "aria-hidden": "true" });
    this.ghost = h("div", { class: "ghost", "aria-hidden": "true", hidden: true });
    // Where a drop would go, drawn over the boxes: moving it restyles no box,
    // so a drag step costs the same with 20 boxes or 2,000.
    this.marker = h("div", { class: "drop-marker", "aria-hidden": "true", hidden: true });
    content.append(this.boxes, this.cursors, this.marker, this.ghost);
    this.view = new TreeView(room.doc, this.boxes, {
      create: () => {
        const el = h("div", { class: "box", role: "listitem", tabindex: "-1" });
        const head = h("div", { class: "box-head" });
        const kids = h("div", { class: "box-kids", role: "list" });
        el.append(head, kids);
        return { el, kids };
      },
      paint: (id, el) => this._paintBox(id, el),
    });
    /** @type {string | null} */
    this.selected = null;
    /** Boxes outlined for others' selections: element to the color drawn. @type {Map<HTMLElement, string>} */
    this._remoteOutlined = new Map();
    /** @type {Map<string, HTMLElement>} cursor elements by peer id */
    this._cursorEls = new Map();
    /** Drag work per pointer move in ms (the page's own frame measurement). @type {number[]} */
    this.dragFrames = [];
    /** @type {{ id: string, x: number, y: number, moved: boolean, pointer: number } | null} */
    this._drag = null;
    this._listen();
  }

  /** Draw everything (on joining). */
  renderAll() {
    this.view.renderAll();
    this.markSelected(this.selected);
  }

  /**
   * Apply a change to the boxes: only the changed nodes are repainted.
   * @param {import("../src/editing/changes.js").Change} change
   */
  update(change) {
    const painted = this.view.update(change);
    if (this.selected !== null && this.view.element(this.selected) === null) this.hooks.select(null);
    return painted;
  }

  /**
   * Show `id` as this user's selection (null: none), the box focusable.
   * @param {string | null} id
   */
  markSelected(id) {
    const old = this.selected === null ? null : this.view.element(this.selected);
    if (old !== null) {
      old.classList.remove("selected");
      old.setAttribute("tabindex", "-1");
      old.removeAttribute("aria-current");
    }
    this.selected = id;
    const el = id === null ? null : this.view.element(id);
    if (el !== null) {
      el.classList.add("selected");
      el.setAttribute("tabindex", "0");
      el.setAttribute("aria-current", "true");
    }
  }

  /** Focus the selected box, scrolled into view. */
  focusSelected() {
    const el = this.selected === null ? null : this.view.element(this.selected);
    if (el !== null) el.focus();
  }

  /**
   * Draw the others' cursors and selections from presence.
   * @param {Map<string, { peerId: string, state: import("../src/presence/state.js").PresenceState, local: boolean }>} states
   */
  drawPresence(states) {
    const seen = new Set();
    /** @type {Map<HTMLElement, string>} */
    const outlined = new Map();
    for (const { peerId, state, local } of states.values()) {
      if (local) continue;
      const { name, color } = state.user;
      for (const id of state.selection) {
        const el = this.view.element(id);
        if (el !== null && !outlined.has(el)) outlined.set(el, color);
      }
      if (state.cursor === null) continue;
      seen.add(peerId);
      let el = this._cursorEls.get(peerId);
      if (el === undefined) {
        el = h("div", { class: "cursor", "data-peer": peerId }, h("span", { class: "cursor-arrow" }), h("span", { class: "cursor-name" }));
        this._cursorEls.set(peerId, el);
        this.cursors.append(el);
      }
      el.style.setProperty("--color", color);
      el.style.transform = `translate(${state.cursor.x}px, ${state.cursor.y}px)`;
      const label = /** @type {HTMLElement} */ (el.lastElementChild);
      if (label.textContent !== name) label.textContent = name;
    }
    for (const [peer, el] of this._cursorEls) {
      if (!seen.has(peer)) {
        el.remove();
        this._cursorEls.delete(peer);
      }
    }
    for (const [el, color] of this._remoteOutlined) {
      if (outlined.get(el) !== color) {
        el.classList.remove("remote-selected");
        el.style.removeProperty("--peer-color");
      }
    }
    for (const [el, color] of outlined) {
      el.classList.add("remote-selected");
      el.style.setProperty("--peer-color", color);
    }
    this._remoteOutlined = outlined;
  }

  /** The drag frame times' percentile `p` (0 to 100) in ms, or null before any drag. @param {number} p */
  dragPercentile(p) {
    if (!this.dragFrames.length) return null;
    const sorted = [...this.dragFrames].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  }

  // -- drawing --------------------------------------------------------------

  /** @param {string} id @param {HTMLElement} el */
  _paintBox(id, el) {
    const node = this.room.doc.node(id);
    if (node === null) return;
    const name = displayName(node.props);
    const props = keyProps(node.props);
    const head = /** @type {HTMLElement} */ (el.firstElementChild);
    head.replaceChildren(h("span", { class: "box-type", text: node.type }));
    if (name) head.append(h("span", { class: "box-name", text: name }));
    if (props) head.append(h("span", { class: "box-props", text: props }));
    el.dataset.type = node.type;
    el.setAttribute("aria-label", `${node.type}${name ? ` ${name}` : ""}${props ? `, ${props}` : ""}`);
  }

  // -- pointer --------------------------------------------------------------

  _listen() {
    const content = this.content;
    content.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      const box = e.target instanceof Element ? e.target.closest(".box") : null;
      const id = box instanceof HTMLElement ? box.dataset.id ?? null : null;
      this.hooks.select(id);
      if (id === null) return;
      this._drag = { id, x: e.clientX, y: e.clientY, moved: false, pointer: e.pointerId };
    });
    content.addEventListener("pointermove", (e) => {
      const at = this._point(e);
      this.room.presence.setCursor(at.x, at.y, this._boxAt(e.target) ?? undefined);
      const drag = this._drag;
      if (drag === null || e.pointerId !== drag.pointer) return;
      if (!drag.moved && Math.hypot(e.clientX - drag.x, e.clientY - drag.y) < DRAG_THRESHOLD) return;
      const started = performance.now();
      if (!drag.moved) {
        drag.moved = true;
        content.setPointerCapture(e.pointerId);
        const source = this.view.element(drag.id);
        source?.classList.add("dragging");
        this.ghost.textContent = source?.getAttribute("aria-label") ?? "";
        this.ghost.hidden = false;
      }
      this.ghost.style.transform = `translate(${at.x + 8}px, ${at.y + 8}px)`;
      this._markDrop(this._dropAt(e.clientX, e.clientY, drag.id));
      void this.ghost.offsetTop; // style and layout of this move, inside the measurement
      this.dragFrames.push(performance.now() - started);
      if (this.dragFrames.length > FRAMES_KEPT) this.dragFrames.splice(0, this.dragFrames.length - FRAMES_KEPT);
    });
    const finish = (/** @type {PointerEvent} */ e, /** @type {boolean} */ drop) => {
      const drag = this._drag;
      if (drag === null || e.pointerId !== drag.pointer) return;
      this._drag = null;
      if (!drag.moved) return;
      this.view.element(drag.id)?.classList.remove("dragging");
      this.ghost.hidden = true;
      this._markDrop(null);
      if (drop) this.dropAt(drag.id, this._dropAt(e.clientX, e.clientY, drag.id));
    };
    content.addEventListener("pointerup", (e) => finish(e, true));
    content.addEventListener("pointercancel", (e) => finish(e, false));
    content.addEventListener("pointerleave", () => {
      if (this._drag === null) this.room.presence.clearCursor();
    });
  }

  /**
   * Move `id` where `drop` says, reporting what the tree refuses.
   * @param {string} id
   * @param {Drop | null} drop
   */
  dropAt(id, drop) {
    if (drop === null) return;
    try {
      this.room.doc.move(id, drop.parent, drop.index);
      this.hooks.select(id);
    } catch (error) {
      this.hooks.say(`Cannot move there: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Cancel a drag in progress (Escape). */
  cancelDrag() {
    const drag = this._drag;
    if (drag === null) return;
    this._drag = null;
    this.view.element(drag.id)?.classList.remove("dragging");
    this.ghost.hidden = true;
    this._markDrop(null);
  }

  /** A pointer event's point in content coordinates. @param {MouseEvent} e */
  _point(e) {
    const rect = this.content.getBoundingClientRect();
    return { x: Math.round(e.clientX - rect.left), y: Math.round(e.clientY - rect.top) };
  }

  /** @param {EventTarget | null} target */
  _boxAt(target) {
    const box = target instanceof Element ? target.closest(".box") : null;
    return box instanceof HTMLElement ? box.dataset.id ?? null : null;
  }

  /**
   * Where dropping `moving` at a viewport point puts it: before or after the
   * box under the point when near its top or bottom edge, else inside it
   * (last); on the background, last at the top level. Never into its own subtree.
   * @param {number} clientX
   * @param {number} clientY
   * @param {string} moving
   * @returns {Drop | null}
   */
  _dropAt(clientX, clientY, moving) {
    const source = this.view.element(moving);
    let hit = document.elementFromPoint(clientX, clientY);
    if (hit === this.ghost) return null;
    let box = hit instanceof Element ? hit.closest(".box") : null;
    if (!(box instanceof HTMLElement) || !this.content.contains(box)) {
      return { parent: null, index: undefined, target: null, where: "end" };
    }
    if (source !== null && source.contains(box)) return null;
    const id = /** @type {string} */ (box.dataset.id);
    const rect = box.getBoundingClientRect();
    const edge = Math.min(12, rect.height / 4);
    const where = clientY < rect.top + edge ? "before" : clientY > rect.bottom - edge ? "after" : "inside";
    if (where === "inside") return { parent: id, index: undefined, target: box, where };
    const parent = this.view.nodes.get(id)?.parent ?? null;
    const siblings = this.room.doc.children(parent).filter((s) => s !== moving);
    const at = siblings.indexOf(id);
    return { parent, index: where === "before" ? at : at + 1, target: box, where };
  }

  /** @param {Drop | null} drop */
  _markDrop(drop) {
    const marker = this.marker;
    if (drop === null) {
      marker.hidden = true;
      return;
    }
    const origin = this.content.getBoundingClientRect();
    const r = (drop.target ?? this.boxes).getBoundingClientRect();
    const x = r.left - origin.left;
    const inside = drop.where === "inside";
    const y = drop.where === "before" ? r.top - origin.top - 3 : inside ? r.top - origin.top : r.bottom - origin.top;
    marker.className = inside ? "drop-marker inside" : "drop-marker";
    marker.style.transform = `translate(${x}px, ${y}px)`;
    marker.style.width = `${r.width}px`;
    marker.style.height = inside ? `${r.height}px` : "3px";
    marker.hidden = false;
  }

}
