// Presence colors against conformance/presence_colors.json, which
// plugins/avacollab-presence/tests/test_conformance.py checks against colors.py.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { PALETTE, pickColor, preferredSlot } from "../src/presence/colors.js";
import { vectors } from "./vectors.js";

const V = vectors("presence_colors.json");

test("the palette", () => assert.deepEqual([...PALETTE], V.palette));

describe("preferred slots", () => {
  for (const { peer, slot } of V.preferred) test(JSON.stringify(peer), () => assert.equal(preferredSlot(peer), slot));
});

describe("picks", () => {
  for (const { peer, taken, color } of V.pick) {
    test(`${peer} with ${taken.length} taken`, () => assert.equal(pickColor(peer, taken), color));
  }
});

test("a room filling up", () => {
  /** @type {string[]} */
  const room = [];
  for (const peer of V.room.peers) room.push(pickColor(peer, room));
  assert.deepEqual(room, V.room.colors);
});
