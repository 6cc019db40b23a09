// The view a Document keeps up to date node by node (refreshView,
// updateLayout) against the view read whole (readView), over random
// histories: three replicas adding, moving, setting, deleting, restoring,
// undoing and redoing, in batches too, with their updates delivered late, out
// of order (Yjs holds some back) or merged whole, and foreign writes straight
// into a Y.Doc (loops, missing parents, nodes that do not parse). After each
// step every replica's view must equal a full read of its nodes.
//
// The generator is seeded (a failure names its seed and step):
// VIEW_SEED=123 VIEW_STEPS=400 node --test test/view.test.js replays one.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as Y from "yjs";

import { Document, EditError, RejectedUpdate } from "../src/editing/model.js";
import { keysBetween } from "../src/editing/order.js";
import { ValidationError } from "../src/editing/schema.js";
import { MAX_DEPTH } from "../src/editing/tree.js";
import { readView } from "../src/editing/view.js";

/**
 * mulberry32: a small seeded generator, the same sequence on every run.
 * @param {number} seed
 */
function generator(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** @param {number} n */
    int: (n) => Math.floor(next() * n),
    /** @template T @param {readonly T[]} items @returns {T} */
    pick: (items) => items[Math.floor(next() * items.length)],
    /** @param {number} p */
    chance: (p) => next() < p,
  };
}

/** A few ids shared by the replicas, so that they collide (the same id added twice, moves among few nodes). */
const POOL = Array.from({ length: 10 }, (_, i) => `n${i}`);
/** Valid order keys, few enough to tie. */
const KEYS = keysBetween(null, null, 4, "salt");

/** @typedef {{ name: string, doc: Document, outbox: Map<string, Uint8Array[]> }} Replica */

/**
 * The view a Document reads from, brought up to date, against a full read.
 * @param {Replica} replica
 * @param {Counts} counts
 */
function check(replica, counts) {
  const { doc } = replica;
  const before = /** @type {any} */ (doc)._view?.layout;
  const shape = before && JSON.stringify([...before.children, ...before.place]);
  const view = /** @type {any} */ (doc)._read();
  assert.deepStrictEqual(view, readView(doc.nodes), `${replica.name}: the view differs from a full read`);
  if (before !== undefined && view.layout !== before) counts.relaid++;
  else if (before !== undefined && JSON.stringify([...before.children, ...before.place]) !== shape) counts.patched++;
  if (view.layout.cyclic) counts.cyclic++;
}

/**
 * How the checked reads went: the layout changed in place, or laid out
 * again (loops); reads of a layout with a loop; updates the guard refused.
 * @typedef {{ patched: number, relaid: number, cyclic: number, rejected: number }} Counts
 */

/**
 * One random history of `steps` steps; throws at the first difference.
 * @param {number} seed
 * @param {number} steps
 * @param {Counts} counts
 */
function history(seed, steps, counts) {
  const rnd = generator(seed);
  /** @type {Replica[]} */
  const replicas = ["a", "b", "c"].map((name) => ({ name, doc: new Document(new Y.Doc()), outbox: new Map() }));
  for (const r of replicas) {
    for (const other of replicas) if (other !== r) r.outbox.set(other.name, []);
    r.doc.onUpdate((update) => {
      for (const queue of r.outbox.values()) queue.push(update);
    });
  }
  /** @param {Document} doc */
  const allIds = (doc) => [...doc.nodes.keys()];
  /** @param {Document} doc */
  const live = (doc) => allIds(doc).filter((id) => doc.node(id)?.visible);
  /** @param {Document} doc @returns {string | null} */
  const parentFor = (doc) => (rnd.chance(0.3) ? null : rnd.pick([null, ...live(doc)]));

  /**
   * One operation of the Document's API; refused ones (EditError and
   * friends) are part of the history too.
   * @param {Document} doc
   * @param {() => void} [between] called after each operation of a batch
   */
  const operate = (doc, between) => {
    const ids = allIds(doc);
    const id = ids.length ? rnd.pick(ids) : "none";
    const kind = rnd.pick(["add", "add", "add", "move", "move", "reorder", "set", "set", "remove", "delete", "restore", "undo", "redo", "batch"]);
    try {
      if (kind === "add") {
        const fresh = POOL.filter((p) => !doc.nodes.has(p));
        const newId = fresh.length && rnd.chance(0.7) ? rnd.pick(fresh) : undefined;
        const parent = parentFor(doc);
        const index = rnd.chance(0.5) ? rnd.int(doc.children(parent).length + 1) : undefined;
        doc.add(rnd.pick(["Box", "Panel"]), { n: rnd.int(5) }, { parent, index, id: newId });
      } else if (kind === "move") {
        const parent = parentFor(doc);
        doc.move(id, parent, rnd.chance(0.5) ? rnd.int(doc.children(parent).length + 1) : undefined);
      } else if (kind === "reorder") {
        doc.reorder(id, rnd.int(3));
      } else if (kind === "set") {
        if (rnd.chance(0.5)) doc.setProp(id, rnd.pick(["n", "label"]), rnd.int(5));
        else doc.set(id, { n: rnd.int(5), w: rnd.int(3) });
      } else if (kind === "remove") {
        doc.removeProp(id, rnd.pick(["n", "label", "w"]));
      } else if (kind === "delete") {
        doc.delete(id);
      } else if (kind === "restore") {
        doc.restore(id);
      } else if (kind === "undo") {
        doc.undo();
      } else if (kind === "redo") {
        doc.redo();
      } else if (!between) {
        // A batch: its operations read the view before the transaction ends.
        const count = 2 + rnd.int(4);
        doc.batch(() => {
          for (let i = 0; i < count; i++) {
            operate(doc, () => {});
            assert.deepStrictEqual(/** @type {any} */ (doc)._read(), readView(doc.nodes), "inside a batch");
          }
        });
      }
    } catch (error) {
      if (!(error instanceof EditError) && !(error instanceof ValidationError)) throw error;
    }
    between?.();
  };

  /**
   * A write straight into the Y.Doc, past the Document's checks, as a
   * foreign writer could make it: loops, missing parents, no position,
   * nodes that do not parse, nodes taken out.
   * @param {Document} doc
   */
  const foreign = (doc) => {
    const ids = allIds(doc);
    if (!ids.length) return;
    const id = rnd.pick(ids);
    const node = doc.nodes.get(id);
    const kind = rnd.int(7);
    doc.ydoc.transact(() => {
      if (!(node instanceof Y.Map)) doc.nodes.delete(id);
      else if (kind <= 1) {
        const pos = { parent: rnd.chance(0.2) ? null : rnd.pick([...ids, ...POOL]), order: rnd.pick(KEYS) };
        node.set("pos", rnd.chance(0.5) ? { ...pos, prev: { parent: rnd.chance(0.5) ? null : rnd.pick(ids), order: rnd.pick(KEYS) } } : pos);
      } else if (kind === 2) node.delete("pos");
      else if (kind === 3) node.set("deleted", rnd.chance(0.8) ? !node.get("deleted") : "yes");
      else if (kind === 4) doc.nodes.delete(id);
      else if (kind === 5) doc.nodes.set(id, "not a node");
      else node.set("props", rnd.chance(0.5) ? "not a map" : new Y.Map([["n", 1]]));
    });
  };

  /** Deliver some of `from`'s queued updates to `to`, in a random order. @param {Replica} from @param {Replica} to */
  const deliver = (from, to) => {
    const queue = /** @type {Uint8Array[]} */ (from.outbox.get(to.name));
    const count = rnd.int(queue.length + 1);
    for (let i = 0; i < count; i++) {
      const [update] = queue.splice(rnd.chance(0.7) ? 0 : rnd.int(queue.length), 1);
      apply(to, update, from.name);
    }
  };
  /** @param {Replica} to @param {Uint8Array} update @param {string} label */
  const apply = (to, update, label) => {
    try {
      to.doc.applyUpdate(update, label);
    } catch (error) {
      if (!(error instanceof RejectedUpdate)) throw error;
      counts.rejected++; // a foreign write the guard refuses
    }
  };

  const log = [];
  for (let step = 0; step < steps; step++) {
    const r = rnd.pick(replicas);
    const other = rnd.pick(replicas.filter((o) => o !== r));
    const what = rnd.next();
    log.push(`${step}:${r.name}:${what.toFixed(2)}`);
    try {
      if (what < 0.55) operate(r.doc);
      else if (what < 0.8) deliver(other, r);
      else if (what < 0.9) apply(r, Y.encodeStateAsUpdate(other.doc.ydoc, Y.encodeStateVector(r.doc.ydoc)), other.name);
      else foreign(r.doc);
      // Not every step is read: changes pile up between reads too.
      for (const replica of replicas) if (rnd.chance(0.6)) check(replica, counts);
    } catch (error) {
      throw new Error(`seed ${seed}, step ${step} (${log.slice(-5).join(" ")}): ${error instanceof Error ? error.message : error}`, { cause: error });
    }
  }
  for (const replica of replicas) {
    check(replica, counts);
    // The public reads agree with a second Document on the same Y.Doc, which
    // reads it whole. (Not a copy: a state with updates held back copies
    // into a different one.)
    const fresh = new Document(replica.doc.ydoc);
    assert.deepStrictEqual(replica.doc.tree(), fresh.tree());
    for (const id of allIds(replica.doc)) assert.deepStrictEqual(replica.doc.node(id), fresh.node(id));
    fresh.close();
    replica.doc.close();
  }
}

test("the view kept up to date equals a full read, over random histories", () => {
  const seeds = process.env.VIEW_SEED ? [Number(process.env.VIEW_SEED)] : Array.from({ length: 40 }, (_, i) => i + 1);
  const steps = Number(process.env.VIEW_STEPS ?? 150);
  /** @type {Counts} */
  const counts = { patched: 0, relaid: 0, cyclic: 0, rejected: 0 };
  for (const seed of seeds) history(seed, steps, counts);
  // The histories reach both paths: patched in place, and laid out again for loops.
  if (!process.env.VIEW_SEED) {
    assert.ok(counts.patched > 1000, JSON.stringify(counts));
    assert.ok(counts.relaid > 20 && counts.cyclic > 20, JSON.stringify(counts));
  }
});

test("past MAX_DEPTH the view kept up to date hides what a full read hides", () => {
  // A peer writing past the checks (a Document refuses to nest this deep).
  const writer = new Y.Doc();
  const raw = writer.getMap("nodes");
  /** @param {string} id @param {string | null} parent */
  const place = (id, parent) => /** @type {Y.Map<unknown>} */ (raw.get(id)).set("pos", { parent, order: "V" });
  const doc = new Document(new Y.Doc());
  writer.on("update", (/** @type {Uint8Array} */ update) => doc.applyUpdate(update, "writer"));
  const deep = MAX_DEPTH + 40;
  writer.transact(() => {
    for (let i = 0; i < deep; i++) {
      const node = new Y.Map();
      node.set("type", "Box");
      node.set("props", new Y.Map());
      node.set("pos", { parent: i ? `n${i - 1}` : null, order: "V" });
      node.set("deleted", false);
      raw.set(`n${i}`, node);
    }
  });
  const shown = () => {
    const view = /** @type {any} */ (doc)._read();
    assert.deepStrictEqual(view, readView(doc.nodes));
    return Array.from({ length: deep }, (_, i) => `n${i}`).filter((id) => view.layout.visible.has(id)).length;
  };
  assert.equal(shown(), MAX_DEPTH + 1);
  place("n10", null); // the subtree rises ten levels: ten more shown
  assert.equal(shown(), MAX_DEPTH + 11);
  writer.transact(() => /** @type {Y.Map<unknown>} */ (raw.get("n5")).set("deleted", true));
  assert.equal(shown(), 5 + MAX_DEPTH + 1); // n0-n4, and n10 down to depth MAX_DEPTH
  place("n10", "n9"); // back down, under a deleted node
  assert.equal(shown(), 5);
  writer.transact(() => /** @type {Y.Map<unknown>} */ (raw.get("n5")).set("deleted", false));
  assert.equal(shown(), MAX_DEPTH + 1);
  // Reading stays within the bound: the tree is MAX_DEPTH + 1 levels.
  let levels = 0;
  for (let level = doc.tree(); level.length; level = level[0].children) levels++;
  assert.equal(levels, MAX_DEPTH + 1);
  assert.equal(doc.node(`n${MAX_DEPTH + 1}`)?.visible, false);
  // Local edits refuse to go past it.
  assert.throws(() => doc.add("Box", {}, { parent: `n${MAX_DEPTH}` }), /would nest the tree more than 256 deep/);
  doc.add("Box", {}, { id: "a" });
  doc.add("Box", {}, { id: "b", parent: "a" });
  assert.throws(() => doc.move("a", `n${MAX_DEPTH - 1}`), /moving "a" under .* more than 256 deep/);
  doc.move("a", `n${MAX_DEPTH - 2}`); // b at MAX_DEPTH: fits exactly
  assert.equal(doc.node("b")?.visible, true);
  // A deleted subtree counts: moved deep while hidden, it could not come back.
  doc.add("Box", {}, { id: "p" });
  doc.add("Box", {}, { id: "q", parent: "p" });
  doc.add("Box", {}, { id: "r", parent: "q" });
  doc.delete("q");
  assert.throws(() => doc.move("p", `n${MAX_DEPTH - 1}`), /moving "p" under/);
  doc.move("p", `n${MAX_DEPTH - 3}`); // r at MAX_DEPTH once back
  doc.restore("q");
  assert.equal(doc.node("r")?.visible, true);
  // Restoring checks too: after a move written past the checks, q cannot come back.
  doc.delete("q");
  /** @type {Y.Map<unknown>} */ (doc.nodes.get("p")).set("pos", { parent: `n${MAX_DEPTH - 1}`, order: "V" });
  assert.throws(() => doc.restore("q"), /restoring "q" would nest the tree more than 256 deep/);
  doc.close();
});

test("a peer's property edit or move reads only the nodes it touched", () => {
  const a = new Document(new Y.Doc());
  const b = new Document(new Y.Doc());
  a.onUpdate((u) => b.applyUpdate(u, "a"));
  a.batch(() => {
    for (let f = 0; f < 20; f++) {
      const frame = a.add("Frame", {}, { id: `f${f}` });
      for (let i = 0; i < 10; i++) a.add("Button", { label: `${i}` }, { parent: frame, id: `f${f}b${i}` });
    }
  });
  assert.equal(b.children(null).length, 20);
  const view = /** @type {any} */ (b)._view;
  const layout = view.layout;
  a.setProp("f3b4", "label", "renamed");
  a.move("f3b4", "f0", 0);
  a.delete("f1");
  a.add("Label", {}, { parent: "f2", id: "new" });
  assert.deepEqual(b.children("f0")[0], "f3b4");
  assert.equal(b.node("f3b4")?.props.label, "renamed");
  assert.equal(b.node("f1b0")?.visible, false);
  assert.deepEqual(b.children("f2").at(-1), "new");
  // The same objects, changed in place: nothing was read whole again.
  assert.equal(/** @type {any} */ (b)._view, view);
  assert.equal(view.layout, layout);
  assert.deepStrictEqual(view, readView(b.nodes));
});
