// app/main.js
import { joinRoom } from "/client/avacollab.js";

// app/dom.js
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === void 0 || value === false) continue;
    if (name === "class") el.className = String(value);
    else if (name === "text") el.textContent = String(value);
    else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === void 0 || child === false) continue;
    el.append(child);
  }
  return el;
}
function byId(id, type) {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return el;
}
function isTextField(target) {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

// app/treeview.js
var TreeView = class {
  /**
   * @param {Document} doc
   * @param {HTMLElement} root where the top-level nodes go
   * @param {Painter} painter
   */
  constructor(doc, root, painter) {
    this.doc = doc;
    this.root = root;
    this.painter = painter;
    this.nodes = /* @__PURE__ */ new Map();
    this.lastPainted = [];
    this.paintCount = 0;
  }
  /** Draw the whole tree (the first time, or after a reset). */
  renderAll() {
    this.nodes.clear();
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
    const lists = /* @__PURE__ */ new Set();
    for (const { id, kind } of change.nodes) {
      const known = this.nodes.get(id);
      if (kind === "props" || kind === "type") {
        if (known !== void 0) this._paint(id, known.el);
        continue;
      }
      if (known !== void 0) lists.add(known.parent);
      const node = this.doc.node(id);
      if (node !== null && node.visible) lists.add(node.parent ?? null);
    }
    if (!change.local && change.nodes.some((n) => n.kind === "moved")) this._misplaced(lists);
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
    if (list === void 0) return;
    const wanted = this.doc.children(parent);
    const keep = new Set(wanted);
    for (const child of [...list.children]) {
      const id = child instanceof HTMLElement ? child.dataset.id : void 0;
      if (id === void 0 || !keep.has(id)) child.remove();
    }
    let cursor = list.firstElementChild;
    for (const id of wanted) {
      let entry = this.nodes.get(id);
      if (entry === void 0) {
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
  /** Forget nodes whose elements left the view (deleted, or under a deleted node). */
  _dropDetached() {
    for (const [id, entry] of this.nodes) {
      if (!this.root.contains(entry.el)) this.nodes.delete(id);
    }
  }
  /** @param {string} id @param {HTMLElement} el */
  _paint(id, el) {
    this.painter.paint(id, el);
    this.lastPainted.push(id);
    this.paintCount += 1;
  }
};

// app/values.js
var NAME_KEYS = ["name", "label", "title", "text"];
var KEY_PROPS = 3;
var SHOWN = 24;
function displayName(props) {
  for (const key of NAME_KEYS) {
    const value = props[key];
    if (value !== void 0 && value !== null && value !== "") return clip(typeof value === "string" ? value : JSON.stringify(value));
  }
  return "";
}
function keyProps(props) {
  const named = NAME_KEYS.find((k) => props[k] !== void 0 && props[k] !== null && props[k] !== "");
  return Object.keys(props).filter((k) => k !== named).sort().slice(0, KEY_PROPS).map((k) => `${k}=${clip(shown(props[k]))}`).join(" ");
}
function shown(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}
function parseValue(text) {
  const trimmed = text.trim();
  if (/^(-?\d|true$|false$|null$|\[|\{|")/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return text;
    }
  }
  return text;
}
function clip(text) {
  return text.length > SHOWN ? text.slice(0, SHOWN - 1) + "…" : text;
}

// app/canvas.js
var DRAG_THRESHOLD = 4;
var FRAMES_KEPT = 2e3;
var Canvas = class {
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
      paint: (id, el) => this._paintBox(id, el)
    });
    this.selected = null;
    this._remoteOutlined = /* @__PURE__ */ new Map();
    this._cursorEls = /* @__PURE__ */ new Map();
    this.dragFrames = [];
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
    const seen = /* @__PURE__ */ new Set();
    const outlined = /* @__PURE__ */ new Map();
    for (const { peerId, state, local } of states.values()) {
      if (local) continue;
      const { name, color } = state.user;
      for (const id of state.selection) {
        const el2 = this.view.element(id);
        if (el2 !== null && !outlined.has(el2)) outlined.set(el2, color);
      }
      if (state.cursor === null) continue;
      seen.add(peerId);
      let el = this._cursorEls.get(peerId);
      if (el === void 0) {
        el = h("div", { class: "cursor", "data-peer": peerId }, h("span", { class: "cursor-arrow" }), h("span", { class: "cursor-name" }));
        this._cursorEls.set(peerId, el);
        this.cursors.append(el);
      }
      el.style.setProperty("--color", color);
      el.style.transform = `translate(${state.cursor.x}px, ${state.cursor.y}px)`;
      const label = (
        /** @type {HTMLElement} */
        el.lastElementChild
      );
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
    return sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
  }
  // -- drawing --------------------------------------------------------------
  /** @param {string} id @param {HTMLElement} el */
  _paintBox(id, el) {
    const node = this.room.doc.node(id);
    if (node === null) return;
    const name = displayName(node.props);
    const props = keyProps(node.props);
    const head = (
      /** @type {HTMLElement} */
      el.firstElementChild
    );
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
      this.room.presence.setCursor(at.x, at.y, this._boxAt(e.target) ?? void 0);
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
      void this.ghost.offsetTop;
      this.dragFrames.push(performance.now() - started);
      if (this.dragFrames.length > FRAMES_KEPT) this.dragFrames.splice(0, this.dragFrames.length - FRAMES_KEPT);
    });
    const finish = (e, drop) => {
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
      return { parent: null, index: void 0, target: null, where: "end" };
    }
    if (source !== null && source.contains(box)) return null;
    const id = (
      /** @type {string} */
      box.dataset.id
    );
    const rect = box.getBoundingClientRect();
    const edge = Math.min(12, rect.height / 4);
    const where = clientY < rect.top + edge ? "before" : clientY > rect.bottom - edge ? "after" : "inside";
    if (where === "inside") return { parent: id, index: void 0, target: box, where };
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
};

// app/inspector.js
var CONTAINERS = /* @__PURE__ */ new Set(["Frame", "Panel"]);
var PALETTE = (
  /** @type {const} */
  [
    ["Frame", { title: "Frame" }],
    ["Panel", {}],
    ["Button", { label: "Button" }],
    ["Label", { text: "Label" }],
    ["Input", { placeholder: "Text" }],
    ["Image", { src: "", alt: "" }]
  ]
);
var Inspector = class {
  /**
   * @param {import("../src/room.js").Room} room
   * @param {{ palette: HTMLElement, props: HTMLElement }} where
   * @param {{ select: (id: string | null) => void, say: (text: string) => void }} hooks
   */
  constructor(room, where, hooks) {
    this.room = room;
    this.hooks = hooks;
    this.panel = where.props;
    this.selected = null;
    for (const [type, props] of PALETTE) {
      where.palette.append(
        h("button", {
          type: "button",
          class: "palette-item",
          "data-type": type,
          "aria-label": `Add ${type}`,
          text: type,
          onclick: () => this.add(type, { ...props })
        })
      );
    }
    this.render();
  }
  /**
   * Add a component: inside the selected one (last) when it is a container,
   * right after it when not, at the end of the top level with nothing selected.
   * @param {string} type
   * @param {Record<string, import("../src/editing/schema.js").JSONValue>} props
   */
  add(type, props) {
    try {
      const doc = this.room.doc;
      const at = this.selected === null ? null : doc.node(this.selected);
      let where = { parent: null };
      if (at !== null && at.visible) {
        if (CONTAINERS.has(at.type)) where = { parent: at.id };
        else where = { parent: at.parent, index: doc.children(at.parent).indexOf(at.id) + 1 };
      }
      const id = doc.add(type, props, where);
      this.hooks.select(id);
      this.hooks.say(`Added ${type}.`);
    } catch (error) {
      this.hooks.say(`Cannot add ${type}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  /** @param {string | null} id */
  show(id) {
    this.selected = id;
    this.render();
  }
  /** Redraw the panel, keeping a field being typed in as it is. */
  render() {
    const id = this.selected;
    const node = id === null ? null : this.room.doc.node(id);
    if (id === null || node === null || !node.visible) {
      this.panel.replaceChildren(h("p", { class: "hint", text: "Select a component to edit its properties." }));
      return;
    }
    const focused = document.activeElement;
    const typing = focused instanceof HTMLInputElement && this.panel.contains(focused) ? focused : null;
    if (typing !== null && typing.dataset.prop !== void 0 && typing.value !== typing.defaultValue) {
      for (const input of this.panel.querySelectorAll("input[data-prop]")) {
        if (input instanceof HTMLInputElement && input !== typing && input.dataset.prop !== void 0) {
          const value = node.props[input.dataset.prop];
          if (value !== void 0) input.value = input.defaultValue = shown(value);
        }
      }
      return;
    }
    const rows = Object.entries(node.props).map(([name, value]) => {
      const field = `prop-${name}`;
      return h(
        "div",
        { class: "prop" },
        h("label", { for: field, text: name }),
        h("input", {
          id: field,
          "data-prop": name,
          value: shown(value),
          onchange: (e) => {
            const input = (
              /** @type {HTMLInputElement} */
              e.target
            );
            input.defaultValue = input.value;
            this._set(id, name, input.value);
          }
        }),
        h("button", {
          type: "button",
          class: "icon",
          "aria-label": `Remove property ${name}`,
          text: "×",
          onclick: () => this._edit(() => this.room.doc.removeProp(id, name))
        })
      );
    });
    const newName = h("input", { id: "new-prop-name", placeholder: "name", "aria-label": "New property name" });
    const newValue = h("input", { id: "new-prop-value", placeholder: "value", "aria-label": "New property value" });
    const form2 = h(
      "form",
      {
        class: "prop new-prop",
        "aria-label": "Add a property",
        onsubmit: (e) => {
          e.preventDefault();
          if (newName.value.trim()) this._set(id, newName.value.trim(), newValue.value);
        }
      },
      newName,
      newValue,
      h("button", { type: "submit", text: "Add", "aria-label": "Add property" })
    );
    this.panel.replaceChildren(h("p", { class: "prop-type", text: `${node.type}`, title: id }), ...rows, form2);
    if (typing !== null && typing.id) document.getElementById(typing.id)?.focus();
  }
  /** @param {string} id @param {string} name @param {string} text */
  _set(id, name, text) {
    this._edit(() => this.room.doc.setProp(
      id,
      name,
      /** @type {any} */
      parseValue(text)
    ));
  }
  /** @param {() => void} edit */
  _edit(edit) {
    try {
      edit();
    } catch (error) {
      this.hooks.say(`Not changed: ${error instanceof Error ? error.message : String(error)}`);
      this.render();
    }
  }
};

// app/media.js
import { messageJson } from "/client/avacollab.js";
var SPEAKING_LEVEL = 0.02;
var SPEAKING_EVERY = 150;
var STARTED = "screenshare.started";
var STOPPED = "screenshare.stopped";
var MAX_TEXT = 200;
function parseNotice(body, key) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return null;
  const { share } = (
    /** @type {Record<string, unknown>} */
    body
  );
  const text = (
    /** @type {Record<string, unknown>} */
    body[key] ?? ""
  );
  if (typeof share !== "number" || !Number.isInteger(share) || share <= 0 || share >= 2 ** 31) return null;
  if (typeof text !== "string") return null;
  return { share, text: text.slice(0, MAX_TEXT) };
}
var Media = class {
  /**
   * @param {import("../src/room.js").Room} room
   * @param {{ voice: HTMLButtonElement, mute: HTMLButtonElement, share: HTMLButtonElement,
   *   shares: HTMLElement, viewer: HTMLVideoElement, audio: HTMLElement }} ui
   * @param {{ say: (text: string) => void, speaking: () => void }} hooks
   */
  constructor(room, ui, hooks) {
    this.room = room;
    this.ui = ui;
    this.hooks = hooks;
    this.mic = null;
    this.screen = null;
    this.shares = /* @__PURE__ */ new Map();
    this.notices = /* @__PURE__ */ new Map();
    this._shareCount = 0;
    this.viewing = null;
    this._meters = /* @__PURE__ */ new Map();
    this.speaking = /* @__PURE__ */ new Set();
    this._audio = null;
    this._timer = void 0;
    ui.voice.addEventListener("click", () => this.mic === null ? this.startVoice() : this.stopVoice());
    ui.mute.addEventListener("click", () => this.toggleMute());
    ui.share.addEventListener("click", () => this.screen === null ? this.startShare() : this.stopShare());
    room.on("event", (event) => {
      if (event.event === "track") this._track(
        String(event.peer),
        /** @type {MediaStreamTrack} */
        event.track
      );
      if (event.event === "peer-left") this._peerGone(String(event.peer));
      if (event.event === "peer-connected" && this.screen !== null) this._announce(String(event.peer));
    });
    room.bus.subscribe(STARTED, (m) => this._notice(m.sender, messageJson(m), true));
    room.bus.subscribe(STOPPED, (m) => this._notice(m.sender, messageJson(m), false));
    this._renderShares();
  }
  async startVoice() {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true }
      });
      this.mic = stream.getAudioTracks()[0];
      this.room.session.addTrack(this.mic, stream);
      this._meter(this.room.peerId, this.mic);
      this._voiceUi();
      this.hooks.say("Voice on: the others hear you.");
    } catch (error) {
      this.hooks.say(`No microphone: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  stopVoice() {
    if (this.mic === null) return;
    this.room.session.removeTrack(this.mic);
    this.mic.stop();
    this.mic = null;
    this._meters.delete(this.room.peerId);
    this._voiceUi();
    this.hooks.say("Voice off.");
  }
  toggleMute() {
    if (this.mic === null) return;
    this.mic.enabled = !this.mic.enabled;
    this._voiceUi();
    this.hooks.say(this.mic.enabled ? "Microphone on." : "Microphone muted.");
  }
  async startShare() {
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      const track = stream.getVideoTracks()[0];
      this.screen = track;
      this._shareCount += 1;
      track.addEventListener("ended", () => this.stopShare());
      this.room.session.addTrack(track, stream);
      this._announce();
      this._shareUi();
      this.hooks.say("You are sharing your screen.");
    } catch (error) {
      this.hooks.say(`Screen share not started: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  stopShare() {
    if (this.screen === null) return;
    this.room.bus.publishJson(STOPPED, { share: this._shareCount, reason: "stopped" });
    this.room.session.removeTrack(this.screen);
    this.screen.stop();
    this.screen = null;
    this._shareUi();
    this.hooks.say("Screen share stopped.");
  }
  /** Show peer `peer`'s share in the viewer (null: none). @param {string | null} peer */
  view(peer) {
    const track = peer === null || !this._visible().includes(peer) ? void 0 : this.shares.get(peer);
    this.viewing = track === void 0 ? null : peer;
    this.ui.viewer.srcObject = track === void 0 ? null : new MediaStream([track]);
    this.ui.viewer.hidden = track === void 0;
    if (track !== void 0) this.ui.viewer.play().catch(() => void 0);
    this._renderShares();
  }
  // -- internals ------------------------------------------------------------
  /** Tell everyone (or one peer that just connected) about our running share. @param {string} [peer] */
  _announce(peer) {
    if (this.screen === null) return;
    const { width, height } = this.screen.getSettings();
    const body = { share: this._shareCount, source: `browser screen ${width ?? "?"}x${height ?? "?"}` };
    this.room.bus.publishJson(STARTED, body, peer === void 0 ? {} : { to: peer });
  }
  /**
   * A peer's share notice: a malformed one changes nothing; a late stopped
   * (an older share's) never ends a newer share.
   * @param {string} peer
   * @param {unknown} body
   * @param {boolean} started
   */
  _notice(peer, body, started) {
    const notice = parseNotice(body, started ? "source" : "reason");
    if (notice === null) {
      console.warn(`avacollab editor: malformed share notice from ${peer}`);
      return;
    }
    const known = this.notices.get(peer);
    if (known !== void 0 && notice.share < known.share) return;
    this.notices.set(peer, { share: notice.share, running: started, source: started ? notice.text : known?.source ?? "" });
    if (!started && this.viewing === peer) this.view(this._visible()[0] ?? null);
    else if (started && this.viewing === null && this.shares.has(peer)) this.view(peer);
    else this._renderShares();
  }
  /** Peers whose share can be shown: a video track, and no notice saying it stopped. */
  _visible() {
    return [...this.shares.keys()].filter((peer) => this.notices.get(peer)?.running ?? true);
  }
  /** @param {string} peer @param {MediaStreamTrack} track */
  _track(peer, track) {
    if (track.kind === "audio") {
      const player = h("audio", { autoplay: true, "data-peer": peer });
      player.srcObject = new MediaStream([track]);
      this.ui.audio.append(player);
      player.play().catch(() => void 0);
      this._meter(peer, track);
      track.addEventListener("ended", () => {
        player.remove();
        this._meters.delete(peer);
      });
      return;
    }
    this.shares.set(peer, track);
    track.addEventListener("ended", () => {
      if (this.shares.get(peer) === track) this._peerGone(peer);
    });
    if (this.viewing === null && (this.notices.get(peer)?.running ?? true)) this.view(peer);
    else this._renderShares();
  }
  /** @param {string} peer */
  _peerGone(peer) {
    this.shares.delete(peer);
    this.notices.delete(peer);
    this._meters.delete(peer);
    for (const el of this.ui.audio.querySelectorAll("audio")) if (el.dataset.peer === peer) el.remove();
    if (this.viewing === peer) this.view(this._visible()[0] ?? null);
    else this._renderShares();
  }
  _renderShares() {
    const peers = this.room.peers;
    const items = this._visible().map((peer) => {
      const name = peers.get(peer)?.name || peer.slice(0, 8);
      return h(
        "li",
        {},
        h("button", {
          type: "button",
          "aria-pressed": String(this.viewing === peer),
          title: this.notices.get(peer)?.source || null,
          text: `${name}’s screen`,
          onclick: () => this.view(peer)
        })
      );
    });
    this.ui.shares.replaceChildren(...items.length ? items : [h("li", { class: "hint", text: "Nobody is sharing." })]);
  }
  /** Measure a track's level for the speaking indicator. @param {string} peer @param {MediaStreamTrack} track */
  _meter(peer, track) {
    try {
      if (this._audio === null) {
        const context = new AudioContext();
        this._audio = context;
        const resume = () => void context.resume().catch(() => void 0);
        for (const kind of ["pointerdown", "keydown"]) document.addEventListener(kind, resume, { once: true });
      }
      const source = this._audio.createMediaStreamSource(new MediaStream([track]));
      const analyser = this._audio.createAnalyser();
      analyser.fftSize = 512;
      source.connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      this._meters.set(peer, () => {
        if (!track.enabled || track.readyState === "ended") return 0;
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (const s of samples) sum += s * s;
        return Math.sqrt(sum / samples.length);
      });
    } catch {
      return;
    }
    this._timer ??= setInterval(() => this._checkSpeaking(), SPEAKING_EVERY);
  }
  _checkSpeaking() {
    const now = new Set([...this._meters].filter(([, level]) => level() > SPEAKING_LEVEL).map(([peer]) => peer));
    const changed = now.size !== this.speaking.size || [...now].some((p) => !this.speaking.has(p));
    this.speaking = now;
    if (changed) this.hooks.speaking();
  }
  _voiceUi() {
    const on = this.mic !== null;
    this.ui.voice.textContent = on ? "Leave voice" : "Join voice";
    this.ui.voice.setAttribute("aria-pressed", String(on));
    this.ui.mute.disabled = !on;
    const muted = on && !/** @type {MediaStreamTrack} */
    this.mic.enabled;
    this.ui.mute.textContent = muted ? "Unmute" : "Mute";
    this.ui.mute.setAttribute("aria-pressed", String(muted));
  }
  _shareUi() {
    const on = this.screen !== null;
    this.ui.share.textContent = on ? "Stop sharing" : "Share screen";
    this.ui.share.setAttribute("aria-pressed", String(on));
  }
};

// app/messages.js
function joinFailure(error, room) {
  const code = error !== null && typeof error === "object" && "code" in error ? String(error.code) : "";
  const detail = error instanceof Error ? error.message : String(error);
  switch (code) {
    case "token-required":
      return `Room “${room}” needs a join token. Open the full link you were given (it ends in #token=…).`;
    case "token-invalid":
      return "The server refused the join token in this link: it is not valid. Ask for a new link.";
    case "token-expired":
      return "The join token in this link has expired. Ask for a new link.";
    case "token-wrong-room":
      return `The join token in this link is for another room, not “${room}”.`;
    case "room-full":
      return `Room “${room}” is full. Try again when someone leaves.`;
    case "too-many-rooms":
      return "The server holds as many rooms as it allows. Join an existing room, or try later.";
    case "unreachable":
      return "Cannot reach the server. Check that it is running, then try again.";
    case "rate-limited":
      return "The server is busy with this connection; wait a moment and try again.";
    case "":
      if (error instanceof Error && error.name === "InvalidState") return `That name cannot be used: ${detail}`;
      return `Could not join: ${detail}`;
    default:
      return `The server refused to join (${code}): ${detail}`;
  }
}
function linkFailure(name, event) {
  const reason = String(event.reason ?? "failed");
  const why = reason === "timeout" ? "no connection in time" : reason === "gave-up" ? "too many failures" : reason;
  return event.final || reason === "gave-up" ? `Cannot reach ${name} (${why}); gave up. They may be behind a network that blocks direct links.` : `Cannot reach ${name} yet (${why}); retrying…`;
}
function linkState(state) {
  switch (state) {
    case "reconnecting":
      return "The link to the server dropped; reconnecting… Edits keep flowing to peers already connected.";
    case "connected":
      return "Reconnected to the server.";
    case "closed":
      return "Disconnected from the server. Reload the page to join again.";
  }
}

// app/outline.js
var Outline = class {
  /**
   * @param {import("../src/room.js").Room} room
   * @param {HTMLElement} root the `role="tree"` element
   * @param {(id: string | null) => void} select
   */
  constructor(room, root, select) {
    this.room = room;
    this.root = root;
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
        const label = (
          /** @type {HTMLElement} */
          el.firstElementChild
        );
        label.textContent = name ? `${node.type} · ${name}` : node.type;
      }
    });
    root.addEventListener("click", (e) => {
      const item = e.target instanceof Element ? e.target.closest("[role=treeitem]") : null;
      if (item instanceof HTMLElement && item.dataset.id !== void 0) select(item.dataset.id);
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
    this.root.setAttribute("tabindex", el === null ? "0" : "-1");
  }
  focusSelected() {
    const el = this.selected === null ? null : this.view.element(this.selected);
    (el ?? this.root).focus();
  }
};

// app/people.js
function renderPeople(list, room, speaking) {
  const states = room.presence.states();
  const peers = room.peers;
  const ids = [room.peerId, ...[.../* @__PURE__ */ new Set([...states.keys(), ...peers.keys()])].filter((id) => id !== room.peerId)];
  const items = ids.map((id) => {
    const state = states.get(id)?.state;
    const peer = peers.get(id);
    const name = state?.user.name ?? peer?.name ?? id.slice(0, 8);
    const color = state?.user.color ?? "#888888";
    const status2 = id !== room.peerId && peer !== void 0 && !peer.connected ? "connecting" : state?.status ?? "connecting";
    const talking = speaking.has(id);
    const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
    swatch.style.setProperty("--color", color);
    return h(
      "li",
      { class: `person status-${status2}${talking ? " speaking" : ""}`, "data-peer": id },
      swatch,
      h("span", { class: "person-name", text: id === room.peerId ? `${name} (you)` : name }),
      h("span", { class: "person-status", text: status2 }),
      h("span", { class: "person-speaking", text: talking ? "speaking" : "", "aria-live": "off" })
    );
  });
  list.replaceChildren(...items);
}

// app/main.js
var NAME_KEY = "avacollab.name";
var RENDERS_KEPT = 1e3;
var roomName = document.body.dataset.room ?? "";
var wsPath = document.body.dataset.ws ?? "/ws";
var form = byId("join", HTMLFormElement);
var nameInput = byId("name", HTMLInputElement);
var joinError = byId("join-error", HTMLElement);
var status = byId("status", HTMLElement);
var alertBox = byId("alert", HTMLElement);
function say(text) {
  status.textContent = text;
}
function warn(text) {
  alertBox.textContent = text;
  alertBox.hidden = !text;
}
function tokenFromFragment() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  return token || void 0;
}
function remembered() {
  try {
    return localStorage.getItem(NAME_KEY) ?? "";
  } catch {
    return "";
  }
}
function remember(name) {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
  }
}
nameInput.value = remembered();
form.addEventListener("submit", (e) => {
  e.preventDefault();
  void join(nameInput.value.trim());
});
if (nameInput.value) void join(nameInput.value.trim());
async function join(name) {
  const button = form.querySelector("button");
  if (button !== null) button.disabled = true;
  joinError.textContent = "";
  document.body.dataset.state = "joining";
  try {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${wsPath}`;
    const room = await joinRoom(url, roomName, {
      name,
      token: tokenFromFragment(),
      signaling: { onState: (state) => onLinkState(state) }
    });
    remember(name);
    form.hidden = true;
    start(room);
  } catch (error) {
    joinError.textContent = joinFailure(error, roomName);
    document.body.dataset.state = "refused";
    if (button !== null) button.disabled = false;
    nameInput.focus();
  }
}
function onLinkState(state) {
  if (document.body.dataset.state === "left") return;
  if (state === "connected") {
    warn("");
    say(linkState(state));
  } else {
    warn(linkState(state));
  }
  document.body.dataset.link = state;
}
function start(room) {
  byId("editor", HTMLElement).hidden = false;
  byId("me", HTMLElement).textContent = room.presence.state.user.name;
  const content = byId("canvas-content", HTMLElement);
  const undo = byId("undo", HTMLButtonElement);
  const redo = byId("redo", HTMLButtonElement);
  const del = byId("delete", HTMLButtonElement);
  const people = byId("people", HTMLElement);
  let selected = null;
  const select = (id) => {
    if (id === selected) return;
    selected = id;
    canvas.markSelected(id);
    outline.markSelected(id);
    inspector.show(id);
    del.disabled = id === null;
    room.presence.setSelection(id === null ? [] : [id]);
  };
  const hooks = { select, say };
  const canvas = new Canvas(room, content, hooks);
  const outline = new Outline(room, byId("outline", HTMLElement), select);
  const inspector = new Inspector(room, { palette: byId("palette", HTMLElement), props: byId("props", HTMLElement) }, hooks);
  const media = new Media(
    room,
    {
      voice: byId("voice", HTMLButtonElement),
      mute: byId("mute", HTMLButtonElement),
      share: byId("share", HTMLButtonElement),
      shares: byId("shares", HTMLElement),
      viewer: byId("viewer", HTMLVideoElement),
      audio: byId("audio", HTMLElement)
    },
    { say, speaking: () => renderPeople(people, room, media.speaking) }
  );
  const undoState = () => {
    undo.disabled = !room.doc.canUndo;
    redo.disabled = !room.doc.canRedo;
  };
  const renders = [];
  room.on("change", (change) => {
    const arrived = performance.timeOrigin + performance.now();
    const painted = canvas.update(change);
    outline.update(change);
    if (selected !== null && change.nodes.some((n) => n.id === selected)) inspector.render();
    canvas.drawPresence(room.presence.states());
    undoState();
    const record = { origin: change.origin, ids: change.nodes.map((n) => n.id), painted, arrived, drawn: performance.timeOrigin + performance.now() };
    renders.push(record);
    if (renders.length > RENDERS_KEPT) renders.splice(0, renders.length - RENDERS_KEPT);
    requestAnimationFrame(() => {
      record.shown = performance.timeOrigin + performance.now();
    });
  });
  room.on("presence", () => {
    canvas.drawPresence(room.presence.states());
    renderPeople(people, room, media.speaking);
  });
  room.on("peers", () => renderPeople(people, room, media.speaking));
  room.on("event", (event) => {
    if (event.event === "link-failed") {
      const name = room.peers.get(String(event.peer))?.name || String(event.peer).slice(0, 8);
      warn(linkFailure(name, event));
    } else if (event.event === "peer-connected") {
      warn("");
      say(`${event.name || "A peer"} is connected.`);
    } else if (event.event === "peer-left") {
      say(`${event.name || "A peer"} left.`);
    }
  });
  undo.addEventListener("click", () => room.doc.undo());
  redo.addEventListener("click", () => room.doc.redo());
  del.addEventListener("click", () => deleteSelected());
  const deleteSelected = () => {
    if (selected === null) return;
    const id = selected;
    try {
      keepFocus(() => room.doc.delete(id));
      say("Deleted. Undo brings it back.");
    } catch (error) {
      say(`Not deleted: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const keepFocus = (edit) => {
    const active = document.activeElement;
    const panel = active instanceof Element ? active.closest("#outline, #canvas") : null;
    edit();
    if (panel === null || document.activeElement !== document.body && document.activeElement !== null) return;
    if (panel.id === "outline") outline.focusSelected();
    else if (selected !== null) canvas.focusSelected();
    else byId("canvas", HTMLElement).focus();
  };
  const order = () => {
    const ids = [];
    const walk = (parent) => {
      for (const id of room.doc.children(parent)) {
        ids.push(id);
        walk(id);
      }
    };
    walk(null);
    return ids;
  };
  const moveByKey = (key) => {
    if (selected === null) return;
    const node = room.doc.node(selected);
    if (node === null) return;
    const parent = node.parent ?? null;
    const siblings = room.doc.children(parent);
    const at = siblings.indexOf(selected);
    const id = selected;
    try {
      keepFocus(() => {
        if (key === "ArrowUp" && at > 0) room.doc.reorder(id, at - 1);
        else if (key === "ArrowDown" && at < siblings.length - 1) room.doc.reorder(id, at + 1);
        else if (key === "ArrowLeft" && parent !== null) {
          const grand = room.doc.node(parent)?.parent ?? null;
          room.doc.move(id, grand, room.doc.children(grand).indexOf(parent) + 1);
        } else if (key === "ArrowRight" && at > 0) room.doc.move(id, siblings[at - 1]);
      });
    } catch (error) {
      say(`Cannot move: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") canvas.cancelDrag();
    if (isTextField(e.target)) return;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    if (mod && key === "z") {
      e.preventDefault();
      keepFocus(() => e.shiftKey ? room.doc.redo() : room.doc.undo());
    } else if (mod && key === "y") {
      e.preventDefault();
      room.doc.redo();
    } else if ((e.key === "Delete" || e.key === "Backspace") && selected !== null) {
      e.preventDefault();
      deleteSelected();
    } else if (e.key === "Escape") {
      select(null);
    } else if (e.key.startsWith("Arrow") && e.target instanceof Element && e.target.closest("#canvas, #outline")) {
      e.preventDefault();
      if (e.altKey) {
        moveByKey(e.key);
        return;
      }
      if (e.key !== "ArrowUp" && e.key !== "ArrowDown") return;
      const ids = order();
      if (!ids.length) return;
      const at = selected === null ? -1 : ids.indexOf(selected);
      const next = e.key === "ArrowDown" ? ids[Math.min(ids.length - 1, at + 1)] : ids[Math.max(0, at - 1)];
      select(next);
      if (e.target.closest("#outline")) outline.focusSelected();
      else canvas.focusSelected();
    }
  });
  addEventListener("pagehide", () => {
    document.body.dataset.state = "left";
    void room.leave();
  });
  canvas.renderAll();
  outline.renderAll();
  renderPeople(people, room, media.speaking);
  undoState();
  del.disabled = true;
  document.body.dataset.state = "joined";
  say(`Joined room ${room.name} as ${room.presence.state.user.name}.`);
  Object.assign(window, { avacollabEditor: { room, canvas, outline, inspector, media, renders, select: (id) => select(id) } });
}
