// Messages too big for one frame: cutting an entry into chunk frames, and the
// Reassembler that joins them again under hard limits.
//
// Pure code, no I/O: the JavaScript twin of avacollab/bus/chunks.py
// (docs/protocol.md part 2).

import { CHUNK_HEADER_SIZE, FrameError, KIND_CHUNK, VERSION, decodeEntry } from "./wire.js";

/**
 * @typedef {import("./wire.js").ChunkFrame} ChunkFrame
 * @typedef {import("./wire.js").Entry} Entry
 */

/**
 * Cut one encoded entry into chunk frames of at most `maxFrameSize` bytes:
 * as few as fit, the bytes shared evenly (SCTP sends each frame as whole
 * packets, so a short last frame would cost a packet of its own).
 * @param {Uint8Array} entry
 * @param {number} messageId
 * @param {number} maxFrameSize
 * @returns {Uint8Array[]}
 */
export function chunkFrames(entry, messageId, maxFrameSize) {
  let step = maxFrameSize - CHUNK_HEADER_SIZE;
  if (step <= 0) throw new RangeError(`maxFrameSize ${maxFrameSize} leaves no room for chunk data`);
  const count = Math.ceil(entry.length / step);
  step = Math.ceil(entry.length / count);
  const frames = [];
  for (let index = 0; index < count; index++) {
    const data = entry.subarray(index * step, (index + 1) * step);
    const frame = new Uint8Array(CHUNK_HEADER_SIZE + data.length);
    const view = new DataView(frame.buffer);
    frame[0] = VERSION;
    frame[1] = KIND_CHUNK;
    view.setUint32(2, messageId >>> 0);
    view.setUint32(6, index);
    view.setUint32(10, count);
    view.setUint32(14, entry.length);
    frame.set(data, CHUNK_HEADER_SIZE);
    frames.push(frame);
  }
  return frames;
}

/**
 * @typedef {object} ReassemblerOptions
 * @property {number} maxMessageSize largest message (`total`) accepted
 * @property {number} [maxPartial] messages in reassembly at once (8); starting one more evicts the oldest
 * @property {number} [maxBuffered] bytes held over all of them (2 x maxMessageSize)
 * @property {number} [timeout] seconds before an incomplete message is evicted (30)
 * @property {() => number} [clock] seconds, monotonic (performance.now() / 1000)
 */

/**
 * Puts chunked messages back together, with bounded memory; one per sender
 * and channel. The limits are wire.py's Reassembler's. Chunks may arrive in
 * any order (the unordered channel reorders).
 */
export class Reassembler {
  /** @param {ReassemblerOptions} options */
  constructor({ maxMessageSize, maxPartial = 8, maxBuffered, timeout = 30, clock = () => performance.now() / 1000 }) {
    this.maxMessageSize = maxMessageSize;
    this.maxPartial = maxPartial;
    this.maxBuffered = maxBuffered ?? 2 * maxMessageSize;
    this.timeout = timeout;
    this._clock = clock;
    /** @type {Map<number, {count: number, total: number, started: number, pieces: Map<number, Uint8Array>, size: number}>} oldest first */
    this._partials = new Map();
    this._buffered = 0;
    /** Messages given up (evicted or dropped for a broken rule). */
    this.evicted = 0;
  }

  /** Bytes currently held for incomplete messages. */
  get buffered() {
    return this._buffered;
  }

  /** Messages in reassembly. */
  get size() {
    return this._partials.size;
  }

  /**
   * Add a chunk; return the message when it is complete. Throws a FrameError
   * when the chunk breaks a limit or contradicts earlier chunks of its
   * message; that message is then dropped.
   * @param {ChunkFrame} chunk
   * @returns {Entry | null}
   */
  add(chunk) {
    this.expire();
    if (chunk.total > this.maxMessageSize) {
      throw new FrameError(
        "message-too-large",
        `chunked message of ${chunk.total} bytes exceeds the limit of ${this.maxMessageSize}`,
      );
    }
    const id = chunk.messageId;
    let partial = this._partials.get(id);
    if (partial === undefined) {
      while (this._partials.size >= this.maxPartial) this._drop(this._partials.keys().next().value ?? 0);
      partial = { count: chunk.count, total: chunk.total, started: this._clock(), pieces: new Map(), size: 0 };
      this._partials.set(id, partial);
    }
    if (partial.count !== chunk.count || partial.total !== chunk.total) {
      this._drop(id);
      throw new FrameError("chunk-mismatch", `chunk of message ${id} contradicts earlier chunks`);
    }
    if (partial.pieces.has(chunk.index)) {
      this._drop(id);
      throw new FrameError("chunk-duplicate", `duplicate chunk ${chunk.index} of message ${id}`);
    }
    if (partial.size + chunk.data.length > partial.total) {
      this._drop(id);
      throw new FrameError("chunk-overflow", `chunks of message ${id} exceed its stated size`);
    }
    if (this._buffered + chunk.data.length > this.maxBuffered) {
      this._drop(id);
      throw new FrameError("reassembly-full", `reassembly buffer full (${this.maxBuffered} bytes)`);
    }
    partial.pieces.set(chunk.index, chunk.data);
    partial.size += chunk.data.length;
    this._buffered += chunk.data.length;
    if (partial.pieces.size < partial.count) return null;
    this._partials.delete(id);
    this._buffered -= partial.size;
    if (partial.size !== partial.total) {
      throw new FrameError("chunk-short", `message ${id} is shorter than its stated size`);
    }
    const whole = new Uint8Array(partial.total);
    let offset = 0;
    for (let i = 0; i < partial.count; i++) {
      const piece = /** @type {Uint8Array} */ (partial.pieces.get(i));
      whole.set(piece, offset);
      offset += piece.length;
    }
    return decodeEntry(whole);
  }

  /** Evict messages older than the timeout; return how many. */
  expire() {
    const deadline = this._clock() - this.timeout;
    let stale = 0;
    for (const [id, partial] of this._partials) {
      if (partial.started < deadline) {
        this._drop(id);
        stale++;
      }
    }
    return stale;
  }

  clear() {
    this._partials.clear();
    this._buffered = 0;
  }

  /** @param {number} id */
  _drop(id) {
    const partial = this._partials.get(id);
    if (partial === undefined) return;
    this._partials.delete(id);
    this._buffered -= partial.size;
    this.evicted++;
  }
}

