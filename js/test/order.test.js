// Order keys against conformance/order_keys.json, which
// plugins/avacollab-editing/tests/test_conformance.py checks against fractional.py.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { DIGITS, OrderKeyError, isKey, keyBetween, keysBetween, saltFor } from "../src/editing/order.js";
import { vectors } from "./vectors.js";

const V = vectors("order_keys.json");

test("the digits", () => assert.equal(DIGITS, V.digits));

describe("salts", () => {
  for (const { clientId, salt } of V.salts) test(`${clientId}`, () => assert.equal(saltFor(clientId), salt));
});

describe("isKey", () => {
  for (const { key, valid } of V.isKey) test(JSON.stringify(key).slice(0, 30), () => assert.equal(isKey(key), valid));
});

describe("keyBetween", () => {
  for (const { low, high, salt, key } of V.between) {
    test(`${low} .. ${high}`, () => {
      assert.equal(keyBetween(low, high, salt), key);
      if (low !== null) assert.ok(low < key);
      if (high !== null) assert.ok(key < high);
    });
  }
  for (const { low, high, salt } of V.refused) {
    test(`refuses ${low} .. ${high} with salt ${JSON.stringify(salt)}`, () => {
      assert.throws(() => keyBetween(low, high, salt), OrderKeyError);
    });
  }
});

describe("sequences of inserts", () => {
  for (const { name, keys } of V.sequences) {
    test(name, () => {
      /** @type {string[]} */
      const ours = [];
      for (let i = 0; i < keys.length; i++) {
        const salt = saltFor(i % 3);
        if (name === "append") ours.push(keyBetween(ours.at(-1) ?? null, null, salt));
        else if (name === "prepend") ours.unshift(keyBetween(null, ours[0] ?? null, salt));
        else ours.splice(ours.length ? 1 : 0, 0, keyBetween(ours[0] ?? null, ours[1] ?? null, salt));
      }
      assert.deepEqual(ours, keys);
    });
  }
});

describe("runs at one end", () => {
  for (const { end, salt, count, last, longest } of V.runs) {
    test(`${count} ${end}s with salt ${salt}`, () => {
      /** @type {string | null} */
      let key = null;
      let most = 0;
      for (let i = 0; i < count; i++) {
        key = end === "append" ? keyBetween(key, null, salt) : keyBetween(null, key, salt);
        most = Math.max(most, key.length);
      }
      assert.equal(key, last);
      assert.equal(most, longest);
    });
  }
});

describe("keysBetween", () => {
  for (const { low, high, count, salt, keys } of V.bulk) {
    test(`${count} between ${low} and ${high}`, () => assert.deepEqual(keysBetween(low, high, count, salt), keys));
  }
});
