// Node records against conformance/node_records.json, which
// plugins/avacollab-editing/tests/test_conformance.py checks against schema.py.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  MAX_ID_LENGTH,
  MAX_PROP_NAME_LENGTH,
  MAX_VALUE_BYTES,
  MAX_VALUE_DEPTH,
  UNPLACED,
  ValidationError,
  checkId,
  checkPropName,
  checkValue,
  parseEntry,
} from "../src/editing/schema.js";
import { expand, vectors } from "./vectors.js";

const V = vectors("node_records.json");

test("the limits", () => {
  assert.deepEqual(V.limits, {
    maxIdLength: MAX_ID_LENGTH,
    maxPropNameLength: MAX_PROP_NAME_LENGTH,
    maxValueBytes: MAX_VALUE_BYTES,
    maxValueDepth: MAX_VALUE_DEPTH,
  });
});

/** @type {Record<string, (value: unknown) => unknown>} */
const CHECKS = { ids: checkId, propNames: checkPropName, values: checkValue, entries: parseEntry };

for (const [group, check] of Object.entries(CHECKS)) {
  describe(group, () => {
    test("has vectors", () => assert.ok(V[group].length > 0));
    V[group].forEach((/** @type {{ value: unknown, valid: boolean }} */ { value, valid }, /** @type {number} */ i) => {
      test(`${i}: ${JSON.stringify(value).slice(0, 50)} ${valid ? "accepted" : "refused"}`, () => {
        const expanded = expand(value);
        if (valid) check(expanded);
        else assert.throws(() => check(expanded), ValidationError);
      });
    });
  });
}

test("integers past 2**53 are doubles in JavaScript: accepted, unlike in Python", () => {
  for (const { value, valid } of V.pythonIntegers) {
    assert.equal(valid, false);
    checkValue(Number(value));
  }
});

describe("what JSON cannot hold", () => {
  for (const value of [undefined, NaN, Infinity, -Infinity, 1n, new Date(0), new Map(), () => 1, [undefined], { a: NaN }]) {
    test(String(value), () => assert.throws(() => checkValue(value), ValidationError));
  }
  test("the error says where", () => {
    assert.throws(() => checkValue({ a: [1, { b: NaN }] }, "property 'x'"), /property 'x'\.a\[1\]\.b is not a finite number/);
  });
});

test("property names count code points, as Python does", () => {
  checkPropName("😀".repeat(MAX_PROP_NAME_LENGTH)); // 512 UTF-16 units
  assert.throws(() => checkPropName("😀".repeat(MAX_PROP_NAME_LENGTH + 1)), ValidationError);
});

test("entries read as the layout needs them", () => {
  assert.deepEqual(parseEntry({}), { place: UNPLACED, deleted: false, prev: null });
  assert.deepEqual(parseEntry({ pos: { parent: "a", order: "V", prev: { parent: null, order: "W" } }, deleted: true }), {
    place: { parent: "a", order: "V" },
    deleted: true,
    prev: { parent: null, order: "W" },
  });
  assert.throws(() => parseEntry({ pos: { parent: null, order: "V" }, deleted: null }), ValidationError);
});
