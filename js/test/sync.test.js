// editing.sync over the in-memory Bus: two JavaScript peers converge, large
// states go deflated, and malformed messages are refused without harm.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as Y from "yjs";

import { Bus } from "../src/bus/bus.js";
import { FLAG_DEFLATE, decodeFrame } from "../src/bus/wire.js";
import { Document } from "../src/editing/model.js";
import { COMPRESS_FROM, Editing, STEP1, STEP2, SyncError, TOPIC, UPDATE, decode, encode } from "../src/editing/sync.js";
import { busPair } from "./memory-channel.js";

/**
 * Resolves when `check` holds after some change of `doc` (bounded).
 * @param {Y.Doc} doc
 * @param {() => boolean} check
 */
function until(doc, check, ms = 5000) {
  return new Promise((resolve, reject) => {
    if (check()) return resolve(undefined);
    const timer = setTimeout(() => {
      doc.off("afterTransaction", look);
      reject(new Error("timed out"));
    }, ms);
    const look = () => {
      if (!check()) return;
      clearTimeout(timer);
      doc.off("afterTransaction", look);
      resolve(undefined);
    };
    doc.on("afterTransaction", look);
  });
}

test("the framing is y-protocols', strict on length", () => {
  const message = encode(UPDATE, Uint8Array.of(1, 2, 3));
  assert.deepEqual([...message], [0, 2, 3, 1, 2, 3]);
  assert.deepEqual(decode(message), { kind: UPDATE, payload: Uint8Array.of(1, 2, 3) });
  for (const bad of [[], [0], [0, 0], [1, 0, 0], [0, 3, 0], [0, 2, 3, 1, 2], [0, 2, 1, 1, 2], [0, 0, 0x80]]) {
    assert.throws(() => decode(Uint8Array.from(bad)), SyncError, JSON.stringify(bad));
  }
});

test("two peers converge: step 1 and 2 both ways, then updates", async () => {
  const { a: busA, b: busB } = busPair(Bus);
  const a = new Editing(busA, new Y.Doc());
  a.document.add("Panel", { title: "before" }, { id: "p" });
  const b = new Editing(busB, new Y.Doc());
  b.document.add("Text", {}, { id: "t" });
  a.peerJoined("b");
  b.peerJoined("a");
  await until(b.document.ydoc, () => b.document.children(null).length === 2);
  await until(a.document.ydoc, () => a.document.children(null).length === 2);
  a.document.move("t", "p");
  b.document.setProp("p", "title", "after");
  await until(a.document.ydoc, () => a.document.node("p")?.props.title === "after");
  await until(b.document.ydoc, () => b.document.node("t")?.parent === "p");
  assert.deepEqual(a.document.export(), b.document.export());
  a.close();
  b.close();
  busA.close();
  busB.close();
});

test("a state of COMPRESS_FROM bytes or more goes deflated", async () => {
  const { a: busA, b: busB, channels } = busPair(Bus);
  const a = new Editing(busA, new Y.Doc());
  a.document.batch(() => {
    for (let i = 0; i < 100; i++) a.document.add("Button", { label: `button number ${i}` }, { id: `b${i}` });
  });
  const b = new Editing(busB, new Y.Doc());
  b.peerJoined("a");
  await until(b.document.ydoc, () => b.document.children(null).length === 100);
  assert.ok(Y.encodeStateAsUpdate(a.document.ydoc).length >= COMPRESS_FROM);
  const flags = channels.ra.sent.flatMap((frame) => {
    const decoded = decodeFrame(frame);
    return decoded.kind === "batch" ? decoded.entries.filter((e) => e.topic === TOPIC).map((e) => e.flags) : [];
  });
  assert.ok(flags.some((f) => f & FLAG_DEFLATE), `flags ${flags}`);
  assert.deepEqual(b.document.tree(), a.document.tree());
  for (const x of [a, b]) x.close();
  busA.close();
  busB.close();
});

test("malformed messages are refused, the document untouched, the session going on", { timeout: 20000 }, async () => {
  const { a: busA, b: busB } = busPair(Bus);
  /** @type {string[]} */
  const refused = [];
  const b = new Editing(busB, new Y.Doc(), { onRejected: (peer, reason) => refused.push(`${peer}: ${reason}`), maxMessageSize: 1000 });
  const source = new Document();
  source.add("Box", {}, { id: "x" });
  const good = Y.encodeStateAsUpdate(source.ydoc);
  const warn = console.warn;
  console.warn = () => {};
  try {
    assert.match(String(b.receive("a", Uint8Array.of(1, 0, 0))), /not a sync message/);
    assert.match(String(b.receive("a", encode(UPDATE, good.subarray(0, good.length - 3)))), /malformed update/);
    assert.match(String(b.receive("a", encode(UPDATE, Uint8Array.of(0xff, 0xff, 0xff)))), /malformed update/);
    // A sync message sent as the update (framed twice): it decodes, then Yjs throws.
    assert.match(String(b.receive("a", encode(UPDATE, encode(UPDATE, good)))), /does not apply/);
    assert.match(String(b.receive("a", encode(STEP2, new Uint8Array(1000)))), /exceeds the limit/);
    assert.match(String(b.receive("a", encode(STEP1, Uint8Array.of(5, 1)))), /malformed state vector/);
  } finally {
    console.warn = warn;
  }
  assert.equal(refused.length, 6);
  assert.deepEqual(b.document.tree(), []);
  assert.deepEqual([...Y.encodeStateVector(b.document.ydoc)], [0]);
  // Still working: a good update applies, and edits still reach the other side.
  assert.equal(b.receive("a", encode(UPDATE, good)), null);
  assert.deepEqual(b.document.children(null), ["x"]);
  const a = new Editing(busA, new Y.Doc());
  b.document.setProp("x", "k", 1);
  a.peerJoined("b");
  await until(a.document.ydoc, () => a.document.node("x")?.props.k === 1);
  for (const x of [a, b]) x.close();
  busA.close();
  busB.close();
});
