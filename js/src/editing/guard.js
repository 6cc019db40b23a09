// Screening updates from peers before they reach the document: the
// JavaScript twin of plugins/avacollab-editing/avacollab_editing/guard.py.
//
// Yjs cannot say what an update will write without applying it, and an
// applied update cannot be taken back. So a shadow Y.Doc mirrors the
// document: a remote update goes into the shadow first, the nodes it touched
// are read there with every schema check, and only an update that breaks
// nothing is applied to the document. A refused update spoils the shadow;
// it is rebuilt from the document when the next update needs checking.
// (Updates Yjs holds back for a missing part are in the document's state as
// pending structs, and so in a rebuilt shadow too.)

import * as Y from "yjs";

import { ValidationError } from "./schema.js";

/** @typedef {(id: string, node: unknown) => void} NodeCheck throws ValidationError */

/** An update from elsewhere that was not applied: malformed, or it would break the schema. */
export class RejectedUpdate extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "RejectedUpdate";
  }
}

export class UpdateGuard {
  /**
   * @param {Y.Doc} doc the document guarded
   * @param {string} root the name of its only root type
   * @param {NodeCheck} checkNode
   */
  constructor(doc, root, checkNode) {
    this.doc = doc;
    this.root = root;
    this.checkNode = checkNode;
    /** @type {Y.Doc | null} */
    this._shadow = null;
    /** @type {Set<string>} */
    this._touched = new Set();
  }

  /**
   * Apply `update` to the shadow and check what it wrote; throws
   * ValidationError naming the problems (the shadow is then dropped). After
   * a successful check the caller applies the update to the document.
   * @param {Uint8Array} update
   */
  check(update) {
    const shadow = this._catchUp();
    this._touched.clear();
    try {
      Y.applyUpdate(shadow, update);
      this._findProblems(shadow);
    } catch (error) {
      this._drop();
      throw error;
    }
  }

  /**
   * Take a trusted (local) update into the shadow, if there is one.
   * @param {Uint8Array} update
   */
  mirror(update) {
    if (this._shadow !== null) Y.applyUpdate(this._shadow, update);
  }

  _catchUp() {
    if (this._shadow === null) {
      const shadow = new Y.Doc();
      Y.applyUpdate(shadow, Y.encodeStateAsUpdate(this.doc));
      shadow.getMap(this.root).observeDeep((events) => {
        for (const event of events) {
          if (event.path.length) this._touched.add(String(event.path[0]));
          else for (const key of event.changes.keys.keys()) this._touched.add(key);
        }
      });
      this._shadow = shadow;
    }
    return this._shadow;
  }

  _drop() {
    this._shadow?.destroy();
    this._shadow = null;
  }

  /** @param {Y.Doc} shadow */
  _findProblems(shadow) {
    /** @type {string[]} */
    const problems = [];
    const roots = [...shadow.share.keys()].filter((name) => name !== this.root).sort();
    if (roots.length) problems.push(`unknown root types ${JSON.stringify(roots)}`);
    const nodes = shadow.getMap(this.root);
    for (const id of [...this._touched].sort()) {
      if (!nodes.has(id)) continue; // removed
      try {
        this.checkNode(id, nodes.get(id));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        problems.push(`node ${JSON.stringify(id).slice(0, 80)}: ${error.message}`);
      }
    }
    if (problems.length) throw new ValidationError(problems.slice(0, 5).join("; "));
  }
}
