// Every kind of update Yjs writes, for tests/test_interop.py: the bounded
// reading of updates (wireformat.py) must let all of them through. Writes
// {updates, stateVectors} as JSON on stdout (base64-encoded).
import * as Y from "yjs";

const a = new Y.Doc();
const b = new Y.Doc();
const updates = [];
a.on("update", (u) => { updates.push(u); Y.applyUpdate(b, u); });
b.on("update", (u) => { updates.push(u); });

a.transact(() => {
  const m = a.getMap("m");
  m.set("values", [null, true, false, 0, -1, 2 ** 40, -(2 ** 52), 1.5, "s", "ü😀",
    { nested: { deeper: [1, [2, [3]]] } }, new Uint8Array([0, 255])]);
  m.set("undefined", undefined);
  m.set("big", 2n ** 60n);
  m.set("map", new Y.Map([["k", "v"]]));
  m.set("array", Y.Array.from([1, 2, 3]));
  m.set("text", new Y.Text("hello"));
  m.set("bytes", new Uint8Array(300));
  const sub = new Y.Doc({ guid: "sub", shouldLoad: false });
  m.set("subdoc", sub);
});
a.transact(() => {
  const t = a.getText("t");
  t.insert(0, "héllo wörld 😀", { bold: true });
  t.insertEmbed(3, { image: "x.png" });
  t.format(0, 5, { italic: true, color: "#f00" });
  t.delete(2, 3);
});
a.transact(() => {
  const x = a.getXmlFragment("x");
  const el = new Y.XmlElement("div");
  el.setAttribute("class", "box");
  el.insert(0, [new Y.XmlText("inside")]);
  x.insert(0, [el, new Y.XmlText("after")]);
});
a.transact(() => {
  const arr = a.getArray("arr");
  arr.insert(0, ["x".repeat(200), 1, { a: 1 }]);
  arr.delete(0, 1);
  a.getMap("m").delete("text");
});
b.transact(() => b.getMap("m").set("from-b", "yes"));

const stateVectors = [Y.encodeStateVector(a), Y.encodeStateVector(b), Y.encodeStateVector(new Y.Doc())];
const all = [
  ...updates,
  Y.encodeStateAsUpdate(a),
  Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)),
  Y.mergeUpdates(updates),
  Y.encodeStateAsUpdate(new Y.Doc()),
];
const b64 = (u) => Buffer.from(u).toString("base64");
process.stdout.write(JSON.stringify({ updates: all.map(b64), stateVectors: stateVectors.map(b64) }));
