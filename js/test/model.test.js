// The Document on a Y.Doc: operations, their checks, per-user undo, and two
// replicas editing at once (the rules of docs/editing.md, as model.py has them).
import assert from "node:assert/strict";
import { test } from "node:test";
import * as Y from "yjs";

import { isKey } from "../src/editing/order.js";
import { CycleError, Document, EditError } from "../src/editing/model.js";
import { ValidationError } from "../src/editing/schema.js";

/** @param {Document} document */
const shape = (document) => {
  /** @param {import("../src/editing/model.js").Component} c @returns {any} */
  const walk = (c) => (c.children.length ? { [c.id]: c.children.map(walk) } : c.id);
  return document.tree().map(walk);
};

/** Two replicas exchanging every update at once, as a connected room does. */
function pair() {
  const a = new Document(new Y.Doc());
  const b = new Document(new Y.Doc());
  a.onUpdate((u) => b.applyUpdate(u, "a"));
  b.onUpdate((u) => a.applyUpdate(u, "b"));
  return { a, b };
}

test("a property called __proto__ is a property like any other, as in Python", () => {
  const d = new Document();
  const id = d.add("Button", { label: "OK" }, { id: "ok" });
  d.setProp(id, "__proto__", { polluted: true });
  const props = /** @type {any} */ (d.node(id)?.props);
  assert.deepEqual(Object.keys(props), ["__proto__", "label"]);
  assert.deepEqual(Object.getOwnPropertyDescriptor(props, "__proto__")?.value, { polluted: true });
  assert.equal(Object.getPrototypeOf(props), Object.prototype);
  assert.equal(props.polluted, undefined);
  assert.equal(JSON.stringify(d.tree()[0].properties), '{"__proto__":{"polluted":true},"label":"OK"}');
});

test("add, set, remove, delete, restore", () => {
  const d = new Document();
  const root = d.add("Panel", { title: "T" }, { id: "root" });
  const ok = d.add("Button", { label: "OK" }, { parent: root, id: "ok" });
  d.add("Button", {}, { parent: root, index: 0, id: "first" });
  assert.deepEqual(shape(d), [{ root: ["first", "ok"] }]);
  d.setProp(ok, "label", "Yes");
  d.setProp(ok, "size", { w: 10, h: [1, 2] });
  d.removeProp(ok, "size");
  assert.deepEqual(d.node(ok)?.props, { label: "Yes" });
  d.delete(root);
  assert.deepEqual(d.tree(), []);
  assert.deepEqual(d.node(ok), { id: "ok", type: "Button", props: { label: "Yes" }, parent: "root", deleted: false, visible: false });
  d.restore(root);
  assert.deepEqual(shape(d), [{ root: ["first", "ok"] }]);
  const id = d.add("Text");
  assert.match(id, /^[0-9a-f]{32}$/);
  const pos = /** @type {any} */ (d.nodes.get(id)).get("pos");
  assert.ok(isKey(pos.order));
});

test("bad input is refused before anything is written", () => {
  const d = new Document();
  d.add("Panel", {}, { id: "p" });
  const before = Y.encodeStateAsUpdate(d.ydoc);
  assert.throws(() => d.add("a b"), ValidationError);
  assert.throws(() => d.add("Box", { "": 1 }), ValidationError);
  assert.throws(() => d.add("Box", { x: NaN }), ValidationError);
  assert.throws(() => d.add("Box", {}, { id: "p" }), EditError);
  assert.throws(() => d.add("Box", {}, { parent: "nope" }), EditError);
  assert.throws(() => d.add("Box", {}, { index: 2 }), EditError);
  assert.throws(() => d.add("Box", {}, { index: 0.5 }), ValidationError);
  assert.throws(() => d.setProp("nope", "x", 1), EditError);
  assert.throws(() => d.removeProp("p", "x"), EditError);
  assert.throws(() => d.restore("p"), EditError);
  assert.throws(() => d.move("p", "p"), CycleError);
  assert.deepEqual(Y.encodeStateAsUpdate(d.ydoc), before);
});

test("move and reorder keep prev, refuse a cycle", () => {
  const d = new Document();
  for (const id of ["a", "b", "c"]) d.add("Box", {}, { id });
  d.move("c", null, 0);
  assert.deepEqual(shape(d), ["c", "a", "b"]);
  d.move("b", "a");
  d.reorder("c", 1);
  assert.deepEqual(shape(d), [{ a: ["b"] }, "c"]);
  assert.throws(() => d.move("a", "b"), CycleError);
  const pos = /** @type {any} */ (d.nodes.get("b")).get("pos");
  assert.equal(pos.parent, "a");
  assert.equal(pos.prev.parent, null);
});

test("undo and redo take back only this replica's steps", () => {
  const { a, b } = pair();
  a.add("Box", {}, { id: "x" });
  b.add("Box", {}, { id: "y" });
  a.setProp("x", "n", 1);
  b.setProp("x", "m", 2);
  assert.ok(a.undo()); // a's setProp
  assert.deepEqual(b.node("x")?.props, { m: 2 });
  assert.ok(a.undo()); // a's add
  assert.deepEqual(shape(b), ["y"]);
  assert.equal(a.undo(), false);
  assert.ok(a.redo());
  assert.deepEqual(shape(a), ["x", "y"]);
  assert.ok(a.canRedo && a.canUndo);
  a.batch(() => {
    a.add("Box", {}, { id: "z1" });
    a.add("Box", {}, { id: "z2" });
  });
  a.undo();
  assert.deepEqual(shape(b), ["x", "y"]);
});

test("two concurrent moves forming a cycle: both replicas show the same tree", () => {
  const a = new Document(new Y.Doc());
  const b = new Document(new Y.Doc());
  a.add("Box", {}, { id: "p" });
  a.add("Box", {}, { id: "q" });
  b.applyUpdate(Y.encodeStateAsUpdate(a.ydoc), "a");
  a.move("p", "q");
  b.move("q", "p");
  const fromA = Y.encodeStateAsUpdate(a.ydoc);
  const fromB = Y.encodeStateAsUpdate(b.ydoc);
  a.applyUpdate(fromB, "b");
  b.applyUpdate(fromA, "a");
  assert.deepEqual(a.tree(), b.tree());
  // p, the smaller id, loses its move and goes back to the top level; q stays under it.
  assert.deepEqual(shape(a), [{ p: ["q"] }]);
});

test("concurrent inserts at the same index keep one order everywhere", () => {
  const a = new Document(new Y.Doc());
  a.add("Box", {}, { id: "first" });
  a.add("Box", {}, { id: "last" });
  const sa = a.ydoc.clientID;
  // Cut the link: both insert between first and last, then sync.
  const a2 = new Document(new Y.Doc());
  a2.applyUpdate(Y.encodeStateAsUpdate(a.ydoc), "a");
  a.add("Box", {}, { id: "fromA", index: 1 });
  a2.add("Box", {}, { id: "fromA2", index: 1 });
  a.applyUpdate(Y.encodeStateAsUpdate(a2.ydoc), "a2");
  a2.applyUpdate(Y.encodeStateAsUpdate(a.ydoc), "a");
  assert.deepEqual(a.tree(), a2.tree());
  assert.equal(a.children(null).length, 4);
  assert.equal(a.ydoc.clientID, sa);
});

test("change events say what happened and who did it", () => {
  const { a, b } = pair();
  /** @type {any[]} */
  const seen = [];
  b.onChange((change) => seen.push(change));
  a.add("Box", { x: 1 }, { id: "n" });
  a.setProp("n", "y", 2);
  a.move("n", null, 0);
  a.delete("n");
  a.restore("n");
  b.setProp("n", "z", 3);
  assert.deepEqual(
    seen.map((c) => [c.origin, c.nodes.map((/** @type {any} */ n) => `${n.kind}:${n.keys.join(",")}`).join(" ")]),
    [["a", "added:"], ["a", "props:y"], ["a", "moved:"], ["a", "deleted:"], ["a", "restored:"], [null, "props:z"]],
  );
  assert.equal(seen.at(-1).local, true);
});

/**
 * An update that writes `write` into a copy of `source`'s document, past the checks.
 * @param {Document} source
 * @param {(ydoc: Y.Doc) => void} write
 */
function foreign(source, write) {
  const ydoc = new Y.Doc();
  Y.applyUpdate(ydoc, Y.encodeStateAsUpdate(source.ydoc));
  const before = Y.encodeStateVector(ydoc);
  write(ydoc);
  return Y.encodeStateAsUpdate(ydoc, before);
}

test("updates that break the schema are refused whole, as the Python guard refuses them", async () => {
  const { RejectedUpdate } = await import("../src/editing/model.js");
  const d = new Document();
  d.add("Panel", { title: "T" }, { id: "p" });
  /** @param {Y.Doc} ydoc */
  const nodes = (ydoc) => /** @type {Y.Map<any>} */ (ydoc.getMap("nodes"));
  /** @type {Array<[string, (ydoc: Y.Doc) => void, RegExp]>} */
  const cases = [
    ["a bad type", (y) => nodes(y).get("p").set("type", "a b"), /type must be/],
    ["a shared type as a property", (y) => nodes(y).get("p").get("props").set("x", new Y.Map()), /shared type/],
    ["a bad order key", (y) => nodes(y).get("p").set("pos", { parent: null, order: "V0" }), /order key/],
    ["a node that is not a map", (y) => nodes(y).set("q", "text"), /is not a map/],
    ["a bad node id", (y) => {
      const node = new Y.Map();
      node.set("type", "Box");
      node.set("props", new Y.Map());
      nodes(y).set("a b", node);
    }, /id must be/],
    ["another root", (y) => y.getMap("other").set("k", 1), /unknown root types/],
    ["one good node and one bad", (y) => {
      nodes(y).get("p").get("props").set("ok", 1);
      nodes(y).get("p").set("deleted", "yes");
    }, /deleted must be a boolean/],
  ];
  for (const [why, write, reason] of cases) {
    const update = foreign(d, write);
    const before = Y.encodeStateAsUpdate(d.ydoc);
    assert.throws(() => d.applyUpdate(update, "x"), (/** @type {any} */ e) => e instanceof RejectedUpdate && reason.test(e.message), why);
    assert.deepEqual(Y.encodeStateAsUpdate(d.ydoc), before, why);
  }
  // After refusals (the shadow rebuilt), local edits and good updates still go through.
  d.setProp("p", "title", "local");
  d.applyUpdate(foreign(d, (y) => nodes(y).get("p").get("props").set("n", 2)), "x");
  assert.deepEqual(d.node("p")?.props, { n: 2, title: "local" });
});

test("an update held back for a missing part is checked and applies once the part arrives", () => {
  const source = new Document();
  source.add("Panel", {}, { id: "p" });
  const first = Y.encodeStateAsUpdate(source.ydoc);
  const sv = Y.encodeStateVector(source.ydoc);
  source.add("Button", {}, { id: "b", parent: "p" });
  const second = Y.encodeStateAsUpdate(source.ydoc, sv);
  const d = new Document();
  d.add("Text", {}, { id: "t" });
  d.applyUpdate(second, "s");
  assert.deepEqual(d.children(null), ["t"]);
  d.applyUpdate(first, "s");
  assert.deepEqual(d.children(null).sort(), ["p", "t"]); // their order depends on the two salts
  assert.deepEqual(d.children("p"), ["b"]);
});

test("operations inside one batch see each other", () => {
  const d = new Document();
  d.batch(() => {
    d.add("Box", {}, { id: "c" });
    d.add("Box", {}, { id: "b" });
    d.add("Box", {}, { id: "a", parent: "c" });
    d.move("b", null, 0);
  });
  assert.deepEqual(shape(d), ["b", { c: ["a"] }]);
  const orders = ["b", "c"].map((id) => /** @type {any} */ (d.nodes.get(id)).get("pos").order);
  assert.notEqual(orders[0], orders[1]);
});

test("a change listener reads the tree as the change left it, whoever made it", () => {
  const { a, b } = pair();
  /** @type {Array<[string, any]>} */
  const seen = [];
  b.onChange((change) => seen.push([change.local ? "local" : "remote", shape(b)]));
  /** @type {string[]} */
  const labels = [];
  b.onChange(() => labels.push(String(b.node("x")?.props.label)));
  a.add("Panel", {}, { id: "p" }); // remote, at b
  b.add("Button", {}, { id: "x" }); // local, patched view
  b.set("x", { label: "one" }); // local, no patch
  b.move("x", "p"); // local
  b.undo(); // the undo manager's transaction
  b.batch(() => b.setProp("x", "label", "two"));
  assert.deepEqual(seen, [
    ["remote", ["p"]],
    ["local", ["p", "x"]],
    ["local", ["p", "x"]],
    ["local", [{ p: ["x"] }]],
    ["local", ["p", "x"]],
    ["local", ["p", "x"]],
  ]);
  assert.deepEqual(labels, ["undefined", "undefined", "one", "one", "one", "two"]);
});

test("set changes several properties in one step and refuses a bad one whole", () => {
  const d = new Document();
  const id = d.add("Button", { label: "a" });
  d.set(id, { label: "b", width: 3 });
  assert.deepEqual(d.node(id)?.props, { label: "b", width: 3 });
  assert.throws(() => d.set(id, { label: "c", "": 1 }), ValidationError);
  assert.throws(() => d.set(id, { label: "c", w: () => 1 }), ValidationError);
  assert.deepEqual(d.node(id)?.props, { label: "b", width: 3 });
  assert.equal(d.undo(), true); // the two properties were one step
  assert.deepEqual(d.node(id)?.props, { label: "a" });
  d.delete(id);
  assert.throws(() => d.set(id, { label: "d" }), EditError);
});
