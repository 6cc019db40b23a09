// The signaling client against a real `avacollab serve` (started per test
// group on 127.0.0.1, port 0). Node 20 has no global WebSocket: the tests
// inject the ws package's, as a Node application would.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { WebSocket } from "ws";

import { SignalingClient, SignalingError, defaultResumeStorage, resumeKey } from "../src/signaling/client.js";
import { Inbox, serverMissing, startServer } from "./server.js";

const skip = serverMissing();

/** Every socket the clients open, so a test can cut one as a network would. */
class TrackedWebSocket extends WebSocket {
  /** @type {TrackedWebSocket[]} */
  static opened = [];
  /** @param {string} url */
  constructor(url) {
    super(url);
    TrackedWebSocket.opened.push(this);
  }
}

/** sessionStorage's three methods, on a Map: what a tab keeps across a reload. */
class MemoryStorage {
  constructor() {
    /** @type {Map<string, string>} */
    this.items = new Map();
  }
  /** @param {string} key */
  getItem(key) {
    return this.items.get(key) ?? null;
  }
  /** @param {string} key @param {string} value */
  setItem(key, value) {
    this.items.set(key, String(value));
  }
  /** @param {string} key */
  removeItem(key) {
    this.items.delete(key);
  }
}

/** @type {SignalingClient[]} */
const clients = [];

/**
 * A client with an inbox of everything the server tells it.
 * @param {string} url
 * @param {string} room
 * @param {Partial<import("../src/signaling/client.js").SignalingOptions>} [options]
 */
function client(url, room, options = {}) {
  /** @type {Inbox<import("../src/signaling/client.js").SignalingMessage>} */
  const inbox = new Inbox();
  /** @type {Inbox<string>} */
  const states = new Inbox();
  const c = new SignalingClient(url, room, {
    WebSocket: TrackedWebSocket,
    onMessage: inbox.push,
    onState: states.push,
    backoff: { initial: 0.05, maximum: 0.5 },
    ...options,
  });
  clients.push(c);
  return { client: c, inbox, states };
}

after(() => {
  for (const c of clients) c.close();
});

describe("signaling", { skip }, () => {
  /** @type {import("./server.js").Server} */
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.stop();
  });

  test("join: welcome, the others announced, relays stamped with the sender", async () => {
    const a = client(server.url, "relay", { name: "Alice" });
    const welcomeA = await a.client.connect();
    assert.equal(welcomeA.type, "welcome");
    assert.equal(welcomeA.room, "relay");
    assert.equal(welcomeA.peer.length, 16);
    assert.deepEqual(welcomeA.peers, []);
    assert.ok(typeof welcomeA.resume === "string");
    assert.ok(a.client.connected);

    const b = client(server.url, "relay", { name: "Bob" });
    const welcomeB = await b.client.connect();
    assert.deepEqual(welcomeB.peers, [{ peer: a.client.peerId, name: "Alice" }]);
    const joined = await a.inbox.wait((m) => m.type === "peer-joined");
    assert.deepEqual(joined, { type: "peer-joined", peer: b.client.peerId, name: "Bob" });

    a.client.relay("offer", b.client.peerId, { sdp: "v=0\r\n", from: "forged" });
    const offer = await b.inbox.wait((m) => m.type === "offer");
    assert.deepEqual(offer, { type: "offer", from: a.client.peerId, sdp: "v=0\r\n" });
    b.client.relay("candidate", a.client.peerId, { candidate: null });
    const end = await a.inbox.wait((m) => m.type === "candidate");
    assert.deepEqual(end, { type: "candidate", from: b.client.peerId, candidate: null });
  });

  test("a refused join rejects with the protocol's code", async () => {
    const bad = client(server.url, "not a room!");
    await assert.rejects(bad.client.connect(), (/** @type {unknown} */ error) => {
      assert.ok(error instanceof SignalingError);
      assert.equal(error.code, "invalid");
      return true;
    });
    assert.equal(bad.client.connected, false);
  });

  test("an unreachable server rejects with code unreachable", async () => {
    const closed = client(`ws://127.0.0.1:1/ws`, "room");
    await assert.rejects(closed.client.connect(), { name: "SignalingError", code: "unreachable" });
  });

  test("a cut connection resumes as the same peer; the others see nothing; buffered messages follow", async () => {
    const a = client(server.url, "resume");
    const b = client(server.url, "resume");
    await a.client.connect();
    await b.client.connect();
    const id = a.client.peerId;
    const socket = TrackedWebSocket.opened.at(-2); // a's (b connected after it)
    assert.ok(socket !== undefined);
    socket.terminate(); // no close frame: a network drop (1006)
    await a.states.wait((s) => s === "reconnecting");
    // Sent while away: buffered, delivered after the new welcome.
    a.client.relay("answer", b.client.peerId, { sdp: "sent while away" });
    const again = await a.inbox.wait((m) => m.type === "welcome");
    assert.equal(again.resumed, true);
    assert.equal(again.peer, id);
    assert.equal(a.client.peerId, id);
    assert.equal(a.client.reconnects, 1);
    const answer = await b.inbox.wait((m) => m.type === "answer");
    assert.deepEqual(answer, { type: "answer", from: id, sdp: "sent while away" });
    // b heard nothing of it: a ping round trip on b's own connection shows
    // that everything the server sent b before has arrived.
    b.client.send({ type: "ping", id: "mark" });
    await b.inbox.wait((m) => m.type === "pong" && m.id === "mark");
    assert.deepEqual(
      b.inbox.items.filter((m) => m.type === "peer-left" || m.type === "peer-joined"),
      [],
    );
  });

  test("a reloaded page resumes its id: pagehide keeps the token and the place, the next page takes both", async () => {
    const storage = new MemoryStorage();
    const page = new EventTarget();
    const a = client(server.url, "reload", { resumeStorage: storage, pageEvents: page });
    const b = client(server.url, "reload", { resumeStorage: null });
    const first = await a.client.connect();
    await b.client.connect();
    const key = resumeKey(server.url, "reload");
    // Never written while the page lives: a duplicated tab copies sessionStorage.
    assert.equal(storage.getItem(key), null);
    page.dispatchEvent(new Event("pagehide"));
    assert.equal(a.client.connected, false);
    await a.states.wait((s) => s === "closed");
    assert.equal(storage.getItem(key), first.resume);

    const reloaded = client(server.url, "reload", { resumeStorage: storage, pageEvents: new EventTarget() });
    const again = await reloaded.client.connect();
    assert.equal(again.resumed, true);
    assert.equal(again.peer, first.peer);
    assert.equal(storage.getItem(key), null); // taken out: used once
    // b heard nothing of it.
    b.client.send({ type: "ping", id: "mark" });
    await b.inbox.wait((m) => m.type === "pong" && m.id === "mark");
    assert.deepEqual(b.inbox.items.filter((m) => m.type === "peer-left"), []);
    // Leaving clears the token: the next page is a new peer.
    storage.setItem(key, String(again.resume));
    reloaded.client.close();
    assert.equal(storage.getItem(key), null);
    const left = await b.inbox.wait((m) => m.type === "peer-left", 5);
    assert.deepEqual(left, { type: "peer-left", peer: first.peer, reason: "left" });
  });

  test("without resume storage a pagehide changes nothing and nothing is kept", async () => {
    const page = new EventTarget();
    const a = client(server.url, "no-storage", { resumeStorage: null, pageEvents: page });
    await a.client.connect();
    page.dispatchEvent(new Event("pagehide"));
    assert.equal(a.client.connected, true);
    // Node has no sessionStorage: the default is none.
    assert.equal(defaultResumeStorage(), null);
    assert.equal(new SignalingClient(server.url, "x", { WebSocket: TrackedWebSocket }).resumeStorage, null);
  });

  test("a stored token the server does not honour, or refuses, gives a clean fresh join", async () => {
    const storage = new MemoryStorage();
    const key = resumeKey(server.url, "stale");
    storage.setItem(key, "r2.not-a-token-of-this-server");
    const stale = client(server.url, "stale", { resumeStorage: storage, pageEvents: new EventTarget() });
    const welcome = await stale.client.connect();
    assert.equal(welcome.resumed, false);
    assert.equal(String(welcome.peer).length, 16);
    assert.equal(storage.getItem(key), null);
    // Longer than the protocol allows: the join is refused (invalid), and made again without it.
    storage.setItem(key, "x".repeat(5000));
    const refused = client(server.url, "stale", { resumeStorage: storage, pageEvents: new EventTarget() });
    const fresh = await refused.client.connect();
    assert.equal(fresh.resumed, false);
    assert.notEqual(fresh.peer, welcome.peer);
    assert.equal(storage.getItem(key), null);
  });

  test("close() leaves: the others hear peer-left with reason left at once", async () => {
    const a = client(server.url, "leave");
    const b = client(server.url, "leave");
    await a.client.connect();
    await b.client.connect();
    const id = a.client.peerId;
    a.client.close();
    assert.equal(a.client.connected, false);
    const left = await b.inbox.wait((m) => m.type === "peer-left", 5);
    assert.deepEqual(left, { type: "peer-left", peer: id, reason: "left" });
  });
});

describe("signaling: places kept and heartbeats", { skip }, () => {
  /** @type {import("./server.js").Server} */
  let server;
  before(async () => {
    server = await startServer(["--resume-grace", "1"]);
  });
  after(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.stop();
  });

  test("close({ leave: false }) keeps the place until the resume grace runs out", async () => {
    const a = client(server.url, "grace");
    const b = client(server.url, "grace");
    await a.client.connect();
    await b.client.connect();
    const id = a.client.peerId;
    const closedAt = Date.now();
    a.client.close({ leave: false });
    const left = await b.inbox.wait((m) => m.type === "peer-left", 10);
    assert.deepEqual(left, { type: "peer-left", peer: id, reason: "timeout" });
    assert.ok(Date.now() - closedAt >= 900, `left after ${Date.now() - closedAt} ms`);
  });

  test("a page back after the resume grace joins as a new peer; the others saw the old one leave", async () => {
    const storage = new MemoryStorage();
    const page = new EventTarget();
    const a = client(server.url, "late", { resumeStorage: storage, pageEvents: page });
    const b = client(server.url, "late", { resumeStorage: null });
    const first = await a.client.connect();
    await b.client.connect();
    page.dispatchEvent(new Event("pagehide"));
    const left = await b.inbox.wait((m) => m.type === "peer-left", 10);
    assert.deepEqual(left, { type: "peer-left", peer: first.peer, reason: "timeout" });
    assert.notEqual(storage.getItem(resumeKey(server.url, "late")), null);
    const late = client(server.url, "late", { resumeStorage: storage, pageEvents: new EventTarget() });
    const again = await late.client.connect();
    assert.equal(again.resumed, false);
    assert.notEqual(again.peer, first.peer);
    const joined = await b.inbox.wait((m) => m.type === "peer-joined", 5);
    assert.equal(joined.peer, again.peer);
  });

  test("a silent server is noticed by the heartbeat, and the client comes back as itself", async () => {
    const a = client(server.url, "heartbeat", { heartbeat: 0.2, connectTimeout: 2 });
    await a.client.connect();
    const id = a.client.peerId;
    server.pause(); // the process stops: no pong, no close, nothing
    try {
      await a.states.wait((s) => s === "reconnecting", 5);
    } finally {
      server.resume();
    }
    const again = await a.inbox.wait((m) => m.type === "welcome", 20);
    assert.equal(again.peer, id);
    assert.equal(again.resumed, true);
    await a.client.waitConnected();
    assert.ok(a.client.connected);
  });
});
