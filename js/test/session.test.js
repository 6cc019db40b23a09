// The session against a real `avacollab serve`, with FakePeerConnection in
// place of WebRTC (Node has none): the offerer rule, the bus on top, bye,
// connect timeouts and retries, and the bounds on what peers may send.
// Chromium runs the real thing next to Python peers:
// tests/test_web_session_chromium.py.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";

import { WebSocket } from "ws";

import { Session } from "../src/session/session.js";
import { ANSWER, OFFER, RENEGOTIATE, checkSdp, iceServersFromWelcome, isOfferer } from "../src/session/session.js";
import { FakePeerConnection } from "./fake-peer-connection.js";
import { Inbox, serverMissing, startServer } from "./server.js";

const skip = serverMissing();

test("the peer whose id sorts first offers, as in Python", () => {
  assert.equal(isOfferer("Abc", "abc"), true); // "A" < "a" in both languages
  assert.equal(isOfferer("abc", "Abc"), false);
  assert.equal(isOfferer("-x", "0x"), true);
});

test("SDP from peers is bounded and must carry the data channels", () => {
  const sdp = "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
  assert.equal(checkSdp(sdp, 100), sdp);
  assert.equal(checkSdp(sdp + "a=x:" + "y".repeat(100) + "\r\n", 100), null);
  // Bytes, not characters: 40 characters of 3 bytes each are 120 bytes.
  assert.equal(checkSdp(sdp.slice(0, 60) + "€".repeat(40), 100), null);
  assert.equal(checkSdp("v=0\r\nm=audio 9 RTP/AVP 0\r\n", 100), null);
  assert.equal(checkSdp(5, 100), null);
});

test("SDP from peers has at most 8 audio and 8 video sections and one of any other kind", () => {
  const data = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
  const audio = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
  const video = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n";
  const sdp = (/** @type {string[]} */ ...sections) => "v=0\r\n" + sections.join("");
  const full = sdp(audio.repeat(8), video.repeat(8), data);
  assert.equal(checkSdp(full, 10_000), full);
  assert.equal(checkSdp(sdp(audio.repeat(9), data), 10_000), null);
  assert.equal(checkSdp(sdp(data, video.repeat(9)), 10_000), null);
  assert.equal(checkSdp(sdp(data, data), 10_000), null);
  assert.equal(checkSdp(sdp(data, "m=text 9 RTP/AVP 98\r\n".repeat(2)), 10_000), null);
  // 700 audio sections fit in 60 KB: refused before the browser sees them.
  assert.equal(checkSdp(sdp(data, audio.repeat(700)), 65_536), null);
});

test("ICE servers from the welcome keep the well-formed entries", () => {
  assert.deepEqual(
    iceServersFromWelcome([
      { urls: "turn:127.0.0.1:3478", username: "u", credential: "c" },
      { urls: [] },
      "stun:nowhere",
      { urls: ["stun:127.0.0.1:3478"], username: 5 },
    ]),
    [
      { urls: ["turn:127.0.0.1:3478"], username: "u", credential: "c" },
      { urls: ["stun:127.0.0.1:3478"] },
    ],
  );
  assert.deepEqual(iceServersFromWelcome(undefined), []);
});

describe("sessions with fake peer connections", { skip }, () => {
  /** @type {import("./server.js").Server} */
  let server;
  /** @type {Session[]} */
  const sessions = [];
  let room = 0;

  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    FakePeerConnection.opens = true;
    FakePeerConnection.gathers = true;
    FakePeerConnection.remoteDelay = 0;
    await Promise.all(sessions.splice(0).map((s) => s.close()));
  });

  /**
   * A session on the fake, with an inbox of its events.
   * @param {string} name
   * @param {Partial<import("../src/session/session.js").SessionOptions>} [options]
   */
  function join(name, options = {}) {
    /** @type {Inbox<import("../src/session/session.js").SessionEvent>} */
    const events = new Inbox();
    const session = new Session(server.url, `room-${room}`, {
      name, WebSocket, RTCPeerConnection: /** @type {any} */ (FakePeerConnection),
      onEvent: events.push, ...options,
    });
    sessions.push(session);
    // What it relays through the server: offers, answers and candidates.
    /** @type {Array<{ type: string, to: string, body: Record<string, any> }>} */
    const relayed = [];
    const relay = session.signaling.relay.bind(session.signaling);
    session.signaling.relay = (type, to, body) => {
      relayed.push({ type, to, body });
      relay(type, to, body);
    };
    return { session, events, relayed };
  }

  /**
   * Two sessions in a fresh room, connected; `offerer` is the one that offers.
   * @param {Partial<import("../src/session/session.js").SessionOptions>} [optionsA]
   * @param {Partial<import("../src/session/session.js").SessionOptions>} [optionsB]
   */
  async function pair(optionsA = {}, optionsB = {}) {
    room++;
    const a = join("a", optionsA);
    await a.session.start();
    const b = join("b", optionsB);
    await b.session.start();
    for (const [x, y] of [[a, b], [b, a]]) {
      await x.events.wait((e) => e.event === "peer-connected" && e.peer === y.session.peerId);
    }
    const [offerer, answerer] = isOfferer(a.session.peerId, b.session.peerId) ? [a, b] : [b, a];
    return { offerer, answerer };
  }

  test("two sessions connect, the smaller id offers, the bus works both ways", async () => {
    const { offerer, answerer } = await pair();
    const flags = (/** @type {typeof offerer} */ s) => s.events.items.filter((e) => e.event === "peer-connected").map((e) => e.offerer);
    assert.deepEqual(flags(offerer), [true]);
    assert.deepEqual(flags(answerer), [false]);
    assert.equal(offerer.session.link(answerer.session.peerId)?.pc.iceGatheringState, "complete");
    /** @type {Inbox<string>} */
    const got = new Inbox();
    for (const { session } of [offerer, answerer]) {
      session.bus.subscribe("test.chat", (m) => got.push(`${m.sender === offerer.session.peerId ? "o" : "a"}:${new TextDecoder().decode(m.payload)}:${m.reliable}`));
    }
    offerer.session.bus.publish("test.chat", new TextEncoder().encode("hi"));
    answerer.session.bus.publish("test.chat", new TextEncoder().encode("yo"), { reliable: false });
    await got.wait((x) => x === "o:hi:true");
    await got.wait((x) => x === "a:yo:false");
  });

  test("closing says goodbye on the bus: the other side reports a peer that left", async () => {
    const { offerer, answerer } = await pair();
    await answerer.session.close();
    const left = await offerer.events.wait((e) => e.event === "peer-left");
    assert.equal(left.peer, answerer.session.peerId);
    assert.equal(left.reason, "left");
    assert.deepEqual(offerer.session.connected, []);
  });

  test("a renegotiation request beyond the bounds is ignored; a valid one is served", async () => {
    const { offerer, answerer } = await pair();
    const to = offerer.session.peerId;
    const pc = /** @type {any} */ (offerer.session.link(answerer.session.peerId)?.pc);
    answerer.session.bus.publishJson(RENEGOTIATE, { seq: 1, receive: Array(10_000).fill("video") }, { to });
    answerer.session.bus.publishJson(RENEGOTIATE, { seq: "x", receive: ["video"] }, { to });
    // Well formed but past 1 KiB: refused unread, as in Python.
    answerer.session.bus.publishJson(RENEGOTIATE, { seq: 1, receive: ["audio", "audio", "audio"], pad: " ".repeat(1024) }, { to });
    // A valid request after them: once it is served, the others were seen.
    answerer.session.bus.publishJson(RENEGOTIATE, { seq: 2, receive: ["video", "audio"] }, { to });
    await offerer.events.wait((e) => e.event === "renegotiated");
    await answerer.events.wait((e) => e.event === "renegotiated");
    assert.deepEqual(pc.transceivers.map((/** @type {any} */ t) => [t.kind, t.direction]), [["video", "recvonly"], ["audio", "recvonly"]]);
  });

  test("an oversized or malformed offer or answer on the bus is ignored", async () => {
    const { offerer, answerer } = await pair();
    const link = /** @type {any} */ (answerer.session.link(offerer.session.peerId));
    // The offerer's own description, which the fake would take, but too large.
    const mine = /** @type {any} */ (offerer.session.link(answerer.session.peerId)).pc.localDescription.sdp;
    const huge = `${mine}a=x:${"y".repeat(70_000)}\r\n`;
    const to = answerer.session.peerId;
    offerer.session.bus.publishJson(OFFER, { sdp: huge, serves: 0 }, { to });
    offerer.session.bus.publishJson(OFFER, { sdp: "v=0\r\n", serves: 0 }, { to });
    offerer.session.bus.publishJson(OFFER, ["not", "an", "offer"], { to });
    // And an answer nobody asked for, too large anyway.
    answerer.session.bus.publishJson(ANSWER, { sdp: huge }, { to: offerer.session.peerId });
    // Something valid after them, on the same ordered channel.
    /** @type {Inbox<string>} */
    const got = new Inbox();
    answerer.session.bus.subscribe("test.after", () => got.push("after"));
    offerer.session.bus.publish("test.after", new Uint8Array([1]), { to });
    await got.wait((x) => x === "after");
    assert.equal(link.pc.signalingState, "stable");
    assert.equal(answerer.events.items.filter((e) => e.event === "renegotiated").length, 0);
    assert.deepEqual(answerer.session.connected, [offerer.session.peerId]);
  });

  /**
   * Make `session` ignore the renegotiation messages it gets while `on`, as a
   * hostile peer or a client without renegotiation does; count what it
   * ignored. Call before start(), which subscribes the handlers.
   * @param {Session} session
   */
  function deafness(session) {
    const state = { on: false, /** @type {Inbox<import("../src/bus/bus.js").Message>} */ ignored: new Inbox() };
    const subscribe = session.bus.subscribe.bind(session.bus);
    session.bus.subscribe = (topic, handler) => subscribe(topic, [RENEGOTIATE, OFFER, ANSWER].includes(topic)
      ? (message) => (state.on ? state.ignored.push(message) : handler(message))
      : handler);
    return state;
  }

  /**
   * Two sessions in a fresh room, connected, each able to turn deaf.
   * @param {Partial<import("../src/session/session.js").SessionOptions>} options
   */
  async function deafPair(options) {
    room++;
    const a = join("a", options);
    const deafA = deafness(a.session);
    await a.session.start();
    const b = join("b", options);
    const deafB = deafness(b.session);
    await b.session.start();
    for (const [x, y] of [[a, b], [b, a]]) {
      await x.events.wait((e) => e.event === "peer-connected" && e.peer === y.session.peerId);
    }
    return isOfferer(a.session.peerId, b.session.peerId)
      ? { offerer: { ...a, deaf: deafA }, answerer: { ...b, deaf: deafB } }
      : { offerer: { ...b, deaf: deafB }, answerer: { ...a, deaf: deafA } };
  }

  const quick = { renegotiationTimeout: 0.3, renegotiationBackoff: { initial: 0.2, maximum: 0.4 } };

  /**
   * The bus between the two still carries a message both ways.
   * @param {{ session: Session }} x @param {{ session: Session }} y
   */
  async function busWorks(x, y) {
    for (const [from, to] of [[x, y], [y, x]]) {
      /** @type {Inbox<number>} */
      const got = new Inbox();
      const topic = `test.alive.${Math.random()}`;
      to.session.bus.subscribe(topic, (m) => got.push(m.payload[0]));
      from.session.bus.publish(topic, new Uint8Array([7]), { to: to.session.peerId });
      await got.wait((v) => v === 7);
    }
  }

  test("an offer never answered costs only the media: reported, the link kept, the same offer sent again", async () => {
    const { offerer, answerer } = await deafPair(quick);
    const link = offerer.session.link(answerer.session.peerId);
    answerer.deaf.on = true;
    // The answerer asks for an audio receiver; the offer that serves it is ignored.
    answerer.session.bus.publishJson(RENEGOTIATE, { seq: 1, receive: ["audio"] }, { to: offerer.session.peerId });
    const first = await offerer.events.wait((e) => e.event === "media-unavailable");
    assert.equal(first.peer, answerer.session.peerId);
    assert.equal(first.reason, "no session.answer within 0.3 s");
    assert.ok(first.retry_in >= 0.1 && first.retry_in <= 0.2, String(first.retry_in));
    // Sent again after the backoff, and reported again.
    const offers = () => answerer.deaf.ignored.items.filter((m) => m.topic === OFFER);
    await answerer.deaf.ignored.wait(() => offers().length >= 2);
    const [sent, again] = offers().map((m) => JSON.parse(new TextDecoder().decode(m.payload)));
    assert.deepEqual(again, sent); // the same offer: an answer to either meets it
    await offerer.events.wait((e) => e.event === "media-unavailable" && e !== first);
    // The link and the bus are untouched.
    assert.equal(offerer.session.link(answerer.session.peerId), link);
    assert.deepEqual(offerer.session.connected, [answerer.session.peerId]);
    assert.equal(offerer.events.items.filter((e) => e.event === "link-failed").length, 0);
    await busWorks(offerer, answerer);
    // The answerer hears again: the next offer sent is answered and applied.
    answerer.deaf.on = false;
    await offerer.events.wait((e) => e.event === "renegotiated");
    const pc = /** @type {any} */ (link?.pc);
    assert.equal(pc.signalingState, "stable");
    assert.deepEqual(pc.transceivers.map((/** @type {any} */ t) => [t.kind, t.direction]), [["audio", "recvonly"]]);
    assert.equal(offerer.session.link(answerer.session.peerId), link);
  });

  test("a track turned off and on is sent on the same transceiver again, in either role", async () => {
    // A browser's addTrack never reuses a transceiver that has sent: without
    // reuse each turn would add an m-line, and the ninth offer is refused.
    const { offerer, answerer } = await pair();
    for (const [x, y] of [[offerer, answerer], [answerer, offerer]]) {
      const pc = /** @type {any} */ (x.session.link(y.session.peerId)?.pc);
      const video = () => pc.transceivers.filter((/** @type {any} */ t) => t.kind === "video");
      const renegotiated = () => x.events.items.filter((e) => e.event === "renegotiated").length;
      const track = /** @type {any} */ ({ kind: "video" });
      for (let turn = 0; turn < 10; turn++) {
        for (const change of [() => x.session.addTrack(track), () => x.session.removeTrack(track)]) {
          const before = renegotiated();
          change();
          await x.events.wait(() => renegotiated() > before);
        }
      }
      assert.deepEqual(video().map((/** @type {any} */ t) => t.direction), ["recvonly"]);
      x.session.addTrack(track);
      assert.deepEqual(video().map((/** @type {any} */ t) => [t.direction, t.sender.track === track]), [["sendrecv", true]]);
      x.session.removeTrack(track);
    }
    assert.equal(offerer.events.items.filter((e) => e.event === "media-unavailable").length, 0);
    assert.equal(answerer.events.items.filter((e) => e.event === "media-unavailable").length, 0);
  });

  test("past 8 tracks of a kind to one peer, a track is not sent", async () => {
    const { offerer, answerer } = await pair();
    /** @type {string[]} */
    const warned = [];
    const warn = console.warn;
    console.warn = (...args) => warned.push(args.join(" "));
    try {
      for (let i = 0; i < 9; i++) offerer.session.addTrack(/** @type {any} */ ({ kind: "audio" }));
    } finally {
      console.warn = warn;
    }
    const link = /** @type {any} */ (offerer.session.link(answerer.session.peerId));
    assert.equal(link.senders.size, 8);
    assert.ok(warned.some((w) => w.includes("track refused") && w.includes("already 8 audio tracks")), warned.join("\n"));
    await answerer.events.wait((e) => e.event === "renegotiated"); // the eight go
  });

  test("a request never served is reported and asked again under a new seq; the link stays", async () => {
    const { offerer, answerer } = await deafPair(quick);
    const link = answerer.session.link(offerer.session.peerId);
    offerer.deaf.on = true;
    answerer.session.addTrack(/** @type {any} */ ({ kind: "audio" }));
    const report = await answerer.events.wait((e) => e.event === "media-unavailable");
    assert.equal(report.reason, "no session.offer serving session.renegotiate 1 within 0.3 s");
    const requests = () => offerer.deaf.ignored.items.filter((m) => m.topic === RENEGOTIATE);
    await offerer.deaf.ignored.wait(() => requests().length >= 2);
    const bodies = requests().slice(0, 2).map((m) => JSON.parse(new TextDecoder().decode(m.payload)));
    assert.deepEqual(bodies, [{ seq: 1, receive: ["audio"] }, { seq: 2, receive: ["audio"] }]);
    assert.equal(answerer.session.link(offerer.session.peerId), link);
    assert.equal(answerer.events.items.filter((e) => e.event === "link-failed").length, 0);
    await busWorks(offerer, answerer);
    // Heard again: the next request is served, the track gets its m-line.
    offerer.deaf.on = false;
    await answerer.events.wait((e) => e.event === "renegotiated");
    assert.deepEqual(/** @type {any} */ (link)?.wantedReceivers(), []);
  });

  test("renegotiation options are checked", () => {
    const make = (/** @type {any} */ options) => new Session("ws://127.0.0.1:9/ws", "r", { RTCPeerConnection: /** @type {any} */ (FakePeerConnection), WebSocket, ...options });
    assert.throws(() => make({ renegotiationTimeout: 0 }), /renegotiationTimeout must be positive/);
    assert.throws(() => make({ renegotiationBackoff: { initial: 5, maximum: 1 } }), /renegotiationBackoff needs/);
    assert.equal(make({ connectTimeout: 4 }).renegotiationTimeout, 4);
    assert.deepEqual(make({}).renegotiationBackoff, { initial: 15, maximum: 300, factor: 2 });
  });

  test("trickle (the default): descriptions go out at once, candidates follow, then end-of-candidates", async () => {
    const { offerer, answerer } = await pair();
    for (const [side, kind] of /** @type {const} */ ([[offerer, "offer"], [answerer, "answer"]])) {
      const types = side.relayed.map((r) => r.type);
      assert.deepEqual(types, [kind, "candidate", "candidate"], `${kind}: ${types}`);
      const [description, candidate, end] = side.relayed;
      assert.doesNotMatch(description.body.sdp, /a=candidate:/);
      assert.match(candidate.body.candidate.candidate, /^candidate:1 1 udp \d+ 127\.0\.0\.1 \d+ typ host$/);
      assert.deepEqual(Object.keys(candidate.body.candidate).sort(), ["candidate", "sdpMLineIndex", "sdpMid"]);
      assert.equal(end.body.candidate, null);
    }
    // Each side took the other's: the fake connects on nothing else.
    const pc = /** @type {any} */ (offerer.session.link(answerer.session.peerId)?.pc);
    assert.match(pc.remoteCandidates[0].candidate, /^candidate:1 /);
    // End-of-candidates may still be on its way through the server.
    for (let i = 0; i < 250 && pc.remoteCandidates.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(pc.remoteCandidates.slice(1), [null]);
  });

  test("trickle: false sends complete descriptions and no candidate messages", async () => {
    const { offerer, answerer } = await pair({ trickle: false }, { trickle: false });
    for (const [side, kind] of /** @type {const} */ ([[offerer, "offer"], [answerer, "answer"]])) {
      assert.deepEqual(side.relayed.map((r) => r.type), [kind]);
      assert.match(side.relayed[0].body.sdp, /^a=candidate:1 1 udp /m);
    }
  });

  test("a trickling session and a complete one connect, in either role", async () => {
    const { offerer, answerer } = await pair({ trickle: false }, {});
    const trickling = [offerer, answerer].find((s) => s.session.trickle);
    assert.ok(trickling?.relayed.some((r) => r.type === "candidate"));
  });

  test("candidates that come while the description is applied are held, then added", async () => {
    // Applying a description takes 100 ms: the other side's candidates,
    // sent right after it, arrive meanwhile (a browser would refuse them).
    FakePeerConnection.remoteDelay = 100;
    const { offerer, answerer } = await pair();
    for (const [x, y] of [[offerer, answerer], [answerer, offerer]]) {
      const pc = /** @type {any} */ (x.session.link(y.session.peerId)?.pc);
      assert.equal(pc.remoteCandidates.filter((/** @type {any} */ c) => c !== null).length, 1);
    }
  });

  test("with trickle a description does not wait for gathering to complete", async () => {
    room++;
    FakePeerConnection.gathers = false;
    // Were it waited for, no link would open before the test's bound.
    const a = join("a", { gatherTimeout: 60 });
    await a.session.start();
    const b = join("b", { gatherTimeout: 60 });
    await b.session.start();
    for (const [x, y] of [[a, b], [b, a]]) {
      await x.events.wait((e) => e.event === "peer-connected" && e.peer === y.session.peerId, 10);
    }
    assert.ok(!a.relayed.some((r) => r.type === "candidate" && r.body.candidate === null));
  });

  test("hostile candidates are refused with the reason and the link goes on", async () => {
    FakePeerConnection.gathers = false; // no end-of-candidates: candidates stay welcome
    const { offerer, answerer } = await pair();
    const to = answerer.session.peerId;
    const link = /** @type {import("../src/session/link.js").PeerLink} */ (answerer.session.link(offerer.session.peerId));
    const warnings = /** @type {string[]} */ ([]);
    const warn = console.warn;
    console.warn = (...args) => warnings.push(args.map(String).join(" "));
    try {
      // Through the server (which refuses what it cannot relay: wrong types,
      // lines over 1024 characters) and straight in, as a server passing
      // anything along would.
      offerer.session.signaling.relay("candidate", to, { candidate: { candidate: "candidate:nonsense", sdpMid: "0" } });
      offerer.session.signaling.relay("candidate", to, { candidate: { candidate: "x".repeat(5000), sdpMid: "0" } });
      const direct = [[1, 2], "x", { candidate: 5, sdpMid: "0" }, { candidate: "y".repeat(1_000_000), sdpMid: "0" }];
      for (const body of direct) answerer.session._onSignal({ type: "candidate", from: offerer.session.peerId, candidate: body });
      answerer.session._onSignal({ type: "candidate", from: "nobody", candidate: null });
      // Something valid after them, on the bus.
      /** @type {Inbox<string>} */
      const got = new Inbox();
      answerer.session.bus.subscribe("test.after", () => got.push("after"));
      offerer.session.bus.publish("test.after", new Uint8Array([1]), { to });
      await got.wait((x) => x === "after");
      // The one the server relayed is refused by the browser (here, the fake).
      for (let i = 0; i < 250 && warnings.length < 6; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(answerer.session.connected, [offerer.session.peerId]);
      // Well formed but too many: the link takes 64 in all (counting the
      // offerer's own and the line the browser refused).
      for (let i = 2; i < 64; i++) await link.addCandidate({ candidate: `candidate:1 1 udp 1 127.0.0.1 ${9 + i} typ host`, sdpMid: "0" });
      answerer.session._onSignal({ type: "candidate", from: offerer.session.peerId, candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 8 typ host", sdpMid: "0" } });
      await link.addCandidate(null).catch(() => undefined); // let the refusal above be logged first
      assert.deepEqual(answerer.session.connected, [offerer.session.peerId]);
    } finally {
      console.warn = warn;
    }
    const refused = warnings.filter((w) => w.startsWith("session: candidate refused")).map((w) => w.split(" ").slice(5).join(" "));
    assert.deepEqual(refused, [
      "'candidate' is an array, not an object or null",
      "'candidate' is string, not an object or null",
      "'candidate.candidate' is number, not a string",
      "candidate line of 1000000 characters, at most 1024",
      "the browser refused it: OperationError: not a candidate line",
      "more than 64 candidates on one connection",
    ]);
    assert.ok(warnings.some((w) => w === "session: candidate ignored from nobody (no connection to that peer)"));
  });

  test("a description goes out after gatherTimeout when gathering never completes (trickle: false)", async () => {
    room++;
    FakePeerConnection.gathers = false;
    const a = join("a", { gatherTimeout: 0.2, trickle: false });
    await a.session.start();
    const b = join("b", { gatherTimeout: 0.2, trickle: false });
    await b.session.start();
    for (const [x, y] of [[a, b], [b, a]]) {
      await x.events.wait((e) => e.event === "peer-connected" && e.peer === y.session.peerId, 5);
    }
    assert.equal(a.session.link(b.session.peerId)?.pc.iceGatheringState, "gathering");
  });

  test("a link that never opens is retried with backoff, then given up", async () => {
    room++;
    FakePeerConnection.opens = false;
    const options = { connectTimeout: 0.2, maxRetries: 2, retryBackoff: { initial: 0.05, maximum: 0.1 } };
    const a = join("a", options);
    await a.session.start();
    const b = join("b", options);
    await b.session.start();
    const offerer = isOfferer(a.session.peerId, b.session.peerId) ? a : b;
    const final = await offerer.events.wait((e) => e.event === "link-failed" && e.final, 10);
    assert.equal(final.reason, "gave-up");
    const failures = offerer.events.items.filter((e) => e.event === "link-failed");
    assert.deepEqual(failures.map((e) => [e.reason, e.attempt]), [["timeout", 1], ["timeout", 2], ["timeout", 3], ["gave-up", 3]]);
  });

  test("ICE servers come from the welcome and reach every peer connection", async () => {
    const turn = await startServer(["--turn-url", "turn:127.0.0.1:3478"]);
    try {
      const make = (/** @type {string} */ name, /** @type {Inbox<any>} */ inbox) =>
        new Session(turn.url, "ice", { name, WebSocket, RTCPeerConnection: /** @type {any} */ (FakePeerConnection), onEvent: inbox.push });
      const events = new Inbox();
      const first = make("a", events);
      const second = make("b", new Inbox());
      sessions.push(first, second);
      await first.start();
      const relay = first.iceServers.find((server) => server.urls.includes("turn:127.0.0.1:3478"));
      assert.equal(typeof relay?.credential, "string");
      assert.equal(typeof relay?.username, "string");
      await second.start();
      await events.wait((e) => e.event === "peer-connected");
      const pc = /** @type {any} */ (first.link(second.peerId)?.pc);
      assert.deepEqual(pc.config.iceServers, first.iceServers);
      assert.equal(pc.config.bundlePolicy, "max-bundle");
      assert.equal(pc.config.iceTransportPolicy, "all");
    } finally {
      await Promise.all(sessions.splice(0).map((s) => s.close()));
      await turn.stop();
    }
  });

  /** Refuses what browsers refuse: a TURN URL without username and credential. */
  class PickyPeerConnection extends FakePeerConnection {
    /** @param {any} config */
    constructor(config) {
      for (const server of config.iceServers ?? []) {
        if (server.urls.some((/** @type {string} */ u) => u.startsWith("turn")) && server.credential === undefined) {
          throw new DOMException("Both username and credential are required when the URL scheme is \"turn\"", "InvalidAccessError");
        }
      }
      super(config);
    }
  }

  test("an ICE server the browser refuses costs that server, not the links", async () => {
    const options = { RTCPeerConnection: /** @type {any} */ (PickyPeerConnection), retryBackoff: { initial: 0.01, maximum: 0.01 } };
    const { offerer: a, answerer: b } = await pair(options, options);
    // As a welcome or an ice-servers message from a misconfigured server would set them.
    const stun = { urls: ["stun:127.0.0.1:3478"] };
    for (const { session } of [a, b]) session.iceServers = [{ urls: ["turn:127.0.0.1:3478"] }, stun];
    /** @type {string[]} */
    const warned = [];
    const warn = console.warn;
    console.warn = (...args) => warned.push(args.join(" "));
    try {
      // The link drops; the offerer's next one is made with those servers.
      /** @type {any} */ (a.session.link(b.session.peerId)?.pc).close();
      for (const [x, y] of [[a, b], [b, a]]) {
        const connected = () => x.events.items.filter((e) => e.event === "peer-connected" && e.peer === y.session.peerId);
        await x.events.wait(() => connected().length === 2);
      }
    } finally {
      console.warn = warn;
    }
    for (const [x, y] of [[a, b], [b, a]]) {
      assert.deepEqual(x.session.iceServers, [stun]);
      assert.deepEqual(/** @type {any} */ (x.session.link(y.session.peerId)?.pc).config.iceServers, [stun]);
    }
    assert.ok(warned.some((w) => w.includes("ice server refused by the browser, skipped: turn:127.0.0.1:3478")), warned.join("\n"));
  });

  test("a peer connection that cannot be made is reported as a failed link, in either role", async () => {
    room++;
    /** Throws as a browser without WebRTC would, while `flag.on`. @param {{ on: boolean }} flag */
    const unmakeable = (flag) =>
      class extends FakePeerConnection {
        /** @param {any} config */
        constructor(config) {
          if (flag.on) throw new DOMException("no peer connections here", "NotSupportedError");
          super(config);
        }
      };
    const flags = [{ on: true }, { on: true }];
    const [a, b] = flags.map((flag, i) =>
      join(`p${i}`, { RTCPeerConnection: /** @type {any} */ (unmakeable(flag)), maxRetries: 100, retryBackoff: { initial: 0.01, maximum: 0.02 } }),
    );
    await a.session.start();
    await b.session.start();
    const [offerer, answerer] = isOfferer(a.session.peerId, b.session.peerId) ? [a, b] : [b, a];
    const failed = (/** @type {typeof a} */ x, /** @type {typeof a} */ y) =>
      x.events.wait((e) => e.event === "link-failed" && e.peer === y.session.peerId && /no peer connections here/.test(String(e.error)), 10);
    // The offerer cannot make its link: reported, and tried again.
    const stun = { urls: ["stun:127.0.0.1:3478"] };
    offerer.session.iceServers = [stun];
    const first = await failed(offerer, answerer);
    await offerer.events.wait((e) => e.event === "link-failed" && e !== first && Number(e.attempt) > Number(first.attempt));
    // Every entry failed alone too, for a cause that is not theirs: none dropped.
    assert.deepEqual(offerer.session.iceServers, [stun]);
    // Once it can, the answerer cannot take the offer: reported there too.
    flags[offerer === a ? 0 : 1].on = false;
    await failed(answerer, offerer);
  });
});
