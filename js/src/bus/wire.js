// The bus wire format: frames carried in data-channel messages.
//
// Pure code, no I/O: the JavaScript twin of avacollab/bus/wire.py, following
// docs/protocol.md part 2 byte for byte. conformance/bus_frames.json holds
// frames with their bytes (and frames that must be refused, with the reason);
// both implementations are tested against it.
//
// A frame starts with `version u8 | kind u8`. A message *entry* is
// `flags u8 | topic_len u8 | topic | payload_len varuint | payload`; a batch
// frame is the header and one or more entries, an entry whose flags and topic
// repeat the previous one's leaving the topic out (topic_len 0). An entry too
// big for one frame travels as chunk frames that a Reassembler joins again
// under hard limits. Anything malformed throws a FrameError whose `code` is
// stable (the `reason` of the conformance vectors).

import * as encoding from "lib0/encoding";

// The names this module has always offered (the `wire` namespace of index.js).
export { Reassembler, chunkFrames } from "./chunks.js";
export { INFLATE_SLICE, deflate, inflate } from "./deflate.js";

export const VERSION = 1;
export const KIND_BATCH = 1;
export const KIND_CHUNK = 2;
export const KIND_PING = 3;
export const KIND_PONG = 4;

/** Message flag: the payload is UTF-8 JSON. */
export const FLAG_JSON = 0x01;
/** Message flag: the payload is raw DEFLATE (RFC 1951). Other bits are reserved. */
export const FLAG_DEFLATE = 0x02;

export const MAX_TOPIC_BYTES = 255;
/** The largest `payload_len` a frame may state (a 5-byte varuint at most). */
export const MAX_PAYLOAD_LEN = 0xffffffff;
export const HEADER_SIZE = 2;
export const CHUNK_HEADER_SIZE = HEADER_SIZE + 16; // message id, index, count, total
export const PING_FRAME_SIZE = HEADER_SIZE + 8;

/**
 * @typedef {{ topic: string, payload: Uint8Array, flags: number }} Entry
 * @typedef {{ kind: "batch", entries: Entry[] }} BatchFrame
 * @typedef {{ kind: "chunk", messageId: number, index: number, count: number, total: number, data: Uint8Array }} ChunkFrame
 * @typedef {{ kind: "ping", token: number } | { kind: "pong", token: number }} PingFrame
 * @typedef {BatchFrame | ChunkFrame | PingFrame} Frame
 */

/**
 * A frame (or a chunk sequence, or a compressed payload) that does not follow
 * the wire format. `code` is stable; the message says where and why.
 */
export class FrameError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = "FrameError";
    this.code = code;
  }
}

/** A message bigger than the configured maximum message size. */
export class MessageTooLarge extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "MessageTooLarge";
  }
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

// Two or more non-empty segments joined by dots; no whitespace or control
// characters, so a topic prints safely in logs. The class is spelled out
// because it must be wire.py's exactly: Python's \s (str.isspace) counts
// U+0085 and not U+FEFF, JavaScript's \s the other way round.
const NOT_TOPIC = "\\x00-\\x20.\\x7f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const TOPIC = new RegExp(`^[^${NOT_TOPIC}]+(?:\\.[^${NOT_TOPIC}]+)+$`, "u");
// Python cannot even encode a lone surrogate; TextEncoder would quietly turn it into U+FFFD.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Validate a topic (`plugin.event`) and return its UTF-8 bytes.
 * @param {string} topic
 * @returns {Uint8Array}
 */
export function checkTopic(topic) {
  if (
    typeof topic !== "string" ||
    !TOPIC.test(topic) ||
    LONE_SURROGATE.test(topic)
  ) {
    throw new TypeError(`invalid topic ${JSON.stringify(topic)}: expected 'plugin.event' without spaces`);
  }
  const raw = utf8.encode(topic);
  if (raw.length > MAX_TOPIC_BYTES) {
    throw new TypeError(`topic is ${raw.length} bytes, the limit is ${MAX_TOPIC_BYTES}`);
  }
  return raw;
}

/**
 * `value` as an unsigned LEB128 varint, shortest form (lib0's writeVarUint).
 * @param {number} value
 * @returns {Uint8Array}
 */
export function encodeVarUint(value) {
  if (!Number.isInteger(value) || value < 0 || value > MAX_PAYLOAD_LEN) {
    throw new RangeError(`a varuint cannot hold ${value}`);
  }
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, value);
  return encoding.toUint8Array(encoder);
}

/**
 * Decode the varuint at `pos`; return it and the position after it.
 *
 * Stricter than lib0's readVarUint on purpose: only the shortest form, at
 * most 5 bytes and 2^32-1 are valid, so every value has one encoding and a
 * hostile length cannot be large.
 * @param {Uint8Array} bytes
 * @param {number} pos
 * @returns {[number, number]}
 */
export function readVarUint(bytes, pos) {
  const start = pos;
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= bytes.length) throw new FrameError("truncated-varint", `truncated varint at byte ${start}`);
    const byte = bytes[pos++];
    value += (byte & 0x7f) * 2 ** shift; // not <<: past 2^31 it goes negative
    if (byte < 0x80) {
      if (byte === 0 && pos - start > 1) throw new FrameError("overlong-varint", `overlong varint at byte ${start}`);
      if (value > MAX_PAYLOAD_LEN) {
        throw new FrameError("varint-too-large", `varint at byte ${start} exceeds ${MAX_PAYLOAD_LEN}`);
      }
      return [value, pos];
    }
    shift += 7;
    if (shift > 28) throw new FrameError("varint-too-long", `varint at byte ${start} is longer than 5 bytes`);
  }
}

/** @type {Map<string, Uint8Array>} */
const prefixes = new Map();

/**
 * An entry's `flags`, `topic_len` and `topic` bytes (validated, cached: an
 * application uses a handful of topics). The same topic and flags always
 * give the same array, which BatchWriter relies on.
 * @param {string} topic
 * @param {number} [flags]
 * @returns {Uint8Array}
 */
export function entryPrefix(topic, flags = 0) {
  const key = `${flags}:${topic}`;
  let prefix = prefixes.get(key);
  if (prefix === undefined) {
    const raw = checkTopic(topic);
    if (!Number.isInteger(flags) || flags < 0 || flags > 0xff) {
      throw new RangeError(`flags must fit in one byte, got ${flags}`);
    }
    prefix = new Uint8Array(2 + raw.length);
    prefix[0] = flags;
    prefix[1] = raw.length;
    prefix.set(raw, 2);
    if (prefixes.size >= 1024) prefixes.clear(); // bounded, like wire.py's lru_cache
    prefixes.set(key, prefix);
  }
  return prefix;
}

/**
 * The size of an entry with its topic named: what decides whether it fits a
 * batch frame or is chunked.
 * @param {Uint8Array} prefix
 * @param {number} payloadLength
 */
export function entrySize(prefix, payloadLength) {
  return prefix.length + varUintSize(payloadLength) + payloadLength;
}

/** @param {number} value */
function varUintSize(value) {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/**
 * Encode one message entry (not yet a frame).
 * @param {string} topic
 * @param {Uint8Array} payload
 * @param {number} [flags]
 * @returns {Uint8Array}
 */
export function encodeEntry(topic, payload, flags = 0) {
  const encoder = encoding.createEncoder();
  encoding.writeUint8Array(encoder, entryPrefix(topic, flags));
  encoding.writeVarUint(encoder, payload.length);
  encoding.writeUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}

/**
 * The JSON payload encoding of the bus: compact UTF-8.
 * @param {unknown} value
 */
export function encodeJson(value) {
  return utf8.encode(JSON.stringify(value));
}

/**
 * Packs message entries into batch frames as they are published.
 *
 * Each entry goes into the frame being built, its topic left out when its
 * flags and topic repeat the previous entry's in that frame; an entry that
 * would take the frame past `maxFrameSize` starts the next one. addFrames()
 * queues ready-made frames (a chunked message's) after everything added
 * before them; pop() hands the frames out in order.
 */
export class BatchWriter {
  /** @param {number} maxFrameSize */
  constructor(maxFrameSize) {
    this.maxFrameSize = maxFrameSize;
    /** Bytes held: every queued frame and the one being built, headers included. */
    this.size = 0;
    /** @type {Array<[Uint8Array, number]>} frames with the messages they complete */
    this._frames = [];
    this._batch = newBatch();
    this._count = 0;
    /** @type {Uint8Array | null} */
    this._prefix = null;
  }

  /**
   * Write an entry: `prefix` from entryPrefix(), then the payload. The entry
   * must fit in a frame (entrySize + HEADER_SIZE <= maxFrameSize).
   * @param {Uint8Array} prefix
   * @param {Uint8Array} payload
   */
  add(prefix, payload) {
    const n = payload.length;
    if (this._count && this._prefix !== null && sameBytes(prefix, this._prefix)) {
      const wire = 2 + varUintSize(n) + n;
      if (encoding.length(this._batch) + wire <= this.maxFrameSize) {
        encoding.writeUint8(this._batch, prefix[0]);
        encoding.writeUint8(this._batch, 0);
        encoding.writeVarUint(this._batch, n);
        encoding.writeUint8Array(this._batch, payload);
        this._count++;
        this.size += wire;
        return;
      }
      this._seal();
    }
    // The first entry of a frame, or a new topic: the topic is named.
    let wire = entrySize(prefix, n);
    if (this._count && encoding.length(this._batch) + wire > this.maxFrameSize) this._seal();
    if (!this._count) {
      wire += HEADER_SIZE;
      if (wire > this.maxFrameSize) {
        throw new RangeError(`an entry of ${wire - HEADER_SIZE} bytes does not fit in a frame`);
      }
    }
    encoding.writeUint8Array(this._batch, prefix);
    encoding.writeVarUint(this._batch, n);
    encoding.writeUint8Array(this._batch, payload);
    this._prefix = prefix;
    this._count++;
    this.size += wire;
  }

  /**
   * Queue ready-made frames of one message after everything added so far.
   * Returns the bytes that `size` grew by.
   * @param {Uint8Array[]} frames
   */
  addFrames(frames) {
    if (!frames.length) throw new RangeError("a message has at least one frame");
    this._seal();
    let added = 0;
    frames.forEach((frame, i) => {
      // The message counts as sent with its last frame.
      this._frames.push([frame, i === frames.length - 1 ? 1 : 0]);
      added += frame.length;
    });
    this.size += added;
    return added;
  }

  /**
   * The next frame to send and how many messages it completes; null when empty.
   * @returns {[Uint8Array, number] | null}
   */
  pop() {
    const queued = this._frames.shift();
    if (queued !== undefined) {
      this.size -= queued[0].length;
      return queued;
    }
    if (!this._count) return null;
    const frame = encoding.toUint8Array(this._batch);
    const count = this._count;
    this._batch = newBatch();
    this._count = 0;
    this.size = 0;
    return [frame, count];
  }

  /** Drop everything held. */
  clear() {
    this._frames = [];
    this._batch = newBatch();
    this._count = 0;
    this.size = 0;
    this._prefix = null;
  }

  _seal() {
    if (this._count) {
      this._frames.push([encoding.toUint8Array(this._batch), this._count]);
      this._batch = newBatch();
      this._count = 0;
    }
  }
}

function newBatch() {
  const encoder = encoding.createEncoder();
  encoding.writeUint8(encoder, VERSION);
  encoding.writeUint8(encoder, KIND_BATCH);
  return encoder;
}

/**
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
function sameBytes(a, b) {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Join encoded entries into one batch frame, leaving out repeated topics
 * (for tests and tools: it decodes each entry to find its topic).
 * @param {Uint8Array[]} entries
 */
export function batchFrame(entries) {
  const writer = new BatchWriter(Number.MAX_SAFE_INTEGER);
  for (const data of entries) {
    const { topic, payload, flags } = decodeEntry(data);
    writer.add(entryPrefix(topic, flags), payload);
  }
  const frame = writer.pop();
  if (frame === null) throw new RangeError("a batch frame holds at least one entry");
  return frame[0];
}

/**
 * @param {number} kind
 * @param {number} token
 */
function pingLike(kind, token) {
  const frame = new Uint8Array(PING_FRAME_SIZE);
  frame[0] = VERSION;
  frame[1] = kind;
  new DataView(frame.buffer).setFloat64(HEADER_SIZE, token);
  return frame;
}

/** @param {number} token */
export function pingFrame(token) {
  return pingLike(KIND_PING, token);
}

/** @param {number} token */
export function pongFrame(token) {
  return pingLike(KIND_PONG, token);
}

/**
 * Decode one frame; throw a FrameError when it is malformed.
 * @param {Uint8Array} data
 * @returns {Frame}
 */
export function decodeFrame(data) {
  if (data.length < HEADER_SIZE) {
    throw new FrameError("short-header", `frame of ${data.length} bytes is shorter than the header`);
  }
  const version = data[0];
  const kind = data[1];
  if (version !== VERSION) throw new FrameError("version", `unsupported frame version ${version}`);
  if (kind === KIND_BATCH) return { kind: "batch", entries: decodeEntries(data, HEADER_SIZE) };
  if (kind === KIND_CHUNK) return decodeChunk(data);
  if (kind === KIND_PING || kind === KIND_PONG) {
    if (data.length !== PING_FRAME_SIZE) {
      throw new FrameError("ping-size", `ping/pong frame must be ${PING_FRAME_SIZE} bytes, got ${data.length}`);
    }
    const token = new DataView(data.buffer, data.byteOffset, data.length).getFloat64(HEADER_SIZE);
    return kind === KIND_PING ? { kind: "ping", token } : { kind: "pong", token };
  }
  throw new FrameError("kind", `unknown frame kind ${kind}`);
}

/**
 * Decode exactly one entry (a reassembled chunked message).
 * @param {Uint8Array} data
 * @returns {Entry}
 */
export function decodeEntry(data) {
  const entries = decodeEntries(data, 0);
  if (entries.length !== 1) {
    throw new FrameError("entry-count", `reassembled message holds ${entries.length} entries, expected 1`);
  }
  return entries[0];
}

// The checks, and their order, are wire.py's: the same bytes give the same
// reason in both languages (conformance/bus_frames.json holds the cases).
/**
 * @param {Uint8Array} data
 * @param {number} pos
 * @returns {Entry[]}
 */
function decodeEntries(data, pos) {
  const end = data.length;
  if (pos === end) throw new FrameError("empty-batch", "batch frame holds no message");
  /** @type {Entry[]} */
  const entries = [];
  let topic = "";
  while (pos < end) {
    if (pos + 3 > end) throw new FrameError("truncated-header", `truncated message header at byte ${pos}`);
    const flags = data[pos];
    const topicLen = data[pos + 1];
    let topicEnd;
    if (topicLen) {
      topicEnd = pos + 2 + topicLen;
      if (topicEnd >= end) throw new FrameError("truncated-topic", `truncated topic at byte ${pos}`);
      try {
        topic = strictUtf8.decode(data.subarray(pos + 2, topicEnd));
      } catch {
        throw new FrameError("topic-utf8", `topic at byte ${pos} is not UTF-8`);
      }
    } else if (!topic) {
      // Only an entry after another may leave its topic out.
      throw new FrameError("missing-topic", `empty topic at byte ${pos}`);
    } else {
      topicEnd = pos + 2;
    }
    const [size, start] = readVarUint(data, topicEnd);
    const payloadEnd = start + size;
    if (payloadEnd > end) {
      throw new FrameError("payload-overrun", `payload of ${JSON.stringify(topic)} claims ${size} bytes past the frame end`);
    }
    entries.push({ topic, payload: data.slice(start, payloadEnd), flags });
    pos = payloadEnd;
  }
  return entries;
}

/**
 * @param {Uint8Array} data
 * @returns {ChunkFrame}
 */
function decodeChunk(data) {
  if (data.length <= CHUNK_HEADER_SIZE) {
    throw new FrameError("chunk-no-data", `chunk frame of ${data.length} bytes carries no data`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  const messageId = view.getUint32(2);
  const index = view.getUint32(6);
  const count = view.getUint32(10);
  const total = view.getUint32(14);
  if (count === 0 || index >= count) {
    throw new FrameError("chunk-index", `chunk index ${index} out of range for count ${count}`);
  }
  if (total < count) {
    throw new FrameError("chunk-total", `chunked message of ${total} bytes cannot span ${count} chunks`);
  }
  return { kind: "chunk", messageId, index, count, total, data: data.slice(CHUNK_HEADER_SIZE) };
}
