// The Bus over in-memory channel pairs: topics, both channels, batching,
// chunking, compression and its ordering, queues, liveness. The frames it
// writes are checked against the same vectors as the Python Bus.
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";

import { Bus, BusFull, UnknownPeer, messageJson } from "../src/bus/bus.js";
import { FLAG_DEFLATE, FLAG_JSON, batchFrame, deflate, encodeEntry, pingFrame } from "../src/bus/wire.js";
import { Inbox } from "./server.js";
import { busPair, channelPair } from "./memory-channel.js";
import { fromHex, toHex, vectors } from "./vectors.js";

/** @type {Bus[]} */
const buses = [];
afterEach(() => {
  for (const bus of buses.splice(0)) bus.close();
});

/**
 * @param {Partial<import("../src/bus/bus.js").BusConfig>} [config]
 * @param {{ onPeerDead?: (peerId: string) => void }} [options]
 */
function pair(config, options) {
  const p = busPair(Bus, config, options);
  buses.push(p.a, p.b);
  return p;
}

/**
 * An inbox subscribed to `topic` on `bus`.
 * @param {Bus} bus
 * @param {string} topic
 */
function inbox(bus, topic) {
  /** @type {Inbox<import("../src/bus/bus.js").Message>} */
  const box = new Inbox();
  bus.subscribe(topic, box.push);
  return box;
}

/**
 * @param {Inbox<any>} box
 * @param {number} n
 */
function count(box, n) {
  return box.wait(() => box.items.length >= n, 10).then(() => box.items);
}

const text = new TextEncoder();

test("messages on both channels, JSON, to one peer; the sender is stamped", async () => {
  const { a, b } = pair();
  const say = inbox(b, "chat.say");
  const cursor = inbox(b, "presence.cursor");
  assert.equal(a.publishJson("chat.say", { text: "hello" }), 1);
  a.publish("presence.cursor", new Uint8Array([1, 2]), { reliable: false, to: "b" });
  const [message] = await count(say, 1);
  assert.deepEqual(messageJson(message), { text: "hello" });
  assert.equal(message.sender, "a");
  assert.equal(message.reliable, true);
  assert.equal(message.flags, FLAG_JSON);
  const [moved] = await count(cursor, 1);
  assert.deepEqual([...moved.payload], [1, 2]);
  assert.equal(moved.reliable, false);
  assert.throws(() => a.publish("chat.say", new Uint8Array(), { to: "nobody" }), UnknownPeer);
  assert.throws(() => a.publish("no topic", new Uint8Array()), TypeError);
});

test("a task's messages share one frame; unknown topics are counted, not delivered", async () => {
  const { a, b, channels } = pair();
  const say = inbox(b, "chat.say");
  for (let i = 0; i < 500; i++) a.publishJson("chat.say", i);
  a.publishJson("nobody.listens", 1);
  assert.deepEqual((await count(say, 500)).map(messageJson), [...Array(500).keys()]);
  assert.equal(channels.ra.sent.length, 1);
  assert.equal(a.counters.messagesSent, 501);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(b.counters.unknownTopics, 1);
});

test("1 MB through chunking, both ways", async () => {
  const { a, b, channels } = pair();
  const big = new Uint8Array(1 << 20).map((_, i) => (i * 7) % 251);
  const atB = inbox(b, "doc.state");
  const atA = inbox(a, "doc.state");
  a.publish("doc.state", big);
  b.publish("doc.state", big);
  const [one] = await count(atB, 1);
  const [two] = await count(atA, 1);
  assert.deepEqual(one.payload, big);
  assert.deepEqual(two.payload, big);
  assert.equal(channels.ra.sent.length, Math.ceil((big.length + 8) / (65_536 - 18)));
  assert.ok(channels.ra.sent.every((frame) => frame.length <= 65_536));
});

test("compressed payloads arrive as published, in order with the messages after them", async () => {
  const { a, b, channels } = pair();
  const doc = inbox(b, "doc.state");
  const state = text.encode('{"id":"button","props":{"label":"OK"}},'.repeat(2000));
  await a.send("doc.state", state, { compress: true });
  a.publish("doc.state", text.encode("after"));
  const [first, second] = await count(doc, 2);
  assert.deepEqual(first.payload, state);
  assert.equal(first.flags & FLAG_DEFLATE, 0);
  assert.equal(new TextDecoder().decode(second.payload), "after");
  assert.ok(channels.ra.sent[0].length < state.length / 10);

  // One frame: a compressed entry, then plain ones. Inflating takes a few
  // tasks, and the plain ones must still come after it.
  const packed = await deflate(text.encode("first"));
  const frame = batchFrame([
    encodeEntry("doc.state", packed, FLAG_DEFLATE),
    encodeEntry("doc.state", text.encode("second")),
    encodeEntry("doc.state", text.encode("third")),
  ]);
  channels.rb.inject(frame.buffer);
  const all = await count(doc, 5);
  assert.deepEqual(all.slice(2).map((m) => new TextDecoder().decode(m.payload)), ["first", "second", "third"]);
});

test("a bad compressed payload is dropped alone", async () => {
  const { b, channels } = pair();
  const doc = inbox(b, "doc.state");
  const frame = batchFrame([
    encodeEntry("doc.state", new Uint8Array([0xff, 0xff]), FLAG_DEFLATE),
    encodeEntry("doc.state", text.encode("still here")),
  ]);
  channels.rb.inject(frame.buffer);
  const [only] = await count(doc, 1);
  assert.equal(new TextDecoder().decode(only.payload), "still here");
  assert.equal(b.counters.malformedFrames, 1);
});

test("malformed frames are counted; the channel carries on", async () => {
  const { a, b, channels } = pair();
  const say = inbox(b, "chat.say");
  channels.rb.inject("a text frame");
  channels.rb.inject(new Uint8Array([1, 1, 0, 0, 0]).buffer);
  channels.rb.inject(new Uint8Array(262_145).buffer);
  a.publishJson("chat.say", "ok");
  await count(say, 1);
  assert.equal(b.counters.malformedFrames, 2);
  assert.equal(b.counters.oversizedFrames, 1);
});

test("unordered: the newest message per topic wins while the channel is full", async () => {
  const { a, b, channels } = pair({ highWater: 1024, lowWater: 512 });
  const cursor = inbox(b, "presence.cursor");
  const other = inbox(b, "presence.status");
  channels.ua.pause();
  a.publish("presence.cursor", new Uint8Array(2000), { reliable: false }); // fills the channel
  await new Promise((resolve) => setTimeout(resolve, 5));
  for (let i = 0; i < 10; i++) a.publish("presence.cursor", new Uint8Array([i]), { reliable: false });
  a.publish("presence.status", new Uint8Array([9]), { reliable: false });
  await new Promise((resolve) => setTimeout(resolve, 5));
  channels.ua.resume();
  const got = await count(cursor, 2);
  await count(other, 1);
  assert.deepEqual([...got[1].payload], [9]);
  assert.equal(a.counters.replaced, 9);
});

test("reliable: a full queue refuses publish, send() waits for room, nothing is lost", async () => {
  const { a, b, channels } = pair({ reliableQueueBytes: 4096, highWater: 1024, lowWater: 512 });
  const doc = inbox(b, "doc.update");
  channels.ra.pause();
  a.publish("doc.update", new Uint8Array(3000));
  await new Promise((resolve) => setTimeout(resolve, 5)); // the first frame fills the channel
  a.publish("doc.update", new Uint8Array(3000));
  assert.throws(() => a.publish("doc.update", new Uint8Array(3000)), BusFull);
  const waiting = a.send("doc.update", new Uint8Array(3000));
  channels.ra.resume();
  await waiting;
  await a.drain();
  assert.equal((await count(doc, 3)).length, 3);
});

test("liveness: pings measure the round trip; a silent peer is reported dead", async () => {
  /** @type {Inbox<string>} */
  const dead = new Inbox();
  const { a, channels } = pair({ pingInterval: 0.05, rttInterval: 0.1, deadAfter: 0.3 }, { onPeerDead: dead.push });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const rtt = a.rtt("b");
  assert.ok(rtt !== null && rtt >= 0 && rtt < 1, `rtt ${rtt}`);
  assert.deepEqual(dead.items, []);
  channels.ub.pause(); // b's pongs stop reaching a
  channels.rb.pause();
  assert.equal(await dead.wait((peer) => peer === "b", 5), "b");
});

test("a peer's pings are answered only while our channel has room", async () => {
  const { b, channels } = pair({ highWater: 1024, lowWater: 512, pingInterval: 60, rttInterval: 60 });
  const pongs = () => channels.ub.sent.length;
  channels.ub.inject(pingFrame(1).slice().buffer); // a ping from a, reaching b
  assert.equal(pongs(), 1);
  // b's end stops draining (a peer that stops reading) and fills up.
  channels.ub.pause();
  channels.ub.bufferedAmount = 1024;
  for (let i = 0; i < 100; i++) channels.ub.inject(pingFrame(i).slice().buffer);
  assert.equal(pongs(), 1, "pongs queued past the high-water mark");
  assert.equal(b.counters.malformedFrames, 0);
});

describe("the frames a Bus sends are the Python Bus's (conformance/bus_frames.json)", () => {
  for (const { name, maxFrameSize, messages, frames } of vectors("bus_frames.json").batches) {
    test(name, async () => {
      const [ours] = channelPair("bus");
      const [unordered] = channelPair("bus-unordered");
      const bus = new Bus({ maxFrameSize });
      buses.push(bus);
      bus.addPeer("them", ours, unordered);
      for (const { topic, flags, payload } of messages) bus.publish(topic, fromHex(payload), { flags });
      await bus.drain();
      assert.deepEqual(ours.sent.map(toHex), frames);
    });
  }
});
