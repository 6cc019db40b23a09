// Interop check driven by tests/test_interop.py: a Yjs peer reads the Python
// document and edits it. Reads {update, edit} as JSON on stdin, writes
// {export, update} as JSON on stdout (updates base64-encoded).
import * as Y from "yjs";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => { text += chunk; });
  process.stdin.on("end", () => resolve(text));
}));

const doc = new Y.Doc();
Y.applyUpdate(doc, Buffer.from(input.update, "base64"));
const nodes = doc.getMap("nodes");

// The reading rules of docs/editing.md (this document has no cycles to repair):
// siblings by (order, id), deleted nodes and their subtrees hidden, a node
// with no pos at the top level with order "z".
const UNPLACED = { parent: null, order: "z" };
const place = (node) => node.get("pos") ?? UNPLACED;

function exportTree() {
  const children = new Map();
  for (const [id, node] of nodes.entries()) {
    const pos = place(node);
    if (!children.has(pos.parent)) children.set(pos.parent, []);
    children.get(pos.parent).push({ id, order: pos.order, node });
  }
  const build = (parent) => (children.get(parent) ?? [])
    .filter((c) => !c.node.get("deleted"))
    .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : a.id < b.id ? -1 : 1))
    .map(({ id, node }) => {
      const props = node.get("props").toJSON();
      const sorted = Object.fromEntries(Object.keys(props).sort().map((k) => [k, props[k]]));
      return { id, type: node.get("type"), properties: sorted, children: build(id) };
    });
  return { format: "avacollab-editing", version: 1, components: build(null) };
}

const exported = exportTree();
const before = Y.encodeStateVector(doc);
const edit = input.edit;
doc.transact(() => {
  nodes.get(edit.set).get("props").set("label", "from yjs");
  const siblings = [...nodes.values()]
    .map(place)
    .filter((pos) => pos.parent === edit.parent)
    .map((pos) => pos.order)
    .sort();
  // Any extension of the last key sorts after it and is still a valid key.
  const order = siblings.length ? siblings[siblings.length - 1] + "V" : "V";
  const node = new Y.Map();
  node.set("type", "Text");
  node.set("props", new Y.Map([["n", 42], ["nested", { a: [1, true, null] }]]));
  node.set("pos", { parent: edit.parent, order });
  node.set("deleted", false);
  nodes.set("js-1", node);
  nodes.get(edit.delete).set("deleted", true);
});

process.stdout.write(JSON.stringify({
  export: exported,
  update: Buffer.from(Y.encodeStateAsUpdate(doc, before)).toString("base64"),
}));
