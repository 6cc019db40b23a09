// joinRoom against a real `avacollab serve`, with FakePeerConnection in place
// of WebRTC (Node has none): the document and presence wired on the session
// as the Python plugins wire them. Chromium with `avacollab join` peers runs
// the real thing: tests/test_web_editing_chromium.py.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, afterEach, before, describe, test } from "node:test";

import { WebSocket } from "ws";

import { Document } from "../src/editing/model.js";
import { joinRoom } from "../src/room.js";
import { SignalingError } from "../src/signaling/client.js";
import { InvalidState } from "../src/presence/state.js";
import { FakePeerConnection } from "./fake-peer-connection.js";
import { Inbox, serverMissing, startServer } from "./server.js";

const skip = serverMissing();

/** @typedef {import("../src/room.js").Room} Room */

describe("rooms with fake peer connections", { skip }, () => {
  /** @type {import("./server.js").Server} */
  let server;
  /** @type {Room[]} */
  const rooms = [];
  let count = 0;

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((r) => r.leave()));
  });

  /**
   * Join `name` with inboxes of the room's events.
   * @param {string} room
   * @param {string} name
   * @param {Partial<import("../src/room.js").RoomOptions>} [options]
   */
  async function join(room, name, options = {}) {
    /** @type {Inbox<import("../src/session/session.js").SessionEvent>} */
    const events = new Inbox();
    const joined = await joinRoom(server.url, room, {
      name, WebSocket, RTCPeerConnection: /** @type {any} */ (FakePeerConnection), onEvent: events.push, ...options,
    });
    rooms.push(joined);
    /** @type {Inbox<import("../src/editing/changes.js").Change>} */
    const changes = new Inbox();
    joined.on("change", changes.push);
    /** @type {Inbox<import("../src/presence/presence.js").PresenceChange>} */
    const presence = new Inbox();
    joined.on("presence", presence.push);
    return { room: joined, events, changes, presence };
  }

  /** @param {Array<Awaited<ReturnType<typeof join>>>} members */
  async function meshed(members) {
    for (const a of members) {
      for (const b of members) {
        if (a !== b) await a.events.wait((e) => e.event === "peer-connected" && e.peer === b.room.peerId);
      }
    }
  }

  /**
   * Wait until every room shows the same tree, and return it.
   * @param {Room[]} members
   */
  async function converged(members) {
    const inbox = new Inbox();
    const stops = members.map((r) => r.on("change", () => inbox.push(null)));
    const same = () => new Set(members.map((r) => JSON.stringify(r.doc.tree()))).size === 1;
    try {
      if (!same()) await inbox.wait(() => same());
    } finally {
      for (const stop of stops) stop();
    }
    return members[0].doc.tree();
  }

  test("edits travel both ways and converge: add, set, move, delete, undo of one's own", async () => {
    const room = `edit-${++count}`;
    const ann = await join(room, "Ann");
    const bob = await join(room, "Bob");
    await meshed([ann, bob]);

    const frame = ann.room.doc.add("Frame", { title: "Main" });
    const button = ann.room.doc.add("Button", { label: "Buy" }, { parent: frame });
    await bob.changes.wait((c) => c.origin === ann.room.peerId && c.nodes.some((n) => n.id === button));
    assert.deepEqual(await converged([ann.room, bob.room]), [
      { id: frame, type: "Frame", properties: { title: "Main" }, children: [
        { id: button, type: "Button", properties: { label: "Buy" }, children: [] },
      ] },
    ]);

    // Bob: several properties in one step, then a move to the top level.
    const label = bob.room.doc.add("Label", { text: "Hi" });
    bob.room.doc.set(button, { label: "Pay", width: 120 });
    bob.room.doc.move(button, null, 0);
    await ann.changes.wait((c) => c.origin === bob.room.peerId && c.nodes.some((n) => n.id === button && n.kind === "moved"));
    const tree = await converged([ann.room, bob.room]);
    assert.deepEqual(tree.map((c) => c.id), [button, frame, label]);
    assert.deepEqual(tree[0].properties, { label: "Pay", width: 120 });

    // Ann deletes Bob's label, then undoes her own edit: it comes back for both.
    ann.room.doc.delete(label);
    assert.deepEqual((await converged([ann.room, bob.room])).map((c) => c.id), [button, frame]);
    assert.equal(bob.room.doc.undo(), true); // Bob's undo is his own last step: the move
    assert.deepEqual((await converged([ann.room, bob.room])).map((c) => c.id), [frame]);
    assert.equal(ann.room.doc.undo(), true);
    const end = await converged([ann.room, bob.room]);
    assert.deepEqual(end.map((c) => c.id), [frame, label]);
    assert.deepEqual(end[0].children.map((c) => c.properties), [{ label: "Pay", width: 120 }]);
  });

  test("a late joiner gets the document and everyone's presence", async () => {
    const room = `late-${++count}`;
    const ann = await join(room, "Ann");
    const id = ann.room.doc.add("Button", { label: "early" });
    ann.room.presence.setCursor(10, 20, id);
    const cat = await join(room, "Cat");
    await meshed([ann, cat]);
    assert.deepEqual(await converged([ann.room, cat.room]), [{ id, type: "Button", properties: { label: "early" }, children: [] }]);
    await cat.presence.wait((c) => c.added.includes(ann.room.peerId) || c.updated.includes(ann.room.peerId));
    const seen = cat.room.presence.states().get(ann.room.peerId);
    assert.equal(seen?.state.user.name, "Ann");
    assert.deepEqual(seen?.state.cursor, { x: 10, y: 20, component: id });
  });

  test("presence both ways: names, distinct colors, cursors, selection; leaving removes it", async () => {
    const room = `presence-${++count}`;
    const ann = await join(room, "Ann");
    const bob = await join(room, "Bob", { color: "#123456" });
    await meshed([ann, bob]);
    ann.room.presence.setCursor(5, 6);
    bob.room.presence.setSelection(["x"]);
    await bob.presence.wait(() => bob.room.presence.states().get(ann.room.peerId)?.state.cursor?.x === 5);
    await ann.presence.wait(() => ann.room.presence.states().get(bob.room.peerId)?.state.selection[0] === "x");
    const atAnn = ann.room.presence.states();
    const atBob = bob.room.presence.states();
    assert.equal(atAnn.get(bob.room.peerId)?.state.user.color, "#123456");
    assert.equal(atBob.get(ann.room.peerId)?.state.user.name, "Ann");
    assert.equal(atBob.get(ann.room.peerId)?.state.user.color, ann.room.presence.state.user.color);
    assert.notEqual(ann.room.presence.state.user.color, "#123456");
    assert.deepEqual([...ann.room.peers.values()], [{ id: bob.room.peerId, name: "Bob", connected: true }]);

    /** @type {Inbox<Map<string, import("../src/room.js").RoomPeer>>} */
    const peers = new Inbox();
    ann.room.on("peers", peers.push);
    await bob.room.leave();
    await ann.presence.wait((c) => c.removed.includes(bob.room.peerId));
    assert.equal(ann.room.presence.states().has(bob.room.peerId), false);
    await peers.wait((p) => !p.has(bob.room.peerId));
    assert.equal(ann.room.bus, ann.room.session.bus);
  });

  test("a sync message the document refuses is an editing.rejected event and changes nothing", async () => {
    const room = `refuse-${++count}`;
    const ann = await join(room, "Ann");
    const bob = await join(room, "Bob");
    await meshed([ann, bob]);
    const id = ann.room.doc.add("Button");
    await converged([ann.room, bob.room]);
    bob.room.bus.publish("editing.sync", new Uint8Array([0, 2, 3, 1, 2, 3]), { to: ann.room.peerId });
    const refused = await ann.events.wait((e) => e.event === "editing.rejected");
    assert.equal(refused.peer, bob.room.peerId);
    assert.match(refused.reason, /./);
    assert.deepEqual(ann.room.doc.tree().map((c) => c.id), [id]);
    // The link is kept: edits still travel.
    bob.room.doc.setProp(id, "label", "still here");
    await ann.changes.wait((c) => c.origin === bob.room.peerId);
    assert.deepEqual(ann.room.doc.node(id)?.props, { label: "still here" });
  });

  test("a link lost and made again: edits made meanwhile converge, presence comes back", async () => {
    const room = `lost-${++count}`;
    const fast = { connectTimeout: 0.3, retryBackoff: { initial: 0.05, maximum: 0.1 } };
    const ann = await join(room, "Ann", fast);
    const bob = await join(room, "Bob", fast);
    await meshed([ann, bob]);
    const id = ann.room.doc.add("Button", { label: "before" });
    await converged([ann.room, bob.room]);
    await ann.presence.wait(() => ann.room.presence.states().has(bob.room.peerId));

    // The link breaks, and new ones do not open for now.
    FakePeerConnection.opens = false;
    try {
      /** @type {any} */ (ann.room.session.link(bob.room.peerId)).pc.close();
      await ann.events.wait((e) => e.event === "peer-left" && e.peer === bob.room.peerId);
      await bob.events.wait((e) => e.event === "peer-left" && e.peer === ann.room.peerId);
      // Each side dropped the other's presence at once, and edits on.
      assert.equal(ann.room.presence.states().has(bob.room.peerId), false);
      assert.equal(ann.room.peers.get(bob.room.peerId)?.connected ?? false, false);
      ann.room.doc.setProp(id, "label", "ann's");
      const label = bob.room.doc.add("Label", { text: "bob's" });
      bob.room.presence.setCursor(7, 8);
      assert.notDeepEqual(ann.room.doc.tree(), bob.room.doc.tree());

      FakePeerConnection.opens = true;
      const connected = (/** @type {typeof ann} */ x, /** @type {string} */ peer) =>
        x.events.wait((e) => e.event === "peer-connected" && e.peer === peer && x.events.items.indexOf(e) > x.events.items.findIndex((f) => f.event === "peer-left"));
      await connected(ann, bob.room.peerId);
      await connected(bob, ann.room.peerId);
      const tree = await converged([ann.room, bob.room]);
      assert.deepEqual(tree.map((c) => [c.id, c.properties]), [[id, { label: "ann's" }], [label, { text: "bob's" }]]);
      await ann.presence.wait(() => ann.room.presence.states().get(bob.room.peerId)?.state.cursor?.x === 7);
    } finally {
      FakePeerConnection.opens = true;
    }
  });

  test("a refused join rejects with the server's code and leaves nothing running", async () => {
    await assert.rejects(
      joinRoom(server.url, "not a room!", { WebSocket, RTCPeerConnection: /** @type {any} */ (FakePeerConnection) }),
      (/** @type {unknown} */ error) => error instanceof SignalingError && error.code === "invalid",
    );
  });

  test("a bad color or presence timing is refused before connecting", async () => {
    // Nothing listens on port 1: had it connected first, the error would be `unreachable`.
    const options = { WebSocket, RTCPeerConnection: /** @type {any} */ (FakePeerConnection) };
    await assert.rejects(joinRoom("ws://127.0.0.1:1/ws", "r", { ...options, color: "red" }), InvalidState);
    await assert.rejects(joinRoom("ws://127.0.0.1:1/ws", "r", { ...options, name: "x".repeat(65) }), InvalidState);
    await assert.rejects(
      joinRoom("ws://127.0.0.1:1/ws", "r", { ...options, presence: { idleAfter: 10, awayAfter: 5 } }),
      /awayAfter must be longer than idleAfter/,
    );
    await assert.rejects(joinRoom("ws://127.0.0.1:1/ws", "r", { ...options, presence: { cursorInterval: 0 } }), RangeError);
    await assert.rejects(joinRoom("ws://127.0.0.1:1/ws", "r", options), { name: "SignalingError", code: "unreachable" });
  });

  test("a page without a name shows peer- and the start of its id", async () => {
    const room = `anon-${++count}`;
    const anon = await join(room, "");
    assert.equal(anon.room.presence.state.user.name, `peer-${anon.room.peerId.slice(0, 8)}`);
    assert.equal(anon.room.name, room);
    assert.throws(() => anon.room.on(/** @type {any} */ ("nope"), () => {}), TypeError);
  });
});

test("docs/browser.md's editing example runs as written", () => {
  const docs = readFileSync(new URL("../../docs/browser.md", import.meta.url), "utf8");
  const example = [...docs.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).find((code) => code.includes("room.doc.batch"));
  assert.ok(example, "docs/browser.md has no editing example");
  const room = { doc: new Document() };
  new Function("room", example)(room);
  const tree = room.doc.tree();
  assert.deepEqual(tree.map((c) => [c.type, c.properties]), [
    ["Frame", { title: "Checkout" }],
    ["Button", { label: "Back", width: 120 }],
  ]);
  assert.deepEqual(tree[0].children.map((c) => c.properties), [{ label: "Pay" }]);
});
