// The bus wire format against conformance/bus_frames.json: the same vectors
// tests/test_conformance_bus.py checks against avacollab/bus/wire.py.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  BatchWriter,
  FrameError,
  HEADER_SIZE,
  INFLATE_SLICE,
  Reassembler,
  batchFrame,
  checkTopic,
  chunkFrames,
  decodeEntry,
  decodeFrame,
  deflate,
  encodeEntry,
  encodeVarUint,
  entryPrefix,
  entrySize,
  inflate,
  pingFrame,
  pongFrame,
  readVarUint,
} from "../src/bus/wire.js";
import { fromHex, toHex, vectors } from "./vectors.js";

const V = vectors("bus_frames.json");

/** @param {import("../src/bus/wire.js").Entry} entry */
function describeEntry(entry) {
  return { topic: entry.topic, flags: entry.flags, payload: toHex(entry.payload) };
}

/** @param {import("../src/bus/wire.js").Frame} frame */
function describeFrame(frame) {
  if (frame.kind === "batch") return { kind: "batch", entries: frame.entries.map(describeEntry) };
  if (frame.kind === "chunk") {
    const { messageId, index, count, total } = frame;
    return { kind: "chunk", messageId, index, count, total, data: toHex(frame.data) };
  }
  return { kind: frame.kind, token: frame.token };
}

/**
 * @param {() => unknown} fn
 * @param {string} code
 */
function throwsCode(fn, code) {
  assert.throws(fn, (/** @type {unknown} */ error) => {
    assert.ok(error instanceof FrameError, `expected a FrameError, got ${error}`);
    assert.equal(error.code, code);
    return true;
  });
}

describe("varuints", () => {
  for (const { value, hex } of V.varuints) {
    test(`${value}`, () => {
      assert.equal(toHex(encodeVarUint(value)), hex);
      assert.deepEqual(readVarUint(fromHex(hex), 0), [value, hex.length / 2]);
    });
  }
  test("out of range values are not encoded", () => {
    assert.throws(() => encodeVarUint(-1), RangeError);
    assert.throws(() => encodeVarUint(2 ** 32), RangeError);
    assert.throws(() => encodeVarUint(1.5), RangeError);
  });
});

describe("frames decode", () => {
  for (const { name, hex, frame } of V.frames) {
    test(name, () => {
      const data = fromHex(hex);
      assert.deepEqual(describeFrame(decodeFrame(data)), frame);
      if (frame.kind === "ping") assert.equal(toHex(pingFrame(frame.token)), hex);
      if (frame.kind === "pong") assert.equal(toHex(pongFrame(frame.token)), hex);
      if (frame.kind === "batch") {
        // Re-encoding leaves a repeated topic out exactly when flags and topic repeat.
        const entries = frame.entries.map((/** @type {any} */ e) => encodeEntry(e.topic, fromHex(e.payload), e.flags));
        const again = decodeFrame(batchFrame(entries));
        assert.deepEqual(describeFrame(again), frame);
      }
    });
  }
  test("a frame inside a larger buffer (a view with an offset) decodes the same", () => {
    const { hex, frame } = V.frames.find((/** @type {any} */ c) => c.frame.kind === "pong");
    const padded = new Uint8Array(hex.length / 2 + 7);
    padded.set(fromHex(hex), 3);
    assert.deepEqual(describeFrame(decodeFrame(padded.subarray(3, 3 + hex.length / 2))), frame);
  });
});

describe("frames refused", () => {
  for (const { name, hex, reason } of V.refused) {
    test(`${name}: ${reason}`, () => throwsCode(() => decodeFrame(fromHex(hex)), reason));
  }
});

describe("what a sender writes", () => {
  for (const { name, maxFrameSize, messages, frames } of V.batches) {
    test(name, () => {
      // The Bus's rule: an entry (topic named) that does not fit a batch
      // frame is chunked; message ids count from 0.
      const writer = new BatchWriter(maxFrameSize);
      let messageId = 0;
      for (const { topic, flags, payload } of messages) {
        const bytes = fromHex(payload);
        const prefix = entryPrefix(topic, flags);
        if (entrySize(prefix, bytes.length) > maxFrameSize - HEADER_SIZE) {
          writer.addFrames(chunkFrames(encodeEntry(topic, bytes, flags), messageId++, maxFrameSize));
        } else {
          writer.add(prefix, bytes);
        }
      }
      const sent = [];
      let size = writer.size;
      for (let frame = writer.pop(); frame !== null; frame = writer.pop()) {
        sent.push(toHex(frame[0]));
        size -= frame[0].length;
      }
      assert.deepEqual(sent, frames);
      assert.equal(size, 0, "size counts every byte held");
      assert.equal(writer.size, 0);
    });
  }
  test("an entry too big for a frame is refused by the writer", () => {
    const writer = new BatchWriter(64);
    assert.throws(() => writer.add(entryPrefix("a.b"), new Uint8Array(58)), RangeError);
  });
  test("pop counts the messages a frame completes", () => {
    const writer = new BatchWriter(64);
    writer.add(entryPrefix("a.b"), new Uint8Array(1));
    writer.add(entryPrefix("a.b"), new Uint8Array(1));
    writer.addFrames(chunkFrames(encodeEntry("a.b", new Uint8Array(100)), 0, 64));
    const counts = [];
    for (let frame = writer.pop(); frame !== null; frame = writer.pop()) counts.push(frame[1]);
    assert.deepEqual(counts, [2, 0, 0, 1]);
  });
});

describe("reassembly", () => {
  for (const { name, limits, steps, evicted, pending, buffered } of V.reassembly) {
    test(name, () => {
      const reassembler = new Reassembler(limits);
      for (const step of steps) {
        const chunk = decodeFrame(fromHex(step.chunk));
        assert.equal(chunk.kind, "chunk");
        if (chunk.kind !== "chunk") return;
        if (step.reason) {
          throwsCode(() => reassembler.add(chunk), step.reason);
          continue;
        }
        const entry = reassembler.add(chunk);
        assert.deepEqual(entry === null ? null : describeEntry(entry), step.entry);
      }
      assert.equal(reassembler.evicted, evicted);
      assert.equal(reassembler.size, pending);
      assert.equal(reassembler.buffered, buffered);
    });
  }
  test("a message incomplete after the timeout is evicted", () => {
    let now = 100;
    const reassembler = new Reassembler({ maxMessageSize: 1024, timeout: 30, clock: () => now });
    const frames = chunkFrames(encodeEntry("a.b", new Uint8Array(80)), 5, 64);
    const first = decodeFrame(frames[0]);
    const second = decodeFrame(frames[1]);
    if (first.kind !== "chunk" || second.kind !== "chunk") throw new Error("chunks expected");
    assert.equal(reassembler.add(first), null);
    now += 30.5;
    assert.equal(reassembler.expire(), 1);
    assert.equal(reassembler.evicted, 1);
    assert.equal(reassembler.buffered, 0);
    // The late piece starts a message of its own, which never completes.
    assert.equal(reassembler.add(second), null);
    assert.equal(reassembler.size, 1);
  });
});

describe("compressed payloads", () => {
  // Node 20's DecompressionStream (zlib underneath) ignores bytes after the
  // end of the DEFLATE stream, where browsers refuse them ("junk"); the
  // browser test checks that vector. Everything else holds in both.
  const nodeIgnoresTrailing = typeof process !== "undefined";
  for (const { name, hex, limit, payload, reason } of V.inflate) {
    const trailing = reason === "deflate-incomplete" && name.includes("after the end");
    test(name, { skip: trailing && nodeIgnoresTrailing ? "Node's DecompressionStream accepts trailing bytes" : false }, async () => {
      if (reason === undefined) {
        assert.equal(toHex(await inflate(fromHex(hex), limit)), payload);
        return;
      }
      await assert.rejects(inflate(fromHex(hex), limit), (/** @type {unknown} */ error) => {
        assert.ok(error instanceof FrameError);
        // Python says "truncated or followed by extra bytes" for both.
        const codes = reason === "deflate-incomplete" ? ["deflate-truncated", "deflate-trailing"] : [reason];
        assert.ok(codes.includes(error.code), `${error.code} is not one of ${codes}`);
        return true;
      });
    });
  }
  test("deflate then inflate gives the payload back", async () => {
    const payload = new TextEncoder().encode('{"id":"button","props":{"label":"OK"}},'.repeat(500));
    const packed = await deflate(payload);
    assert.ok(packed.length < payload.length / 10, `${packed.length} bytes`);
    assert.deepEqual(await inflate(packed, payload.length), payload);
  });
  test("inflating stops at the limit, not at the end of the output", async () => {
    // 64 MiB of zeros compress to about 64 KiB; a 1 MiB limit must not
    // make the receiver hold the whole output first.
    const packed = await deflate(new Uint8Array(64 << 20));
    const before = process.memoryUsage().arrayBuffers;
    await assert.rejects(inflate(packed, 1 << 20), { code: "deflate-too-large" });
    assert.ok(process.memoryUsage().arrayBuffers - before < 32 << 20);
  });
  test("the payload goes to the decompressor by slices, and no more once past the limit", async () => {
    // Browsers inflate a written chunk whole before it can be read (Node
    // does not, so the test above cannot tell): what bounds the receiver's
    // memory there is how much compressed input reaches the decompressor.
    const packed = await deflate(new Uint8Array(64 << 20));
    const Real = globalThis.DecompressionStream;
    /** @type {number[]} */
    const writes = [];
    globalThis.DecompressionStream = /** @type {any} */ (
      class {
        /** @param {CompressionFormat} format */
        constructor(format) {
          const real = new Real(format);
          const writer = real.writable.getWriter();
          this.readable = real.readable;
          this.writable = new WritableStream({
            write: (/** @type {Uint8Array<ArrayBuffer>} */ chunk) => {
              writes.push(chunk.length);
              return writer.write(chunk);
            },
            close: () => writer.close(),
            abort: (reason) => writer.abort(reason),
          });
        }
      }
    );
    try {
      await assert.rejects(inflate(packed, 1 << 20), { code: "deflate-too-large" });
    } finally {
      globalThis.DecompressionStream = Real;
    }
    assert.ok(writes.every((n) => n <= INFLATE_SLICE), `writes of ${writes}`);
    // One slice of zeros' DEFLATE inflates past 1 MiB: a few slices went in
    // (those the streams' queues hold), not the 64 KiB written whole before.
    const fed = writes.reduce((a, b) => a + b, 0);
    assert.ok(fed <= 4 * INFLATE_SLICE && fed < packed.length / 2, `${fed} of ${packed.length} bytes fed`);
  });
});

describe("topics", () => {
  for (const topic of V.topics.accepted) {
    test(`accepts ${JSON.stringify(topic).slice(0, 40)}`, () => {
      checkTopic(topic);
    });
  }
  for (const topic of V.topics.refused) {
    test(`refuses ${JSON.stringify(topic).slice(0, 40)}`, () => assert.throws(() => checkTopic(topic), TypeError));
  }
  test("refuses a lone surrogate (Python cannot encode one)", () => {
    assert.throws(() => checkTopic("a.\ud800"), TypeError);
  });
});

test("decodeEntry reads exactly one entry", () => {
  assert.deepEqual(describeEntry(decodeEntry(encodeEntry("a.b", fromHex("01"), 1))), {
    topic: "a.b",
    flags: 1,
    payload: "01",
  });
  throwsCode(() => decodeEntry(new Uint8Array([...encodeEntry("a.b", fromHex("01")), 0])), "truncated-header");
});
