// Presence: the state rules of state.py, the strict awareness decoding of
// wire.py, the cursor throttle, the peer-to-client-id rules, leaving.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as encoding from "lib0/encoding";

import { Bus } from "../src/bus/bus.js";
import { decodeFrame } from "../src/bus/wire.js";
import { MAX_ENTRIES, MAX_RETIRED_CLIENTS, Presence, TOPIC, WireError, decodeUpdate, presenceOnBus } from "../src/presence/presence.js";
import { InvalidState, parseState } from "../src/presence/state.js";
import { ManualClock } from "../scripts/testing.mjs";
import { busPair } from "./memory-channel.js";

/** @param {Array<[number, number, string]>} entries */
function update(entries) {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, entries.length);
  for (const [id, clock, state] of entries) {
    encoding.writeVarUint(e, id);
    encoding.writeVarUint(e, clock);
    encoding.writeVarString(e, state);
  }
  return encoding.toUint8Array(e);
}

/** Two presences wired to each other, with what each sent. */
function pair() {
  const clock = new ManualClock();
  /** @type {Array<{ from: string, data: Uint8Array, reliable: boolean }>} */
  const wire = [];
  /** @type {Record<string, Presence>} */
  const peers = {};
  for (const [me, other] of [["a", "b"], ["b", "a"]]) {
    peers[me] = new Presence(me, { name: me.toUpperCase() }, (data, reliable) => {
      wire.push({ from: me, data, reliable });
      peers[other]?.receive(me, data);
    }, { clock, wallClock: () => 1_700_000_000_000 + clock.now() });
  }
  return { clock, wire, a: peers.a, b: peers.b };
}

describe("state rules", () => {
  const user = { name: "Ada", color: "#D9467A" };
  test("defaults, lower-case color, unknown keys ignored", () => {
    assert.deepEqual(parseState({ user, extra: [1] }), {
      user: { name: "Ada", color: "#d9467a" }, cursor: null, selection: [], status: "active", lastSeen: null,
    });
    assert.equal(parseState({ user, lastSeen: 12.6 }).lastSeen, 13);
  });
  for (const [why, state] of /** @type {Array<[string, any]>} */ ([
    ["no user", {}],
    ["a list", []],
    ["empty name", { user: { ...user, name: "" } }],
    ["name of 65 characters", { user: { ...user, name: "x".repeat(65) } }],
    ["control character", { user: { ...user, name: "a\u202eb" } }],
    ["color not #rrggbb", { user: { ...user, color: "red" } }],
    ["cursor x a string", { user, cursor: { x: "1", y: 2 } }],
    ["cursor beyond 1e9", { user, cursor: { x: 1e10, y: 2 } }],
    ["cursor a boolean", { user, cursor: true }],
    ["selection not a list", { user, selection: "a" }],
    ["selection of 257", { user, selection: Array.from({ length: 257 }, (_, i) => `n${i}`) }],
    ["unknown status", { user, status: "busy" }],
    ["negative lastSeen", { user, lastSeen: -1 }],
    ["boolean lastSeen", { user, lastSeen: true }],
  ])) {
    test(`refused: ${why}`, () => assert.throws(() => parseState(state), InvalidState));
  }
});

describe("awareness updates decode strictly", () => {
  test("well formed", () => {
    assert.deepEqual(decodeUpdate(update([[7, 3, "null"]])), [{ clientId: 7, clock: 3, state: "null" }]);
  });
  for (const [why, bytes] of /** @type {Array<[string, Uint8Array]>} */ ([
    ["empty", new Uint8Array()],
    ["truncated string", update([[1, 1, "{}"]]).subarray(0, 5)],
    ["trailing bytes", Uint8Array.of(...update([[1, 1, "{}"]]), 0)],
    ["too many entries", update(Array.from({ length: MAX_ENTRIES + 1 }, (_, i) => [i + 1, 1, "null"]))],
    ["not UTF-8", Uint8Array.of(1, 1, 1, 1, 0xff)],
    ["integer cut short", Uint8Array.of(0x80)],
    ["integer past 2**53", new Uint8Array(9).fill(0xff)],
    ["too large", new Uint8Array(64 * 1024 + 1)],
  ])) {
    test(`refused: ${why}`, () => assert.throws(() => decodeUpdate(bytes), WireError));
  }
});

test("cursor moves are throttled, newest wins, and repeated reliably at rest", () => {
  const { clock, wire, a, b } = pair();
  a.start();
  b.start();
  assert.deepEqual(wire.map((m) => [m.from, m.reliable]), [["a", true], ["b", true]]);
  assert.equal(b.states().get("a")?.state.user.name, "A");
  wire.length = 0;
  clock.advance(10);
  a.setCursor(1, 1);
  a.setCursor(2, 2);
  a.setCursor(3, 3, "btn");
  assert.equal(wire.length, 0); // the start update filled the slot
  clock.advance(40);
  assert.deepEqual(wire.map((m) => m.reliable), [false]);
  assert.deepEqual(b.states().get("a")?.state.cursor, { x: 3, y: 3, component: "btn" });
  a.setCursor(4, 4);
  clock.advance(49);
  assert.equal(wire.length, 1);
  clock.advance(1);
  assert.deepEqual(wire.map((m) => m.reliable), [false, false]);
  clock.advance(100); // rests: the last update again, reliably, same bytes
  assert.deepEqual(wire.map((m) => m.reliable), [false, false, true]);
  assert.deepEqual(wire[2].data, wire[1].data);
  a.leave();
  b.leave();
});

test("idle, then away, then active again on input", () => {
  const { clock, a, b } = pair();
  a.start();
  b.start();
  clock.advance(60_000);
  assert.equal(b.states().get("a")?.state.status, "idle");
  clock.advance(240_000);
  assert.equal(b.states().get("a")?.state.status, "away");
  a.touch();
  assert.equal(b.states().get("a")?.state.status, "active");
  a.leave();
  b.leave();
});

test("a peer owns its first client id only; bad entries are refused one by one", () => {
  const { a, b } = pair();
  a.start();
  b.start();
  const state = JSON.stringify({ user: { name: "M", color: "#123456" } });
  const aId = a.clientId;
  assert.deepEqual(b.receive("mallory", update([[aId, 99, state]])).map((r) => r.reason), [`client id ${aId} belongs to another peer`]);
  assert.deepEqual(b.receive("mallory", update([[b.clientId, 99, state]])).map((r) => r.reason), ["claims the local peer's client id"]);
  assert.deepEqual(b.receive("mallory", update([[555, 9, "null"]])).map((r) => r.reason), ["removes a client id this peer does not own"]);
  const rejections = b.receive("mallory", update([[556, 1, '{"user": 1}'], [557, 0, state]]));
  assert.deepEqual(rejections.map((r) => r.clientId), [556]);
  assert.equal(b.states().get("mallory")?.clientId, 557);
  assert.equal(b.states().get("a")?.state.user.name, "A");
  assert.deepEqual(b.receive("x", Uint8Array.of(5)).map((r) => r.clientId), [null]);
  b.forgetPeer("mallory");
  assert.equal(b.states().has("mallory"), false);
  assert.equal(b.awareness.states.has(557), false);
  a.leave(); // the null state removes a on b
  assert.equal(b.states().has("a"), false);
  assert.equal(b.awareness.states.has(aId), false);
  b.leave();
});

test("a peer naming ever new client ids leaves a bounded trace", () => {
  const { a, b } = pair();
  a.start();
  b.start();
  const state = JSON.stringify({ user: { name: "M", color: "#123456" } });
  const first = 10_000;
  const count = 100 * 64;
  for (let start = first; start < first + count; start += 64) {
    const entries = Array.from({ length: 64 }, (_, j) => /** @type {[number, number, string]} */ ([start + j, 1, state]));
    assert.deepEqual(b.receive("mallory", update(entries)), []);
  }
  const last = first + count - 1;
  assert.equal(b.states().get("mallory")?.clientId, last);
  // The clocks kept: a's, b's, mallory's current, the most recent retired (6,400 without the bound).
  const meta = b.awareness.meta;
  assert.equal(meta.size, MAX_RETIRED_CLIENTS + 3);
  for (const id of [a.clientId, b.clientId, last, last - 1]) assert.ok(meta.has(id), String(id));
  // A late copy of a recently retired client's update stays stale.
  assert.deepEqual(b.receive("mallory", update([[last - 1, 1, state]])), []);
  assert.equal(b.states().get("mallory")?.clientId, last);
  a.leave();
  b.leave();
});

test("two peers on the in-memory bus: cursors on the unordered channel", async () => {
  const { a: busA, b: busB, channels } = busPair(Bus);
  const a = presenceOnBus(busA, "a", { name: "Ada", cursorInterval: 5 });
  const b = presenceOnBus(busB, "b", { name: "Bob", cursorInterval: 5 });
  /** @type {(value?: unknown) => void} */
  let arrived = () => {};
  const done = new Promise((resolve) => (arrived = resolve));
  b.presence.subscribe(() => {
    if (b.presence.states().get("a")?.state.cursor?.x === 42) arrived();
  });
  a.presence.start();
  b.presence.start();
  const timeout = setTimeout(() => arrived(new Error("timed out")), 5000);
  await new Promise((resolve) => setTimeout(resolve, 10));
  a.presence.setCursor(42, 7);
  assert.equal(await done, undefined);
  clearTimeout(timeout);
  const unordered = channels.ua.sent.flatMap((f) => {
    const frame = decodeFrame(f);
    return frame.kind === "batch" ? frame.entries.filter((e) => e.topic === TOPIC) : [];
  });
  assert.ok(unordered.length >= 1);
  assert.notEqual(a.presence.state.user.color, b.presence.state.user.color);
  b.peerLeft("a");
  assert.equal(b.presence.states().has("a"), false);
  a.close();
  b.close();
  busA.close();
  busB.close();
});
