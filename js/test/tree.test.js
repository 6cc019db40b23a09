// Tree rendering against conformance/tree_cases.json: each case is a node
// map written as it is (past the checks, as a foreign writer or two
// concurrent moves can leave it) and the tree the Python model reads from it
// (plugins/avacollab-editing/tests/test_conformance.py checks the same file).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as Y from "yjs";

import { Document } from "../src/editing/model.js";
import { vectors } from "./vectors.js";

/**
 * A Y.Doc whose nodes map holds the records exactly as given.
 * @param {any[]} records
 */
function written(records) {
  const ydoc = new Y.Doc();
  const nodes = ydoc.getMap("nodes");
  ydoc.transact(() => {
    for (const record of records) {
      const node = new Y.Map();
      node.set("type", record.type);
      node.set("props", new Y.Map(Object.entries(record.props)));
      for (const key of ["pos", "deleted"]) if (key in record) node.set(key, record[key]);
      nodes.set(record.id, node);
    }
  });
  return ydoc;
}

const V = vectors("tree_cases.json");

describe("tree cases", () => {
  test("has cases", () => assert.ok(V.cases.length >= 10));
  for (const { name, records, tree, nodes } of V.cases) {
    test(name, () => {
      const document = new Document(written(records));
      assert.deepEqual(document.tree(), tree);
      // Key order matters too: properties are listed sorted by name.
      assert.equal(JSON.stringify(document.tree()), JSON.stringify(tree));
      for (const [id, state] of Object.entries(nodes)) {
        const ours = document.node(id);
        assert.deepEqual(ours && { parent: ours.parent, deleted: ours.deleted, visible: ours.visible }, state, id);
      }
      document.close();
    });
  }
});
