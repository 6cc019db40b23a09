var __defProp = Object.defineProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};

// src/bus/wire.js
var wire_exports = {};
__export(wire_exports, {
  BatchWriter: () => BatchWriter,
  CHUNK_HEADER_SIZE: () => CHUNK_HEADER_SIZE,
  FLAG_DEFLATE: () => FLAG_DEFLATE,
  FLAG_JSON: () => FLAG_JSON,
  FrameError: () => FrameError,
  HEADER_SIZE: () => HEADER_SIZE,
  KIND_BATCH: () => KIND_BATCH,
  KIND_CHUNK: () => KIND_CHUNK,
  KIND_PING: () => KIND_PING,
  KIND_PONG: () => KIND_PONG,
  MAX_PAYLOAD_LEN: () => MAX_PAYLOAD_LEN,
  MAX_TOPIC_BYTES: () => MAX_TOPIC_BYTES,
  MessageTooLarge: () => MessageTooLarge,
  PING_FRAME_SIZE: () => PING_FRAME_SIZE,
  Reassembler: () => Reassembler,
  VERSION: () => VERSION,
  batchFrame: () => batchFrame,
  checkTopic: () => checkTopic,
  chunkFrames: () => chunkFrames,
  decodeEntry: () => decodeEntry,
  decodeFrame: () => decodeFrame,
  deflate: () => deflate,
  encodeEntry: () => encodeEntry,
  encodeJson: () => encodeJson,
  encodeVarUint: () => encodeVarUint,
  entryPrefix: () => entryPrefix,
  entrySize: () => entrySize,
  inflate: () => inflate,
  pingFrame: () => pingFrame,
  pongFrame: () => pongFrame,
  readVarUint: () => readVarUint
});

// node_modules/lib0/math.js
var floor = Math.floor;
var min = (a, b) => a < b ? a : b;
var max = (a, b) => a > b ? a : b;
var isNaN = Number.isNaN;

// node_modules/lib0/binary.js
var BIT8 = 128;
var BIT18 = 1 << 17;
var BIT19 = 1 << 18;
var BIT20 = 1 << 19;
var BIT21 = 1 << 20;
var BIT22 = 1 << 21;
var BIT23 = 1 << 22;
var BIT24 = 1 << 23;
var BIT25 = 1 << 24;
var BIT26 = 1 << 25;
var BIT27 = 1 << 26;
var BIT28 = 1 << 27;
var BIT29 = 1 << 28;
var BIT30 = 1 << 29;
var BIT31 = 1 << 30;
var BIT32 = 1 << 31;
var BITS7 = 127;
var BITS17 = BIT18 - 1;
var BITS18 = BIT19 - 1;
var BITS19 = BIT20 - 1;
var BITS20 = BIT21 - 1;
var BITS21 = BIT22 - 1;
var BITS22 = BIT23 - 1;
var BITS23 = BIT24 - 1;
var BITS24 = BIT25 - 1;
var BITS25 = BIT26 - 1;
var BITS26 = BIT27 - 1;
var BITS27 = BIT28 - 1;
var BITS28 = BIT29 - 1;
var BITS29 = BIT30 - 1;
var BITS30 = BIT31 - 1;

// node_modules/lib0/string.js
var fromCharCode = String.fromCharCode;
var fromCodePoint = String.fromCodePoint;
var MAX_UTF16_CHARACTER = fromCharCode(65535);
var _encodeUtf8Polyfill = (str) => {
  const encodedString = unescape(encodeURIComponent(str));
  const len = encodedString.length;
  const buf = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    buf[i] = /** @type {number} */
    encodedString.codePointAt(i);
  }
  return buf;
};
var utf8TextEncoder = (
  /** @type {TextEncoder} */
  typeof TextEncoder !== "undefined" ? new TextEncoder() : null
);
var _encodeUtf8Native = (str) => utf8TextEncoder.encode(str);
var encodeUtf8 = utf8TextEncoder ? _encodeUtf8Native : _encodeUtf8Polyfill;
var utf8TextDecoder = typeof TextDecoder === "undefined" ? null : new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
if (utf8TextDecoder && utf8TextDecoder.decode(new Uint8Array()).length === 1) {
  utf8TextDecoder = null;
}

// node_modules/lib0/encoding.js
var Encoder = class {
  constructor() {
    this.cpos = 0;
    this.cbuf = new Uint8Array(100);
    this.bufs = [];
  }
};
var createEncoder = () => new Encoder();
var length = (encoder) => {
  let len = encoder.cpos;
  for (let i = 0; i < encoder.bufs.length; i++) {
    len += encoder.bufs[i].length;
  }
  return len;
};
var toUint8Array = (encoder) => {
  const uint8arr = new Uint8Array(length(encoder));
  let curPos = 0;
  for (let i = 0; i < encoder.bufs.length; i++) {
    const d = encoder.bufs[i];
    uint8arr.set(d, curPos);
    curPos += d.length;
  }
  uint8arr.set(new Uint8Array(encoder.cbuf.buffer, 0, encoder.cpos), curPos);
  return uint8arr;
};
var write = (encoder, num) => {
  const bufferLen = encoder.cbuf.length;
  if (encoder.cpos === bufferLen) {
    encoder.bufs.push(encoder.cbuf);
    encoder.cbuf = new Uint8Array(bufferLen * 2);
    encoder.cpos = 0;
  }
  encoder.cbuf[encoder.cpos++] = num;
};
var writeUint8 = write;
var writeVarUint = (encoder, num) => {
  while (num > BITS7) {
    write(encoder, BIT8 | BITS7 & num);
    num = floor(num / 128);
  }
  write(encoder, BITS7 & num);
};
var _strBuffer = new Uint8Array(3e4);
var _maxStrBSize = _strBuffer.length / 3;
var _writeVarStringNative = (encoder, str) => {
  if (str.length < _maxStrBSize) {
    const written = utf8TextEncoder.encodeInto(str, _strBuffer).written || 0;
    writeVarUint(encoder, written);
    for (let i = 0; i < written; i++) {
      write(encoder, _strBuffer[i]);
    }
  } else {
    writeVarUint8Array(encoder, encodeUtf8(str));
  }
};
var _writeVarStringPolyfill = (encoder, str) => {
  const encodedString = unescape(encodeURIComponent(str));
  const len = encodedString.length;
  writeVarUint(encoder, len);
  for (let i = 0; i < len; i++) {
    write(
      encoder,
      /** @type {number} */
      encodedString.codePointAt(i)
    );
  }
};
var writeVarString = utf8TextEncoder && /** @type {any} */
utf8TextEncoder.encodeInto ? _writeVarStringNative : _writeVarStringPolyfill;
var writeUint8Array = (encoder, uint8Array) => {
  const bufferLen = encoder.cbuf.length;
  const cpos = encoder.cpos;
  const leftCopyLen = min(bufferLen - cpos, uint8Array.length);
  const rightCopyLen = uint8Array.length - leftCopyLen;
  encoder.cbuf.set(uint8Array.subarray(0, leftCopyLen), cpos);
  encoder.cpos += leftCopyLen;
  if (rightCopyLen > 0) {
    encoder.bufs.push(encoder.cbuf);
    encoder.cbuf = new Uint8Array(max(bufferLen * 2, rightCopyLen));
    encoder.cbuf.set(uint8Array.subarray(leftCopyLen));
    encoder.cpos = rightCopyLen;
  }
};
var writeVarUint8Array = (encoder, uint8Array) => {
  writeVarUint(encoder, uint8Array.byteLength);
  writeUint8Array(encoder, uint8Array);
};
var floatTestBed = new DataView(new ArrayBuffer(4));

// src/bus/wire.js
var VERSION = 1;
var KIND_BATCH = 1;
var KIND_CHUNK = 2;
var KIND_PING = 3;
var KIND_PONG = 4;
var FLAG_JSON = 1;
var FLAG_DEFLATE = 2;
var MAX_TOPIC_BYTES = 255;
var MAX_PAYLOAD_LEN = 4294967295;
var HEADER_SIZE = 2;
var CHUNK_HEADER_SIZE = HEADER_SIZE + 16;
var PING_FRAME_SIZE = HEADER_SIZE + 8;
var FrameError = class extends Error {
  /**
   * @param {string} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = "FrameError";
    this.code = code;
  }
};
var MessageTooLarge = class extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "MessageTooLarge";
  }
};
var utf8 = new TextEncoder();
var strictUtf8 = new TextDecoder("utf-8", { fatal: true });
var NOT_TOPIC = "\\x00-\\x20.\\x7f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
var TOPIC = new RegExp(`^[^${NOT_TOPIC}]+(?:\\.[^${NOT_TOPIC}]+)+$`, "u");
var LONE_SURROGATE = /\p{Cs}/u;
function checkTopic(topic) {
  if (typeof topic !== "string" || !TOPIC.test(topic) || LONE_SURROGATE.test(topic)) {
    throw new TypeError(`invalid topic ${JSON.stringify(topic)}: expected 'plugin.event' without spaces`);
  }
  const raw = utf8.encode(topic);
  if (raw.length > MAX_TOPIC_BYTES) {
    throw new TypeError(`topic is ${raw.length} bytes, the limit is ${MAX_TOPIC_BYTES}`);
  }
  return raw;
}
function encodeVarUint(value) {
  if (!Number.isInteger(value) || value < 0 || value > MAX_PAYLOAD_LEN) {
    throw new RangeError(`a varuint cannot hold ${value}`);
  }
  const encoder = createEncoder();
  writeVarUint(encoder, value);
  return toUint8Array(encoder);
}
function readVarUint(bytes, pos) {
  const start = pos;
  let value = 0;
  let shift = 0;
  for (; ; ) {
    if (pos >= bytes.length) throw new FrameError("truncated-varint", `truncated varint at byte ${start}`);
    const byte = bytes[pos++];
    value += (byte & 127) * 2 ** shift;
    if (byte < 128) {
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
var prefixes = /* @__PURE__ */ new Map();
function entryPrefix(topic, flags = 0) {
  const key = `${flags}:${topic}`;
  let prefix = prefixes.get(key);
  if (prefix === void 0) {
    const raw = checkTopic(topic);
    if (!Number.isInteger(flags) || flags < 0 || flags > 255) {
      throw new RangeError(`flags must fit in one byte, got ${flags}`);
    }
    prefix = new Uint8Array(2 + raw.length);
    prefix[0] = flags;
    prefix[1] = raw.length;
    prefix.set(raw, 2);
    if (prefixes.size >= 1024) prefixes.clear();
    prefixes.set(key, prefix);
  }
  return prefix;
}
function entrySize(prefix, payloadLength) {
  return prefix.length + varUintSize(payloadLength) + payloadLength;
}
function varUintSize(value) {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}
function encodeEntry(topic, payload, flags = 0) {
  const encoder = createEncoder();
  writeUint8Array(encoder, entryPrefix(topic, flags));
  writeVarUint(encoder, payload.length);
  writeUint8Array(encoder, payload);
  return toUint8Array(encoder);
}
function encodeJson(value) {
  return utf8.encode(JSON.stringify(value));
}
var BatchWriter = class {
  /** @param {number} maxFrameSize */
  constructor(maxFrameSize) {
    this.maxFrameSize = maxFrameSize;
    this.size = 0;
    this._frames = [];
    this._batch = newBatch();
    this._count = 0;
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
      const wire2 = 2 + varUintSize(n) + n;
      if (length(this._batch) + wire2 <= this.maxFrameSize) {
        writeUint8(this._batch, prefix[0]);
        writeUint8(this._batch, 0);
        writeVarUint(this._batch, n);
        writeUint8Array(this._batch, payload);
        this._count++;
        this.size += wire2;
        return;
      }
      this._seal();
    }
    let wire = entrySize(prefix, n);
    if (this._count && length(this._batch) + wire > this.maxFrameSize) this._seal();
    if (!this._count) {
      wire += HEADER_SIZE;
      if (wire > this.maxFrameSize) {
        throw new RangeError(`an entry of ${wire - HEADER_SIZE} bytes does not fit in a frame`);
      }
    }
    writeUint8Array(this._batch, prefix);
    writeVarUint(this._batch, n);
    writeUint8Array(this._batch, payload);
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
    if (queued !== void 0) {
      this.size -= queued[0].length;
      return queued;
    }
    if (!this._count) return null;
    const frame = toUint8Array(this._batch);
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
      this._frames.push([toUint8Array(this._batch), this._count]);
      this._batch = newBatch();
      this._count = 0;
    }
  }
};
function newBatch() {
  const encoder = createEncoder();
  writeUint8(encoder, VERSION);
  writeUint8(encoder, KIND_BATCH);
  return encoder;
}
function sameBytes(a, b) {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
function batchFrame(entries) {
  const writer = new BatchWriter(Number.MAX_SAFE_INTEGER);
  for (const data of entries) {
    const { topic, payload, flags } = decodeEntry(data);
    writer.add(entryPrefix(topic, flags), payload);
  }
  const frame = writer.pop();
  if (frame === null) throw new RangeError("a batch frame holds at least one entry");
  return frame[0];
}
function chunkFrames(entry, messageId, maxFrameSize) {
  let step = maxFrameSize - CHUNK_HEADER_SIZE;
  if (step <= 0) throw new RangeError(`maxFrameSize ${maxFrameSize} leaves no room for chunk data`);
  const count = Math.ceil(entry.length / step);
  step = Math.ceil(entry.length / count);
  const frames = [];
  for (let index2 = 0; index2 < count; index2++) {
    const data = entry.subarray(index2 * step, (index2 + 1) * step);
    const frame = new Uint8Array(CHUNK_HEADER_SIZE + data.length);
    const view = new DataView(frame.buffer);
    frame[0] = VERSION;
    frame[1] = KIND_CHUNK;
    view.setUint32(2, messageId >>> 0);
    view.setUint32(6, index2);
    view.setUint32(10, count);
    view.setUint32(14, entry.length);
    frame.set(data, CHUNK_HEADER_SIZE);
    frames.push(frame);
  }
  return frames;
}
function pingLike(kind, token) {
  const frame = new Uint8Array(PING_FRAME_SIZE);
  frame[0] = VERSION;
  frame[1] = kind;
  new DataView(frame.buffer).setFloat64(HEADER_SIZE, token);
  return frame;
}
function pingFrame(token) {
  return pingLike(KIND_PING, token);
}
function pongFrame(token) {
  return pingLike(KIND_PONG, token);
}
function decodeFrame(data) {
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
function decodeEntry(data) {
  const entries = decodeEntries(data, 0);
  if (entries.length !== 1) {
    throw new FrameError("entry-count", `reassembled message holds ${entries.length} entries, expected 1`);
  }
  return entries[0];
}
function decodeEntries(data, pos) {
  const end = data.length;
  if (pos === end) throw new FrameError("empty-batch", "batch frame holds no message");
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
function decodeChunk(data) {
  if (data.length <= CHUNK_HEADER_SIZE) {
    throw new FrameError("chunk-no-data", `chunk frame of ${data.length} bytes carries no data`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  const messageId = view.getUint32(2);
  const index2 = view.getUint32(6);
  const count = view.getUint32(10);
  const total = view.getUint32(14);
  if (count === 0 || index2 >= count) {
    throw new FrameError("chunk-index", `chunk index ${index2} out of range for count ${count}`);
  }
  if (total < count) {
    throw new FrameError("chunk-total", `chunked message of ${total} bytes cannot span ${count} chunks`);
  }
  return { kind: "chunk", messageId, index: index2, count, total, data: data.slice(CHUNK_HEADER_SIZE) };
}
var Reassembler = class {
  /** @param {ReassemblerOptions} options */
  constructor({ maxMessageSize, maxPartial = 8, maxBuffered, timeout = 30, clock = () => performance.now() / 1e3 }) {
    this.maxMessageSize = maxMessageSize;
    this.maxPartial = maxPartial;
    this.maxBuffered = maxBuffered ?? 2 * maxMessageSize;
    this.timeout = timeout;
    this._clock = clock;
    this._partials = /* @__PURE__ */ new Map();
    this._buffered = 0;
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
        `chunked message of ${chunk.total} bytes exceeds the limit of ${this.maxMessageSize}`
      );
    }
    const id = chunk.messageId;
    let partial = this._partials.get(id);
    if (partial === void 0) {
      while (this._partials.size >= this.maxPartial) this._drop(this._partials.keys().next().value ?? 0);
      partial = { count: chunk.count, total: chunk.total, started: this._clock(), pieces: /* @__PURE__ */ new Map(), size: 0 };
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
      const piece = (
        /** @type {Uint8Array} */
        partial.pieces.get(i)
      );
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
    if (partial === void 0) return;
    this._partials.delete(id);
    this._buffered -= partial.size;
    this.evicted++;
  }
};
async function deflate(payload) {
  const stream = new Blob([plain(payload)]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
function plain(bytes) {
  return bytes.buffer instanceof ArrayBuffer ? (
    /** @type {Uint8Array<ArrayBuffer>} */
    bytes
  ) : new Uint8Array(bytes);
}
async function inflate(data, limit) {
  if (!(limit > 0)) throw new RangeError("limit must be positive");
  const stream = new DecompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  writer.write(plain(data)).catch(() => {
  });
  writer.close().catch(() => {
  });
  const reader = stream.readable.getReader();
  const pieces = [];
  let size = 0;
  for (; ; ) {
    let result;
    try {
      result = await reader.read();
    } catch (error) {
      const text = String(error instanceof Error ? error.message : error);
      const code = /junk|trailing|after end/i.test(text) ? "deflate-trailing" : /end of|truncat|incomplete/i.test(text) ? "deflate-truncated" : "deflate-invalid";
      throw new FrameError(code, `compressed payload is not valid raw DEFLATE: ${text}`);
    }
    if (result.done) break;
    size += result.value.length;
    if (size > limit) {
      reader.cancel().catch(() => {
      });
      throw new FrameError("deflate-too-large", `compressed payload inflates past ${limit} bytes`);
    }
    pieces.push(result.value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

// src/bus/bus.js
var bus_exports = {};
__export(bus_exports, {
  Bus: () => Bus,
  BusClosed: () => BusClosed,
  BusError: () => BusError,
  BusFull: () => BusFull,
  DEFAULTS: () => DEFAULTS,
  UnknownPeer: () => UnknownPeer,
  messageJson: () => messageJson
});
var BusError = class extends Error {
};
var BusFull = class extends BusError {
};
var UnknownPeer = class extends BusError {
};
var BusClosed = class extends BusError {
};
var DEFAULTS = Object.freeze({
  maxFrameSize: 65536,
  maxIncomingFrame: 262144,
  maxMessageSize: 16 * 1024 * 1024,
  maxPartialMessages: 8,
  partialTimeout: 30,
  reliableQueueBytes: 16 * 1024 * 1024,
  unorderedQueueMessages: 256,
  highWater: 262144,
  lowWater: 65536,
  pingInterval: 1,
  rttInterval: 5,
  deadAfter: 5
});
var now = () => performance.now() / 1e3;
var utf82 = new TextDecoder();
function messageJson(message) {
  return JSON.parse(utf82.decode(message.payload));
}
var Outbox = class {
  /**
   * @param {Bus} bus
   * @param {ChannelLike} channel
   */
  constructor(bus, channel) {
    this.bus = bus;
    this.channel = channel;
  }
  /** Hand frames to the channel while it has room. */
  flush() {
  }
  /** @param {Uint8Array} frame */
  _send(frame) {
    try {
      this.channel.send(frame);
    } catch {
      this.bus.counters.sendErrors++;
      return false;
    }
    this.bus.counters.framesSent++;
    this.bus.counters.bytesSent += frame.length;
    return true;
  }
  _room() {
    return this.channel.readyState === "open" && this.channel.bufferedAmount < this.bus.config.highWater;
  }
};
var ReliableOutbox = class extends Outbox {
  /**
   * @param {Bus} bus
   * @param {ChannelLike} channel
   */
  constructor(bus, channel) {
    super(bus, channel);
    this.writer = new BatchWriter(bus.config.maxFrameSize);
  }
  /** @override */
  flush() {
    while (this._room()) {
      const next = this.writer.pop();
      if (next === null) break;
      if (!this._send(next[0])) break;
      this.bus.counters.messagesSent += next[1];
    }
  }
};
var LatestOutbox = class extends Outbox {
  /**
   * @param {Bus} bus
   * @param {ChannelLike} channel
   */
  constructor(bus, channel) {
    super(bus, channel);
    this.queue = /* @__PURE__ */ new Map();
    this.sending = [];
  }
  /**
   * @param {string} topic
   * @param {{ prefix: Uint8Array, payload: Uint8Array, frames: Uint8Array[] | null }} item
   */
  put(topic, item) {
    if (this.queue.delete(topic)) this.bus.counters.replaced++;
    else if (this.queue.size >= this.bus.config.unorderedQueueMessages) {
      const oldest = this.queue.keys().next().value;
      if (oldest !== void 0) this.queue.delete(oldest);
      this.bus.counters.overflowed++;
    }
    this.queue.set(topic, item);
  }
  /** @override */
  flush() {
    const config = this.bus.config;
    while (this._room()) {
      const frame = this.sending.shift();
      if (frame !== void 0) {
        if (!this._send(frame)) return;
        if (!this.sending.length) this.bus.counters.messagesSent++;
        continue;
      }
      if (!this.queue.size) return;
      const [topic, first] = this.queue.entries().next().value ?? [];
      if (topic === void 0 || first === void 0) return;
      this.queue.delete(topic);
      if (first.frames !== null) {
        this.sending = [...first.frames];
        continue;
      }
      const writer = new BatchWriter(config.maxFrameSize);
      writer.add(first.prefix, first.payload);
      let count = 1;
      for (const [key, item] of this.queue) {
        if (item.frames !== null) break;
        if (writer.size + entrySize(item.prefix, item.payload.length) > config.maxFrameSize) break;
        writer.add(item.prefix, item.payload);
        this.queue.delete(key);
        count++;
      }
      const popped = writer.pop();
      if (popped === null || !this._send(popped[0])) return;
      this.bus.counters.messagesSent += count;
    }
  }
};
var Peer = class {
  /**
   * @param {Bus} bus
   * @param {string} id
   * @param {ChannelLike} reliable
   * @param {ChannelLike} unordered
   */
  constructor(bus, id, reliable, unordered) {
    this.id = id;
    this.reliable = new ReliableOutbox(bus, reliable);
    this.unordered = new LatestOutbox(bus, unordered);
    const options = {
      maxMessageSize: bus.config.maxMessageSize,
      maxPartial: bus.config.maxPartialMessages,
      timeout: bus.config.partialTimeout
    };
    this.reassemblers = [new Reassembler(options), new Reassembler(options)];
    this.pending = [null, null];
    this.listeners = [];
    this.lastHeard = now();
    this.lastSent = 0;
    this.lastPing = 0;
    this.rtt = null;
    this.dead = false;
  }
  /** @returns {Outbox[]} */
  get outboxes() {
    return [this.reliable, this.unordered];
  }
};
var Bus = class {
  /**
   * @param {Partial<BusConfig>} [config]
   * @param {{ onPeerDead?: (peerId: string) => void }} [options]
   */
  constructor(config = {}, options = {}) {
    this.config = Object.freeze({ ...DEFAULTS, ...config });
    if (this.config.maxFrameSize < 64) throw new RangeError("maxFrameSize must be at least 64 bytes");
    if (!(this.config.lowWater >= 0 && this.config.lowWater < this.config.highWater)) {
      throw new RangeError("lowWater must be below highWater");
    }
    this.onPeerDead = options.onPeerDead;
    this.counters = {
      framesSent: 0,
      framesReceived: 0,
      messagesSent: 0,
      messagesReceived: 0,
      bytesSent: 0,
      bytesReceived: 0,
      pingsSent: 0,
      pongsReceived: 0,
      unknownTopics: 0,
      malformedFrames: 0,
      oversizedFrames: 0,
      partialsEvicted: 0,
      replaced: 0,
      overflowed: 0,
      handlerErrors: 0,
      sendErrors: 0
    };
    this._peers = /* @__PURE__ */ new Map();
    this._subscribers = /* @__PURE__ */ new Map();
    this._dirty = /* @__PURE__ */ new Set();
    this._flushTimer = void 0;
    this._ticker = void 0;
    this._progress = [];
    this._messageId = 0;
    this._closed = false;
    this._warned = false;
  }
  /** Ids of the peers on the bus. */
  get peers() {
    return [...this._peers.keys()];
  }
  /**
   * Put a peer on the bus (replacing an earlier registration of the same id).
   * Call it as soon as the channels exist, before they open, so that no
   * frame the other side sends the moment its end opens is missed.
   * @param {string} peerId
   * @param {ChannelLike} reliable the `bus` channel (negotiated, id 0)
   * @param {ChannelLike} unordered the `bus-unordered` channel (negotiated, id 1)
   */
  addPeer(peerId, reliable, unordered) {
    if (this._closed) throw new BusClosed("the bus is closed");
    this.removePeer(peerId);
    const peer = new Peer(this, peerId, reliable, unordered);
    this._peers.set(peerId, peer);
    peer.outboxes.forEach((outbox, index2) => {
      const channel = outbox.channel;
      channel.binaryType = "arraybuffer";
      channel.bufferedAmountLowThreshold = this.config.lowWater;
      const listen = (type, listener) => {
        channel.addEventListener(type, listener);
        peer.listeners.push([channel, type, listener]);
      };
      listen("message", (event) => this._receive(peer, index2, event.data));
      const wake = () => {
        if (channel.readyState === "open" && index2 === 0) peer.lastHeard = Math.max(peer.lastHeard, now());
        outbox.flush();
        this._wake();
      };
      listen("bufferedamountlow", wake);
      listen("open", () => {
        peer.lastHeard = now();
        wake();
      });
    });
    if (this._ticker === void 0) this._ticker = setInterval(() => this._tick(), this.config.pingInterval * 1e3);
  }
  /**
   * Take a peer off the bus, discarding what is queued for it. Idempotent.
   * @param {string} peerId
   */
  removePeer(peerId) {
    const peer = this._peers.get(peerId);
    if (peer === void 0) return;
    this._peers.delete(peerId);
    for (const [channel, type, listener] of peer.listeners) channel.removeEventListener(type, listener);
    for (const outbox of peer.outboxes) this._dirty.delete(outbox);
    this._wake();
  }
  /**
   * Smoothed round-trip time to a peer in seconds; null before the first pong.
   * @param {string} peerId
   */
  rtt(peerId) {
    return this._known(peerId).rtt;
  }
  /**
   * Subscribe to a topic; returns the function that unsubscribes.
   * @param {string} topic
   * @param {Handler} handler
   */
  subscribe(topic, handler) {
    entryPrefix(topic);
    this._subscribers.set(topic, [...this._subscribers.get(topic) ?? [], handler]);
    return () => {
      const left = (this._subscribers.get(topic) ?? []).filter((h) => h !== handler);
      if (left.length) this._subscribers.set(topic, left);
      else this._subscribers.delete(topic);
    };
  }
  /**
   * Queue a message for every peer (or only `to`); return how many peers.
   * It leaves at the end of the current task, batched with the other
   * messages of the task. Throws BusFull (reliable; nothing queued),
   * UnknownPeer, MessageTooLarge, or TypeError for a bad topic.
   * @param {string} topic
   * @param {Uint8Array} payload
   * @param {PublishOptions} [options]
   */
  publish(topic, payload, { to, reliable = true, flags = 0 } = {}) {
    if (flags & FLAG_DEFLATE) throw new TypeError("use send(..., { compress: true }) instead of FLAG_DEFLATE");
    return this._publish(topic, payload, to, reliable, flags);
  }
  /**
   * @param {string} topic
   * @param {Uint8Array} payload
   * @param {string | undefined} to
   * @param {boolean} reliable
   * @param {number} flags FLAG_DEFLATE when send() compressed the payload
   */
  _publish(topic, payload, to, reliable, flags) {
    if (this._closed) throw new BusClosed("the bus is closed");
    const prefix = entryPrefix(topic, flags);
    const size = entrySize(prefix, payload.length);
    if (size > this.config.maxMessageSize) {
      throw new MessageTooLarge(`a message of ${size} bytes exceeds the limit of ${this.config.maxMessageSize}`);
    }
    const peers = to === void 0 ? [...this._peers.values()] : [this._known(to)];
    const small = size <= this.config.maxFrameSize - HEADER_SIZE;
    const frames = small ? null : chunkFrames(encodeEntry(topic, payload, flags), this._nextId(), this.config.maxFrameSize);
    if (!reliable) {
      for (const peer of peers) {
        peer.unordered.put(topic, { prefix, payload, frames });
        this._dirty.add(peer.unordered);
      }
    } else {
      const bytes = frames === null ? size : frames.reduce((n, f) => n + f.length, 0);
      for (const peer of peers) {
        const queued = peer.reliable.writer.size;
        if (queued && queued + bytes > this.config.reliableQueueBytes) {
          throw new BusFull(`the reliable queue to ${peer.id} holds ${queued} bytes`);
        }
      }
      for (const peer of peers) {
        if (frames === null) peer.reliable.writer.add(prefix, payload);
        else peer.reliable.writer.addFrames(frames);
        this._dirty.add(peer.reliable);
      }
    }
    this._scheduleFlush();
    return peers.length;
  }
  /**
   * publish() a JSON value, flagged as JSON on the wire.
   * @param {string} topic
   * @param {unknown} value
   * @param {PublishOptions} [options]
   */
  publishJson(topic, value, options = {}) {
    return this.publish(topic, encodeJson(value), { ...options, flags: (options.flags ?? 0) | FLAG_JSON });
  }
  /**
   * Reliable publish that waits for queue room instead of throwing BusFull;
   * `compress` deflates the payload on the wire (worth it for large,
   * repetitive payloads such as document states). Compressing takes a
   * while: a message published meanwhile may leave first; await send()
   * before publishing what must follow it.
   * @param {string} topic
   * @param {Uint8Array} payload
   * @param {{ to?: string, flags?: number, compress?: boolean }} [options]
   */
  async send(topic, payload, { to, flags = 0, compress = false } = {}) {
    if (compress) {
      if (flags & FLAG_DEFLATE) throw new TypeError("compress already sets FLAG_DEFLATE");
      payload = await deflate(payload);
      flags |= FLAG_DEFLATE;
    }
    for (; ; ) {
      try {
        return this._publish(topic, payload, to, true, flags);
      } catch (error) {
        if (!(error instanceof BusFull)) throw error;
        await new Promise((resolve) => this._progress.push(() => resolve(void 0)));
      }
    }
  }
  /**
   * Wait until the reliable queues (all, or `to`'s) are handed to their channels.
   * @param {string} [to]
   */
  async drain(to) {
    for (; ; ) {
      const peers = to === void 0 ? [...this._peers.values()] : [this._known(to)];
      if (peers.every((peer) => peer.reliable.writer.size === 0)) return;
      await new Promise((resolve) => this._progress.push(() => resolve(void 0)));
    }
  }
  /** Forget every peer and stop the liveness check. */
  close() {
    this._closed = true;
    for (const id of [...this._peers.keys()]) this.removePeer(id);
    clearTimeout(this._flushTimer);
    clearInterval(this._ticker);
    this._ticker = void 0;
  }
  // -- internals ---------------------------------------------------------
  _nextId() {
    const id = this._messageId;
    this._messageId = this._messageId + 1 >>> 0;
    return id;
  }
  /** @param {string} peerId */
  _known(peerId) {
    const peer = this._peers.get(peerId);
    if (peer === void 0) throw new UnknownPeer(`no peer ${peerId} on the bus`);
    return peer;
  }
  _scheduleFlush() {
    if (this._flushTimer === void 0) this._flushTimer = setTimeout(() => this._flush(), 0);
  }
  _flush() {
    this._flushTimer = void 0;
    const dirty = [...this._dirty];
    this._dirty.clear();
    const at = now();
    for (const outbox of dirty) {
      const before = this.counters.framesSent;
      outbox.flush();
      if (this.counters.framesSent !== before) {
        for (const peer of this._peers.values()) if (peer.outboxes.includes(outbox)) peer.lastSent = at;
      }
    }
    this._wake();
  }
  _wake() {
    for (const wake of this._progress.splice(0)) wake();
  }
  /**
   * @param {Peer} peer
   * @param {number} index 0 reliable, 1 unordered
   * @param {unknown} data
   */
  _receive(peer, index2, data) {
    peer.lastHeard = now();
    peer.dead = false;
    if (typeof data === "string") return this._reject(peer, "text frame", true);
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(
      /** @type {ArrayBuffer} */
      data
    );
    if (bytes.length > this.config.maxIncomingFrame) return this._reject(peer, `frame of ${bytes.length} bytes`, false);
    let entries;
    try {
      const frame = decodeFrame(bytes);
      if (frame.kind === "ping" || frame.kind === "pong") {
        if (frame.kind === "ping") {
          peer.outboxes[index2]._send(pongFrame(frame.token));
          return;
        }
        this.counters.pongsReceived++;
        const sample = now() - frame.token;
        if (sample >= 0 && sample < 60) peer.rtt = peer.rtt === null ? sample : 0.875 * peer.rtt + 0.125 * sample;
        return;
      }
      this.counters.framesReceived++;
      this.counters.bytesReceived += bytes.length;
      if (frame.kind === "batch") entries = frame.entries;
      else {
        const reassembler = peer.reassemblers[index2];
        const evicted = reassembler.evicted;
        try {
          const entry = reassembler.add(frame);
          entries = entry === null ? [] : [entry];
        } finally {
          this.counters.partialsEvicted += reassembler.evicted - evicted;
        }
      }
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      return this._reject(peer, error.message, true);
    }
    for (const entry of entries) this._deliver(peer, index2, entry);
  }
  /**
   * Deliver one entry, after any earlier one of the channel still inflating.
   * @param {Peer} peer
   * @param {number} index
   * @param {import("./wire.js").Entry} entry
   */
  _deliver(peer, index2, entry) {
    this.counters.messagesReceived++;
    const handlers = this._subscribers.get(entry.topic);
    if (handlers === void 0) {
      this.counters.unknownTopics++;
      return;
    }
    const reliable = index2 === 0;
    const pending = peer.pending[index2];
    if (!(entry.flags & FLAG_DEFLATE) && pending === null) {
      this._call(handlers, { topic: entry.topic, payload: entry.payload, sender: peer.id, reliable, flags: entry.flags });
      return;
    }
    const done = (pending ?? Promise.resolve()).then(async () => {
      let payload = entry.payload;
      if (entry.flags & FLAG_DEFLATE) {
        try {
          payload = await inflate(payload, this.config.maxMessageSize);
        } catch (error) {
          if (!(error instanceof FrameError)) throw error;
          this._reject(peer, `${entry.topic}: ${error.message}`, true);
          return;
        }
      }
      const now2 = this._subscribers.get(entry.topic) ?? [];
      this._call(now2, { topic: entry.topic, payload, sender: peer.id, reliable, flags: entry.flags & ~FLAG_DEFLATE });
    });
    peer.pending[index2] = done;
    done.finally(() => {
      if (peer.pending[index2] === done) peer.pending[index2] = null;
    });
  }
  /**
   * @param {Handler[]} handlers
   * @param {Message} message
   */
  _call(handlers, message) {
    for (const handler of handlers) {
      try {
        const result = handler(message);
        if (result instanceof Promise) {
          result.catch((error) => {
            this.counters.handlerErrors++;
            console.error("bus: handler failed", error);
          });
        }
      } catch (error) {
        this.counters.handlerErrors++;
        console.error("bus: handler failed", error);
      }
    }
  }
  /**
   * @param {Peer} peer
   * @param {string} reason
   * @param {boolean} malformed
   */
  _reject(peer, reason, malformed) {
    if (malformed) this.counters.malformedFrames++;
    else this.counters.oversizedFrames++;
    if (!this._warned) {
      this._warned = true;
      console.warn(`bus: dropped a frame from ${peer.id}: ${reason}`);
    }
  }
  _tick() {
    const at = now();
    const config = this.config;
    for (const peer of this._peers.values()) {
      const unordered = peer.unordered.channel;
      if (unordered.readyState !== "open") continue;
      if (!peer.dead && at - peer.lastHeard > config.deadAfter) {
        peer.dead = true;
        try {
          this.onPeerDead?.(peer.id);
        } catch (error) {
          console.error("bus: onPeerDead failed", error);
        }
      }
      if (at - peer.lastSent >= config.pingInterval || at - peer.lastPing >= config.rttInterval) {
        if (peer.unordered._send(pingFrame(at))) {
          peer.lastPing = at;
          this.counters.pingsSent++;
        }
      }
    }
  }
};

// src/signaling/client.js
var client_exports = {};
__export(client_exports, {
  CLOSE_KEEP_PLACE: () => CLOSE_KEEP_PLACE,
  CLOSE_LEAVE: () => CLOSE_LEAVE,
  CLOSE_REPLACED: () => CLOSE_REPLACED,
  FATAL_CODES: () => FATAL_CODES,
  SignalingClient: () => SignalingClient,
  SignalingError: () => SignalingError,
  VERSION: () => VERSION2,
  backoffDelay: () => backoffDelay
});
var VERSION2 = 1;
var CLOSE_REPLACED = 4001;
var CLOSE_LEAVE = 1e3;
var CLOSE_KEEP_PLACE = 4e3;
var FATAL_CODES = Object.freeze(
  /* @__PURE__ */ new Set([
    "token-required",
    "token-invalid",
    "token-expired",
    "token-wrong-room",
    "unsupported-version",
    "invalid",
    "room-full",
    "too-many-rooms"
  ])
);
var SignalingError = class extends Error {
  /**
   * @param {string} message
   * @param {string} [code]
   */
  constructor(message, code = "unreachable") {
    super(message);
    this.name = "SignalingError";
    this.code = code;
  }
};
var OPEN = 1;
var HEARTBEAT_ID = "avacollab-heartbeat";
function backoffDelay(backoff, attempt) {
  const ceiling = Math.min(backoff.maximum, backoff.initial * backoff.factor ** attempt);
  return ceiling / 2 + Math.random() * ceiling / 2;
}
var SignalingClient = class {
  /**
   * @param {string} url the server's WebSocket URL, e.g. ws://127.0.0.1:8765/ws
   * @param {string} room
   * @param {SignalingOptions} [options]
   */
  constructor(url, room, options = {}) {
    this.url = url;
    this.room = room;
    this.name = options.name ?? "";
    this.token = options.token;
    this.onMessage = options.onMessage;
    this.onState = options.onState;
    const socketClass = options.WebSocket ?? /** @type {any} */
    globalThis.WebSocket;
    if (typeof socketClass !== "function") {
      throw new TypeError("no WebSocket class: pass options.WebSocket (in Node 20, the ws package's)");
    }
    this._WebSocket = socketClass;
    this.heartbeat = options.heartbeat ?? 10;
    this.backoff = { initial: 0.25, maximum: 10, factor: 2, ...options.backoff };
    this.connectTimeout = options.connectTimeout ?? 10;
    this.maxBuffered = options.maxBuffered ?? 256;
    this.welcome = { type: "welcome" };
    this.reconnects = 0;
    this._resume = void 0;
    this._ws = null;
    this._buffer = [];
    this._joined = false;
    this._closing = false;
    this._nextId = 0;
    this._lastHeard = 0;
    this._heartbeatTimer = void 0;
    this._retryTimer = void 0;
    this._joinedWaiters = [];
  }
  /** Our id in the room (the same across reconnects when resume works). */
  get peerId() {
    return String(this.welcome.peer ?? "");
  }
  /** Joined, with an open connection. */
  get connected() {
    return this._joined && this._ws !== null && this._ws.readyState === OPEN;
  }
  /**
   * Join the room and keep the membership alive; resolve with the welcome.
   * Rejects with a SignalingError if the first join fails: a wrong URL or a
   * refused token should be reported now, not retried forever.
   * @returns {Promise<SignalingMessage>}
   */
  async connect() {
    this._closing = false;
    await this._open();
    this._startHeartbeat();
    return this.welcome;
  }
  /**
   * Leave the room (unless `leave` is false: then the server keeps our place
   * for its resume grace) and stop reconnecting.
   * @param {{ leave?: boolean }} [options]
   */
  close({ leave = true } = {}) {
    this._closing = true;
    clearTimeout(this._retryTimer);
    this._stopHeartbeat();
    const ws = this._ws;
    this._ws = null;
    this._joined = false;
    if (ws !== null && ws.readyState === OPEN) {
      if (leave) ws.send(JSON.stringify({ type: "leave" }));
      ws.close(leave ? CLOSE_LEAVE : CLOSE_KEEP_PLACE);
    }
    this.onState?.("closed");
  }
  /**
   * Send a message, or buffer it until the next welcome if we are reconnecting.
   * @param {SignalingMessage} message
   */
  send(message) {
    const text = JSON.stringify(message);
    const ws = this._ws;
    if (ws === null || ws.readyState !== OPEN || !this._joined) {
      this._buffer.push(text);
      if (this._buffer.length > this.maxBuffered) this._buffer.shift();
      return;
    }
    ws.send(text);
  }
  /**
   * Send an offer, answer or candidate to one member of the room.
   * @param {"offer" | "answer" | "candidate"} type
   * @param {string} to
   * @param {Record<string, unknown>} body `sdp`, or `candidate`
   */
  relay(type, to, body) {
    this.send({ ...body, type, to });
  }
  /**
   * Resolve once joined (again). Bound it with a timeout of your own.
   * @returns {Promise<void>}
   */
  waitConnected() {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this._joinedWaiters.push(resolve));
  }
  // -- internals ---------------------------------------------------------
  /**
   * Open a connection and join; resolve with it once welcomed.
   * @returns {Promise<WebSocketLike>}
   */
  _open() {
    return new Promise((resolve, reject) => {
      let ws;
      try {
        ws = new this._WebSocket(this.url);
      } catch (error) {
        reject(new SignalingError(`cannot reach ${this.url}: ${error}`));
        return;
      }
      let settled = false;
      const fail = (error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try {
          ws.close();
        } catch {
        }
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new SignalingError(`no welcome from ${this.url} within ${this.connectTimeout} s`)),
        this.connectTimeout * 1e3
      );
      ws.addEventListener("open", () => {
        const join = (
          /** @type {SignalingMessage} */
          { type: "join", room: this.room, id: ++this._nextId }
        );
        if (this.name) join.name = this.name;
        if (this.token) join.token = this.token;
        if (this._resume) join.resume = this._resume;
        ws.send(JSON.stringify({ type: "hello", version: VERSION2 }));
        ws.send(JSON.stringify(join));
      });
      ws.addEventListener("error", () => fail(new SignalingError(`cannot reach ${this.url}`)));
      ws.addEventListener("close", (event) => {
        if (!settled) fail(new SignalingError(`${this.url} closed the connection while joining (${event.code})`));
        else this._lost(ws, event.code);
      });
      ws.addEventListener("message", (event) => {
        this._lastHeard = Date.now();
        const message = parse(event.data);
        if (message === null) return;
        if (!settled) {
          if (message.type === "welcome") {
            settled = true;
            clearTimeout(timer);
            this._welcomed(ws, message);
            resolve(ws);
          } else if (message.type === "error") {
            fail(new SignalingError(`join refused: ${message.message}`, String(message.code)));
          }
          return;
        }
        if (ws !== this._ws) return;
        if (message.type === "ice-servers") this.welcome.iceServers = message.iceServers ?? [];
        if (message.type === "pong" && message.id === HEARTBEAT_ID) return;
        this._deliver(message);
      });
    });
  }
  /**
   * @param {WebSocketLike} ws
   * @param {SignalingMessage} welcome
   */
  _welcomed(ws, welcome) {
    this.welcome = welcome;
    this._resume = welcome.resume;
    this._ws = ws;
    this._joined = true;
    for (const text of this._buffer.splice(0)) ws.send(text);
    for (const wake of this._joinedWaiters.splice(0)) wake();
    this.onState?.("connected");
  }
  _startHeartbeat() {
    this._stopHeartbeat();
    this._lastHeard = Date.now();
    this._heartbeatTimer = setInterval(() => {
      const ws = this._ws;
      if (ws === null || ws.readyState !== OPEN) return;
      if (Date.now() - this._lastHeard > 2 * this.heartbeat * 1e3) {
        this._lost(ws, 1006);
        ws.close(CLOSE_KEEP_PLACE);
        return;
      }
      ws.send(JSON.stringify({ type: "ping", id: HEARTBEAT_ID }));
    }, this.heartbeat * 1e3);
  }
  _stopHeartbeat() {
    clearInterval(this._heartbeatTimer);
    this._heartbeatTimer = void 0;
  }
  /**
   * The connection ended without close() being called.
   * @param {WebSocketLike} ws
   * @param {number} code
   */
  _lost(ws, code) {
    if (this._closing || ws !== this._ws) return;
    this._ws = null;
    this._joined = false;
    this._stopHeartbeat();
    if (code === CLOSE_REPLACED) {
      this._closing = true;
      this.onState?.("closed");
      return;
    }
    this.onState?.("reconnecting");
    this._retry(0);
  }
  /** @param {number} attempt */
  _retry(attempt) {
    if (this._closing) return;
    this._retryTimer = setTimeout(async () => {
      if (this._closing) return;
      let ws;
      try {
        ws = await this._open();
      } catch (error) {
        if (this._closing) return;
        const code = error instanceof SignalingError ? error.code : "unreachable";
        if (code.startsWith("token")) {
          this._closing = true;
          this.onState?.("closed");
          return;
        }
        this._retry(attempt + 1);
        return;
      }
      if (this._closing) {
        ws.close(CLOSE_LEAVE);
        return;
      }
      this.reconnects++;
      this._startHeartbeat();
      this._deliver({ ...this.welcome, type: "welcome" });
    }, backoffDelay(this.backoff, attempt) * 1e3);
  }
  /** @param {SignalingMessage} message */
  _deliver(message) {
    try {
      const result = this.onMessage?.(message);
      if (result instanceof Promise) result.catch((error) => console.error("signaling: handler failed", error));
    } catch (error) {
      console.error("signaling: handler failed", error);
    }
  }
};
function parse(data) {
  if (typeof data !== "string") return null;
  try {
    const value = JSON.parse(data);
    return value !== null && typeof value === "object" && !Array.isArray(value) && typeof value.type === "string" ? value : null;
  } catch {
    return null;
  }
}

// src/editing/order.js
var order_exports = {};
__export(order_exports, {
  DIGITS: () => DIGITS,
  MAX_KEY_LENGTH: () => MAX_KEY_LENGTH,
  OrderKeyError: () => OrderKeyError,
  SALT_LENGTH: () => SALT_LENGTH,
  isKey: () => isKey,
  keyBetween: () => keyBetween,
  keysBetween: () => keysBetween,
  saltFor: () => saltFor
});
var DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
var BASE = DIGITS.length;
var SALT_LENGTH = 4;
var MAX_KEY_LENGTH = 256;
var KEY = new RegExp(`^[${DIGITS}]{1,${MAX_KEY_LENGTH}}$`);
var OrderKeyError = class extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "OrderKeyError";
  }
};
function isKey(key) {
  return typeof key === "string" && KEY.test(key) && !key.endsWith("0");
}
function index(digit) {
  return DIGITS.indexOf(digit);
}
function saltFor(clientId) {
  if (!Number.isSafeInteger(clientId) || clientId < 0) throw new RangeError(`bad client id ${clientId}`);
  const last = DIGITS[1 + clientId % (BASE - 1)];
  let rest = Math.floor(clientId / (BASE - 1));
  let head = "";
  for (let i = 0; i < SALT_LENGTH - 1; i++) {
    head += DIGITS[rest % BASE];
    rest = Math.floor(rest / BASE);
  }
  return head + last;
}
function keyBetween(low, high, salt) {
  checkSalt(salt);
  const lo = low !== null ? checked(low, "low") : "";
  const hi = high !== null ? checked(high, "high") : null;
  if (hi !== null && lo >= hi) {
    throw new OrderKeyError(`order keys out of order: ${JSON.stringify(low)} >= ${JSON.stringify(high)}`);
  }
  return midpoint(lo, hi, true) + salt;
}
function keysBetween(low, high, count, salt) {
  if (!Number.isInteger(count) || count < 0) throw new RangeError("count must not be negative");
  checkSalt(salt);
  if (count === 0) return [];
  const prefix = keyBetween(low, high, salt).slice(0, -salt.length);
  let width = 1;
  while (BASE ** width <= count) width++;
  const span = BASE ** width;
  const keys = [];
  for (let i = 0; i < count; i++) keys.push(fixed(prefix, Math.floor((i + 1) * span / (count + 1)), width) + salt);
  return keys;
}
function fixed(prefix, value, width) {
  let digits = "";
  for (let i = 0; i < width; i++) {
    digits = DIGITS[value % BASE] + digits;
    value = Math.floor(value / BASE);
  }
  return prefix + digits;
}
function midpoint(lo, hi, outer) {
  if (hi !== null) {
    let n = 0;
    while (n < hi.length && (n < lo.length ? lo[n] : "0") === hi[n]) n++;
    if (n) return hi.slice(0, n) + midpoint(lo.slice(n), hi.slice(n), outer);
  }
  const dLo = lo ? index(lo[0]) : 0;
  const dHi = hi !== null ? index(hi[0]) : BASE;
  if (dHi - dLo > 1) {
    let digit;
    if (outer && hi === null && lo) digit = dLo + 1;
    else if (outer && hi !== null && !lo) digit = dHi - 1;
    else digit = Math.floor((dLo + dHi) / 2);
    return DIGITS[digit];
  }
  const aboveLo = DIGITS[dLo] + midpoint(lo.slice(1), null, outer && hi === null);
  if (hi === null || hi.length === 1) return aboveLo;
  const belowHi = DIGITS[dHi] + midpoint("", hi.slice(1), false);
  return belowHi.length < aboveLo.length ? belowHi : aboveLo;
}
function checked(key, name) {
  if (!isKey(key)) throw new OrderKeyError(`${name} is not a valid order key: ${JSON.stringify(key)}`);
  return key;
}
function checkSalt(salt) {
  if (!isKey(salt)) throw new OrderKeyError(`invalid salt: ${JSON.stringify(salt)}`);
}

// src/editing/schema.js
var schema_exports = {};
__export(schema_exports, {
  MAX_ID_LENGTH: () => MAX_ID_LENGTH,
  MAX_PROP_NAME_LENGTH: () => MAX_PROP_NAME_LENGTH,
  MAX_VALUE_BYTES: () => MAX_VALUE_BYTES,
  MAX_VALUE_DEPTH: () => MAX_VALUE_DEPTH,
  UNPLACED: () => UNPLACED,
  ValidationError: () => ValidationError,
  checkId: () => checkId,
  checkPropName: () => checkPropName,
  checkType: () => checkType,
  checkValue: () => checkValue,
  isPlainObject: () => isPlainObject,
  parseEntry: () => parseEntry,
  parsePlace: () => parsePlace
});
var MAX_ID_LENGTH = 128;
var MAX_PROP_NAME_LENGTH = 256;
var MAX_VALUE_BYTES = 64 * 1024;
var MAX_VALUE_DEPTH = 32;
var NAME = new RegExp(`^[A-Za-z0-9_.:\\-]{1,${MAX_ID_LENGTH}}$`);
var utf83 = new TextEncoder();
var UNPLACED = Object.freeze({ parent: null, order: "z" });
var ValidationError = class extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "ValidationError";
  }
};
function shown(value) {
  let text;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  } catch {
    text = String(value);
  }
  return text.slice(0, 80);
}
function checkId(value, what = "id") {
  if (typeof value !== "string" || !NAME.test(value)) {
    throw new ValidationError(
      `${what} must be 1 to ${MAX_ID_LENGTH} characters from A-Z a-z 0-9 _ . : -, got ${shown(value)}`
    );
  }
  return value;
}
function checkType(value) {
  return checkId(value, "type");
}
function codePoints(text) {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
function checkPropName(value) {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_PROP_NAME_LENGTH && codePoints(value) > MAX_PROP_NAME_LENGTH) {
    throw new ValidationError(
      `property name must be a string of 1 to ${MAX_PROP_NAME_LENGTH} characters, got ${shown(value)}`
    );
  }
  return value;
}
function checkValue(value, where = "value") {
  if (typeof value === "string" && value.length * 6 + 2 <= MAX_VALUE_BYTES) return value;
  checkTree(value, where, 0);
  if (typeof value === "string" || Array.isArray(value) || value !== null && typeof value === "object") {
    const size = utf83.encode(JSON.stringify(value)).length;
    if (size > MAX_VALUE_BYTES) throw new ValidationError(`${where} is ${size} bytes as JSON, more than ${MAX_VALUE_BYTES}`);
  }
  return (
    /** @type {JSONValue} */
    value
  );
}
function checkTree(value, where, depth) {
  if (depth > MAX_VALUE_DEPTH) throw new ValidationError(`${where} is nested more than ${MAX_VALUE_DEPTH} deep`);
  if (value === null || typeof value === "boolean" || typeof value === "string") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ValidationError(`${where} is not a finite number`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkTree(item, `${where}[${i}]`, depth + 1));
    return;
  }
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) checkTree(item, `${where}.${key}`, depth + 1);
    return;
  }
  throw new ValidationError(`${where} is not a JSON value: ${typeof value}`);
}
function isPlainObject(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
function parsePlace(raw, where = "pos") {
  if (!isPlainObject(raw)) throw new ValidationError(`${where} must be an object`);
  const parent = raw.parent ?? null;
  if (parent !== null) checkId(parent, `${where}.parent`);
  const order = raw.order;
  if (!isKey(order)) throw new ValidationError(`${where}.order is not a valid order key: ${shown(order)}`);
  return { parent: (
    /** @type {string | null} */
    parent
  ), order };
}
function parseEntry(raw) {
  if (!isPlainObject(raw)) throw new ValidationError("node must be an object");
  const pos = raw.pos ?? null;
  let place = UNPLACED;
  let prev = null;
  if (pos !== null) {
    place = parsePlace(pos);
    const prevRaw = (
      /** @type {Record<string, unknown>} */
      pos.prev ?? null
    );
    if (prevRaw !== null) prev = parsePlace(prevRaw, "pos.prev");
  }
  const deleted = raw.deleted === void 0 ? false : raw.deleted;
  if (typeof deleted !== "boolean") throw new ValidationError("deleted must be a boolean");
  return { place, deleted, prev };
}

// src/presence/colors.js
var colors_exports = {};
__export(colors_exports, {
  PALETTE: () => PALETTE,
  PALETTE_SIZE: () => PALETTE_SIZE,
  pickColor: () => pickColor,
  preferredSlot: () => preferredSlot
});

// node_modules/lib0/hash/sha256.js
var rotr = (w, shift) => w >>> shift | w << 32 - shift;
var sum0to256 = (x) => rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22);
var sum1to256 = (x) => rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25);
var sigma0to256 = (x) => rotr(x, 7) ^ rotr(x, 18) ^ x >>> 3;
var sigma1to256 = (x) => rotr(x, 17) ^ rotr(x, 19) ^ x >>> 10;
var K = new Uint32Array([
  1116352408,
  1899447441,
  3049323471,
  3921009573,
  961987163,
  1508970993,
  2453635748,
  2870763221,
  3624381080,
  310598401,
  607225278,
  1426881987,
  1925078388,
  2162078206,
  2614888103,
  3248222580,
  3835390401,
  4022224774,
  264347078,
  604807628,
  770255983,
  1249150122,
  1555081692,
  1996064986,
  2554220882,
  2821834349,
  2952996808,
  3210313671,
  3336571891,
  3584528711,
  113926993,
  338241895,
  666307205,
  773529912,
  1294757372,
  1396182291,
  1695183700,
  1986661051,
  2177026350,
  2456956037,
  2730485921,
  2820302411,
  3259730800,
  3345764771,
  3516065817,
  3600352804,
  4094571909,
  275423344,
  430227734,
  506948616,
  659060556,
  883997877,
  958139571,
  1322822218,
  1537002063,
  1747873779,
  1955562222,
  2024104815,
  2227730452,
  2361852424,
  2428436474,
  2756734187,
  3204031479,
  3329325298
]);
var HINIT = new Uint32Array([
  1779033703,
  3144134277,
  1013904242,
  2773480762,
  1359893119,
  2600822924,
  528734635,
  1541459225
]);
var Hasher = class {
  constructor() {
    const buf = new ArrayBuffer(64 + 64 * 4);
    this._H = new Uint32Array(buf, 0, 8);
    this._H.set(HINIT);
    this._W = new Uint32Array(buf, 64, 64);
  }
  _updateHash() {
    const H = this._H;
    const W = this._W;
    for (let t = 16; t < 64; t++) {
      W[t] = sigma1to256(W[t - 2]) + W[t - 7] + sigma0to256(W[t - 15]) + W[t - 16];
    }
    let a = H[0];
    let b = H[1];
    let c = H[2];
    let d = H[3];
    let e = H[4];
    let f = H[5];
    let g = H[6];
    let h = H[7];
    for (let tt = 0, T1, T2; tt < 64; tt++) {
      T1 = h + sum1to256(e) + (e & f ^ ~e & g) + K[tt] + W[tt] >>> 0;
      T2 = sum0to256(a) + (a & b ^ a & c ^ b & c) >>> 0;
      h = g;
      g = f;
      f = e;
      e = d + T1 >>> 0;
      d = c;
      c = b;
      b = a;
      a = T1 + T2 >>> 0;
    }
    H[0] += a;
    H[1] += b;
    H[2] += c;
    H[3] += d;
    H[4] += e;
    H[5] += f;
    H[6] += g;
    H[7] += h;
  }
  /**
   * Returns a 32-byte hash.
   *
   * @param {Uint8Array} data
   */
  digest(data) {
    let i = 0;
    for (; i + 56 <= data.length; ) {
      let j2 = 0;
      for (; j2 < 16 && i + 3 < data.length; j2++) {
        this._W[j2] = data[i++] << 24 | data[i++] << 16 | data[i++] << 8 | data[i++];
      }
      if (i % 64 !== 0) {
        this._W.fill(0, j2, 16);
        while (i < data.length) {
          this._W[j2] |= data[i] << (3 - i % 4) * 8;
          i++;
        }
        this._W[j2] |= BIT8 << (3 - i % 4) * 8;
      }
      this._updateHash();
    }
    const isPaddedWith1 = i % 64 !== 0;
    this._W.fill(0, 0, 16);
    let j = 0;
    for (; i < data.length; j++) {
      for (let ci = 3; ci >= 0 && i < data.length; ci--) {
        this._W[j] |= data[i++] << ci * 8;
      }
    }
    if (!isPaddedWith1) {
      this._W[j - (i % 4 === 0 ? 0 : 1)] |= BIT8 << (3 - i % 4) * 8;
    }
    this._W[14] = data.byteLength / BIT30;
    this._W[15] = data.byteLength * 8;
    this._updateHash();
    const dv = new Uint8Array(32);
    for (let i2 = 0; i2 < this._H.length; i2++) {
      for (let ci = 0; ci < 4; ci++) {
        dv[i2 * 4 + ci] = this._H[i2] >>> (3 - ci) * 8;
      }
    }
    return dv;
  }
};
var digest = (data) => new Hasher().digest(data);

// src/presence/colors.js
var PALETTE = Object.freeze([
  "#c32222",
  "#c37322",
  "#c3c322",
  "#73c322",
  "#22c322",
  "#22c373",
  "#22c3c3",
  "#2273c3",
  "#2222c3",
  "#7322c3",
  "#c322c3",
  "#c32273"
]);
var PALETTE_SIZE = PALETTE.length;
var utf84 = new TextEncoder();
function preferredSlot(peerId) {
  const hash = digest(utf84.encode(peerId));
  const first = new DataView(hash.buffer, hash.byteOffset, 8).getBigUint64(0);
  return Number(first % BigInt(PALETTE_SIZE));
}
function pickColor(peerId, taken) {
  const used = /* @__PURE__ */ new Set();
  for (const color of taken) {
    const slot = PALETTE.indexOf(String(color).toLowerCase());
    if (slot >= 0) used.add(slot);
  }
  const preferred = preferredSlot(peerId);
  const free = [];
  for (let slot = 0; slot < PALETTE_SIZE; slot++) if (!used.has(slot)) free.push(slot);
  if (free.includes(preferred) || !free.length) return PALETTE[preferred];
  const rank = (slot) => {
    let spread = Infinity;
    for (const other of used) spread = Math.min(spread, distance(slot, other));
    const offset = ((slot - preferred) % PALETTE_SIZE + PALETTE_SIZE) % PALETTE_SIZE;
    return [-spread, Math.min(offset, PALETTE_SIZE - offset), offset];
  };
  let best = free[0];
  let bestRank = rank(best);
  for (const slot of free.slice(1)) {
    const r = rank(slot);
    if (r[0] < bestRank[0] || r[0] === bestRank[0] && (r[1] < bestRank[1] || r[1] === bestRank[1] && r[2] < bestRank[2])) {
      best = slot;
      bestRank = r;
    }
  }
  return PALETTE[best];
}
function distance(a, b) {
  const steps = Math.abs(a - b) % PALETTE_SIZE;
  return Math.min(steps, PALETTE_SIZE - steps);
}
export {
  Bus,
  BusFull,
  SignalingClient,
  SignalingError,
  bus_exports as bus,
  colors_exports as colors,
  messageJson,
  order_exports as order,
  schema_exports as schema,
  client_exports as signaling,
  wire_exports as wire
};
