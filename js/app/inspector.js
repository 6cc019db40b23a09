// The side panel: the palette of component types and the selected
// component's properties, edited in place.

import { h } from "./dom.js";
import { parseValue, shown } from "./values.js";

/** Component types the palette adds, with the properties a new one starts with. */
/** Types a new component goes inside of when one is selected (else it goes after it). */
export const CONTAINERS = new Set(["Frame", "Panel"]);

export const PALETTE = /** @type {const} */ ([
  ["Frame", { title: "Frame" }],
  ["Panel", {}],
  ["Button", { label: "Button" }],
  ["Label", { text: "Label" }],
  ["Input", { placeholder: "Text" }],
  ["Image", { src: "", alt: "" }],
]);

export class Inspector {
  /**
   * @param {import("../src/room.js").Room} room
   * @param {{ palette: HTMLElement, props: HTMLElement }} where
   * @param {{ select: (id: string | null) => void, say: (text: string) => void }} hooks
   */
  constructor(room, where, hooks) {
    this.room = room;
    this.hooks = hooks;
    this.panel = where.props;
    /** @type {string | null} */
    this.selected = null;
    for (const [type, props] of PALETTE) {
      where.palette.append(
        h("button", {
          type: "button",
          class: "palette-item",
          "data-type": type,
          "aria-label": `Add ${type}`,
          text: type,
          onclick: () => this.add(type, { ...props }),
        }),
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
      /** @type {{ parent: string | null, index?: number }} */
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
    if (typing !== null && typing.dataset.prop !== undefined && typing.value !== typing.defaultValue) {
      // Someone else's edit while this user types: refresh the other fields only.
      for (const input of this.panel.querySelectorAll("input[data-prop]")) {
        if (input instanceof HTMLInputElement && input !== typing && input.dataset.prop !== undefined) {
          const value = node.props[input.dataset.prop];
          if (value !== undefined) input.value = input.defaultValue = shown(value);
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
            const input = /** @type {HTMLInputElement} */ (e.target);
            // Committed: no longer "being typed", so a peer's later value shows.
            input.defaultValue = input.value;
            this._set(id, name, input.value);
          },
        }),
        h("button", {
          type: "button",
          class: "icon",
          "aria-label": `Remove property ${name}`,
          text: "×",
          onclick: () => this._edit(() => this.room.doc.removeProp(id, name)),
        }),
      );
    });
    const newName = h("input", { id: "new-prop-name", placeholder: "name", "aria-label": "New property name" });
    const newValue = h("input", { id: "new-prop-value", placeholder: "value", "aria-label": "New property value" });
    const form = h(
      "form",
      {
        class: "prop new-prop",
        "aria-label": "Add a property",
        onsubmit: (e) => {
          e.preventDefault();
          if (newName.value.trim()) this._set(id, newName.value.trim(), newValue.value);
        },
      },
      newName,
      newValue,
      h("button", { type: "submit", text: "Add", "aria-label": "Add property" }),
    );
    this.panel.replaceChildren(h("p", { class: "prop-type", text: `${node.type}`, title: id }), ...rows, form);
    if (typing !== null && typing.id) document.getElementById(typing.id)?.focus();
  }

  /** @param {string} id @param {string} name @param {string} text */
  _set(id, name, text) {
    this._edit(() => this.room.doc.setProp(id, name, /** @type {any} */ (parseValue(text))));
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
}
