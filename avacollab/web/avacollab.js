var __defProp = Object.defineProperty;
var __export = (target, all2) => {
  for (var name in all2)
    __defProp(target, name, { get: all2[name], enumerable: true });
};

// src/editing/sync.js
var sync_exports = {};
__export(sync_exports, {
  COMPRESS_FROM: () => COMPRESS_FROM,
  Editing: () => Editing,
  MAX_MESSAGE_SIZE: () => MAX_MESSAGE_SIZE,
  STEP1: () => STEP1,
  STEP2: () => STEP2,
  SyncError: () => SyncError,
  TOPIC: () => TOPIC2,
  UPDATE: () => UPDATE,
  decode: () => decode,
  encode: () => encode
});

// node_modules/lib0/binary.js
var BIT1 = 1;
var BIT2 = 2;
var BIT3 = 4;
var BIT4 = 8;
var BIT6 = 32;
var BIT7 = 64;
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
var BITS5 = 31;
var BITS6 = 63;
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
var BITS31 = 2147483647;

// node_modules/lib0/math.js
var floor = Math.floor;
var abs = Math.abs;
var min = (a, b) => a < b ? a : b;
var max = (a, b) => a > b ? a : b;
var isNaN = Number.isNaN;
var isNegativeZero = (n) => n !== 0 ? n < 0 : 1 / n < 0;

// node_modules/lib0/number.js
var MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER;
var MIN_SAFE_INTEGER = Number.MIN_SAFE_INTEGER;
var LOWEST_INT32 = 1 << 31;
var isInteger = Number.isInteger || ((num) => typeof num === "number" && isFinite(num) && floor(num) === num);
var isNaN2 = Number.isNaN;
var parseInt = Number.parseInt;

// node_modules/lib0/set.js
var create = () => /* @__PURE__ */ new Set();

// node_modules/lib0/array.js
var last = (arr) => arr[arr.length - 1];
var appendTo = (dest, src) => {
  for (let i = 0; i < src.length; i++) {
    dest.push(src[i]);
  }
};
var from = Array.from;
var every = (arr, f) => {
  for (let i = 0; i < arr.length; i++) {
    if (!f(arr[i], i, arr)) {
      return false;
    }
  }
  return true;
};
var some = (arr, f) => {
  for (let i = 0; i < arr.length; i++) {
    if (f(arr[i], i, arr)) {
      return true;
    }
  }
  return false;
};
var unfold = (len, f) => {
  const array = new Array(len);
  for (let i = 0; i < len; i++) {
    array[i] = f(i, array);
  }
  return array;
};
var isArray = Array.isArray;

// node_modules/lib0/string.js
var fromCharCode = String.fromCharCode;
var fromCodePoint = String.fromCodePoint;
var MAX_UTF16_CHARACTER = fromCharCode(65535);
var toLowerCase = (s) => s.toLowerCase();
var trimLeftRegex = /^\s*/g;
var trimLeft = (s) => s.replace(trimLeftRegex, "");
var fromCamelCaseRegex = /([A-Z])/g;
var fromCamelCase = (s, separator) => trimLeft(s.replace(fromCamelCaseRegex, (match2) => `${separator}${toLowerCase(match2)}`));
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
var repeat = (source, n) => unfold(n, () => source).join("");

// node_modules/lib0/error.js
var create2 = (s) => new Error(s);
var methodUnimplemented = () => {
  throw create2("Method unimplemented");
};
var unexpectedCase = () => {
  throw create2("Unexpected case");
};

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
var verifyLen = (encoder, len) => {
  const bufferLen = encoder.cbuf.length;
  if (bufferLen - encoder.cpos < len) {
    encoder.bufs.push(new Uint8Array(encoder.cbuf.buffer, 0, encoder.cpos));
    encoder.cbuf = new Uint8Array(max(bufferLen, len) * 2);
    encoder.cpos = 0;
  }
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
var writeVarInt = (encoder, num) => {
  const isNegative = isNegativeZero(num);
  if (isNegative) {
    num = -num;
  }
  write(encoder, (num > BITS6 ? BIT8 : 0) | (isNegative ? BIT7 : 0) | BITS6 & num);
  num = floor(num / 64);
  while (num > 0) {
    write(encoder, (num > BITS7 ? BIT8 : 0) | BITS7 & num);
    num = floor(num / 128);
  }
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
var writeOnDataView = (encoder, len) => {
  verifyLen(encoder, len);
  const dview = new DataView(encoder.cbuf.buffer, encoder.cpos, len);
  encoder.cpos += len;
  return dview;
};
var writeFloat32 = (encoder, num) => writeOnDataView(encoder, 4).setFloat32(0, num, false);
var writeFloat64 = (encoder, num) => writeOnDataView(encoder, 8).setFloat64(0, num, false);
var writeBigInt64 = (encoder, num) => (
  /** @type {any} */
  writeOnDataView(encoder, 8).setBigInt64(0, num, false)
);
var floatTestBed = new DataView(new ArrayBuffer(4));
var isFloat32 = (num) => {
  floatTestBed.setFloat32(0, num);
  return floatTestBed.getFloat32(0) === num;
};
var writeAny = (encoder, data) => {
  switch (typeof data) {
    case "string":
      write(encoder, 119);
      writeVarString(encoder, data);
      break;
    case "number":
      if (isInteger(data) && abs(data) <= BITS31) {
        write(encoder, 125);
        writeVarInt(encoder, data);
      } else if (isFloat32(data)) {
        write(encoder, 124);
        writeFloat32(encoder, data);
      } else {
        write(encoder, 123);
        writeFloat64(encoder, data);
      }
      break;
    case "bigint":
      write(encoder, 122);
      writeBigInt64(encoder, data);
      break;
    case "object":
      if (data === null) {
        write(encoder, 126);
      } else if (isArray(data)) {
        write(encoder, 117);
        writeVarUint(encoder, data.length);
        for (let i = 0; i < data.length; i++) {
          writeAny(encoder, data[i]);
        }
      } else if (data instanceof Uint8Array) {
        write(encoder, 116);
        writeVarUint8Array(encoder, data);
      } else {
        write(encoder, 118);
        const keys2 = Object.keys(data);
        writeVarUint(encoder, keys2.length);
        for (let i = 0; i < keys2.length; i++) {
          const key = keys2[i];
          writeVarString(encoder, key);
          writeAny(encoder, data[key]);
        }
      }
      break;
    case "boolean":
      write(encoder, data ? 120 : 121);
      break;
    default:
      write(encoder, 127);
  }
};
var RleEncoder = class extends Encoder {
  /**
   * @param {function(Encoder, T):void} writer
   */
  constructor(writer) {
    super();
    this.w = writer;
    this.s = null;
    this.count = 0;
  }
  /**
   * @param {T} v
   */
  write(v) {
    if (this.s === v) {
      this.count++;
    } else {
      if (this.count > 0) {
        writeVarUint(this, this.count - 1);
      }
      this.count = 1;
      this.w(this, v);
      this.s = v;
    }
  }
};
var flushUintOptRleEncoder = (encoder) => {
  if (encoder.count > 0) {
    writeVarInt(encoder.encoder, encoder.count === 1 ? encoder.s : -encoder.s);
    if (encoder.count > 1) {
      writeVarUint(encoder.encoder, encoder.count - 2);
    }
  }
};
var UintOptRleEncoder = class {
  constructor() {
    this.encoder = new Encoder();
    this.s = 0;
    this.count = 0;
  }
  /**
   * @param {number} v
   */
  write(v) {
    if (this.s === v) {
      this.count++;
    } else {
      flushUintOptRleEncoder(this);
      this.count = 1;
      this.s = v;
    }
  }
  /**
   * Flush the encoded state and transform this to a Uint8Array.
   *
   * Note that this should only be called once.
   */
  toUint8Array() {
    flushUintOptRleEncoder(this);
    return toUint8Array(this.encoder);
  }
};
var flushIntDiffOptRleEncoder = (encoder) => {
  if (encoder.count > 0) {
    const encodedDiff = encoder.diff * 2 + (encoder.count === 1 ? 0 : 1);
    writeVarInt(encoder.encoder, encodedDiff);
    if (encoder.count > 1) {
      writeVarUint(encoder.encoder, encoder.count - 2);
    }
  }
};
var IntDiffOptRleEncoder = class {
  constructor() {
    this.encoder = new Encoder();
    this.s = 0;
    this.count = 0;
    this.diff = 0;
  }
  /**
   * @param {number} v
   */
  write(v) {
    if (this.diff === v - this.s) {
      this.s = v;
      this.count++;
    } else {
      flushIntDiffOptRleEncoder(this);
      this.count = 1;
      this.diff = v - this.s;
      this.s = v;
    }
  }
  /**
   * Flush the encoded state and transform this to a Uint8Array.
   *
   * Note that this should only be called once.
   */
  toUint8Array() {
    flushIntDiffOptRleEncoder(this);
    return toUint8Array(this.encoder);
  }
};
var StringEncoder = class {
  constructor() {
    this.sarr = [];
    this.s = "";
    this.lensE = new UintOptRleEncoder();
  }
  /**
   * @param {string} string
   */
  write(string) {
    this.s += string;
    if (this.s.length > 19) {
      this.sarr.push(this.s);
      this.s = "";
    }
    this.lensE.write(string.length);
  }
  toUint8Array() {
    const encoder = new Encoder();
    this.sarr.push(this.s);
    this.s = "";
    writeVarString(encoder, this.sarr.join(""));
    writeUint8Array(encoder, this.lensE.toUint8Array());
    return toUint8Array(encoder);
  }
};

// node_modules/lib0/decoding.js
var errorUnexpectedEndOfArray = create2("Unexpected end of array");
var errorIntegerOutOfRange = create2("Integer out of Range");
var subarray = (arr, begin, len) => {
  if (begin < 0 || len < 0 || begin + len > arr.length) {
    throw errorUnexpectedEndOfArray;
  }
  return new Uint8Array(arr.buffer, arr.byteOffset + begin, len);
};
var subdataview = (arr, begin, len) => {
  if (begin < 0 || len < 0 || begin + len > arr.length) {
    throw errorUnexpectedEndOfArray;
  }
  return new DataView(arr.buffer, arr.byteOffset + begin, len);
};
var Decoder = class {
  /**
   * @param {Uint8Array<Buf>} uint8Array Binary data to decode
   */
  constructor(uint8Array) {
    this.arr = uint8Array;
    this.pos = 0;
  }
};
var createDecoder = (uint8Array) => new Decoder(uint8Array);
var hasContent = (decoder) => decoder.pos !== decoder.arr.length;
var readUint8Array = (decoder, len) => {
  const view = subarray(decoder.arr, decoder.pos, len);
  decoder.pos += len;
  return view;
};
var readVarUint8Array = (decoder) => readUint8Array(decoder, readVarUint(decoder));
var readUint8 = (decoder) => decoder.arr[decoder.pos++];
var readVarUint = (decoder) => {
  let num = 0;
  let mult = 1;
  const len = decoder.arr.length;
  while (decoder.pos < len) {
    const r = decoder.arr[decoder.pos++];
    num = num + (r & BITS7) * mult;
    mult *= 128;
    if (r < BIT8) {
      return num;
    }
    if (num > MAX_SAFE_INTEGER) {
      throw errorIntegerOutOfRange;
    }
  }
  throw errorUnexpectedEndOfArray;
};
var readVarInt = (decoder) => {
  let r = decoder.arr[decoder.pos++];
  let num = r & BITS6;
  let mult = 64;
  const sign = (r & BIT7) > 0 ? -1 : 1;
  if ((r & BIT8) === 0) {
    return sign * num;
  }
  const len = decoder.arr.length;
  while (decoder.pos < len) {
    r = decoder.arr[decoder.pos++];
    num = num + (r & BITS7) * mult;
    mult *= 128;
    if (r < BIT8) {
      return sign * num;
    }
    if (num > MAX_SAFE_INTEGER) {
      throw errorIntegerOutOfRange;
    }
  }
  throw errorUnexpectedEndOfArray;
};
var _readVarStringPolyfill = (decoder) => {
  let remainingLen = readVarUint(decoder);
  if (remainingLen === 0) {
    return "";
  } else {
    let encodedString = String.fromCodePoint(readUint8(decoder));
    if (--remainingLen < 100) {
      while (remainingLen--) {
        encodedString += String.fromCodePoint(readUint8(decoder));
      }
    } else {
      while (remainingLen > 0) {
        const nextLen = remainingLen < 1e4 ? remainingLen : 1e4;
        const bytes = decoder.arr.subarray(decoder.pos, decoder.pos + nextLen);
        decoder.pos += nextLen;
        encodedString += String.fromCodePoint.apply(
          null,
          /** @type {any} */
          bytes
        );
        remainingLen -= nextLen;
      }
    }
    return decodeURIComponent(escape(encodedString));
  }
};
var _readVarStringNative = (decoder) => (
  /** @type any */
  utf8TextDecoder.decode(readVarUint8Array(decoder))
);
var readVarString = utf8TextDecoder ? _readVarStringNative : _readVarStringPolyfill;
var readFromDataView = (decoder, len) => {
  const dv = subdataview(decoder.arr, decoder.pos, len);
  decoder.pos += len;
  return dv;
};
var readFloat32 = (decoder) => readFromDataView(decoder, 4).getFloat32(0, false);
var readFloat64 = (decoder) => readFromDataView(decoder, 8).getFloat64(0, false);
var readBigInt64 = (decoder) => (
  /** @type {any} */
  readFromDataView(decoder, 8).getBigInt64(0, false)
);
var readAnyLookupTable = [
  (decoder) => void 0,
  // CASE 127: undefined
  (decoder) => null,
  // CASE 126: null
  readVarInt,
  // CASE 125: integer
  readFloat32,
  // CASE 124: float32
  readFloat64,
  // CASE 123: float64
  readBigInt64,
  // CASE 122: bigint
  (decoder) => false,
  // CASE 121: boolean (false)
  (decoder) => true,
  // CASE 120: boolean (true)
  readVarString,
  // CASE 119: string
  (decoder) => {
    const len = readVarUint(decoder);
    const obj = {};
    for (let i = 0; i < len; i++) {
      const key = readVarString(decoder);
      obj[key] = readAny(decoder);
    }
    return obj;
  },
  (decoder) => {
    const len = readVarUint(decoder);
    const arr = [];
    for (let i = 0; i < len; i++) {
      arr.push(readAny(decoder));
    }
    return arr;
  },
  readVarUint8Array
  // CASE 116: Uint8Array
];
var readAny = (decoder) => readAnyLookupTable[127 - readUint8(decoder)](decoder);
var RleDecoder = class extends Decoder {
  /**
   * @param {Uint8Array} uint8Array
   * @param {function(Decoder):T} reader
   */
  constructor(uint8Array, reader) {
    super(uint8Array);
    this.reader = reader;
    this.s = null;
    this.count = 0;
  }
  read() {
    if (this.count === 0) {
      this.s = this.reader(this);
      if (hasContent(this)) {
        this.count = readVarUint(this) + 1;
      } else {
        this.count = -1;
      }
    }
    this.count--;
    return (
      /** @type {T} */
      this.s
    );
  }
};
var UintOptRleDecoder = class extends Decoder {
  /**
   * @param {Uint8Array} uint8Array
   */
  constructor(uint8Array) {
    super(uint8Array);
    this.s = 0;
    this.count = 0;
  }
  read() {
    if (this.count === 0) {
      this.s = readVarInt(this);
      const isNegative = isNegativeZero(this.s);
      this.count = 1;
      if (isNegative) {
        this.s = -this.s;
        this.count = readVarUint(this) + 2;
      }
    }
    this.count--;
    return (
      /** @type {number} */
      this.s
    );
  }
};
var IntDiffOptRleDecoder = class extends Decoder {
  /**
   * @param {Uint8Array} uint8Array
   */
  constructor(uint8Array) {
    super(uint8Array);
    this.s = 0;
    this.count = 0;
    this.diff = 0;
  }
  /**
   * @return {number}
   */
  read() {
    if (this.count === 0) {
      const diff = readVarInt(this);
      const hasCount = diff & 1;
      this.diff = floor(diff / 2);
      this.count = 1;
      if (hasCount) {
        this.count = readVarUint(this) + 2;
      }
    }
    this.s += this.diff;
    this.count--;
    return this.s;
  }
};
var StringDecoder = class {
  /**
   * @param {Uint8Array} uint8Array
   */
  constructor(uint8Array) {
    this.decoder = new UintOptRleDecoder(uint8Array);
    this.str = readVarString(this.decoder);
    this.spos = 0;
  }
  /**
   * @return {string}
   */
  read() {
    const end = this.spos + this.decoder.read();
    const res = this.str.slice(this.spos, end);
    this.spos = end;
    return res;
  }
};

// node_modules/lib0/map.js
var create3 = () => /* @__PURE__ */ new Map();
var copy = (m) => {
  const r = create3();
  m.forEach((v, k) => {
    r.set(k, v);
  });
  return r;
};
var setIfUndefined = (map2, key, createT) => {
  let set = map2.get(key);
  if (set === void 0) {
    map2.set(key, set = createT());
  }
  return set;
};
var map = (m, f) => {
  const res = [];
  for (const [key, value] of m) {
    res.push(f(value, key));
  }
  return res;
};
var any = (m, f) => {
  for (const [key, value] of m) {
    if (f(value, key)) {
      return true;
    }
  }
  return false;
};

// node_modules/lib0/observable.js
var ObservableV2 = class {
  constructor() {
    this._observers = create3();
  }
  /**
   * @template {keyof EVENTS & string} NAME
   * @param {NAME} name
   * @param {EVENTS[NAME]} f
   */
  on(name, f) {
    setIfUndefined(
      this._observers,
      /** @type {string} */
      name,
      create
    ).add(f);
    return f;
  }
  /**
   * @template {keyof EVENTS & string} NAME
   * @param {NAME} name
   * @param {EVENTS[NAME]} f
   */
  once(name, f) {
    const _f = (...args2) => {
      this.off(
        name,
        /** @type {any} */
        _f
      );
      f(...args2);
    };
    this.on(
      name,
      /** @type {any} */
      _f
    );
  }
  /**
   * @template {keyof EVENTS & string} NAME
   * @param {NAME} name
   * @param {EVENTS[NAME]} f
   */
  off(name, f) {
    const observers = this._observers.get(name);
    if (observers !== void 0) {
      observers.delete(f);
      if (observers.size === 0) {
        this._observers.delete(name);
      }
    }
  }
  /**
   * Emit a named event. All registered event listeners that listen to the
   * specified name will receive the event.
   *
   * @todo This should catch exceptions
   *
   * @template {keyof EVENTS & string} NAME
   * @param {NAME} name The event name.
   * @param {Parameters<EVENTS[NAME]>} args The arguments that are applied to the event listener.
   */
  emit(name, args2) {
    return from((this._observers.get(name) || create3()).values()).forEach((f) => f(...args2));
  }
  destroy() {
    this._observers = create3();
  }
};
var Observable = class {
  constructor() {
    this._observers = create3();
  }
  /**
   * @param {N} name
   * @param {function} f
   */
  on(name, f) {
    setIfUndefined(this._observers, name, create).add(f);
  }
  /**
   * @param {N} name
   * @param {function} f
   */
  once(name, f) {
    const _f = (...args2) => {
      this.off(name, _f);
      f(...args2);
    };
    this.on(name, _f);
  }
  /**
   * @param {N} name
   * @param {function} f
   */
  off(name, f) {
    const observers = this._observers.get(name);
    if (observers !== void 0) {
      observers.delete(f);
      if (observers.size === 0) {
        this._observers.delete(name);
      }
    }
  }
  /**
   * Emit a named event. All registered event listeners that listen to the
   * specified name will receive the event.
   *
   * @todo This should catch exceptions
   *
   * @param {N} name The event name.
   * @param {Array<any>} args The arguments that are applied to the event listener.
   */
  emit(name, args2) {
    return from((this._observers.get(name) || create3()).values()).forEach((f) => f(...args2));
  }
  destroy() {
    this._observers = create3();
  }
};

// node_modules/lib0/webcrypto.js
var subtle = crypto.subtle;
var getRandomValues = crypto.getRandomValues.bind(crypto);

// node_modules/lib0/random.js
var uint32 = () => getRandomValues(new Uint32Array(1))[0];
var uuidv4Template = "10000000-1000-4000-8000" + -1e11;
var uuidv4 = () => uuidv4Template.replace(
  /[018]/g,
  /** @param {number} c */
  (c) => (c ^ uint32() & 15 >> c / 4).toString(16)
);

// node_modules/lib0/time.js
var getUnixTime = Date.now;

// node_modules/lib0/promise.js
var create4 = (f) => (
  /** @type {Promise<T>} */
  new Promise(f)
);
var all = Promise.all.bind(Promise);

// node_modules/lib0/conditions.js
var undefinedToNull = (v) => v === void 0 ? null : v;

// node_modules/lib0/storage.js
var VarStoragePolyfill = class {
  constructor() {
    this.map = /* @__PURE__ */ new Map();
  }
  /**
   * @param {string} key
   * @param {any} newValue
   */
  setItem(key, newValue) {
    this.map.set(key, newValue);
  }
  /**
   * @param {string} key
   */
  getItem(key) {
    return this.map.get(key);
  }
};
var _localStorage = new VarStoragePolyfill();
var usePolyfill = true;
try {
  if (typeof window !== "undefined" && typeof localStorage !== "undefined" && localStorage) {
    _localStorage = localStorage;
    usePolyfill = false;
  }
} catch (e) {
}
var varStorage = _localStorage;

// node_modules/lib0/trait/equality.js
var EqualityTraitSymbol = /* @__PURE__ */ Symbol("Equality");
var equals = (a, b) => a === b || !!a?.[EqualityTraitSymbol]?.(b) || false;

// node_modules/lib0/object.js
var isObject = (o) => typeof o === "object";
var assign = Object.assign;
var keys = Object.keys;
var forEach = (obj, f) => {
  for (const key in obj) {
    f(obj[key], key);
  }
};
var size = (obj) => keys(obj).length;
var isEmpty = (obj) => {
  for (const _k in obj) {
    return false;
  }
  return true;
};
var every2 = (obj, f) => {
  for (const key in obj) {
    if (!f(obj[key], key)) {
      return false;
    }
  }
  return true;
};
var hasProperty = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);
var equalFlat = (a, b) => a === b || size(a) === size(b) && every2(a, (val, key) => (val !== void 0 || hasProperty(b, key)) && equals(b[key], val));
var freeze = Object.freeze;
var deepFreeze = (o) => {
  for (const key in o) {
    const c = o[key];
    if (typeof c === "object" || typeof c === "function") {
      deepFreeze(o[key]);
    }
  }
  return freeze(o);
};

// node_modules/lib0/function.js
var callAll = (fs, args2, i = 0) => {
  try {
    for (; i < fs.length; i++) {
      fs[i](...args2);
    }
  } finally {
    if (i < fs.length) {
      callAll(fs, args2, i + 1);
    }
  }
};
var id = (a) => a;
var equalityDeep = (a, b) => {
  if (a === b) {
    return true;
  }
  if (a == null || b == null || a.constructor !== b.constructor && (a.constructor || Object) !== (b.constructor || Object)) {
    return false;
  }
  if (a[EqualityTraitSymbol] != null) {
    return a[EqualityTraitSymbol](b);
  }
  switch (a.constructor) {
    case ArrayBuffer:
      a = new Uint8Array(a);
      b = new Uint8Array(b);
    // eslint-disable-next-line no-fallthrough
    case Uint8Array: {
      if (a.byteLength !== b.byteLength) {
        return false;
      }
      for (let i = 0; i < a.length; i++) {
        if (a[i] !== b[i]) {
          return false;
        }
      }
      break;
    }
    case Set: {
      if (a.size !== b.size) {
        return false;
      }
      for (const value of a) {
        if (!b.has(value)) {
          return false;
        }
      }
      break;
    }
    case Map: {
      if (a.size !== b.size) {
        return false;
      }
      for (const key of a.keys()) {
        if (!b.has(key) || !equalityDeep(a.get(key), b.get(key))) {
          return false;
        }
      }
      break;
    }
    case void 0:
    case Object:
      if (size(a) !== size(b)) {
        return false;
      }
      for (const key in a) {
        if (!hasProperty(a, key) || !equalityDeep(a[key], b[key])) {
          return false;
        }
      }
      break;
    case Array:
      if (a.length !== b.length) {
        return false;
      }
      for (let i = 0; i < a.length; i++) {
        if (!equalityDeep(a[i], b[i])) {
          return false;
        }
      }
      break;
    default:
      return false;
  }
  return true;
};
var isOneOf = (value, options) => options.includes(value);

// node_modules/lib0/environment.js
var isNode = typeof process !== "undefined" && process.release && /node|io\.js/.test(process.release.name) && Object.prototype.toString.call(typeof process !== "undefined" ? process : 0) === "[object process]";
var isMac = typeof navigator !== "undefined" ? /Mac/.test(navigator.platform) : false;
var params;
var args = [];
var computeParams = () => {
  if (params === void 0) {
    if (isNode) {
      params = create3();
      const pargs = process.argv;
      let currParamName = null;
      for (let i = 0; i < pargs.length; i++) {
        const parg = pargs[i];
        if (parg[0] === "-") {
          if (currParamName !== null) {
            params.set(currParamName, "");
          }
          currParamName = parg;
        } else {
          if (currParamName !== null) {
            params.set(currParamName, parg);
            currParamName = null;
          } else {
            args.push(parg);
          }
        }
      }
      if (currParamName !== null) {
        params.set(currParamName, "");
      }
    } else if (typeof location === "object") {
      params = create3();
      (location.search || "?").slice(1).split("&").forEach((kv) => {
        if (kv.length !== 0) {
          const [key, value] = kv.split("=");
          params.set(`--${fromCamelCase(key, "-")}`, value);
          params.set(`-${fromCamelCase(key, "-")}`, value);
        }
      });
    } else {
      params = create3();
    }
  }
  return params;
};
var hasParam = (name) => computeParams().has(name);
var getVariable = (name) => isNode ? undefinedToNull(process.env[name.toUpperCase().replaceAll("-", "_")]) : undefinedToNull(varStorage.getItem(name));
var hasConf = (name) => hasParam("--" + name) || getVariable(name) !== null;
var production = hasConf("production");
var forceColor = isNode && isOneOf(process.env.FORCE_COLOR, ["true", "1", "2"]);
var supportsColor = forceColor || !hasParam("--no-colors") && // @todo deprecate --no-colors
!hasConf("no-color") && (!isNode || process.stdout.isTTY) && (!isNode || hasParam("--color") || getVariable("COLORTERM") !== null || (getVariable("TERM") || "").includes("color"));

// node_modules/lib0/buffer.js
var createUint8ArrayFromLen = (len) => new Uint8Array(len);
var copyUint8Array = (uint8Array) => {
  const newBuf = createUint8ArrayFromLen(uint8Array.byteLength);
  newBuf.set(uint8Array);
  return newBuf;
};

// node_modules/lib0/pair.js
var Pair = class {
  /**
   * @param {L} left
   * @param {R} right
   */
  constructor(left, right) {
    this.left = left;
    this.right = right;
  }
};
var create5 = (left, right) => new Pair(left, right);

// node_modules/lib0/prng.js
var bool = (gen) => gen.next() >= 0.5;
var int53 = (gen, min2, max2) => floor(gen.next() * (max2 + 1 - min2) + min2);
var int32 = (gen, min2, max2) => floor(gen.next() * (max2 + 1 - min2) + min2);
var int31 = (gen, min2, max2) => int32(gen, min2, max2);
var letter = (gen) => fromCharCode(int31(gen, 97, 122));
var word = (gen, minLen = 0, maxLen = 20) => {
  const len = int31(gen, minLen, maxLen);
  let str = "";
  for (let i = 0; i < len; i++) {
    str += letter(gen);
  }
  return str;
};
var oneOf = (gen, array) => array[int31(gen, 0, array.length - 1)];

// node_modules/lib0/schema.js
var schemaSymbol = /* @__PURE__ */ Symbol("0schema");
var ValidationError = class {
  constructor() {
    this._rerrs = [];
  }
  /**
   * @param {string?} path
   * @param {string} expected
   * @param {string} has
   * @param {string?} message
   */
  extend(path, expected, has, message = null) {
    this._rerrs.push({ path, expected, has, message });
  }
  toString() {
    const s = [];
    for (let i = this._rerrs.length - 1; i > 0; i--) {
      const r = this._rerrs[i];
      s.push(repeat(" ", (this._rerrs.length - i) * 2) + `${r.path != null ? `[${r.path}] ` : ""}${r.has} doesn't match ${r.expected}. ${r.message}`);
    }
    return s.join("\n");
  }
};
var shapeExtends = (a, b) => {
  if (a === b) return true;
  if (a == null || b == null || a.constructor !== b.constructor) return false;
  if (a[EqualityTraitSymbol]) return equals(a, b);
  if (isArray(a)) {
    return every(
      a,
      (aitem) => some(b, (bitem) => shapeExtends(aitem, bitem))
    );
  } else if (isObject(a)) {
    return every2(
      a,
      (aitem, akey) => shapeExtends(aitem, b[akey])
    );
  }
  return false;
};
var Schema = class {
  // this.shape must not be defined on Schema. Otherwise typecheck on metatypes (e.g. $$object) won't work as expected anymore
  /**
   * If true, the more things are added to the shape the more objects this schema will accept (e.g.
   * union). By default, the more objects are added, the the fewer objects this schema will accept.
   * @protected
   */
  static _dilutes = false;
  /**
   * @param {Schema<any>} other
   */
  extends(other) {
    let [a, b] = [
      /** @type {any} */
      this.shape,
      /** @type {any} */
      other.shape
    ];
    if (
      /** @type {typeof Schema<any>} */
      this.constructor._dilutes
    ) [b, a] = [a, b];
    return shapeExtends(a, b);
  }
  /**
   * Overwrite this when necessary. By default, we only check the `shape` property which every shape
   * should have.
   * @param {Schema<any>} other
   */
  equals(other) {
    return this.constructor === other.constructor && equalityDeep(this.shape, other.shape);
  }
  [schemaSymbol]() {
    return true;
  }
  /**
   * @param {object} other
   */
  [EqualityTraitSymbol](other) {
    return this.equals(
      /** @type {any} */
      other
    );
  }
  /**
   * Use `schema.validate(obj)` with a typed parameter that is already of typed to be an instance of
   * Schema. Validate will check the structure of the parameter and return true iff the instance
   * really is an instance of Schema.
   *
   * @param {T} o
   * @return {boolean}
   */
  validate(o) {
    return this.check(o);
  }
  /* c8 ignore start */
  /**
   * Similar to validate, but this method accepts untyped parameters.
   *
   * @param {any} _o
   * @param {ValidationError} [_err]
   * @return {_o is T}
   */
  check(_o, _err) {
    methodUnimplemented();
  }
  /* c8 ignore stop */
  /**
   * @type {Schema<T?>}
   */
  get nullable() {
    return $union(this, $null);
  }
  /**
   * @type {$Optional<Schema<T>>}
   */
  get optional() {
    return new $Optional(
      /** @type {Schema<T>} */
      this
    );
  }
  /**
   * Cast a variable to a specific type. Returns the casted value, or throws an exception otherwise.
   * Use this if you know that the type is of a specific type and you just want to convince the type
   * system.
   *
   * **Do not rely on these error messages!**
   * Performs an assertion check only if not in a production environment.
   *
   * @template OO
   * @param {OO} o
   * @return {Extract<OO, T> extends never ? T : (OO extends Array<never> ? T : Extract<OO,T>)}
   */
  cast(o) {
    assert(o, this);
    return (
      /** @type {any} */
      o
    );
  }
  /**
   * EXPECTO PATRONUM!! 🪄
   * This function protects against type errors. Though it may not work in the real world.
   *
   * "After all this time?"
   * "Always." - Snape, talking about type safety
   *
   * Ensures that a variable is a a specific type. Returns the value, or throws an exception if the assertion check failed.
   * Use this if you know that the type is of a specific type and you just want to convince the type
   * system.
   *
   * Can be useful when defining lambdas: `s.lambda(s.$number, s.$void).expect((n) => n + 1)`
   *
   * **Do not rely on these error messages!**
   * Performs an assertion check if not in a production environment.
   *
   * @param {T} o
   * @return {o extends T ? T : never}
   */
  expect(o) {
    assert(o, this);
    return o;
  }
};
var $ConstructedBy = class extends Schema {
  /**
   * @param {C} c
   * @param {((o:Instance<C>)=>boolean)|null} check
   */
  constructor(c, check) {
    super();
    this.shape = c;
    this._c = check;
  }
  /**
   * @param {any} o
   * @param {ValidationError} [err]
   * @return {o is C extends ((...args:any[]) => infer T) ? T : (C extends (new (...args:any[]) => any) ? InstanceType<C> : never)} o
   */
  check(o, err = void 0) {
    const c = o?.constructor === this.shape && (this._c == null || this._c(o));
    !c && err?.extend(null, this.shape.name, o?.constructor.name, o?.constructor !== this.shape ? "Constructor match failed" : "Check failed");
    return c;
  }
};
var $constructedBy = (c, check = null) => new $ConstructedBy(c, check);
var $$constructedBy = $constructedBy($ConstructedBy);
var $Custom = class extends Schema {
  /**
   * @param {(o:any) => boolean} check
   */
  constructor(check) {
    super();
    this.shape = check;
  }
  /**
   * @param {any} o
   * @param {ValidationError} err
   * @return {o is any}
   */
  check(o, err) {
    const c = this.shape(o);
    !c && err?.extend(null, "custom prop", o?.constructor.name, "failed to check custom prop");
    return c;
  }
};
var $custom = (check) => new $Custom(check);
var $$custom = $constructedBy($Custom);
var $Literal = class extends Schema {
  /**
   * @param {Array<T>} literals
   */
  constructor(literals) {
    super();
    this.shape = literals;
  }
  /**
   *
   * @param {any} o
   * @param {ValidationError} [err]
   * @return {o is T}
   */
  check(o, err) {
    const c = this.shape.some((a) => a === o);
    !c && err?.extend(null, this.shape.join(" | "), o.toString());
    return c;
  }
};
var $literal = (...literals) => new $Literal(literals);
var $$literal = $constructedBy($Literal);
var _regexEscape = (
  /** @type {any} */
  RegExp.escape || /** @type {(str:string) => string} */
  ((str) => str.replace(/[().|&,$^[\]]/g, (s) => "\\" + s))
);
var _schemaStringTemplateToRegex = (s) => {
  if ($string.check(s)) {
    return [_regexEscape(s)];
  }
  if ($$literal.check(s)) {
    return (
      /** @type {Array<string|number>} */
      s.shape.map((v) => v + "")
    );
  }
  if ($$number.check(s)) {
    return ["[+-]?\\d+.?\\d*"];
  }
  if ($$string.check(s)) {
    return [".*"];
  }
  if ($$union.check(s)) {
    return s.shape.map(_schemaStringTemplateToRegex).flat(1);
  }
  unexpectedCase();
};
var $StringTemplate = class extends Schema {
  /**
   * @param {T} shape
   */
  constructor(shape) {
    super();
    this.shape = shape;
    this._r = new RegExp("^" + shape.map(_schemaStringTemplateToRegex).map((opts) => `(${opts.join("|")})`).join("") + "$");
  }
  /**
   * @param {any} o
   * @param {ValidationError} [err]
   * @return {o is CastStringTemplateArgsToTemplate<T>}
   */
  check(o, err) {
    const c = this._r.exec(o) != null;
    !c && err?.extend(null, this._r.toString(), o.toString(), "String doesn't match string template.");
    return c;
  }
};
var $$stringTemplate = $constructedBy($StringTemplate);
var isOptionalSymbol = /* @__PURE__ */ Symbol("optional");
var $Optional = class extends Schema {
  /**
   * @param {S} shape
   */
  constructor(shape) {
    super();
    this.shape = shape;
  }
  /**
   * @param {any} o
   * @param {ValidationError} [err]
   * @return {o is (Unwrap<S>|undefined)}
   */
  check(o, err) {
    const c = o === void 0 || this.shape.check(o);
    !c && err?.extend(null, "undefined (optional)", "()");
    return c;
  }
  get [isOptionalSymbol]() {
    return true;
  }
};
var $$optional = $constructedBy($Optional);
var $Never = class extends Schema {
  /**
   * @param {any} _o
   * @param {ValidationError} [err]
   * @return {_o is never}
   */
  check(_o, err) {
    err?.extend(null, "never", typeof _o);
    return false;
  }
};
var $never = new $Never();
var $$never = $constructedBy($Never);
var $Object = class _$Object extends Schema {
  /**
   * @param {S} shape
   * @param {boolean} partial
   */
  constructor(shape, partial = false) {
    super();
    this.shape = shape;
    this._isPartial = partial;
  }
  static _dilutes = true;
  /**
   * @type {Schema<Partial<$ObjectToType<S>>>}
   */
  get partial() {
    return new _$Object(this.shape, true);
  }
  /**
   * @param {any} o
   * @param {ValidationError} err
   * @return {o is $ObjectToType<S>}
   */
  check(o, err) {
    if (o == null) {
      err?.extend(null, "object", "null");
      return false;
    }
    return every2(this.shape, (vv, vk) => {
      const c = this._isPartial && !hasProperty(o, vk) || vv.check(o[vk], err);
      !c && err?.extend(vk.toString(), vv.toString(), typeof o[vk], "Object property does not match");
      return c;
    });
  }
};
var $object = (def) => (
  /** @type {any} */
  new $Object(def)
);
var $$object = $constructedBy($Object);
var $objectAny = $custom((o) => o != null && (o.constructor === Object || o.constructor == null));
var $Record = class extends Schema {
  /**
   * @param {Keys} keys
   * @param {Values} values
   */
  constructor(keys2, values) {
    super();
    this.shape = {
      keys: keys2,
      values
    };
  }
  /**
   * @param {any} o
   * @param {ValidationError} err
   * @return {o is { [key in Unwrap<Keys>]: Unwrap<Values> }}
   */
  check(o, err) {
    return o != null && every2(o, (vv, vk) => {
      const ck = this.shape.keys.check(vk, err);
      !ck && err?.extend(vk + "", "Record", typeof o, ck ? "Key doesn't match schema" : "Value doesn't match value");
      return ck && this.shape.values.check(vv, err);
    });
  }
};
var $record = (keys2, values) => new $Record(keys2, values);
var $$record = $constructedBy($Record);
var $Tuple = class extends Schema {
  /**
   * @param {S} shape
   */
  constructor(shape) {
    super();
    this.shape = shape;
  }
  /**
   * @param {any} o
   * @param {ValidationError} err
   * @return {o is { [K in keyof S]: S[K] extends Schema<infer Type> ? Type : never }}
   */
  check(o, err) {
    return o != null && every2(this.shape, (vv, vk) => {
      const c = (
        /** @type {Schema<any>} */
        vv.check(o[vk], err)
      );
      !c && err?.extend(vk.toString(), "Tuple", typeof vv);
      return c;
    });
  }
};
var $tuple = (...def) => new $Tuple(def);
var $$tuple = $constructedBy($Tuple);
var $Array = class extends Schema {
  /**
   * @param {Array<S>} v
   */
  constructor(v) {
    super();
    this.shape = v.length === 1 ? v[0] : new $Union(v);
  }
  /**
   * @param {any} o
   * @param {ValidationError} [err]
   * @return {o is Array<S extends Schema<infer T> ? T : never>} o
   */
  check(o, err) {
    const c = isArray(o) && every(o, (oi) => this.shape.check(oi));
    !c && err?.extend(null, "Array", "");
    return c;
  }
};
var $array = (...def) => new $Array(def);
var $$array = $constructedBy($Array);
var $arrayAny = $custom((o) => isArray(o));
var $InstanceOf = class extends Schema {
  /**
   * @param {new (...args:any) => T} constructor
   * @param {((o:T) => boolean)|null} check
   */
  constructor(constructor, check) {
    super();
    this.shape = constructor;
    this._c = check;
  }
  /**
   * @param {any} o
   * @param {ValidationError} err
   * @return {o is T}
   */
  check(o, err) {
    const c = o instanceof this.shape && (this._c == null || this._c(o));
    !c && err?.extend(null, this.shape.name, o?.constructor.name);
    return c;
  }
};
var $instanceOf = (c, check = null) => new $InstanceOf(c, check);
var $$instanceOf = $constructedBy($InstanceOf);
var $$schema = $instanceOf(Schema);
var $Lambda = class extends Schema {
  /**
   * @param {Args} args
   */
  constructor(args2) {
    super();
    this.len = args2.length - 1;
    this.args = $tuple(...args2.slice(-1));
    this.res = args2[this.len];
  }
  /**
   * @param {any} f
   * @param {ValidationError} err
   * @return {f is _LArgsToLambdaDef<Args>}
   */
  check(f, err) {
    const c = f.constructor === Function && f.length <= this.len;
    !c && err?.extend(null, "function", typeof f);
    return c;
  }
};
var $$lambda = $constructedBy($Lambda);
var $function = $custom((o) => typeof o === "function");
var $Intersection = class extends Schema {
  /**
   * @param {T} v
   */
  constructor(v) {
    super();
    this.shape = v;
  }
  /**
   * @param {any} o
   * @param {ValidationError} [err]
   * @return {o is Intersect<UnwrapArray<T>>}
   */
  check(o, err) {
    const c = every(this.shape, (check) => check.check(o, err));
    !c && err?.extend(null, "Intersectinon", typeof o);
    return c;
  }
};
var $$intersect = $constructedBy($Intersection, (o) => o.shape.length > 0);
var $Union = class extends Schema {
  static _dilutes = true;
  /**
   * @param {Array<Schema<S>>} v
   */
  constructor(v) {
    super();
    this.shape = v;
  }
  /**
   * @param {any} o
   * @param {ValidationError} [err]
   * @return {o is S}
   */
  check(o, err) {
    const c = some(this.shape, (vv) => vv.check(o, err));
    err?.extend(null, "Union", typeof o);
    return c;
  }
};
var $union = (...schemas) => schemas.findIndex(($s) => $$union.check($s)) >= 0 ? $union(...schemas.map(($s) => $($s)).map(($s) => $$union.check($s) ? $s.shape : [$s]).flat(1)) : schemas.length === 1 ? schemas[0] : new $Union(schemas);
var $$union = (
  /** @type {Schema<$Union<any>>} */
  $constructedBy($Union)
);
var _t = () => true;
var $any = $custom(_t);
var $$any = (
  /** @type {Schema<Schema<any>>} */
  $constructedBy($Custom, (o) => o.shape === _t)
);
var $bigint = $custom((o) => typeof o === "bigint");
var $$bigint = (
  /** @type {Schema<Schema<BigInt>>} */
  $custom((o) => o === $bigint)
);
var $symbol = $custom((o) => typeof o === "symbol");
var $$symbol = (
  /** @type {Schema<Schema<Symbol>>} */
  $custom((o) => o === $symbol)
);
var $number = $custom((o) => typeof o === "number");
var $$number = (
  /** @type {Schema<Schema<number>>} */
  $custom((o) => o === $number)
);
var $string = $custom((o) => typeof o === "string");
var $$string = (
  /** @type {Schema<Schema<string>>} */
  $custom((o) => o === $string)
);
var $boolean = $custom((o) => typeof o === "boolean");
var $$boolean = (
  /** @type {Schema<Schema<Boolean>>} */
  $custom((o) => o === $boolean)
);
var $undefined = $literal(void 0);
var $$undefined = (
  /** @type {Schema<Schema<undefined>>} */
  $constructedBy($Literal, (o) => o.shape.length === 1 && o.shape[0] === void 0)
);
var $void = $literal(void 0);
var $null = $literal(null);
var $$null = (
  /** @type {Schema<Schema<null>>} */
  $constructedBy($Literal, (o) => o.shape.length === 1 && o.shape[0] === null)
);
var $uint8Array = $constructedBy(Uint8Array);
var $$uint8Array = (
  /** @type {Schema<Schema<Uint8Array>>} */
  $constructedBy($ConstructedBy, (o) => o.shape === Uint8Array)
);
var $primitive = $union($number, $string, $null, $undefined, $bigint, $boolean, $symbol);
var $json = (() => {
  const $jsonArr = (
    /** @type {$Array<$any>} */
    $array($any)
  );
  const $jsonRecord = (
    /** @type {$Record<$string,$any>} */
    $record($string, $any)
  );
  const $json2 = $union($number, $string, $null, $boolean, $jsonArr, $jsonRecord);
  $jsonArr.shape = $json2;
  $jsonRecord.shape.values = $json2;
  return $json2;
})();
var $ = (o) => {
  if ($$schema.check(o)) {
    return (
      /** @type {any} */
      o
    );
  } else if ($objectAny.check(o)) {
    const o2 = {};
    for (const k in o) {
      o2[k] = $(o[k]);
    }
    return (
      /** @type {any} */
      $object(o2)
    );
  } else if ($arrayAny.check(o)) {
    return (
      /** @type {any} */
      $union(...o.map($))
    );
  } else if ($primitive.check(o)) {
    return (
      /** @type {any} */
      $literal(o)
    );
  } else if ($function.check(o)) {
    return (
      /** @type {any} */
      $constructedBy(
        /** @type {any} */
        o
      )
    );
  }
  unexpectedCase();
};
var assert = production ? () => {
} : (o, schema) => {
  const err = new ValidationError();
  if (!schema.check(o, err)) {
    throw create2(`Expected value to be of type ${schema.constructor.name}.
${err.toString()}`);
  }
};
var PatternMatcher = class {
  /**
   * @param {Schema<State>} [$state]
   */
  constructor($state) {
    this.patterns = [];
    this.$state = $state;
  }
  /**
   * @template P
   * @template R
   * @param {P} pattern
   * @param {(o:NoInfer<Unwrap<ReadSchema<P>>>,s:State)=>R} handler
   * @return {PatternMatcher<State,Patterns|Pattern<Unwrap<ReadSchema<P>>,R>>}
   */
  if(pattern, handler) {
    this.patterns.push({ if: $(pattern), h: handler });
    return this;
  }
  /**
   * @template R
   * @param {(o:any,s:State)=>R} h
   */
  else(h) {
    return this.if($any, h);
  }
  /**
   * @return {State extends undefined
   *   ? <In extends Unwrap<Patterns['if']>>(o:In,state?:undefined)=>PatternMatchResult<Patterns,In>
   *   : <In extends Unwrap<Patterns['if']>>(o:In,state:State)=>PatternMatchResult<Patterns,In>}
   */
  done() {
    return (
      /** @type {any} */
      (o, s) => {
        for (let i = 0; i < this.patterns.length; i++) {
          const p = this.patterns[i];
          if (p.if.check(o)) {
            return p.h(o, s);
          }
        }
        throw create2("Unhandled pattern");
      }
    );
  }
};
var match = (state) => new PatternMatcher(
  /** @type {any} */
  state
);
var _random = (
  /** @type {any} */
  match(
    /** @type {Schema<prng.PRNG>} */
    $any
  ).if($$number, (_o, gen) => int53(gen, MIN_SAFE_INTEGER, MAX_SAFE_INTEGER)).if($$string, (_o, gen) => word(gen)).if($$boolean, (_o, gen) => bool(gen)).if($$bigint, (_o, gen) => BigInt(int53(gen, MIN_SAFE_INTEGER, MAX_SAFE_INTEGER))).if($$union, (o, gen) => random(gen, oneOf(gen, o.shape))).if($$object, (o, gen) => {
    const res = {};
    for (const k in o.shape) {
      let prop = o.shape[k];
      if ($$optional.check(prop)) {
        if (bool(gen)) {
          continue;
        }
        prop = prop.shape;
      }
      res[k] = _random(prop, gen);
    }
    return res;
  }).if($$array, (o, gen) => {
    const arr = [];
    const n = int32(gen, 0, 42);
    for (let i = 0; i < n; i++) {
      arr.push(random(gen, o.shape));
    }
    return arr;
  }).if($$literal, (o, gen) => {
    return oneOf(gen, o.shape);
  }).if($$null, (o, gen) => {
    return null;
  }).if($$lambda, (o, gen) => {
    const res = random(gen, o.res);
    return () => res;
  }).if($$any, (o, gen) => random(gen, oneOf(gen, [
    $number,
    $string,
    $null,
    $undefined,
    $bigint,
    $boolean,
    $array($number),
    $record($union("a", "b", "c"), $number)
  ]))).if($$record, (o, gen) => {
    const res = {};
    const keysN = int53(gen, 0, 3);
    for (let i = 0; i < keysN; i++) {
      const key = random(gen, o.shape.keys);
      const val = random(gen, o.shape.values);
      res[key] = val;
    }
    return res;
  }).done()
);
var random = (gen, schema) => (
  /** @type {any} */
  _random($(schema), gen)
);

// node_modules/lib0/dom.js
var doc = (
  /** @type {Document} */
  typeof document !== "undefined" ? document : {}
);
var $fragment = $custom((el) => el.nodeType === DOCUMENT_FRAGMENT_NODE);
var domParser = (
  /** @type {DOMParser} */
  typeof DOMParser !== "undefined" ? new DOMParser() : null
);
var $element = $custom((el) => el.nodeType === ELEMENT_NODE);
var $text = $custom((el) => el.nodeType === TEXT_NODE);
var mapToStyleString = (m) => map(m, (value, key) => `${key}:${value};`).join("");
var ELEMENT_NODE = doc.ELEMENT_NODE;
var TEXT_NODE = doc.TEXT_NODE;
var CDATA_SECTION_NODE = doc.CDATA_SECTION_NODE;
var COMMENT_NODE = doc.COMMENT_NODE;
var DOCUMENT_NODE = doc.DOCUMENT_NODE;
var DOCUMENT_TYPE_NODE = doc.DOCUMENT_TYPE_NODE;
var DOCUMENT_FRAGMENT_NODE = doc.DOCUMENT_FRAGMENT_NODE;
var $node = $custom((el) => el.nodeType === DOCUMENT_NODE);

// node_modules/lib0/symbol.js
var create6 = Symbol;

// node_modules/lib0/logging.common.js
var BOLD = create6();
var UNBOLD = create6();
var BLUE = create6();
var GREY = create6();
var GREEN = create6();
var RED = create6();
var PURPLE = create6();
var ORANGE = create6();
var UNCOLOR = create6();
var computeNoColorLoggingArgs = (args2) => {
  if (args2.length === 1 && args2[0]?.constructor === Function) {
    args2 = /** @type {Array<string|Symbol|Object|number>} */
    /** @type {[function]} */
    args2[0]();
  }
  const strBuilder = [];
  const logArgs = [];
  let i = 0;
  for (; i < args2.length; i++) {
    const arg = args2[i];
    if (arg === void 0) {
      break;
    } else if (arg.constructor === String || arg.constructor === Number) {
      strBuilder.push(arg);
    } else if (arg.constructor === Object) {
      break;
    }
  }
  if (i > 0) {
    logArgs.push(strBuilder.join(""));
  }
  for (; i < args2.length; i++) {
    const arg = args2[i];
    if (!(arg instanceof Symbol)) {
      logArgs.push(arg);
    }
  }
  return logArgs;
};
var lastLoggingTime = getUnixTime();

// node_modules/lib0/logging.js
var _browserStyleMap = {
  [BOLD]: create5("font-weight", "bold"),
  [UNBOLD]: create5("font-weight", "normal"),
  [BLUE]: create5("color", "blue"),
  [GREEN]: create5("color", "green"),
  [GREY]: create5("color", "grey"),
  [RED]: create5("color", "red"),
  [PURPLE]: create5("color", "purple"),
  [ORANGE]: create5("color", "orange"),
  // not well supported in chrome when debugging node with inspector - TODO: deprecate
  [UNCOLOR]: create5("color", "black")
};
var computeBrowserLoggingArgs = (args2) => {
  if (args2.length === 1 && args2[0]?.constructor === Function) {
    args2 = /** @type {Array<string|Symbol|Object|number>} */
    /** @type {[function]} */
    args2[0]();
  }
  const strBuilder = [];
  const styles = [];
  const currentStyle = create3();
  let logArgs = [];
  let i = 0;
  for (; i < args2.length; i++) {
    const arg = args2[i];
    const style = _browserStyleMap[arg];
    if (style !== void 0) {
      currentStyle.set(style.left, style.right);
    } else {
      if (arg === void 0) {
        break;
      }
      if (arg.constructor === String || arg.constructor === Number) {
        const style2 = mapToStyleString(currentStyle);
        if (i > 0 || style2.length > 0) {
          strBuilder.push("%c" + arg);
          styles.push(style2);
        } else {
          strBuilder.push(arg);
        }
      } else {
        break;
      }
    }
  }
  if (i > 0) {
    logArgs = styles;
    logArgs.unshift(strBuilder.join(""));
  }
  for (; i < args2.length; i++) {
    const arg = args2[i];
    if (!(arg instanceof Symbol)) {
      logArgs.push(arg);
    }
  }
  return logArgs;
};
var computeLoggingArgs = supportsColor ? computeBrowserLoggingArgs : computeNoColorLoggingArgs;
var print = (...args2) => {
  console.log(...computeLoggingArgs(args2));
  vconsoles.forEach((vc) => vc.print(args2));
};
var warn = (...args2) => {
  console.warn(...computeLoggingArgs(args2));
  args2.unshift(ORANGE);
  vconsoles.forEach((vc) => vc.print(args2));
};
var vconsoles = create();

// node_modules/lib0/iterator.js
var createIterator = (next) => ({
  /**
   * @return {IterableIterator<T>}
   */
  [Symbol.iterator]() {
    return this;
  },
  // @ts-ignore
  next
});
var iteratorFilter = (iterator, filter) => createIterator(() => {
  let res;
  do {
    res = iterator.next();
  } while (!res.done && !filter(res.value));
  return res;
});
var iteratorMap = (iterator, fmap) => createIterator(() => {
  const { done, value } = iterator.next();
  return { done, value: done ? void 0 : fmap(value) };
});

// node_modules/yjs/dist/yjs.mjs
var DeleteItem = class {
  /**
   * @param {number} clock
   * @param {number} len
   */
  constructor(clock, len) {
    this.clock = clock;
    this.len = len;
  }
};
var DeleteSet = class {
  constructor() {
    this.clients = /* @__PURE__ */ new Map();
  }
};
var iterateDeletedStructs = (transaction, ds, f) => ds.clients.forEach((deletes, clientid) => {
  const structs = (
    /** @type {Array<GC|Item>} */
    transaction.doc.store.clients.get(clientid)
  );
  if (structs != null) {
    const lastStruct = structs[structs.length - 1];
    const clockState = lastStruct.id.clock + lastStruct.length;
    for (let i = 0, del = deletes[i]; i < deletes.length && del.clock < clockState; del = deletes[++i]) {
      iterateStructs(transaction, structs, del.clock, del.len, f);
    }
  }
});
var findIndexDS = (dis, clock) => {
  let left = 0;
  let right = dis.length - 1;
  while (left <= right) {
    const midindex = floor((left + right) / 2);
    const mid = dis[midindex];
    const midclock = mid.clock;
    if (midclock <= clock) {
      if (clock < midclock + mid.len) {
        return midindex;
      }
      left = midindex + 1;
    } else {
      right = midindex - 1;
    }
  }
  return null;
};
var isDeleted = (ds, id2) => {
  const dis = ds.clients.get(id2.client);
  return dis !== void 0 && findIndexDS(dis, id2.clock) !== null;
};
var sortAndMergeDeleteSet = (ds) => {
  ds.clients.forEach((dels) => {
    dels.sort((a, b) => a.clock - b.clock);
    let i, j;
    for (i = 1, j = 1; i < dels.length; i++) {
      const left = dels[j - 1];
      const right = dels[i];
      if (left.clock + left.len >= right.clock) {
        dels[j - 1] = new DeleteItem(left.clock, max(left.len, right.clock + right.len - left.clock));
      } else {
        if (j < i) {
          dels[j] = right;
        }
        j++;
      }
    }
    dels.length = j;
  });
};
var mergeDeleteSets = (dss) => {
  const merged = new DeleteSet();
  for (let dssI = 0; dssI < dss.length; dssI++) {
    dss[dssI].clients.forEach((delsLeft, client) => {
      if (!merged.clients.has(client)) {
        const dels = delsLeft.slice();
        for (let i = dssI + 1; i < dss.length; i++) {
          appendTo(dels, dss[i].clients.get(client) || []);
        }
        merged.clients.set(client, dels);
      }
    });
  }
  sortAndMergeDeleteSet(merged);
  return merged;
};
var addToDeleteSet = (ds, client, clock, length2) => {
  setIfUndefined(ds.clients, client, () => (
    /** @type {Array<DeleteItem>} */
    []
  )).push(new DeleteItem(clock, length2));
};
var createDeleteSet = () => new DeleteSet();
var createDeleteSetFromStructStore = (ss) => {
  const ds = createDeleteSet();
  ss.clients.forEach((structs, client) => {
    const dsitems = [];
    for (let i = 0; i < structs.length; i++) {
      const struct = structs[i];
      if (struct.deleted) {
        const clock = struct.id.clock;
        let len = struct.length;
        if (i + 1 < structs.length) {
          for (let next = structs[i + 1]; i + 1 < structs.length && next.deleted; next = structs[++i + 1]) {
            len += next.length;
          }
        }
        dsitems.push(new DeleteItem(clock, len));
      }
    }
    if (dsitems.length > 0) {
      ds.clients.set(client, dsitems);
    }
  });
  return ds;
};
var writeDeleteSet = (encoder, ds) => {
  writeVarUint(encoder.restEncoder, ds.clients.size);
  from(ds.clients.entries()).sort((a, b) => b[0] - a[0]).forEach(([client, dsitems]) => {
    encoder.resetDsCurVal();
    writeVarUint(encoder.restEncoder, client);
    const len = dsitems.length;
    writeVarUint(encoder.restEncoder, len);
    for (let i = 0; i < len; i++) {
      const item = dsitems[i];
      encoder.writeDsClock(item.clock);
      encoder.writeDsLen(item.len);
    }
  });
};
var readDeleteSet = (decoder) => {
  const ds = new DeleteSet();
  const numClients = readVarUint(decoder.restDecoder);
  for (let i = 0; i < numClients; i++) {
    decoder.resetDsCurVal();
    const client = readVarUint(decoder.restDecoder);
    const numberOfDeletes = readVarUint(decoder.restDecoder);
    if (numberOfDeletes > 0) {
      const dsField = setIfUndefined(ds.clients, client, () => (
        /** @type {Array<DeleteItem>} */
        []
      ));
      for (let i2 = 0; i2 < numberOfDeletes; i2++) {
        dsField.push(new DeleteItem(decoder.readDsClock(), decoder.readDsLen()));
      }
    }
  }
  return ds;
};
var readAndApplyDeleteSet = (decoder, transaction, store) => {
  const unappliedDS = new DeleteSet();
  const numClients = readVarUint(decoder.restDecoder);
  for (let i = 0; i < numClients; i++) {
    decoder.resetDsCurVal();
    const client = readVarUint(decoder.restDecoder);
    const numberOfDeletes = readVarUint(decoder.restDecoder);
    const structs = store.clients.get(client) || [];
    const state = getState(store, client);
    for (let i2 = 0; i2 < numberOfDeletes; i2++) {
      const clock = decoder.readDsClock();
      const clockEnd = clock + decoder.readDsLen();
      if (clock < state) {
        if (state < clockEnd) {
          addToDeleteSet(unappliedDS, client, state, clockEnd - state);
        }
        let index2 = findIndexSS(structs, clock);
        let struct = structs[index2];
        if (!struct.deleted && struct.id.clock < clock) {
          structs.splice(index2 + 1, 0, splitItem(transaction, struct, clock - struct.id.clock));
          index2++;
        }
        while (index2 < structs.length) {
          struct = structs[index2++];
          if (struct.id.clock < clockEnd) {
            if (!struct.deleted) {
              if (clockEnd < struct.id.clock + struct.length) {
                structs.splice(index2, 0, splitItem(transaction, struct, clockEnd - struct.id.clock));
              }
              struct.delete(transaction);
            }
          } else {
            break;
          }
        }
      } else {
        addToDeleteSet(unappliedDS, client, clock, clockEnd - clock);
      }
    }
  }
  if (unappliedDS.clients.size > 0) {
    const ds = new UpdateEncoderV2();
    writeVarUint(ds.restEncoder, 0);
    writeDeleteSet(ds, unappliedDS);
    return ds.toUint8Array();
  }
  return null;
};
var generateNewClientId = uint32;
var Doc = class _Doc extends ObservableV2 {
  /**
   * @param {DocOpts} opts configuration
   */
  constructor({ guid = uuidv4(), collectionid = null, gc = true, gcFilter = () => true, meta = null, autoLoad = false, shouldLoad = true } = {}) {
    super();
    this.gc = gc;
    this.gcFilter = gcFilter;
    this.clientID = generateNewClientId();
    this.guid = guid;
    this.collectionid = collectionid;
    this.share = /* @__PURE__ */ new Map();
    this.store = new StructStore();
    this._transaction = null;
    this._transactionCleanups = [];
    this.subdocs = /* @__PURE__ */ new Set();
    this._item = null;
    this.shouldLoad = shouldLoad;
    this.autoLoad = autoLoad;
    this.meta = meta;
    this.isLoaded = false;
    this.isSynced = false;
    this.isDestroyed = false;
    this.whenLoaded = create4((resolve) => {
      this.on("load", () => {
        this.isLoaded = true;
        resolve(this);
      });
    });
    const provideSyncedPromise = () => create4((resolve) => {
      const eventHandler = (isSynced) => {
        if (isSynced === void 0 || isSynced === true) {
          this.off("sync", eventHandler);
          resolve();
        }
      };
      this.on("sync", eventHandler);
    });
    this.on("sync", (isSynced) => {
      if (isSynced === false && this.isSynced) {
        this.whenSynced = provideSyncedPromise();
      }
      this.isSynced = isSynced === void 0 || isSynced === true;
      if (this.isSynced && !this.isLoaded) {
        this.emit("load", [this]);
      }
    });
    this.whenSynced = provideSyncedPromise();
  }
  /**
   * Notify the parent document that you request to load data into this subdocument (if it is a subdocument).
   *
   * `load()` might be used in the future to request any provider to load the most current data.
   *
   * It is safe to call `load()` multiple times.
   */
  load() {
    const item = this._item;
    if (item !== null && !this.shouldLoad) {
      transact(
        /** @type {any} */
        item.parent.doc,
        (transaction) => {
          transaction.subdocsLoaded.add(this);
        },
        null,
        true
      );
    }
    this.shouldLoad = true;
  }
  getSubdocs() {
    return this.subdocs;
  }
  getSubdocGuids() {
    return new Set(from(this.subdocs).map((doc2) => doc2.guid));
  }
  /**
   * Changes that happen inside of a transaction are bundled. This means that
   * the observer fires _after_ the transaction is finished and that all changes
   * that happened inside of the transaction are sent as one message to the
   * other peers.
   *
   * @template T
   * @param {function(Transaction):T} f The function that should be executed as a transaction
   * @param {any} [origin] Origin of who started the transaction. Will be stored on transaction.origin
   * @return T
   *
   * @public
   */
  transact(f, origin = null) {
    return transact(this, f, origin);
  }
  /**
   * Define a shared data type.
   *
   * Multiple calls of `ydoc.get(name, TypeConstructor)` yield the same result
   * and do not overwrite each other. I.e.
   * `ydoc.get(name, Y.Array) === ydoc.get(name, Y.Array)`
   *
   * After this method is called, the type is also available on `ydoc.share.get(name)`.
   *
   * *Best Practices:*
   * Define all types right after the Y.Doc instance is created and store them in a separate object.
   * Also use the typed methods `getText(name)`, `getArray(name)`, ..
   *
   * @template {typeof AbstractType<any>} Type
   * @example
   *   const ydoc = new Y.Doc(..)
   *   const appState = {
   *     document: ydoc.getText('document')
   *     comments: ydoc.getArray('comments')
   *   }
   *
   * @param {string} name
   * @param {Type} TypeConstructor The constructor of the type definition. E.g. Y.Text, Y.Array, Y.Map, ...
   * @return {InstanceType<Type>} The created type. Constructed with TypeConstructor
   *
   * @public
   */
  get(name, TypeConstructor = (
    /** @type {any} */
    AbstractType
  )) {
    const type = setIfUndefined(this.share, name, () => {
      const t = new TypeConstructor();
      t._integrate(this, null);
      return t;
    });
    const Constr = type.constructor;
    if (TypeConstructor !== AbstractType && Constr !== TypeConstructor) {
      if (Constr === AbstractType) {
        const t = new TypeConstructor();
        t._map = type._map;
        type._map.forEach(
          /** @param {Item?} n */
          (n) => {
            for (; n !== null; n = n.left) {
              n.parent = t;
            }
          }
        );
        t._start = type._start;
        for (let n = t._start; n !== null; n = n.right) {
          n.parent = t;
        }
        t._length = type._length;
        this.share.set(name, t);
        t._integrate(this, null);
        return (
          /** @type {InstanceType<Type>} */
          t
        );
      } else {
        throw new Error(`Type with the name ${name} has already been defined with a different constructor`);
      }
    }
    return (
      /** @type {InstanceType<Type>} */
      type
    );
  }
  /**
   * @template T
   * @param {string} [name]
   * @return {YArray<T>}
   *
   * @public
   */
  getArray(name = "") {
    return (
      /** @type {YArray<T>} */
      this.get(name, YArray)
    );
  }
  /**
   * @param {string} [name]
   * @return {YText}
   *
   * @public
   */
  getText(name = "") {
    return this.get(name, YText);
  }
  /**
   * @template T
   * @param {string} [name]
   * @return {YMap<T>}
   *
   * @public
   */
  getMap(name = "") {
    return (
      /** @type {YMap<T>} */
      this.get(name, YMap)
    );
  }
  /**
   * @param {string} [name]
   * @return {YXmlElement}
   *
   * @public
   */
  getXmlElement(name = "") {
    return (
      /** @type {YXmlElement<{[key:string]:string}>} */
      this.get(name, YXmlElement)
    );
  }
  /**
   * @param {string} [name]
   * @return {YXmlFragment}
   *
   * @public
   */
  getXmlFragment(name = "") {
    return this.get(name, YXmlFragment);
  }
  /**
   * Converts the entire document into a js object, recursively traversing each yjs type
   * Doesn't log types that have not been defined (using ydoc.getType(..)).
   *
   * @deprecated Do not use this method and rather call toJSON directly on the shared types.
   *
   * @return {Object<string, any>}
   */
  toJSON() {
    const doc2 = {};
    this.share.forEach((value, key) => {
      doc2[key] = value.toJSON();
    });
    return doc2;
  }
  /**
   * Emit `destroy` event and unregister all event handlers.
   */
  destroy() {
    this.isDestroyed = true;
    from(this.subdocs).forEach((subdoc) => subdoc.destroy());
    const item = this._item;
    if (item !== null) {
      this._item = null;
      const content = (
        /** @type {ContentDoc} */
        item.content
      );
      content.doc = new _Doc({ guid: this.guid, ...content.opts, shouldLoad: false });
      content.doc._item = item;
      transact(
        /** @type {any} */
        item.parent.doc,
        (transaction) => {
          const doc2 = content.doc;
          if (!item.deleted) {
            transaction.subdocsAdded.add(doc2);
          }
          transaction.subdocsRemoved.add(this);
        },
        null,
        true
      );
    }
    this.emit("destroyed", [true]);
    this.emit("destroy", [this]);
    super.destroy();
  }
};
var DSDecoderV1 = class {
  /**
   * @param {decoding.Decoder} decoder
   */
  constructor(decoder) {
    this.restDecoder = decoder;
  }
  resetDsCurVal() {
  }
  /**
   * @return {number}
   */
  readDsClock() {
    return readVarUint(this.restDecoder);
  }
  /**
   * @return {number}
   */
  readDsLen() {
    return readVarUint(this.restDecoder);
  }
};
var UpdateDecoderV1 = class extends DSDecoderV1 {
  /**
   * @return {ID}
   */
  readLeftID() {
    return createID(readVarUint(this.restDecoder), readVarUint(this.restDecoder));
  }
  /**
   * @return {ID}
   */
  readRightID() {
    return createID(readVarUint(this.restDecoder), readVarUint(this.restDecoder));
  }
  /**
   * Read the next client id.
   * Use this in favor of readID whenever possible to reduce the number of objects created.
   */
  readClient() {
    return readVarUint(this.restDecoder);
  }
  /**
   * @return {number} info An unsigned 8-bit integer
   */
  readInfo() {
    return readUint8(this.restDecoder);
  }
  /**
   * @return {string}
   */
  readString() {
    return readVarString(this.restDecoder);
  }
  /**
   * @return {boolean} isKey
   */
  readParentInfo() {
    return readVarUint(this.restDecoder) === 1;
  }
  /**
   * @return {number} info An unsigned 8-bit integer
   */
  readTypeRef() {
    return readVarUint(this.restDecoder);
  }
  /**
   * Write len of a struct - well suited for Opt RLE encoder.
   *
   * @return {number} len
   */
  readLen() {
    return readVarUint(this.restDecoder);
  }
  /**
   * @return {any}
   */
  readAny() {
    return readAny(this.restDecoder);
  }
  /**
   * @return {Uint8Array}
   */
  readBuf() {
    return copyUint8Array(readVarUint8Array(this.restDecoder));
  }
  /**
   * Legacy implementation uses JSON parse. We use any-decoding in v2.
   *
   * @return {any}
   */
  readJSON() {
    return JSON.parse(readVarString(this.restDecoder));
  }
  /**
   * @return {string}
   */
  readKey() {
    return readVarString(this.restDecoder);
  }
};
var DSDecoderV2 = class {
  /**
   * @param {decoding.Decoder} decoder
   */
  constructor(decoder) {
    this.dsCurrVal = 0;
    this.restDecoder = decoder;
  }
  resetDsCurVal() {
    this.dsCurrVal = 0;
  }
  /**
   * @return {number}
   */
  readDsClock() {
    this.dsCurrVal += readVarUint(this.restDecoder);
    return this.dsCurrVal;
  }
  /**
   * @return {number}
   */
  readDsLen() {
    const diff = readVarUint(this.restDecoder) + 1;
    this.dsCurrVal += diff;
    return diff;
  }
};
var UpdateDecoderV2 = class extends DSDecoderV2 {
  /**
   * @param {decoding.Decoder} decoder
   */
  constructor(decoder) {
    super(decoder);
    this.keys = [];
    readVarUint(decoder);
    this.keyClockDecoder = new IntDiffOptRleDecoder(readVarUint8Array(decoder));
    this.clientDecoder = new UintOptRleDecoder(readVarUint8Array(decoder));
    this.leftClockDecoder = new IntDiffOptRleDecoder(readVarUint8Array(decoder));
    this.rightClockDecoder = new IntDiffOptRleDecoder(readVarUint8Array(decoder));
    this.infoDecoder = new RleDecoder(readVarUint8Array(decoder), readUint8);
    this.stringDecoder = new StringDecoder(readVarUint8Array(decoder));
    this.parentInfoDecoder = new RleDecoder(readVarUint8Array(decoder), readUint8);
    this.typeRefDecoder = new UintOptRleDecoder(readVarUint8Array(decoder));
    this.lenDecoder = new UintOptRleDecoder(readVarUint8Array(decoder));
  }
  /**
   * @return {ID}
   */
  readLeftID() {
    return new ID(this.clientDecoder.read(), this.leftClockDecoder.read());
  }
  /**
   * @return {ID}
   */
  readRightID() {
    return new ID(this.clientDecoder.read(), this.rightClockDecoder.read());
  }
  /**
   * Read the next client id.
   * Use this in favor of readID whenever possible to reduce the number of objects created.
   */
  readClient() {
    return this.clientDecoder.read();
  }
  /**
   * @return {number} info An unsigned 8-bit integer
   */
  readInfo() {
    return (
      /** @type {number} */
      this.infoDecoder.read()
    );
  }
  /**
   * @return {string}
   */
  readString() {
    return this.stringDecoder.read();
  }
  /**
   * @return {boolean}
   */
  readParentInfo() {
    return this.parentInfoDecoder.read() === 1;
  }
  /**
   * @return {number} An unsigned 8-bit integer
   */
  readTypeRef() {
    return this.typeRefDecoder.read();
  }
  /**
   * Write len of a struct - well suited for Opt RLE encoder.
   *
   * @return {number}
   */
  readLen() {
    return this.lenDecoder.read();
  }
  /**
   * @return {any}
   */
  readAny() {
    return readAny(this.restDecoder);
  }
  /**
   * @return {Uint8Array}
   */
  readBuf() {
    return readVarUint8Array(this.restDecoder);
  }
  /**
   * This is mainly here for legacy purposes.
   *
   * Initial we incoded objects using JSON. Now we use the much faster lib0/any-encoder. This method mainly exists for legacy purposes for the v1 encoder.
   *
   * @return {any}
   */
  readJSON() {
    return readAny(this.restDecoder);
  }
  /**
   * @return {string}
   */
  readKey() {
    const keyClock = this.keyClockDecoder.read();
    if (keyClock < this.keys.length) {
      return this.keys[keyClock];
    } else {
      const key = this.stringDecoder.read();
      this.keys.push(key);
      return key;
    }
  }
};
var DSEncoderV1 = class {
  constructor() {
    this.restEncoder = createEncoder();
  }
  toUint8Array() {
    return toUint8Array(this.restEncoder);
  }
  resetDsCurVal() {
  }
  /**
   * @param {number} clock
   */
  writeDsClock(clock) {
    writeVarUint(this.restEncoder, clock);
  }
  /**
   * @param {number} len
   */
  writeDsLen(len) {
    writeVarUint(this.restEncoder, len);
  }
};
var UpdateEncoderV1 = class extends DSEncoderV1 {
  /**
   * @param {ID} id
   */
  writeLeftID(id2) {
    writeVarUint(this.restEncoder, id2.client);
    writeVarUint(this.restEncoder, id2.clock);
  }
  /**
   * @param {ID} id
   */
  writeRightID(id2) {
    writeVarUint(this.restEncoder, id2.client);
    writeVarUint(this.restEncoder, id2.clock);
  }
  /**
   * Use writeClient and writeClock instead of writeID if possible.
   * @param {number} client
   */
  writeClient(client) {
    writeVarUint(this.restEncoder, client);
  }
  /**
   * @param {number} info An unsigned 8-bit integer
   */
  writeInfo(info) {
    writeUint8(this.restEncoder, info);
  }
  /**
   * @param {string} s
   */
  writeString(s) {
    writeVarString(this.restEncoder, s);
  }
  /**
   * @param {boolean} isYKey
   */
  writeParentInfo(isYKey) {
    writeVarUint(this.restEncoder, isYKey ? 1 : 0);
  }
  /**
   * @param {number} info An unsigned 8-bit integer
   */
  writeTypeRef(info) {
    writeVarUint(this.restEncoder, info);
  }
  /**
   * Write len of a struct - well suited for Opt RLE encoder.
   *
   * @param {number} len
   */
  writeLen(len) {
    writeVarUint(this.restEncoder, len);
  }
  /**
   * @param {any} any
   */
  writeAny(any2) {
    writeAny(this.restEncoder, any2);
  }
  /**
   * @param {Uint8Array} buf
   */
  writeBuf(buf) {
    writeVarUint8Array(this.restEncoder, buf);
  }
  /**
   * @param {any} embed
   */
  writeJSON(embed) {
    writeVarString(this.restEncoder, JSON.stringify(embed));
  }
  /**
   * @param {string} key
   */
  writeKey(key) {
    writeVarString(this.restEncoder, key);
  }
};
var DSEncoderV2 = class {
  constructor() {
    this.restEncoder = createEncoder();
    this.dsCurrVal = 0;
  }
  toUint8Array() {
    return toUint8Array(this.restEncoder);
  }
  resetDsCurVal() {
    this.dsCurrVal = 0;
  }
  /**
   * @param {number} clock
   */
  writeDsClock(clock) {
    const diff = clock - this.dsCurrVal;
    this.dsCurrVal = clock;
    writeVarUint(this.restEncoder, diff);
  }
  /**
   * @param {number} len
   */
  writeDsLen(len) {
    if (len === 0) {
      unexpectedCase();
    }
    writeVarUint(this.restEncoder, len - 1);
    this.dsCurrVal += len;
  }
};
var UpdateEncoderV2 = class extends DSEncoderV2 {
  constructor() {
    super();
    this.keyMap = /* @__PURE__ */ new Map();
    this.keyClock = 0;
    this.keyClockEncoder = new IntDiffOptRleEncoder();
    this.clientEncoder = new UintOptRleEncoder();
    this.leftClockEncoder = new IntDiffOptRleEncoder();
    this.rightClockEncoder = new IntDiffOptRleEncoder();
    this.infoEncoder = new RleEncoder(writeUint8);
    this.stringEncoder = new StringEncoder();
    this.parentInfoEncoder = new RleEncoder(writeUint8);
    this.typeRefEncoder = new UintOptRleEncoder();
    this.lenEncoder = new UintOptRleEncoder();
  }
  toUint8Array() {
    const encoder = createEncoder();
    writeVarUint(encoder, 0);
    writeVarUint8Array(encoder, this.keyClockEncoder.toUint8Array());
    writeVarUint8Array(encoder, this.clientEncoder.toUint8Array());
    writeVarUint8Array(encoder, this.leftClockEncoder.toUint8Array());
    writeVarUint8Array(encoder, this.rightClockEncoder.toUint8Array());
    writeVarUint8Array(encoder, toUint8Array(this.infoEncoder));
    writeVarUint8Array(encoder, this.stringEncoder.toUint8Array());
    writeVarUint8Array(encoder, toUint8Array(this.parentInfoEncoder));
    writeVarUint8Array(encoder, this.typeRefEncoder.toUint8Array());
    writeVarUint8Array(encoder, this.lenEncoder.toUint8Array());
    writeUint8Array(encoder, toUint8Array(this.restEncoder));
    return toUint8Array(encoder);
  }
  /**
   * @param {ID} id
   */
  writeLeftID(id2) {
    this.clientEncoder.write(id2.client);
    this.leftClockEncoder.write(id2.clock);
  }
  /**
   * @param {ID} id
   */
  writeRightID(id2) {
    this.clientEncoder.write(id2.client);
    this.rightClockEncoder.write(id2.clock);
  }
  /**
   * @param {number} client
   */
  writeClient(client) {
    this.clientEncoder.write(client);
  }
  /**
   * @param {number} info An unsigned 8-bit integer
   */
  writeInfo(info) {
    this.infoEncoder.write(info);
  }
  /**
   * @param {string} s
   */
  writeString(s) {
    this.stringEncoder.write(s);
  }
  /**
   * @param {boolean} isYKey
   */
  writeParentInfo(isYKey) {
    this.parentInfoEncoder.write(isYKey ? 1 : 0);
  }
  /**
   * @param {number} info An unsigned 8-bit integer
   */
  writeTypeRef(info) {
    this.typeRefEncoder.write(info);
  }
  /**
   * Write len of a struct - well suited for Opt RLE encoder.
   *
   * @param {number} len
   */
  writeLen(len) {
    this.lenEncoder.write(len);
  }
  /**
   * @param {any} any
   */
  writeAny(any2) {
    writeAny(this.restEncoder, any2);
  }
  /**
   * @param {Uint8Array} buf
   */
  writeBuf(buf) {
    writeVarUint8Array(this.restEncoder, buf);
  }
  /**
   * This is mainly here for legacy purposes.
   *
   * Initial we incoded objects using JSON. Now we use the much faster lib0/any-encoder. This method mainly exists for legacy purposes for the v1 encoder.
   *
   * @param {any} embed
   */
  writeJSON(embed) {
    writeAny(this.restEncoder, embed);
  }
  /**
   * Property keys are often reused. For example, in y-prosemirror the key `bold` might
   * occur very often. For a 3d application, the key `position` might occur very often.
   *
   * We cache these keys in a Map and refer to them via a unique number.
   *
   * @param {string} key
   */
  writeKey(key) {
    const clock = this.keyMap.get(key);
    if (clock === void 0) {
      this.keyClockEncoder.write(this.keyClock++);
      this.stringEncoder.write(key);
    } else {
      this.keyClockEncoder.write(clock);
    }
  }
};
var writeStructs = (encoder, structs, client, clock) => {
  clock = max(clock, structs[0].id.clock);
  const startNewStructs = findIndexSS(structs, clock);
  writeVarUint(encoder.restEncoder, structs.length - startNewStructs);
  encoder.writeClient(client);
  writeVarUint(encoder.restEncoder, clock);
  const firstStruct = structs[startNewStructs];
  firstStruct.write(encoder, clock - firstStruct.id.clock);
  for (let i = startNewStructs + 1; i < structs.length; i++) {
    structs[i].write(encoder, 0);
  }
};
var writeClientsStructs = (encoder, store, _sm) => {
  const sm = /* @__PURE__ */ new Map();
  _sm.forEach((clock, client) => {
    if (getState(store, client) > clock) {
      sm.set(client, clock);
    }
  });
  getStateVector(store).forEach((_clock, client) => {
    if (!_sm.has(client)) {
      sm.set(client, 0);
    }
  });
  writeVarUint(encoder.restEncoder, sm.size);
  from(sm.entries()).sort((a, b) => b[0] - a[0]).forEach(([client, clock]) => {
    writeStructs(
      encoder,
      /** @type {Array<GC|Item>} */
      store.clients.get(client),
      client,
      clock
    );
  });
};
var readClientsStructRefs = (decoder, doc2) => {
  const clientRefs = create3();
  const numOfStateUpdates = readVarUint(decoder.restDecoder);
  for (let i = 0; i < numOfStateUpdates; i++) {
    const numberOfStructs = readVarUint(decoder.restDecoder);
    const refs = new Array(numberOfStructs);
    const client = decoder.readClient();
    let clock = readVarUint(decoder.restDecoder);
    clientRefs.set(client, { i: 0, refs });
    for (let i2 = 0; i2 < numberOfStructs; i2++) {
      const info = decoder.readInfo();
      switch (BITS5 & info) {
        case 0: {
          const len = decoder.readLen();
          refs[i2] = new GC(createID(client, clock), len);
          clock += len;
          break;
        }
        case 10: {
          const len = readVarUint(decoder.restDecoder);
          refs[i2] = new Skip(createID(client, clock), len);
          clock += len;
          break;
        }
        default: {
          const cantCopyParentInfo = (info & (BIT7 | BIT8)) === 0;
          const struct = new Item(
            createID(client, clock),
            null,
            // left
            (info & BIT8) === BIT8 ? decoder.readLeftID() : null,
            // origin
            null,
            // right
            (info & BIT7) === BIT7 ? decoder.readRightID() : null,
            // right origin
            cantCopyParentInfo ? decoder.readParentInfo() ? doc2.get(decoder.readString()) : decoder.readLeftID() : null,
            // parent
            cantCopyParentInfo && (info & BIT6) === BIT6 ? decoder.readString() : null,
            // parentSub
            readItemContent(decoder, info)
            // item content
          );
          refs[i2] = struct;
          clock += struct.length;
        }
      }
    }
  }
  return clientRefs;
};
var integrateStructs = (transaction, store, clientsStructRefs) => {
  const stack = [];
  let clientsStructRefsIds = from(clientsStructRefs.keys()).sort((a, b) => a - b);
  if (clientsStructRefsIds.length === 0) {
    return null;
  }
  const getNextStructTarget = () => {
    if (clientsStructRefsIds.length === 0) {
      return null;
    }
    let nextStructsTarget = (
      /** @type {{i:number,refs:Array<GC|Item>}} */
      clientsStructRefs.get(clientsStructRefsIds[clientsStructRefsIds.length - 1])
    );
    while (nextStructsTarget.refs.length === nextStructsTarget.i) {
      clientsStructRefsIds.pop();
      if (clientsStructRefsIds.length > 0) {
        nextStructsTarget = /** @type {{i:number,refs:Array<GC|Item>}} */
        clientsStructRefs.get(clientsStructRefsIds[clientsStructRefsIds.length - 1]);
      } else {
        return null;
      }
    }
    return nextStructsTarget;
  };
  let curStructsTarget = getNextStructTarget();
  if (curStructsTarget === null) {
    return null;
  }
  const restStructs = new StructStore();
  const missingSV = /* @__PURE__ */ new Map();
  const updateMissingSv = (client, clock) => {
    const mclock = missingSV.get(client);
    if (mclock == null || mclock > clock) {
      missingSV.set(client, clock);
    }
  };
  let stackHead = (
    /** @type {any} */
    curStructsTarget.refs[
      /** @type {any} */
      curStructsTarget.i++
    ]
  );
  const state = /* @__PURE__ */ new Map();
  const addStackToRestSS = () => {
    for (const item of stack) {
      const client = item.id.client;
      const inapplicableItems = clientsStructRefs.get(client);
      if (inapplicableItems) {
        inapplicableItems.i--;
        restStructs.clients.set(client, inapplicableItems.refs.slice(inapplicableItems.i));
        clientsStructRefs.delete(client);
        inapplicableItems.i = 0;
        inapplicableItems.refs = [];
      } else {
        restStructs.clients.set(client, [item]);
      }
      clientsStructRefsIds = clientsStructRefsIds.filter((c) => c !== client);
    }
    stack.length = 0;
  };
  while (true) {
    if (stackHead.constructor !== Skip) {
      const localClock = setIfUndefined(state, stackHead.id.client, () => getState(store, stackHead.id.client));
      const offset = localClock - stackHead.id.clock;
      if (offset < 0) {
        stack.push(stackHead);
        updateMissingSv(stackHead.id.client, stackHead.id.clock - 1);
        addStackToRestSS();
      } else {
        const missing = stackHead.getMissing(transaction, store);
        if (missing !== null) {
          stack.push(stackHead);
          const structRefs = clientsStructRefs.get(
            /** @type {number} */
            missing
          ) || { refs: [], i: 0 };
          if (structRefs.refs.length === structRefs.i) {
            updateMissingSv(
              /** @type {number} */
              missing,
              getState(store, missing)
            );
            addStackToRestSS();
          } else {
            stackHead = structRefs.refs[structRefs.i++];
            continue;
          }
        } else if (offset === 0 || offset < stackHead.length) {
          stackHead.integrate(transaction, offset);
          state.set(stackHead.id.client, stackHead.id.clock + stackHead.length);
        }
      }
    }
    if (stack.length > 0) {
      stackHead = /** @type {GC|Item} */
      stack.pop();
    } else if (curStructsTarget !== null && curStructsTarget.i < curStructsTarget.refs.length) {
      stackHead = /** @type {GC|Item} */
      curStructsTarget.refs[curStructsTarget.i++];
    } else {
      curStructsTarget = getNextStructTarget();
      if (curStructsTarget === null) {
        break;
      } else {
        stackHead = /** @type {GC|Item} */
        curStructsTarget.refs[curStructsTarget.i++];
      }
    }
  }
  if (restStructs.clients.size > 0) {
    const encoder = new UpdateEncoderV2();
    writeClientsStructs(encoder, restStructs, /* @__PURE__ */ new Map());
    writeVarUint(encoder.restEncoder, 0);
    return { missing: missingSV, update: encoder.toUint8Array() };
  }
  return null;
};
var writeStructsFromTransaction = (encoder, transaction) => writeClientsStructs(encoder, transaction.doc.store, transaction.beforeState);
var readUpdateV2 = (decoder, ydoc, transactionOrigin, structDecoder = new UpdateDecoderV2(decoder)) => transact(ydoc, (transaction) => {
  transaction.local = false;
  let retry = false;
  const doc2 = transaction.doc;
  const store = doc2.store;
  const ss = readClientsStructRefs(structDecoder, doc2);
  const restStructs = integrateStructs(transaction, store, ss);
  const pending = store.pendingStructs;
  if (pending) {
    for (const [client, clock] of pending.missing) {
      if (clock < getState(store, client)) {
        retry = true;
        break;
      }
    }
    if (restStructs) {
      for (const [client, clock] of restStructs.missing) {
        const mclock = pending.missing.get(client);
        if (mclock == null || mclock > clock) {
          pending.missing.set(client, clock);
        }
      }
      pending.update = mergeUpdatesV2([pending.update, restStructs.update]);
    }
  } else {
    store.pendingStructs = restStructs;
  }
  const dsRest = readAndApplyDeleteSet(structDecoder, transaction, store);
  if (store.pendingDs) {
    const pendingDSUpdate = new UpdateDecoderV2(createDecoder(store.pendingDs));
    readVarUint(pendingDSUpdate.restDecoder);
    const dsRest2 = readAndApplyDeleteSet(pendingDSUpdate, transaction, store);
    if (dsRest && dsRest2) {
      store.pendingDs = mergeUpdatesV2([dsRest, dsRest2]);
    } else {
      store.pendingDs = dsRest || dsRest2;
    }
  } else {
    store.pendingDs = dsRest;
  }
  if (retry) {
    const update = (
      /** @type {{update: Uint8Array}} */
      store.pendingStructs.update
    );
    store.pendingStructs = null;
    applyUpdateV2(transaction.doc, update);
  }
}, transactionOrigin, false);
var applyUpdateV2 = (ydoc, update, transactionOrigin, YDecoder = UpdateDecoderV2) => {
  const decoder = createDecoder(update);
  readUpdateV2(decoder, ydoc, transactionOrigin, new YDecoder(decoder));
};
var applyUpdate = (ydoc, update, transactionOrigin) => applyUpdateV2(ydoc, update, transactionOrigin, UpdateDecoderV1);
var writeStateAsUpdate = (encoder, doc2, targetStateVector = /* @__PURE__ */ new Map()) => {
  writeClientsStructs(encoder, doc2.store, targetStateVector);
  writeDeleteSet(encoder, createDeleteSetFromStructStore(doc2.store));
};
var encodeStateAsUpdateV2 = (doc2, encodedTargetStateVector = new Uint8Array([0]), encoder = new UpdateEncoderV2()) => {
  const targetStateVector = decodeStateVector(encodedTargetStateVector);
  writeStateAsUpdate(encoder, doc2, targetStateVector);
  const updates = [encoder.toUint8Array()];
  if (doc2.store.pendingDs) {
    updates.push(doc2.store.pendingDs);
  }
  if (doc2.store.pendingStructs) {
    updates.push(diffUpdateV2(doc2.store.pendingStructs.update, encodedTargetStateVector));
  }
  if (updates.length > 1) {
    if (encoder.constructor === UpdateEncoderV1) {
      return mergeUpdates(updates.map((update, i) => i === 0 ? update : convertUpdateFormatV2ToV1(update)));
    } else if (encoder.constructor === UpdateEncoderV2) {
      return mergeUpdatesV2(updates);
    }
  }
  return updates[0];
};
var encodeStateAsUpdate = (doc2, encodedTargetStateVector) => encodeStateAsUpdateV2(doc2, encodedTargetStateVector, new UpdateEncoderV1());
var readStateVector = (decoder) => {
  const ss = /* @__PURE__ */ new Map();
  const ssLength = readVarUint(decoder.restDecoder);
  for (let i = 0; i < ssLength; i++) {
    const client = readVarUint(decoder.restDecoder);
    const clock = readVarUint(decoder.restDecoder);
    ss.set(client, clock);
  }
  return ss;
};
var decodeStateVector = (decodedState) => readStateVector(new DSDecoderV1(createDecoder(decodedState)));
var writeStateVector = (encoder, sv) => {
  writeVarUint(encoder.restEncoder, sv.size);
  from(sv.entries()).sort((a, b) => b[0] - a[0]).forEach(([client, clock]) => {
    writeVarUint(encoder.restEncoder, client);
    writeVarUint(encoder.restEncoder, clock);
  });
  return encoder;
};
var writeDocumentStateVector = (encoder, doc2) => writeStateVector(encoder, getStateVector(doc2.store));
var encodeStateVectorV2 = (doc2, encoder = new DSEncoderV2()) => {
  if (doc2 instanceof Map) {
    writeStateVector(encoder, doc2);
  } else {
    writeDocumentStateVector(encoder, doc2);
  }
  return encoder.toUint8Array();
};
var encodeStateVector = (doc2) => encodeStateVectorV2(doc2, new DSEncoderV1());
var EventHandler = class {
  constructor() {
    this.l = [];
  }
};
var createEventHandler = () => new EventHandler();
var addEventHandlerListener = (eventHandler, f) => eventHandler.l.push(f);
var removeEventHandlerListener = (eventHandler, f) => {
  const l = eventHandler.l;
  const len = l.length;
  eventHandler.l = l.filter((g) => f !== g);
  if (len === eventHandler.l.length) {
    console.error("[yjs] Tried to remove event handler that doesn't exist.");
  }
};
var callEventHandlerListeners = (eventHandler, arg0, arg1) => callAll(eventHandler.l, [arg0, arg1]);
var ID = class {
  /**
   * @param {number} client client id
   * @param {number} clock unique per client id, continuous number
   */
  constructor(client, clock) {
    this.client = client;
    this.clock = clock;
  }
};
var compareIDs = (a, b) => a === b || a !== null && b !== null && a.client === b.client && a.clock === b.clock;
var createID = (client, clock) => new ID(client, clock);
var findRootTypeKey = (type) => {
  for (const [key, value] of type.doc.share.entries()) {
    if (value === type) {
      return key;
    }
  }
  throw unexpectedCase();
};
var isParentOf = (parent, child) => {
  while (child !== null) {
    if (child.parent === parent) {
      return true;
    }
    child = /** @type {AbstractType<any>} */
    child.parent._item;
  }
  return false;
};
var Snapshot = class {
  /**
   * @param {DeleteSet} ds
   * @param {Map<number,number>} sv state map
   */
  constructor(ds, sv) {
    this.ds = ds;
    this.sv = sv;
  }
};
var createSnapshot = (ds, sm) => new Snapshot(ds, sm);
var emptySnapshot = createSnapshot(createDeleteSet(), /* @__PURE__ */ new Map());
var isVisible = (item, snapshot) => snapshot === void 0 ? !item.deleted : snapshot.sv.has(item.id.client) && (snapshot.sv.get(item.id.client) || 0) > item.id.clock && !isDeleted(snapshot.ds, item.id);
var splitSnapshotAffectedStructs = (transaction, snapshot) => {
  const meta = setIfUndefined(transaction.meta, splitSnapshotAffectedStructs, create);
  const store = transaction.doc.store;
  if (!meta.has(snapshot)) {
    snapshot.sv.forEach((clock, client) => {
      if (clock < getState(store, client)) {
        getItemCleanStart(transaction, createID(client, clock));
      }
    });
    iterateDeletedStructs(transaction, snapshot.ds, (_item) => {
    });
    meta.add(snapshot);
  }
};
var StructStore = class {
  constructor() {
    this.clients = /* @__PURE__ */ new Map();
    this.pendingStructs = null;
    this.pendingDs = null;
  }
};
var getStateVector = (store) => {
  const sm = /* @__PURE__ */ new Map();
  store.clients.forEach((structs, client) => {
    const struct = structs[structs.length - 1];
    sm.set(client, struct.id.clock + struct.length);
  });
  return sm;
};
var getState = (store, client) => {
  const structs = store.clients.get(client);
  if (structs === void 0) {
    return 0;
  }
  const lastStruct = structs[structs.length - 1];
  return lastStruct.id.clock + lastStruct.length;
};
var addStruct = (store, struct) => {
  let structs = store.clients.get(struct.id.client);
  if (structs === void 0) {
    structs = [];
    store.clients.set(struct.id.client, structs);
  } else {
    const lastStruct = structs[structs.length - 1];
    if (lastStruct.id.clock + lastStruct.length !== struct.id.clock) {
      throw unexpectedCase();
    }
  }
  structs.push(struct);
};
var findIndexSS = (structs, clock) => {
  let left = 0;
  let right = structs.length - 1;
  let mid = structs[right];
  let midclock = mid.id.clock;
  if (midclock === clock) {
    return right;
  }
  let midindex = floor(clock / (midclock + mid.length - 1) * right);
  while (left <= right) {
    mid = structs[midindex];
    midclock = mid.id.clock;
    if (midclock <= clock) {
      if (clock < midclock + mid.length) {
        return midindex;
      }
      left = midindex + 1;
    } else {
      right = midindex - 1;
    }
    midindex = floor((left + right) / 2);
  }
  throw unexpectedCase();
};
var find = (store, id2) => {
  const structs = store.clients.get(id2.client);
  return structs[findIndexSS(structs, id2.clock)];
};
var getItem = (
  /** @type {function(StructStore,ID):Item} */
  find
);
var findIndexCleanStart = (transaction, structs, clock) => {
  const index2 = findIndexSS(structs, clock);
  const struct = structs[index2];
  if (struct.id.clock < clock && struct instanceof Item) {
    structs.splice(index2 + 1, 0, splitItem(transaction, struct, clock - struct.id.clock));
    return index2 + 1;
  }
  return index2;
};
var getItemCleanStart = (transaction, id2) => {
  const structs = (
    /** @type {Array<Item>} */
    transaction.doc.store.clients.get(id2.client)
  );
  return structs[findIndexCleanStart(transaction, structs, id2.clock)];
};
var getItemCleanEnd = (transaction, store, id2) => {
  const structs = store.clients.get(id2.client);
  const index2 = findIndexSS(structs, id2.clock);
  const struct = structs[index2];
  if (id2.clock !== struct.id.clock + struct.length - 1 && struct.constructor !== GC) {
    structs.splice(index2 + 1, 0, splitItem(transaction, struct, id2.clock - struct.id.clock + 1));
  }
  return struct;
};
var replaceStruct = (store, struct, newStruct) => {
  const structs = (
    /** @type {Array<GC|Item>} */
    store.clients.get(struct.id.client)
  );
  structs[findIndexSS(structs, struct.id.clock)] = newStruct;
};
var iterateStructs = (transaction, structs, clockStart, len, f) => {
  if (len === 0) {
    return;
  }
  const clockEnd = clockStart + len;
  let index2 = findIndexCleanStart(transaction, structs, clockStart);
  let struct;
  do {
    struct = structs[index2++];
    if (clockEnd < struct.id.clock + struct.length) {
      findIndexCleanStart(transaction, structs, clockEnd);
    }
    f(struct);
  } while (index2 < structs.length && structs[index2].id.clock < clockEnd);
};
var Transaction = class {
  /**
   * @param {Doc} doc
   * @param {any} origin
   * @param {boolean} local
   */
  constructor(doc2, origin, local) {
    this.doc = doc2;
    this.deleteSet = new DeleteSet();
    this.beforeState = getStateVector(doc2.store);
    this.afterState = /* @__PURE__ */ new Map();
    this.changed = /* @__PURE__ */ new Map();
    this.changedParentTypes = /* @__PURE__ */ new Map();
    this._mergeStructs = [];
    this.origin = origin;
    this.meta = /* @__PURE__ */ new Map();
    this.local = local;
    this.subdocsAdded = /* @__PURE__ */ new Set();
    this.subdocsRemoved = /* @__PURE__ */ new Set();
    this.subdocsLoaded = /* @__PURE__ */ new Set();
    this._needFormattingCleanup = false;
  }
};
var writeUpdateMessageFromTransaction = (encoder, transaction) => {
  if (transaction.deleteSet.clients.size === 0 && !any(transaction.afterState, (clock, client) => transaction.beforeState.get(client) !== clock)) {
    return false;
  }
  sortAndMergeDeleteSet(transaction.deleteSet);
  writeStructsFromTransaction(encoder, transaction);
  writeDeleteSet(encoder, transaction.deleteSet);
  return true;
};
var addChangedTypeToTransaction = (transaction, type, parentSub) => {
  const item = type._item;
  if (item === null || item.id.clock < (transaction.beforeState.get(item.id.client) || 0) && !item.deleted) {
    setIfUndefined(transaction.changed, type, create).add(parentSub);
  }
};
var tryToMergeWithLefts = (structs, pos) => {
  let right = structs[pos];
  let left = structs[pos - 1];
  let i = pos;
  for (; i > 0; right = left, left = structs[--i - 1]) {
    if (left.deleted === right.deleted && left.constructor === right.constructor) {
      if (left.mergeWith(right)) {
        if (right instanceof Item && right.parentSub !== null && /** @type {AbstractType<any>} */
        right.parent._map.get(right.parentSub) === right) {
          right.parent._map.set(
            right.parentSub,
            /** @type {Item} */
            left
          );
        }
        continue;
      }
    }
    break;
  }
  const merged = pos - i;
  if (merged) {
    structs.splice(pos + 1 - merged, merged);
  }
  return merged;
};
var tryGcDeleteSet = (ds, store, gcFilter) => {
  for (const [client, deleteItems] of ds.clients.entries()) {
    const structs = (
      /** @type {Array<GC|Item>} */
      store.clients.get(client)
    );
    for (let di = deleteItems.length - 1; di >= 0; di--) {
      const deleteItem = deleteItems[di];
      const endDeleteItemClock = deleteItem.clock + deleteItem.len;
      for (let si = findIndexSS(structs, deleteItem.clock), struct = structs[si]; si < structs.length && struct.id.clock < endDeleteItemClock; struct = structs[++si]) {
        const struct2 = structs[si];
        if (deleteItem.clock + deleteItem.len <= struct2.id.clock) {
          break;
        }
        if (struct2 instanceof Item && struct2.deleted && !struct2.keep && gcFilter(struct2)) {
          struct2.gc(store, false);
        }
      }
    }
  }
};
var tryMergeDeleteSet = (ds, store) => {
  ds.clients.forEach((deleteItems, client) => {
    const structs = (
      /** @type {Array<GC|Item>} */
      store.clients.get(client)
    );
    for (let di = deleteItems.length - 1; di >= 0; di--) {
      const deleteItem = deleteItems[di];
      const mostRightIndexToCheck = min(structs.length - 1, 1 + findIndexSS(structs, deleteItem.clock + deleteItem.len - 1));
      for (let si = mostRightIndexToCheck, struct = structs[si]; si > 0 && struct.id.clock >= deleteItem.clock; struct = structs[si]) {
        si -= 1 + tryToMergeWithLefts(structs, si);
      }
    }
  });
};
var cleanupTransactions = (transactionCleanups, i) => {
  if (i < transactionCleanups.length) {
    const transaction = transactionCleanups[i];
    const doc2 = transaction.doc;
    const store = doc2.store;
    const ds = transaction.deleteSet;
    const mergeStructs = transaction._mergeStructs;
    try {
      sortAndMergeDeleteSet(ds);
      transaction.afterState = getStateVector(transaction.doc.store);
      doc2.emit("beforeObserverCalls", [transaction, doc2]);
      const fs = [];
      transaction.changed.forEach(
        (subs, itemtype) => fs.push(() => {
          if (itemtype._item === null || !itemtype._item.deleted) {
            itemtype._callObserver(transaction, subs);
          }
        })
      );
      fs.push(() => {
        transaction.changedParentTypes.forEach((events, type) => {
          if (type._dEH.l.length > 0 && (type._item === null || !type._item.deleted)) {
            fs.push(() => {
              events = events.filter(
                (event) => event.target._item === null || !event.target._item.deleted
              );
              events.forEach((event) => {
                event.currentTarget = type;
                event._path = null;
              });
              events.sort((event1, event2) => event1.path.length - event2.path.length);
              callEventHandlerListeners(type._dEH, events, transaction);
            });
          }
        });
        fs.push(() => doc2.emit("afterTransaction", [transaction, doc2]));
        fs.push(() => {
          if (transaction._needFormattingCleanup) {
            cleanupYTextAfterTransaction(transaction);
          }
        });
      });
      callAll(fs, []);
    } finally {
      if (doc2.gc) {
        tryGcDeleteSet(ds, store, doc2.gcFilter);
      }
      tryMergeDeleteSet(ds, store);
      transaction.afterState.forEach((clock, client) => {
        const beforeClock = transaction.beforeState.get(client) || 0;
        if (beforeClock !== clock) {
          const structs = (
            /** @type {Array<GC|Item>} */
            store.clients.get(client)
          );
          const firstChangePos = max(findIndexSS(structs, beforeClock), 1);
          for (let i2 = structs.length - 1; i2 >= firstChangePos; ) {
            i2 -= 1 + tryToMergeWithLefts(structs, i2);
          }
        }
      });
      for (let i2 = mergeStructs.length - 1; i2 >= 0; i2--) {
        const { client, clock } = mergeStructs[i2].id;
        const structs = (
          /** @type {Array<GC|Item>} */
          store.clients.get(client)
        );
        const replacedStructPos = findIndexSS(structs, clock);
        if (replacedStructPos + 1 < structs.length) {
          if (tryToMergeWithLefts(structs, replacedStructPos + 1) > 1) {
            continue;
          }
        }
        if (replacedStructPos > 0) {
          tryToMergeWithLefts(structs, replacedStructPos);
        }
      }
      if (!transaction.local && transaction.afterState.get(doc2.clientID) !== transaction.beforeState.get(doc2.clientID)) {
        print(ORANGE, BOLD, "[yjs] ", UNBOLD, RED, "Changed the client-id because another client seems to be using it.");
        doc2.clientID = generateNewClientId();
      }
      doc2.emit("afterTransactionCleanup", [transaction, doc2]);
      if (doc2._observers.has("update")) {
        const encoder = new UpdateEncoderV1();
        const hasContent2 = writeUpdateMessageFromTransaction(encoder, transaction);
        if (hasContent2) {
          doc2.emit("update", [encoder.toUint8Array(), transaction.origin, doc2, transaction]);
        }
      }
      if (doc2._observers.has("updateV2")) {
        const encoder = new UpdateEncoderV2();
        const hasContent2 = writeUpdateMessageFromTransaction(encoder, transaction);
        if (hasContent2) {
          doc2.emit("updateV2", [encoder.toUint8Array(), transaction.origin, doc2, transaction]);
        }
      }
      const { subdocsAdded, subdocsLoaded, subdocsRemoved } = transaction;
      if (subdocsAdded.size > 0 || subdocsRemoved.size > 0 || subdocsLoaded.size > 0) {
        subdocsAdded.forEach((subdoc) => {
          subdoc.clientID = doc2.clientID;
          if (subdoc.collectionid == null) {
            subdoc.collectionid = doc2.collectionid;
          }
          doc2.subdocs.add(subdoc);
        });
        subdocsRemoved.forEach((subdoc) => doc2.subdocs.delete(subdoc));
        doc2.emit("subdocs", [{ loaded: subdocsLoaded, added: subdocsAdded, removed: subdocsRemoved }, doc2, transaction]);
        subdocsRemoved.forEach((subdoc) => subdoc.destroy());
      }
      if (transactionCleanups.length <= i + 1) {
        doc2._transactionCleanups = [];
        doc2.emit("afterAllTransactions", [doc2, transactionCleanups]);
      } else {
        cleanupTransactions(transactionCleanups, i + 1);
      }
    }
  }
};
var transact = (doc2, f, origin = null, local = true) => {
  const transactionCleanups = doc2._transactionCleanups;
  let initialCall = false;
  let result = null;
  if (doc2._transaction === null) {
    initialCall = true;
    doc2._transaction = new Transaction(doc2, origin, local);
    transactionCleanups.push(doc2._transaction);
    if (transactionCleanups.length === 1) {
      doc2.emit("beforeAllTransactions", [doc2]);
    }
    doc2.emit("beforeTransaction", [doc2._transaction, doc2]);
  }
  try {
    result = f(doc2._transaction);
  } finally {
    if (initialCall) {
      const finishCleanup = doc2._transaction === transactionCleanups[0];
      doc2._transaction = null;
      if (finishCleanup) {
        cleanupTransactions(transactionCleanups, 0);
      }
    }
  }
  return result;
};
var StackItem = class {
  /**
   * @param {DeleteSet} deletions
   * @param {DeleteSet} insertions
   */
  constructor(deletions, insertions) {
    this.insertions = insertions;
    this.deletions = deletions;
    this.meta = /* @__PURE__ */ new Map();
  }
};
var clearUndoManagerStackItem = (tr, um, stackItem) => {
  iterateDeletedStructs(tr, stackItem.deletions, (item) => {
    if (item instanceof Item && um.scope.some((type) => type === tr.doc || isParentOf(
      /** @type {AbstractType<any>} */
      type,
      item
    ))) {
      keepItem(item, false);
    }
  });
};
var popStackItem = (undoManager, stack, eventType) => {
  let _tr = null;
  const doc2 = undoManager.doc;
  const scope = undoManager.scope;
  transact(doc2, (transaction) => {
    while (stack.length > 0 && undoManager.currStackItem === null) {
      const store = doc2.store;
      const stackItem = (
        /** @type {StackItem} */
        stack.pop()
      );
      const itemsToRedo = /* @__PURE__ */ new Set();
      const itemsToDelete = [];
      let performedChange = false;
      iterateDeletedStructs(transaction, stackItem.insertions, (struct) => {
        if (struct instanceof Item) {
          if (struct.redone !== null) {
            let { item, diff } = followRedone(store, struct.id);
            if (diff > 0) {
              item = getItemCleanStart(transaction, createID(item.id.client, item.id.clock + diff));
            }
            struct = item;
          }
          if (!struct.deleted && scope.some((type) => type === transaction.doc || isParentOf(
            /** @type {AbstractType<any>} */
            type,
            /** @type {Item} */
            struct
          ))) {
            itemsToDelete.push(struct);
          }
        }
      });
      iterateDeletedStructs(transaction, stackItem.deletions, (struct) => {
        if (struct instanceof Item && scope.some((type) => type === transaction.doc || isParentOf(
          /** @type {AbstractType<any>} */
          type,
          struct
        )) && // Never redo structs in stackItem.insertions because they were created and deleted in the same capture interval.
        !isDeleted(stackItem.insertions, struct.id)) {
          itemsToRedo.add(struct);
        }
      });
      itemsToRedo.forEach((struct) => {
        performedChange = redoItem(transaction, struct, itemsToRedo, stackItem.insertions, undoManager.ignoreRemoteMapChanges, undoManager) !== null || performedChange;
      });
      for (let i = itemsToDelete.length - 1; i >= 0; i--) {
        const item = itemsToDelete[i];
        if (undoManager.deleteFilter(item)) {
          item.delete(transaction);
          performedChange = true;
        }
      }
      undoManager.currStackItem = performedChange ? stackItem : null;
    }
    transaction.changed.forEach((subProps, type) => {
      if (subProps.has(null) && type._searchMarker) {
        type._searchMarker.length = 0;
      }
    });
    _tr = transaction;
  }, undoManager);
  const res = undoManager.currStackItem;
  if (res != null) {
    const changedParentTypes = _tr.changedParentTypes;
    undoManager.emit("stack-item-popped", [{ stackItem: res, type: eventType, changedParentTypes, origin: undoManager }, undoManager]);
    undoManager.currStackItem = null;
  }
  return res;
};
var UndoManager = class extends ObservableV2 {
  /**
   * @param {Doc|AbstractType<any>|Array<AbstractType<any>>} typeScope Limits the scope of the UndoManager. If this is set to a ydoc instance, all changes on that ydoc will be undone. If set to a specific type, only changes on that type or its children will be undone. Also accepts an array of types.
   * @param {UndoManagerOptions} options
   */
  constructor(typeScope, {
    captureTimeout = 500,
    captureTransaction = (_tr) => true,
    deleteFilter = () => true,
    trackedOrigins = /* @__PURE__ */ new Set([null]),
    ignoreRemoteMapChanges = false,
    doc: doc2 = (
      /** @type {Doc} */
      isArray(typeScope) ? typeScope[0].doc : typeScope instanceof Doc ? typeScope : typeScope.doc
    )
  } = {}) {
    super();
    this.scope = [];
    this.doc = doc2;
    this.addToScope(typeScope);
    this.deleteFilter = deleteFilter;
    trackedOrigins.add(this);
    this.trackedOrigins = trackedOrigins;
    this.captureTransaction = captureTransaction;
    this.undoStack = [];
    this.redoStack = [];
    this.undoing = false;
    this.redoing = false;
    this.currStackItem = null;
    this.lastChange = 0;
    this.ignoreRemoteMapChanges = ignoreRemoteMapChanges;
    this.captureTimeout = captureTimeout;
    this.afterTransactionHandler = (transaction) => {
      if (!this.captureTransaction(transaction) || !this.scope.some((type) => transaction.changedParentTypes.has(
        /** @type {AbstractType<any>} */
        type
      ) || type === this.doc) || !this.trackedOrigins.has(transaction.origin) && (!transaction.origin || !this.trackedOrigins.has(transaction.origin.constructor))) {
        return;
      }
      const undoing = this.undoing;
      const redoing = this.redoing;
      const stack = undoing ? this.redoStack : this.undoStack;
      if (undoing) {
        this.stopCapturing();
      } else if (!redoing) {
        this.clear(false, true);
      }
      const insertions = new DeleteSet();
      transaction.afterState.forEach((endClock, client) => {
        const startClock = transaction.beforeState.get(client) || 0;
        const len = endClock - startClock;
        if (len > 0) {
          addToDeleteSet(insertions, client, startClock, len);
        }
      });
      const now2 = getUnixTime();
      let didAdd = false;
      if (this.lastChange > 0 && now2 - this.lastChange < this.captureTimeout && stack.length > 0 && !undoing && !redoing) {
        const lastOp = stack[stack.length - 1];
        lastOp.deletions = mergeDeleteSets([lastOp.deletions, transaction.deleteSet]);
        lastOp.insertions = mergeDeleteSets([lastOp.insertions, insertions]);
      } else {
        stack.push(new StackItem(transaction.deleteSet, insertions));
        didAdd = true;
      }
      if (!undoing && !redoing) {
        this.lastChange = now2;
      }
      iterateDeletedStructs(
        transaction,
        transaction.deleteSet,
        /** @param {Item|GC} item */
        (item) => {
          if (item instanceof Item && this.scope.some((type) => type === transaction.doc || isParentOf(
            /** @type {AbstractType<any>} */
            type,
            item
          ))) {
            keepItem(item, true);
          }
        }
      );
      const changeEvent = [{ stackItem: stack[stack.length - 1], origin: transaction.origin, type: undoing ? "redo" : "undo", changedParentTypes: transaction.changedParentTypes }, this];
      if (didAdd) {
        this.emit("stack-item-added", changeEvent);
      } else {
        this.emit("stack-item-updated", changeEvent);
      }
    };
    this.destroy = this.destroy.bind(this);
    this.doc.on("afterTransaction", this.afterTransactionHandler);
    this.doc.on("destroy", this.destroy);
  }
  /**
   * Extend the scope.
   *
   * @param {Array<AbstractType<any> | Doc> | AbstractType<any> | Doc} ytypes
   */
  addToScope(ytypes) {
    const tmpSet = new Set(this.scope);
    ytypes = isArray(ytypes) ? ytypes : [ytypes];
    ytypes.forEach((ytype) => {
      if (!tmpSet.has(ytype)) {
        tmpSet.add(ytype);
        if (ytype instanceof AbstractType ? ytype.doc !== this.doc : ytype !== this.doc) warn("[yjs#509] Not same Y.Doc");
        this.scope.push(ytype);
      }
    });
  }
  /**
   * @param {any} origin
   */
  addTrackedOrigin(origin) {
    this.trackedOrigins.add(origin);
  }
  /**
   * @param {any} origin
   */
  removeTrackedOrigin(origin) {
    this.trackedOrigins.delete(origin);
  }
  clear(clearUndoStack = true, clearRedoStack = true) {
    if (clearUndoStack && this.canUndo() || clearRedoStack && this.canRedo()) {
      this.doc.transact((tr) => {
        if (clearUndoStack) {
          this.undoStack.forEach((item) => clearUndoManagerStackItem(tr, this, item));
          this.undoStack = [];
        }
        if (clearRedoStack) {
          this.redoStack.forEach((item) => clearUndoManagerStackItem(tr, this, item));
          this.redoStack = [];
        }
        this.emit("stack-cleared", [{ undoStackCleared: clearUndoStack, redoStackCleared: clearRedoStack }]);
      });
    }
  }
  /**
   * UndoManager merges Undo-StackItem if they are created within time-gap
   * smaller than `options.captureTimeout`. Call `um.stopCapturing()` so that the next
   * StackItem won't be merged.
   *
   *
   * @example
   *     // without stopCapturing
   *     ytext.insert(0, 'a')
   *     ytext.insert(1, 'b')
   *     um.undo()
   *     ytext.toString() // => '' (note that 'ab' was removed)
   *     // with stopCapturing
   *     ytext.insert(0, 'a')
   *     um.stopCapturing()
   *     ytext.insert(0, 'b')
   *     um.undo()
   *     ytext.toString() // => 'a' (note that only 'b' was removed)
   *
   */
  stopCapturing() {
    this.lastChange = 0;
  }
  /**
   * Undo last changes on type.
   *
   * @return {StackItem?} Returns StackItem if a change was applied
   */
  undo() {
    this.undoing = true;
    let res;
    try {
      res = popStackItem(this, this.undoStack, "undo");
    } finally {
      this.undoing = false;
    }
    return res;
  }
  /**
   * Redo last undo operation.
   *
   * @return {StackItem?} Returns StackItem if a change was applied
   */
  redo() {
    this.redoing = true;
    let res;
    try {
      res = popStackItem(this, this.redoStack, "redo");
    } finally {
      this.redoing = false;
    }
    return res;
  }
  /**
   * Are undo steps available?
   *
   * @return {boolean} `true` if undo is possible
   */
  canUndo() {
    return this.undoStack.length > 0;
  }
  /**
   * Are redo steps available?
   *
   * @return {boolean} `true` if redo is possible
   */
  canRedo() {
    return this.redoStack.length > 0;
  }
  destroy() {
    this.trackedOrigins.delete(this);
    this.doc.off("afterTransaction", this.afterTransactionHandler);
    this.doc.off("destroy", this.destroy);
    super.destroy();
  }
};
function* lazyStructReaderGenerator(decoder) {
  const numOfStateUpdates = readVarUint(decoder.restDecoder);
  for (let i = 0; i < numOfStateUpdates; i++) {
    const numberOfStructs = readVarUint(decoder.restDecoder);
    const client = decoder.readClient();
    let clock = readVarUint(decoder.restDecoder);
    for (let i2 = 0; i2 < numberOfStructs; i2++) {
      const info = decoder.readInfo();
      if (info === 10) {
        const len = readVarUint(decoder.restDecoder);
        yield new Skip(createID(client, clock), len);
        clock += len;
      } else if ((BITS5 & info) !== 0) {
        const cantCopyParentInfo = (info & (BIT7 | BIT8)) === 0;
        const struct = new Item(
          createID(client, clock),
          null,
          // left
          (info & BIT8) === BIT8 ? decoder.readLeftID() : null,
          // origin
          null,
          // right
          (info & BIT7) === BIT7 ? decoder.readRightID() : null,
          // right origin
          // @ts-ignore Force writing a string here.
          cantCopyParentInfo ? decoder.readParentInfo() ? decoder.readString() : decoder.readLeftID() : null,
          // parent
          cantCopyParentInfo && (info & BIT6) === BIT6 ? decoder.readString() : null,
          // parentSub
          readItemContent(decoder, info)
          // item content
        );
        yield struct;
        clock += struct.length;
      } else {
        const len = decoder.readLen();
        yield new GC(createID(client, clock), len);
        clock += len;
      }
    }
  }
}
var LazyStructReader = class {
  /**
   * @param {UpdateDecoderV1 | UpdateDecoderV2} decoder
   * @param {boolean} filterSkips
   */
  constructor(decoder, filterSkips) {
    this.gen = lazyStructReaderGenerator(decoder);
    this.curr = null;
    this.done = false;
    this.filterSkips = filterSkips;
    this.next();
  }
  /**
   * @return {Item | GC | Skip |null}
   */
  next() {
    do {
      this.curr = this.gen.next().value || null;
    } while (this.filterSkips && this.curr !== null && this.curr.constructor === Skip);
    return this.curr;
  }
};
var decodeUpdate = (update) => decodeUpdateV2(update, UpdateDecoderV1);
var decodeUpdateV2 = (update, YDecoder = UpdateDecoderV2) => {
  const structs = [];
  const updateDecoder = new YDecoder(createDecoder(update));
  const lazyDecoder = new LazyStructReader(updateDecoder, false);
  for (let curr = lazyDecoder.curr; curr !== null; curr = lazyDecoder.next()) {
    structs.push(curr);
  }
  return {
    structs,
    ds: readDeleteSet(updateDecoder)
  };
};
var LazyStructWriter = class {
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder
   */
  constructor(encoder) {
    this.currClient = 0;
    this.startClock = 0;
    this.written = 0;
    this.encoder = encoder;
    this.clientStructs = [];
  }
};
var mergeUpdates = (updates) => mergeUpdatesV2(updates, UpdateDecoderV1, UpdateEncoderV1);
var sliceStruct = (left, diff) => {
  if (left.constructor === GC) {
    const { client, clock } = left.id;
    return new GC(createID(client, clock + diff), left.length - diff);
  } else if (left.constructor === Skip) {
    const { client, clock } = left.id;
    return new Skip(createID(client, clock + diff), left.length - diff);
  } else {
    const leftItem = (
      /** @type {Item} */
      left
    );
    const { client, clock } = leftItem.id;
    return new Item(
      createID(client, clock + diff),
      null,
      createID(client, clock + diff - 1),
      null,
      leftItem.rightOrigin,
      leftItem.parent,
      leftItem.parentSub,
      leftItem.content.splice(diff)
    );
  }
};
var mergeUpdatesV2 = (updates, YDecoder = UpdateDecoderV2, YEncoder = UpdateEncoderV2) => {
  if (updates.length === 1) {
    return updates[0];
  }
  const updateDecoders = updates.map((update) => new YDecoder(createDecoder(update)));
  let lazyStructDecoders = updateDecoders.map((decoder) => new LazyStructReader(decoder, true));
  let currWrite = null;
  const updateEncoder = new YEncoder();
  const lazyStructEncoder = new LazyStructWriter(updateEncoder);
  while (true) {
    lazyStructDecoders = lazyStructDecoders.filter((dec) => dec.curr !== null);
    lazyStructDecoders.sort(
      /** @type {function(any,any):number} */
      (dec1, dec2) => {
        if (dec1.curr.id.client === dec2.curr.id.client) {
          const clockDiff = dec1.curr.id.clock - dec2.curr.id.clock;
          if (clockDiff === 0) {
            return dec1.curr.constructor === dec2.curr.constructor ? 0 : dec1.curr.constructor === Skip ? 1 : -1;
          } else {
            return clockDiff;
          }
        } else {
          return dec2.curr.id.client - dec1.curr.id.client;
        }
      }
    );
    if (lazyStructDecoders.length === 0) {
      break;
    }
    const currDecoder = lazyStructDecoders[0];
    const firstClient = (
      /** @type {Item | GC} */
      currDecoder.curr.id.client
    );
    if (currWrite !== null) {
      let curr = (
        /** @type {Item | GC | null} */
        currDecoder.curr
      );
      let iterated = false;
      while (curr !== null && curr.id.clock + curr.length <= currWrite.struct.id.clock + currWrite.struct.length && curr.id.client >= currWrite.struct.id.client) {
        curr = currDecoder.next();
        iterated = true;
      }
      if (curr === null || // current decoder is empty
      curr.id.client !== firstClient || // check whether there is another decoder that has has updates from `firstClient`
      iterated && curr.id.clock > currWrite.struct.id.clock + currWrite.struct.length) {
        continue;
      }
      if (firstClient !== currWrite.struct.id.client) {
        writeStructToLazyStructWriter(lazyStructEncoder, currWrite.struct, currWrite.offset);
        currWrite = { struct: curr, offset: 0 };
        currDecoder.next();
      } else {
        if (currWrite.struct.id.clock + currWrite.struct.length < curr.id.clock) {
          if (currWrite.struct.constructor === Skip) {
            currWrite.struct.length = curr.id.clock + curr.length - currWrite.struct.id.clock;
          } else {
            writeStructToLazyStructWriter(lazyStructEncoder, currWrite.struct, currWrite.offset);
            const diff = curr.id.clock - currWrite.struct.id.clock - currWrite.struct.length;
            const struct = new Skip(createID(firstClient, currWrite.struct.id.clock + currWrite.struct.length), diff);
            currWrite = { struct, offset: 0 };
          }
        } else {
          const diff = currWrite.struct.id.clock + currWrite.struct.length - curr.id.clock;
          if (diff > 0) {
            if (currWrite.struct.constructor === Skip) {
              currWrite.struct.length -= diff;
            } else {
              curr = sliceStruct(curr, diff);
            }
          }
          if (!currWrite.struct.mergeWith(
            /** @type {any} */
            curr
          )) {
            writeStructToLazyStructWriter(lazyStructEncoder, currWrite.struct, currWrite.offset);
            currWrite = { struct: curr, offset: 0 };
            currDecoder.next();
          }
        }
      }
    } else {
      currWrite = { struct: (
        /** @type {Item | GC} */
        currDecoder.curr
      ), offset: 0 };
      currDecoder.next();
    }
    for (let next = currDecoder.curr; next !== null && next.id.client === firstClient && next.id.clock === currWrite.struct.id.clock + currWrite.struct.length && next.constructor !== Skip; next = currDecoder.next()) {
      writeStructToLazyStructWriter(lazyStructEncoder, currWrite.struct, currWrite.offset);
      currWrite = { struct: next, offset: 0 };
    }
  }
  if (currWrite !== null) {
    writeStructToLazyStructWriter(lazyStructEncoder, currWrite.struct, currWrite.offset);
    currWrite = null;
  }
  finishLazyStructWriting(lazyStructEncoder);
  const dss = updateDecoders.map((decoder) => readDeleteSet(decoder));
  const ds = mergeDeleteSets(dss);
  writeDeleteSet(updateEncoder, ds);
  return updateEncoder.toUint8Array();
};
var diffUpdateV2 = (update, sv, YDecoder = UpdateDecoderV2, YEncoder = UpdateEncoderV2) => {
  const state = decodeStateVector(sv);
  const encoder = new YEncoder();
  const lazyStructWriter = new LazyStructWriter(encoder);
  const decoder = new YDecoder(createDecoder(update));
  const reader = new LazyStructReader(decoder, false);
  while (reader.curr) {
    const curr = reader.curr;
    const currClient = curr.id.client;
    const svClock = state.get(currClient) || 0;
    if (reader.curr.constructor === Skip) {
      reader.next();
      continue;
    }
    if (curr.id.clock + curr.length > svClock) {
      writeStructToLazyStructWriter(lazyStructWriter, curr, max(svClock - curr.id.clock, 0));
      reader.next();
      while (reader.curr && reader.curr.id.client === currClient) {
        writeStructToLazyStructWriter(lazyStructWriter, reader.curr, 0);
        reader.next();
      }
    } else {
      while (reader.curr && reader.curr.id.client === currClient && reader.curr.id.clock + reader.curr.length <= svClock) {
        reader.next();
      }
    }
  }
  finishLazyStructWriting(lazyStructWriter);
  const ds = readDeleteSet(decoder);
  writeDeleteSet(encoder, ds);
  return encoder.toUint8Array();
};
var flushLazyStructWriter = (lazyWriter) => {
  if (lazyWriter.written > 0) {
    lazyWriter.clientStructs.push({ written: lazyWriter.written, restEncoder: toUint8Array(lazyWriter.encoder.restEncoder) });
    lazyWriter.encoder.restEncoder = createEncoder();
    lazyWriter.written = 0;
  }
};
var writeStructToLazyStructWriter = (lazyWriter, struct, offset) => {
  if (lazyWriter.written > 0 && lazyWriter.currClient !== struct.id.client) {
    flushLazyStructWriter(lazyWriter);
  }
  if (lazyWriter.written === 0) {
    lazyWriter.currClient = struct.id.client;
    lazyWriter.encoder.writeClient(struct.id.client);
    writeVarUint(lazyWriter.encoder.restEncoder, struct.id.clock + offset);
  }
  struct.write(lazyWriter.encoder, offset);
  lazyWriter.written++;
};
var finishLazyStructWriting = (lazyWriter) => {
  flushLazyStructWriter(lazyWriter);
  const restEncoder = lazyWriter.encoder.restEncoder;
  writeVarUint(restEncoder, lazyWriter.clientStructs.length);
  for (let i = 0; i < lazyWriter.clientStructs.length; i++) {
    const partStructs = lazyWriter.clientStructs[i];
    writeVarUint(restEncoder, partStructs.written);
    writeUint8Array(restEncoder, partStructs.restEncoder);
  }
};
var convertUpdateFormat = (update, blockTransformer, YDecoder, YEncoder) => {
  const updateDecoder = new YDecoder(createDecoder(update));
  const lazyDecoder = new LazyStructReader(updateDecoder, false);
  const updateEncoder = new YEncoder();
  const lazyWriter = new LazyStructWriter(updateEncoder);
  for (let curr = lazyDecoder.curr; curr !== null; curr = lazyDecoder.next()) {
    writeStructToLazyStructWriter(lazyWriter, blockTransformer(curr), 0);
  }
  finishLazyStructWriting(lazyWriter);
  const ds = readDeleteSet(updateDecoder);
  writeDeleteSet(updateEncoder, ds);
  return updateEncoder.toUint8Array();
};
var convertUpdateFormatV2ToV1 = (update) => convertUpdateFormat(update, id, UpdateDecoderV2, UpdateEncoderV1);
var errorComputeChanges = "You must not compute changes after the event-handler fired.";
var YEvent = class {
  /**
   * @param {T} target The changed type.
   * @param {Transaction} transaction
   */
  constructor(target, transaction) {
    this.target = target;
    this.currentTarget = target;
    this.transaction = transaction;
    this._changes = null;
    this._keys = null;
    this._delta = null;
    this._path = null;
  }
  /**
   * Computes the path from `y` to the changed type.
   *
   * @todo v14 should standardize on path: Array<{parent, index}> because that is easier to work with.
   *
   * The following property holds:
   * @example
   *   let type = y
   *   event.path.forEach(dir => {
   *     type = type.get(dir)
   *   })
   *   type === event.target // => true
   */
  get path() {
    return this._path || (this._path = getPathTo(this.currentTarget, this.target));
  }
  /**
   * Check if a struct is deleted by this event.
   *
   * In contrast to change.deleted, this method also returns true if the struct was added and then deleted.
   *
   * @param {AbstractStruct} struct
   * @return {boolean}
   */
  deletes(struct) {
    return isDeleted(this.transaction.deleteSet, struct.id);
  }
  /**
   * @type {Map<string, { action: 'add' | 'update' | 'delete', oldValue: any }>}
   */
  get keys() {
    if (this._keys === null) {
      if (this.transaction.doc._transactionCleanups.length === 0) {
        throw create2(errorComputeChanges);
      }
      const keys2 = /* @__PURE__ */ new Map();
      const target = this.target;
      const changed = (
        /** @type Set<string|null> */
        this.transaction.changed.get(target)
      );
      changed.forEach((key) => {
        if (key !== null) {
          const item = (
            /** @type {Item} */
            target._map.get(key)
          );
          let action;
          let oldValue;
          if (this.adds(item)) {
            let prev = item.left;
            while (prev !== null && this.adds(prev)) {
              prev = prev.left;
            }
            if (this.deletes(item)) {
              if (prev !== null && this.deletes(prev)) {
                action = "delete";
                oldValue = last(prev.content.getContent());
              } else {
                return;
              }
            } else {
              if (prev !== null && this.deletes(prev)) {
                action = "update";
                oldValue = last(prev.content.getContent());
              } else {
                action = "add";
                oldValue = void 0;
              }
            }
          } else {
            if (this.deletes(item)) {
              action = "delete";
              oldValue = last(
                /** @type {Item} */
                item.content.getContent()
              );
            } else {
              return;
            }
          }
          keys2.set(key, { action, oldValue });
        }
      });
      this._keys = keys2;
    }
    return this._keys;
  }
  /**
   * This is a computed property. Note that this can only be safely computed during the
   * event call. Computing this property after other changes happened might result in
   * unexpected behavior (incorrect computation of deltas). A safe way to collect changes
   * is to store the `changes` or the `delta` object. Avoid storing the `transaction` object.
   *
   * @type {Array<{insert?: string | Array<any> | object | AbstractType<any>, retain?: number, delete?: number, attributes?: Object<string, any>}>}
   */
  get delta() {
    return this.changes.delta;
  }
  /**
   * Check if a struct is added by this event.
   *
   * In contrast to change.deleted, this method also returns true if the struct was added and then deleted.
   *
   * @param {AbstractStruct} struct
   * @return {boolean}
   */
  adds(struct) {
    return struct.id.clock >= (this.transaction.beforeState.get(struct.id.client) || 0);
  }
  /**
   * This is a computed property. Note that this can only be safely computed during the
   * event call. Computing this property after other changes happened might result in
   * unexpected behavior (incorrect computation of deltas). A safe way to collect changes
   * is to store the `changes` or the `delta` object. Avoid storing the `transaction` object.
   *
   * @type {{added:Set<Item>,deleted:Set<Item>,keys:Map<string,{action:'add'|'update'|'delete',oldValue:any}>,delta:Array<{insert?:Array<any>|string, delete?:number, retain?:number}>}}
   */
  get changes() {
    let changes = this._changes;
    if (changes === null) {
      if (this.transaction.doc._transactionCleanups.length === 0) {
        throw create2(errorComputeChanges);
      }
      const target = this.target;
      const added = create();
      const deleted = create();
      const delta = [];
      changes = {
        added,
        deleted,
        delta,
        keys: this.keys
      };
      const changed = (
        /** @type Set<string|null> */
        this.transaction.changed.get(target)
      );
      if (changed.has(null)) {
        let lastOp = null;
        const packOp = () => {
          if (lastOp) {
            delta.push(lastOp);
          }
        };
        for (let item = target._start; item !== null; item = item.right) {
          if (item.deleted) {
            if (this.deletes(item) && !this.adds(item)) {
              if (lastOp === null || lastOp.delete === void 0) {
                packOp();
                lastOp = { delete: 0 };
              }
              lastOp.delete += item.length;
              deleted.add(item);
            }
          } else {
            if (this.adds(item)) {
              if (lastOp === null || lastOp.insert === void 0) {
                packOp();
                lastOp = { insert: [] };
              }
              lastOp.insert = lastOp.insert.concat(item.content.getContent());
              added.add(item);
            } else {
              if (lastOp === null || lastOp.retain === void 0) {
                packOp();
                lastOp = { retain: 0 };
              }
              lastOp.retain += item.length;
            }
          }
        }
        if (lastOp !== null && lastOp.retain === void 0) {
          packOp();
        }
      }
      this._changes = changes;
    }
    return (
      /** @type {any} */
      changes
    );
  }
};
var getPathTo = (parent, child) => {
  const path = [];
  while (child._item !== null && child !== parent) {
    if (child._item.parentSub !== null) {
      path.unshift(child._item.parentSub);
    } else {
      let i = 0;
      let c = (
        /** @type {AbstractType<any>} */
        child._item.parent._start
      );
      while (c !== child._item && c !== null) {
        if (!c.deleted && c.countable) {
          i += c.length;
        }
        c = c.right;
      }
      path.unshift(i);
    }
    child = /** @type {AbstractType<any>} */
    child._item.parent;
  }
  return path;
};
var warnPrematureAccess = () => {
  warn("Invalid access: Add Yjs type to a document before reading data.");
};
var maxSearchMarker = 80;
var globalSearchMarkerTimestamp = 0;
var ArraySearchMarker = class {
  /**
   * @param {Item} p
   * @param {number} index
   */
  constructor(p, index2) {
    p.marker = true;
    this.p = p;
    this.index = index2;
    this.timestamp = globalSearchMarkerTimestamp++;
  }
};
var refreshMarkerTimestamp = (marker) => {
  marker.timestamp = globalSearchMarkerTimestamp++;
};
var overwriteMarker = (marker, p, index2) => {
  marker.p.marker = false;
  marker.p = p;
  p.marker = true;
  marker.index = index2;
  marker.timestamp = globalSearchMarkerTimestamp++;
};
var markPosition = (searchMarker, p, index2) => {
  if (searchMarker.length >= maxSearchMarker) {
    const marker = searchMarker.reduce((a, b) => a.timestamp < b.timestamp ? a : b);
    overwriteMarker(marker, p, index2);
    return marker;
  } else {
    const pm = new ArraySearchMarker(p, index2);
    searchMarker.push(pm);
    return pm;
  }
};
var findMarker = (yarray, index2) => {
  if (yarray._start === null || index2 === 0 || yarray._searchMarker === null) {
    return null;
  }
  const marker = yarray._searchMarker.length === 0 ? null : yarray._searchMarker.reduce((a, b) => abs(index2 - a.index) < abs(index2 - b.index) ? a : b);
  let p = yarray._start;
  let pindex = 0;
  if (marker !== null) {
    p = marker.p;
    pindex = marker.index;
    refreshMarkerTimestamp(marker);
  }
  while (p.right !== null && pindex < index2) {
    if (!p.deleted && p.countable) {
      if (index2 < pindex + p.length) {
        break;
      }
      pindex += p.length;
    }
    p = p.right;
  }
  while (p.left !== null && pindex > index2) {
    p = p.left;
    if (!p.deleted && p.countable) {
      pindex -= p.length;
    }
  }
  while (p.left !== null && p.left.id.client === p.id.client && p.left.id.clock + p.left.length === p.id.clock) {
    p = p.left;
    if (!p.deleted && p.countable) {
      pindex -= p.length;
    }
  }
  if (marker !== null && abs(marker.index - pindex) < /** @type {YText|YArray<any>} */
  p.parent.length / maxSearchMarker) {
    overwriteMarker(marker, p, pindex);
    return marker;
  } else {
    return markPosition(yarray._searchMarker, p, pindex);
  }
};
var updateMarkerChanges = (searchMarker, index2, len) => {
  for (let i = searchMarker.length - 1; i >= 0; i--) {
    const m = searchMarker[i];
    if (len > 0) {
      let p = m.p;
      p.marker = false;
      while (p && (p.deleted || !p.countable)) {
        p = p.left;
        if (p && !p.deleted && p.countable) {
          m.index -= p.length;
        }
      }
      if (p === null || p.marker === true) {
        searchMarker.splice(i, 1);
        continue;
      }
      m.p = p;
      p.marker = true;
    }
    if (index2 < m.index || len > 0 && index2 === m.index) {
      m.index = max(index2, m.index + len);
    }
  }
};
var callTypeObservers = (type, transaction, event) => {
  const changedType = type;
  const changedParentTypes = transaction.changedParentTypes;
  while (true) {
    setIfUndefined(changedParentTypes, type, () => []).push(event);
    if (type._item === null) {
      break;
    }
    type = /** @type {AbstractType<any>} */
    type._item.parent;
  }
  callEventHandlerListeners(changedType._eH, event, transaction);
};
var AbstractType = class {
  constructor() {
    this._item = null;
    this._map = /* @__PURE__ */ new Map();
    this._start = null;
    this.doc = null;
    this._length = 0;
    this._eH = createEventHandler();
    this._dEH = createEventHandler();
    this._searchMarker = null;
  }
  /**
   * @return {AbstractType<any>|null}
   */
  get parent() {
    return this._item ? (
      /** @type {AbstractType<any>} */
      this._item.parent
    ) : null;
  }
  /**
   * Integrate this type into the Yjs instance.
   *
   * * Save this struct in the os
   * * This type is sent to other client
   * * Observer functions are fired
   *
   * @param {Doc} y The Yjs instance
   * @param {Item|null} item
   */
  _integrate(y, item) {
    this.doc = y;
    this._item = item;
  }
  /**
   * @return {AbstractType<EventType>}
   */
  _copy() {
    throw methodUnimplemented();
  }
  /**
   * Makes a copy of this data type that can be included somewhere else.
   *
   * Note that the content is only readable _after_ it has been included somewhere in the Ydoc.
   *
   * @return {AbstractType<EventType>}
   */
  clone() {
    throw methodUnimplemented();
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} _encoder
   */
  _write(_encoder) {
  }
  /**
   * The first non-deleted item
   */
  get _first() {
    let n = this._start;
    while (n !== null && n.deleted) {
      n = n.right;
    }
    return n;
  }
  /**
   * Creates YEvent and calls all type observers.
   * Must be implemented by each type.
   *
   * @param {Transaction} transaction
   * @param {Set<null|string>} _parentSubs Keys changed on this type. `null` if list was modified.
   */
  _callObserver(transaction, _parentSubs) {
    if (!transaction.local && this._searchMarker) {
      this._searchMarker.length = 0;
    }
  }
  /**
   * Observe all events that are created on this type.
   *
   * @param {function(EventType, Transaction):void} f Observer function
   */
  observe(f) {
    addEventHandlerListener(this._eH, f);
  }
  /**
   * Observe all events that are created by this type and its children.
   *
   * @param {function(Array<YEvent<any>>,Transaction):void} f Observer function
   */
  observeDeep(f) {
    addEventHandlerListener(this._dEH, f);
  }
  /**
   * Unregister an observer function.
   *
   * @param {function(EventType,Transaction):void} f Observer function
   */
  unobserve(f) {
    removeEventHandlerListener(this._eH, f);
  }
  /**
   * Unregister an observer function.
   *
   * @param {function(Array<YEvent<any>>,Transaction):void} f Observer function
   */
  unobserveDeep(f) {
    removeEventHandlerListener(this._dEH, f);
  }
  /**
   * @abstract
   * @return {any}
   */
  toJSON() {
  }
};
var typeListSlice = (type, start, end) => {
  type.doc ?? warnPrematureAccess();
  if (start < 0) {
    start = type._length + start;
  }
  if (end < 0) {
    end = type._length + end;
  }
  let len = end - start;
  const cs = [];
  let n = type._start;
  while (n !== null && len > 0) {
    if (n.countable && !n.deleted) {
      const c = n.content.getContent();
      if (c.length <= start) {
        start -= c.length;
      } else {
        for (let i = start; i < c.length && len > 0; i++) {
          cs.push(c[i]);
          len--;
        }
        start = 0;
      }
    }
    n = n.right;
  }
  return cs;
};
var typeListToArray = (type) => {
  type.doc ?? warnPrematureAccess();
  const cs = [];
  let n = type._start;
  while (n !== null) {
    if (n.countable && !n.deleted) {
      const c = n.content.getContent();
      for (let i = 0; i < c.length; i++) {
        cs.push(c[i]);
      }
    }
    n = n.right;
  }
  return cs;
};
var typeListForEach = (type, f) => {
  let index2 = 0;
  let n = type._start;
  type.doc ?? warnPrematureAccess();
  while (n !== null) {
    if (n.countable && !n.deleted) {
      const c = n.content.getContent();
      for (let i = 0; i < c.length; i++) {
        f(c[i], index2++, type);
      }
    }
    n = n.right;
  }
};
var typeListMap = (type, f) => {
  const result = [];
  typeListForEach(type, (c, i) => {
    result.push(f(c, i, type));
  });
  return result;
};
var typeListCreateIterator = (type) => {
  let n = type._start;
  let currentContent = null;
  let currentContentIndex = 0;
  return {
    [Symbol.iterator]() {
      return this;
    },
    next: () => {
      if (currentContent === null) {
        while (n !== null && n.deleted) {
          n = n.right;
        }
        if (n === null) {
          return {
            done: true,
            value: void 0
          };
        }
        currentContent = n.content.getContent();
        currentContentIndex = 0;
        n = n.right;
      }
      const value = currentContent[currentContentIndex++];
      if (currentContent.length <= currentContentIndex) {
        currentContent = null;
      }
      return {
        done: false,
        value
      };
    }
  };
};
var typeListGet = (type, index2) => {
  type.doc ?? warnPrematureAccess();
  const marker = findMarker(type, index2);
  let n = type._start;
  if (marker !== null) {
    n = marker.p;
    index2 -= marker.index;
  }
  for (; n !== null; n = n.right) {
    if (!n.deleted && n.countable) {
      if (index2 < n.length) {
        return n.content.getContent()[index2];
      }
      index2 -= n.length;
    }
  }
};
var typeListInsertGenericsAfter = (transaction, parent, referenceItem, content) => {
  let left = referenceItem;
  const doc2 = transaction.doc;
  const ownClientId = doc2.clientID;
  const store = doc2.store;
  const right = referenceItem === null ? parent._start : referenceItem.right;
  let jsonContent = [];
  const packJsonContent = () => {
    if (jsonContent.length > 0) {
      left = new Item(createID(ownClientId, getState(store, ownClientId)), left, left && left.lastId, right, right && right.id, parent, null, new ContentAny(jsonContent));
      left.integrate(transaction, 0);
      jsonContent = [];
    }
  };
  content.forEach((c) => {
    if (c === null) {
      jsonContent.push(c);
    } else {
      switch (c.constructor) {
        case Number:
        case Object:
        case Boolean:
        case Array:
        case String:
          jsonContent.push(c);
          break;
        default:
          packJsonContent();
          switch (c.constructor) {
            case Uint8Array:
            case ArrayBuffer:
              left = new Item(createID(ownClientId, getState(store, ownClientId)), left, left && left.lastId, right, right && right.id, parent, null, new ContentBinary(new Uint8Array(
                /** @type {Uint8Array} */
                c
              )));
              left.integrate(transaction, 0);
              break;
            case Doc:
              left = new Item(createID(ownClientId, getState(store, ownClientId)), left, left && left.lastId, right, right && right.id, parent, null, new ContentDoc(
                /** @type {Doc} */
                c
              ));
              left.integrate(transaction, 0);
              break;
            default:
              if (c instanceof AbstractType) {
                left = new Item(createID(ownClientId, getState(store, ownClientId)), left, left && left.lastId, right, right && right.id, parent, null, new ContentType(c));
                left.integrate(transaction, 0);
              } else {
                throw new Error("Unexpected content type in insert operation");
              }
          }
      }
    }
  });
  packJsonContent();
};
var lengthExceeded = () => create2("Length exceeded!");
var typeListInsertGenerics = (transaction, parent, index2, content) => {
  if (index2 > parent._length) {
    throw lengthExceeded();
  }
  if (index2 === 0) {
    if (parent._searchMarker) {
      updateMarkerChanges(parent._searchMarker, index2, content.length);
    }
    return typeListInsertGenericsAfter(transaction, parent, null, content);
  }
  const startIndex = index2;
  const marker = findMarker(parent, index2);
  let n = parent._start;
  if (marker !== null) {
    n = marker.p;
    index2 -= marker.index;
    if (index2 === 0) {
      n = n.prev;
      index2 += n && n.countable && !n.deleted ? n.length : 0;
    }
  }
  for (; n !== null; n = n.right) {
    if (!n.deleted && n.countable) {
      if (index2 <= n.length) {
        if (index2 < n.length) {
          getItemCleanStart(transaction, createID(n.id.client, n.id.clock + index2));
        }
        break;
      }
      index2 -= n.length;
    }
  }
  if (parent._searchMarker) {
    updateMarkerChanges(parent._searchMarker, startIndex, content.length);
  }
  return typeListInsertGenericsAfter(transaction, parent, n, content);
};
var typeListPushGenerics = (transaction, parent, content) => {
  const marker = (parent._searchMarker || []).reduce((maxMarker, currMarker) => currMarker.index > maxMarker.index ? currMarker : maxMarker, { index: 0, p: parent._start });
  let n = marker.p;
  if (n) {
    while (n.right) {
      n = n.right;
    }
  }
  return typeListInsertGenericsAfter(transaction, parent, n, content);
};
var typeListDelete = (transaction, parent, index2, length2) => {
  if (length2 === 0) {
    return;
  }
  const startIndex = index2;
  const startLength = length2;
  const marker = findMarker(parent, index2);
  let n = parent._start;
  if (marker !== null) {
    n = marker.p;
    index2 -= marker.index;
  }
  for (; n !== null && index2 > 0; n = n.right) {
    if (!n.deleted && n.countable) {
      if (index2 < n.length) {
        getItemCleanStart(transaction, createID(n.id.client, n.id.clock + index2));
      }
      index2 -= n.length;
    }
  }
  while (length2 > 0 && n !== null) {
    if (!n.deleted) {
      if (length2 < n.length) {
        getItemCleanStart(transaction, createID(n.id.client, n.id.clock + length2));
      }
      n.delete(transaction);
      length2 -= n.length;
    }
    n = n.right;
  }
  if (length2 > 0) {
    throw lengthExceeded();
  }
  if (parent._searchMarker) {
    updateMarkerChanges(
      parent._searchMarker,
      startIndex,
      -startLength + length2
      /* in case we remove the above exception */
    );
  }
};
var typeMapDelete = (transaction, parent, key) => {
  const c = parent._map.get(key);
  if (c !== void 0) {
    c.delete(transaction);
  }
};
var typeMapSet = (transaction, parent, key, value) => {
  const left = parent._map.get(key) || null;
  const doc2 = transaction.doc;
  const ownClientId = doc2.clientID;
  let content;
  if (value == null) {
    content = new ContentAny([value]);
  } else {
    switch (value.constructor) {
      case Number:
      case Object:
      case Boolean:
      case Array:
      case String:
      case Date:
      case BigInt:
        content = new ContentAny([value]);
        break;
      case Uint8Array:
        content = new ContentBinary(
          /** @type {Uint8Array} */
          value
        );
        break;
      case Doc:
        content = new ContentDoc(
          /** @type {Doc} */
          value
        );
        break;
      default:
        if (value instanceof AbstractType) {
          content = new ContentType(value);
        } else {
          throw new Error("Unexpected content type");
        }
    }
  }
  new Item(createID(ownClientId, getState(doc2.store, ownClientId)), left, left && left.lastId, null, null, parent, key, content).integrate(transaction, 0);
};
var typeMapGet = (parent, key) => {
  parent.doc ?? warnPrematureAccess();
  const val = parent._map.get(key);
  return val !== void 0 && !val.deleted ? val.content.getContent()[val.length - 1] : void 0;
};
var typeMapGetAll = (parent) => {
  const res = {};
  parent.doc ?? warnPrematureAccess();
  parent._map.forEach((value, key) => {
    if (!value.deleted) {
      res[key] = value.content.getContent()[value.length - 1];
    }
  });
  return res;
};
var typeMapHas = (parent, key) => {
  parent.doc ?? warnPrematureAccess();
  const val = parent._map.get(key);
  return val !== void 0 && !val.deleted;
};
var typeMapGetAllSnapshot = (parent, snapshot) => {
  const res = {};
  parent._map.forEach((value, key) => {
    let v = value;
    while (v !== null && (!snapshot.sv.has(v.id.client) || v.id.clock >= (snapshot.sv.get(v.id.client) || 0))) {
      v = v.left;
    }
    if (v !== null && isVisible(v, snapshot)) {
      res[key] = v.content.getContent()[v.length - 1];
    }
  });
  return res;
};
var createMapIterator = (type) => {
  type.doc ?? warnPrematureAccess();
  return iteratorFilter(
    type._map.entries(),
    /** @param {any} entry */
    (entry) => !entry[1].deleted
  );
};
var YArrayEvent = class extends YEvent {
};
var YArray = class _YArray extends AbstractType {
  constructor() {
    super();
    this._prelimContent = [];
    this._searchMarker = [];
  }
  /**
   * Construct a new YArray containing the specified items.
   * @template {Object<string,any>|Array<any>|number|null|string|Uint8Array} T
   * @param {Array<T>} items
   * @return {YArray<T>}
   */
  static from(items) {
    const a = new _YArray();
    a.push(items);
    return a;
  }
  /**
   * Integrate this type into the Yjs instance.
   *
   * * Save this struct in the os
   * * This type is sent to other client
   * * Observer functions are fired
   *
   * @param {Doc} y The Yjs instance
   * @param {Item} item
   */
  _integrate(y, item) {
    super._integrate(y, item);
    this.insert(
      0,
      /** @type {Array<any>} */
      this._prelimContent
    );
    this._prelimContent = null;
  }
  /**
   * @return {YArray<T>}
   */
  _copy() {
    return new _YArray();
  }
  /**
   * Makes a copy of this data type that can be included somewhere else.
   *
   * Note that the content is only readable _after_ it has been included somewhere in the Ydoc.
   *
   * @return {YArray<T>}
   */
  clone() {
    const arr = new _YArray();
    arr.insert(0, this.toArray().map(
      (el) => el instanceof AbstractType ? (
        /** @type {typeof el} */
        el.clone()
      ) : el
    ));
    return arr;
  }
  get length() {
    this.doc ?? warnPrematureAccess();
    return this._length;
  }
  /**
   * Creates YArrayEvent and calls observers.
   *
   * @param {Transaction} transaction
   * @param {Set<null|string>} parentSubs Keys changed on this type. `null` if list was modified.
   */
  _callObserver(transaction, parentSubs) {
    super._callObserver(transaction, parentSubs);
    callTypeObservers(this, transaction, new YArrayEvent(this, transaction));
  }
  /**
   * Inserts new content at an index.
   *
   * Important: This function expects an array of content. Not just a content
   * object. The reason for this "weirdness" is that inserting several elements
   * is very efficient when it is done as a single operation.
   *
   * @example
   *  // Insert character 'a' at position 0
   *  yarray.insert(0, ['a'])
   *  // Insert numbers 1, 2 at position 1
   *  yarray.insert(1, [1, 2])
   *
   * @param {number} index The index to insert content at.
   * @param {Array<T>} content The array of content
   */
  insert(index2, content) {
    if (this.doc !== null) {
      transact(this.doc, (transaction) => {
        typeListInsertGenerics(
          transaction,
          this,
          index2,
          /** @type {any} */
          content
        );
      });
    } else {
      this._prelimContent.splice(index2, 0, ...content);
    }
  }
  /**
   * Appends content to this YArray.
   *
   * @param {Array<T>} content Array of content to append.
   *
   * @todo Use the following implementation in all types.
   */
  push(content) {
    if (this.doc !== null) {
      transact(this.doc, (transaction) => {
        typeListPushGenerics(
          transaction,
          this,
          /** @type {any} */
          content
        );
      });
    } else {
      this._prelimContent.push(...content);
    }
  }
  /**
   * Prepends content to this YArray.
   *
   * @param {Array<T>} content Array of content to prepend.
   */
  unshift(content) {
    this.insert(0, content);
  }
  /**
   * Deletes elements starting from an index.
   *
   * @param {number} index Index at which to start deleting elements
   * @param {number} length The number of elements to remove. Defaults to 1.
   */
  delete(index2, length2 = 1) {
    if (this.doc !== null) {
      transact(this.doc, (transaction) => {
        typeListDelete(transaction, this, index2, length2);
      });
    } else {
      this._prelimContent.splice(index2, length2);
    }
  }
  /**
   * Returns the i-th element from a YArray.
   *
   * @param {number} index The index of the element to return from the YArray
   * @return {T}
   */
  get(index2) {
    return typeListGet(this, index2);
  }
  /**
   * Transforms this YArray to a JavaScript Array.
   *
   * @return {Array<T>}
   */
  toArray() {
    return typeListToArray(this);
  }
  /**
   * Returns a portion of this YArray into a JavaScript Array selected
   * from start to end (end not included).
   *
   * @param {number} [start]
   * @param {number} [end]
   * @return {Array<T>}
   */
  slice(start = 0, end = this.length) {
    return typeListSlice(this, start, end);
  }
  /**
   * Transforms this Shared Type to a JSON object.
   *
   * @return {Array<any>}
   */
  toJSON() {
    return this.map((c) => c instanceof AbstractType ? c.toJSON() : c);
  }
  /**
   * Returns an Array with the result of calling a provided function on every
   * element of this YArray.
   *
   * @template M
   * @param {function(T,number,YArray<T>):M} f Function that produces an element of the new Array
   * @return {Array<M>} A new array with each element being the result of the
   *                 callback function
   */
  map(f) {
    return typeListMap(
      this,
      /** @type {any} */
      f
    );
  }
  /**
   * Executes a provided function once on every element of this YArray.
   *
   * @param {function(T,number,YArray<T>):void} f A function to execute on every element of this YArray.
   */
  forEach(f) {
    typeListForEach(this, f);
  }
  /**
   * @return {IterableIterator<T>}
   */
  [Symbol.iterator]() {
    return typeListCreateIterator(this);
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder
   */
  _write(encoder) {
    encoder.writeTypeRef(YArrayRefID);
  }
};
var readYArray = (_decoder) => new YArray();
var YMapEvent = class extends YEvent {
  /**
   * @param {YMap<T>} ymap The YArray that changed.
   * @param {Transaction} transaction
   * @param {Set<any>} subs The keys that changed.
   */
  constructor(ymap, transaction, subs) {
    super(ymap, transaction);
    this.keysChanged = subs;
  }
};
var YMap = class _YMap extends AbstractType {
  /**
   *
   * @param {Iterable<readonly [string, any]>=} entries - an optional iterable to initialize the YMap
   */
  constructor(entries) {
    super();
    this._prelimContent = null;
    if (entries === void 0) {
      this._prelimContent = /* @__PURE__ */ new Map();
    } else {
      this._prelimContent = new Map(entries);
    }
  }
  /**
   * Integrate this type into the Yjs instance.
   *
   * * Save this struct in the os
   * * This type is sent to other client
   * * Observer functions are fired
   *
   * @param {Doc} y The Yjs instance
   * @param {Item} item
   */
  _integrate(y, item) {
    super._integrate(y, item);
    this._prelimContent.forEach((value, key) => {
      this.set(key, value);
    });
    this._prelimContent = null;
  }
  /**
   * @return {YMap<MapType>}
   */
  _copy() {
    return new _YMap();
  }
  /**
   * Makes a copy of this data type that can be included somewhere else.
   *
   * Note that the content is only readable _after_ it has been included somewhere in the Ydoc.
   *
   * @return {YMap<MapType>}
   */
  clone() {
    const map2 = new _YMap();
    this.forEach((value, key) => {
      map2.set(key, value instanceof AbstractType ? (
        /** @type {typeof value} */
        value.clone()
      ) : value);
    });
    return map2;
  }
  /**
   * Creates YMapEvent and calls observers.
   *
   * @param {Transaction} transaction
   * @param {Set<null|string>} parentSubs Keys changed on this type. `null` if list was modified.
   */
  _callObserver(transaction, parentSubs) {
    callTypeObservers(this, transaction, new YMapEvent(this, transaction, parentSubs));
  }
  /**
   * Transforms this Shared Type to a JSON object.
   *
   * @return {Object<string,any>}
   */
  toJSON() {
    this.doc ?? warnPrematureAccess();
    const map2 = {};
    this._map.forEach((item, key) => {
      if (!item.deleted) {
        const v = item.content.getContent()[item.length - 1];
        map2[key] = v instanceof AbstractType ? v.toJSON() : v;
      }
    });
    return map2;
  }
  /**
   * Returns the size of the YMap (count of key/value pairs)
   *
   * @return {number}
   */
  get size() {
    return [...createMapIterator(this)].length;
  }
  /**
   * Returns the keys for each element in the YMap Type.
   *
   * @return {IterableIterator<string>}
   */
  keys() {
    return iteratorMap(
      createMapIterator(this),
      /** @param {any} v */
      (v) => v[0]
    );
  }
  /**
   * Returns the values for each element in the YMap Type.
   *
   * @return {IterableIterator<MapType>}
   */
  values() {
    return iteratorMap(
      createMapIterator(this),
      /** @param {any} v */
      (v) => v[1].content.getContent()[v[1].length - 1]
    );
  }
  /**
   * Returns an Iterator of [key, value] pairs
   *
   * @return {IterableIterator<[string, MapType]>}
   */
  entries() {
    return iteratorMap(
      createMapIterator(this),
      /** @param {any} v */
      (v) => (
        /** @type {any} */
        [v[0], v[1].content.getContent()[v[1].length - 1]]
      )
    );
  }
  /**
   * Executes a provided function on once on every key-value pair.
   *
   * @param {function(MapType,string,YMap<MapType>):void} f A function to execute on every element of this YArray.
   */
  forEach(f) {
    this.doc ?? warnPrematureAccess();
    this._map.forEach((item, key) => {
      if (!item.deleted) {
        f(item.content.getContent()[item.length - 1], key, this);
      }
    });
  }
  /**
   * Returns an Iterator of [key, value] pairs
   *
   * @return {IterableIterator<[string, MapType]>}
   */
  [Symbol.iterator]() {
    return this.entries();
  }
  /**
   * Remove a specified element from this YMap.
   *
   * @param {string} key The key of the element to remove.
   */
  delete(key) {
    if (this.doc !== null) {
      transact(this.doc, (transaction) => {
        typeMapDelete(transaction, this, key);
      });
    } else {
      this._prelimContent.delete(key);
    }
  }
  /**
   * Adds or updates an element with a specified key and value.
   * @template {MapType} VAL
   *
   * @param {string} key The key of the element to add to this YMap
   * @param {VAL} value The value of the element to add
   * @return {VAL}
   */
  set(key, value) {
    if (this.doc !== null) {
      transact(this.doc, (transaction) => {
        typeMapSet(
          transaction,
          this,
          key,
          /** @type {any} */
          value
        );
      });
    } else {
      this._prelimContent.set(key, value);
    }
    return value;
  }
  /**
   * Returns a specified element from this YMap.
   *
   * @param {string} key
   * @return {MapType|undefined}
   */
  get(key) {
    return (
      /** @type {any} */
      typeMapGet(this, key)
    );
  }
  /**
   * Returns a boolean indicating whether the specified key exists or not.
   *
   * @param {string} key The key to test.
   * @return {boolean}
   */
  has(key) {
    return typeMapHas(this, key);
  }
  /**
   * Removes all elements from this YMap.
   */
  clear() {
    if (this.doc !== null) {
      transact(this.doc, (transaction) => {
        this.forEach(function(_value, key, map2) {
          typeMapDelete(transaction, map2, key);
        });
      });
    } else {
      this._prelimContent.clear();
    }
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder
   */
  _write(encoder) {
    encoder.writeTypeRef(YMapRefID);
  }
};
var readYMap = (_decoder) => new YMap();
var equalAttrs = (a, b) => a === b || typeof a === "object" && typeof b === "object" && a && b && equalFlat(a, b);
var ItemTextListPosition = class {
  /**
   * @param {Item|null} left
   * @param {Item|null} right
   * @param {number} index
   * @param {Map<string,any>} currentAttributes
   */
  constructor(left, right, index2, currentAttributes) {
    this.left = left;
    this.right = right;
    this.index = index2;
    this.currentAttributes = currentAttributes;
  }
  /**
   * Only call this if you know that this.right is defined
   */
  forward() {
    if (this.right === null) {
      unexpectedCase();
    }
    switch (this.right.content.constructor) {
      case ContentFormat:
        if (!this.right.deleted) {
          updateCurrentAttributes(
            this.currentAttributes,
            /** @type {ContentFormat} */
            this.right.content
          );
        }
        break;
      default:
        if (!this.right.deleted) {
          this.index += this.right.length;
        }
        break;
    }
    this.left = this.right;
    this.right = this.right.right;
  }
};
var findNextPosition = (transaction, pos, count) => {
  while (pos.right !== null && count > 0) {
    switch (pos.right.content.constructor) {
      case ContentFormat:
        if (!pos.right.deleted) {
          updateCurrentAttributes(
            pos.currentAttributes,
            /** @type {ContentFormat} */
            pos.right.content
          );
        }
        break;
      default:
        if (!pos.right.deleted) {
          if (count < pos.right.length) {
            getItemCleanStart(transaction, createID(pos.right.id.client, pos.right.id.clock + count));
          }
          pos.index += pos.right.length;
          count -= pos.right.length;
        }
        break;
    }
    pos.left = pos.right;
    pos.right = pos.right.right;
  }
  return pos;
};
var findPosition = (transaction, parent, index2, useSearchMarker) => {
  const currentAttributes = /* @__PURE__ */ new Map();
  const marker = useSearchMarker ? findMarker(parent, index2) : null;
  if (marker) {
    const pos = new ItemTextListPosition(marker.p.left, marker.p, marker.index, currentAttributes);
    return findNextPosition(transaction, pos, index2 - marker.index);
  } else {
    const pos = new ItemTextListPosition(null, parent._start, 0, currentAttributes);
    return findNextPosition(transaction, pos, index2);
  }
};
var insertNegatedAttributes = (transaction, parent, currPos, negatedAttributes) => {
  while (currPos.right !== null && (currPos.right.deleted === true || currPos.right.content.constructor === ContentFormat && equalAttrs(
    negatedAttributes.get(
      /** @type {ContentFormat} */
      currPos.right.content.key
    ),
    /** @type {ContentFormat} */
    currPos.right.content.value
  ))) {
    if (!currPos.right.deleted) {
      negatedAttributes.delete(
        /** @type {ContentFormat} */
        currPos.right.content.key
      );
    }
    currPos.forward();
  }
  const doc2 = transaction.doc;
  const ownClientId = doc2.clientID;
  negatedAttributes.forEach((val, key) => {
    const left = currPos.left;
    const right = currPos.right;
    const nextFormat = new Item(createID(ownClientId, getState(doc2.store, ownClientId)), left, left && left.lastId, right, right && right.id, parent, null, new ContentFormat(key, val));
    nextFormat.integrate(transaction, 0);
    currPos.right = nextFormat;
    currPos.forward();
  });
};
var updateCurrentAttributes = (currentAttributes, format) => {
  const { key, value } = format;
  if (value === null) {
    currentAttributes.delete(key);
  } else {
    currentAttributes.set(key, value);
  }
};
var minimizeAttributeChanges = (currPos, attributes) => {
  while (true) {
    if (currPos.right === null) {
      break;
    } else if (currPos.right.deleted || currPos.right.content.constructor === ContentFormat && equalAttrs(
      attributes[
        /** @type {ContentFormat} */
        currPos.right.content.key
      ] ?? null,
      /** @type {ContentFormat} */
      currPos.right.content.value
    )) ;
    else {
      break;
    }
    currPos.forward();
  }
};
var insertAttributes = (transaction, parent, currPos, attributes) => {
  const doc2 = transaction.doc;
  const ownClientId = doc2.clientID;
  const negatedAttributes = /* @__PURE__ */ new Map();
  for (const key in attributes) {
    const val = attributes[key];
    const currentVal = currPos.currentAttributes.get(key) ?? null;
    if (!equalAttrs(currentVal, val)) {
      negatedAttributes.set(key, currentVal);
      const { left, right } = currPos;
      currPos.right = new Item(createID(ownClientId, getState(doc2.store, ownClientId)), left, left && left.lastId, right, right && right.id, parent, null, new ContentFormat(key, val));
      currPos.right.integrate(transaction, 0);
      currPos.forward();
    }
  }
  return negatedAttributes;
};
var insertText = (transaction, parent, currPos, text3, attributes) => {
  currPos.currentAttributes.forEach((_val, key) => {
    if (attributes[key] === void 0) {
      attributes[key] = null;
    }
  });
  const doc2 = transaction.doc;
  const ownClientId = doc2.clientID;
  minimizeAttributeChanges(currPos, attributes);
  const negatedAttributes = insertAttributes(transaction, parent, currPos, attributes);
  const content = text3.constructor === String ? new ContentString(
    /** @type {string} */
    text3
  ) : text3 instanceof AbstractType ? new ContentType(text3) : new ContentEmbed(text3);
  let { left, right, index: index2 } = currPos;
  if (parent._searchMarker) {
    updateMarkerChanges(parent._searchMarker, currPos.index, content.getLength());
  }
  right = new Item(createID(ownClientId, getState(doc2.store, ownClientId)), left, left && left.lastId, right, right && right.id, parent, null, content);
  right.integrate(transaction, 0);
  currPos.right = right;
  currPos.index = index2;
  currPos.forward();
  insertNegatedAttributes(transaction, parent, currPos, negatedAttributes);
};
var formatText = (transaction, parent, currPos, length2, attributes) => {
  const doc2 = transaction.doc;
  const ownClientId = doc2.clientID;
  minimizeAttributeChanges(currPos, attributes);
  const negatedAttributes = insertAttributes(transaction, parent, currPos, attributes);
  iterationLoop: while (currPos.right !== null && (length2 > 0 || negatedAttributes.size > 0 && (currPos.right.deleted || currPos.right.content.constructor === ContentFormat))) {
    if (!currPos.right.deleted) {
      switch (currPos.right.content.constructor) {
        case ContentFormat: {
          const { key, value } = (
            /** @type {ContentFormat} */
            currPos.right.content
          );
          const attr = attributes[key];
          if (attr !== void 0) {
            if (equalAttrs(attr, value)) {
              negatedAttributes.delete(key);
            } else {
              if (length2 === 0) {
                break iterationLoop;
              }
              negatedAttributes.set(key, value);
            }
            currPos.right.delete(transaction);
          } else {
            currPos.currentAttributes.set(key, value);
          }
          break;
        }
        default:
          if (length2 < currPos.right.length) {
            getItemCleanStart(transaction, createID(currPos.right.id.client, currPos.right.id.clock + length2));
          }
          length2 -= currPos.right.length;
          break;
      }
    }
    currPos.forward();
  }
  if (length2 > 0) {
    let newlines = "";
    for (; length2 > 0; length2--) {
      newlines += "\n";
    }
    currPos.right = new Item(createID(ownClientId, getState(doc2.store, ownClientId)), currPos.left, currPos.left && currPos.left.lastId, currPos.right, currPos.right && currPos.right.id, parent, null, new ContentString(newlines));
    currPos.right.integrate(transaction, 0);
    currPos.forward();
  }
  insertNegatedAttributes(transaction, parent, currPos, negatedAttributes);
};
var cleanupFormattingGap = (transaction, start, curr, startAttributes, currAttributes) => {
  let end = start;
  const endFormats = create3();
  while (end && (!end.countable || end.deleted)) {
    if (!end.deleted && end.content.constructor === ContentFormat) {
      const cf = (
        /** @type {ContentFormat} */
        end.content
      );
      endFormats.set(cf.key, cf);
    }
    end = end.right;
  }
  let cleanups = 0;
  let reachedCurr = false;
  while (start !== end) {
    if (curr === start) {
      reachedCurr = true;
    }
    if (!start.deleted) {
      const content = start.content;
      switch (content.constructor) {
        case ContentFormat: {
          const { key, value } = (
            /** @type {ContentFormat} */
            content
          );
          const startAttrValue = startAttributes.get(key) ?? null;
          if (endFormats.get(key) !== content || startAttrValue === value) {
            start.delete(transaction);
            cleanups++;
            if (!reachedCurr && (currAttributes.get(key) ?? null) === value && startAttrValue !== value) {
              if (startAttrValue === null) {
                currAttributes.delete(key);
              } else {
                currAttributes.set(key, startAttrValue);
              }
            }
          }
          if (!reachedCurr && !start.deleted) {
            updateCurrentAttributes(
              currAttributes,
              /** @type {ContentFormat} */
              content
            );
          }
          break;
        }
      }
    }
    start = /** @type {Item} */
    start.right;
  }
  return cleanups;
};
var cleanupContextlessFormattingGap = (transaction, item) => {
  while (item && item.right && (item.right.deleted || !item.right.countable)) {
    item = item.right;
  }
  const attrs = /* @__PURE__ */ new Set();
  while (item && (item.deleted || !item.countable)) {
    if (!item.deleted && item.content.constructor === ContentFormat) {
      const key = (
        /** @type {ContentFormat} */
        item.content.key
      );
      if (attrs.has(key)) {
        item.delete(transaction);
      } else {
        attrs.add(key);
      }
    }
    item = item.left;
  }
};
var cleanupYTextFormatting = (type) => {
  let res = 0;
  transact(
    /** @type {Doc} */
    type.doc,
    (transaction) => {
      let start = (
        /** @type {Item} */
        type._start
      );
      let end = type._start;
      let startAttributes = create3();
      const currentAttributes = copy(startAttributes);
      while (end) {
        if (end.deleted === false) {
          switch (end.content.constructor) {
            case ContentFormat:
              updateCurrentAttributes(
                currentAttributes,
                /** @type {ContentFormat} */
                end.content
              );
              break;
            default:
              res += cleanupFormattingGap(transaction, start, end, startAttributes, currentAttributes);
              startAttributes = copy(currentAttributes);
              start = end;
              break;
          }
        }
        end = end.right;
      }
    }
  );
  return res;
};
var cleanupYTextAfterTransaction = (transaction) => {
  const needFullCleanup = /* @__PURE__ */ new Set();
  const doc2 = transaction.doc;
  for (const [client, afterClock] of transaction.afterState.entries()) {
    const clock = transaction.beforeState.get(client) || 0;
    if (afterClock === clock) {
      continue;
    }
    iterateStructs(
      transaction,
      /** @type {Array<Item|GC>} */
      doc2.store.clients.get(client),
      clock,
      afterClock,
      (item) => {
        if (!item.deleted && /** @type {Item} */
        item.content.constructor === ContentFormat && item.constructor !== GC) {
          needFullCleanup.add(
            /** @type {any} */
            item.parent
          );
        }
      }
    );
  }
  transact(doc2, (t) => {
    iterateDeletedStructs(transaction, transaction.deleteSet, (item) => {
      if (item instanceof GC || !/** @type {YText} */
      item.parent._hasFormatting || needFullCleanup.has(
        /** @type {YText} */
        item.parent
      )) {
        return;
      }
      const parent = (
        /** @type {YText} */
        item.parent
      );
      if (item.content.constructor === ContentFormat) {
        needFullCleanup.add(parent);
      } else {
        cleanupContextlessFormattingGap(t, item);
      }
    });
    for (const yText of needFullCleanup) {
      cleanupYTextFormatting(yText);
    }
  });
};
var deleteText = (transaction, currPos, length2) => {
  const startLength = length2;
  const startAttrs = copy(currPos.currentAttributes);
  const start = currPos.right;
  while (length2 > 0 && currPos.right !== null) {
    if (currPos.right.deleted === false) {
      switch (currPos.right.content.constructor) {
        case ContentType:
        case ContentEmbed:
        case ContentString:
          if (length2 < currPos.right.length) {
            getItemCleanStart(transaction, createID(currPos.right.id.client, currPos.right.id.clock + length2));
          }
          length2 -= currPos.right.length;
          currPos.right.delete(transaction);
          break;
      }
    }
    currPos.forward();
  }
  if (start) {
    cleanupFormattingGap(transaction, start, currPos.right, startAttrs, currPos.currentAttributes);
  }
  const parent = (
    /** @type {AbstractType<any>} */
    /** @type {Item} */
    (currPos.left || currPos.right).parent
  );
  if (parent._searchMarker) {
    updateMarkerChanges(parent._searchMarker, currPos.index, -startLength + length2);
  }
  return currPos;
};
var YTextEvent = class extends YEvent {
  /**
   * @param {YText} ytext
   * @param {Transaction} transaction
   * @param {Set<any>} subs The keys that changed
   */
  constructor(ytext, transaction, subs) {
    super(ytext, transaction);
    this.childListChanged = false;
    this.keysChanged = /* @__PURE__ */ new Set();
    subs.forEach((sub) => {
      if (sub === null) {
        this.childListChanged = true;
      } else {
        this.keysChanged.add(sub);
      }
    });
  }
  /**
   * @type {{added:Set<Item>,deleted:Set<Item>,keys:Map<string,{action:'add'|'update'|'delete',oldValue:any}>,delta:Array<{insert?:Array<any>|string, delete?:number, retain?:number}>}}
   */
  get changes() {
    if (this._changes === null) {
      const changes = {
        keys: this.keys,
        delta: this.delta,
        added: /* @__PURE__ */ new Set(),
        deleted: /* @__PURE__ */ new Set()
      };
      this._changes = changes;
    }
    return (
      /** @type {any} */
      this._changes
    );
  }
  /**
   * Compute the changes in the delta format.
   * A {@link https://quilljs.com/docs/delta/|Quill Delta}) that represents the changes on the document.
   *
   * @type {Array<{insert?:string|object|AbstractType<any>, delete?:number, retain?:number, attributes?: Object<string,any>}>}
   *
   * @public
   */
  get delta() {
    if (this._delta === null) {
      const y = (
        /** @type {Doc} */
        this.target.doc
      );
      const delta = [];
      transact(y, (transaction) => {
        const currentAttributes = /* @__PURE__ */ new Map();
        const oldAttributes = /* @__PURE__ */ new Map();
        let item = this.target._start;
        let action = null;
        const attributes = {};
        let insert = "";
        let retain = 0;
        let deleteLen = 0;
        const addOp = () => {
          if (action !== null) {
            let op = null;
            switch (action) {
              case "delete":
                if (deleteLen > 0) {
                  op = { delete: deleteLen };
                }
                deleteLen = 0;
                break;
              case "insert":
                if (typeof insert === "object" || insert.length > 0) {
                  op = { insert };
                  if (currentAttributes.size > 0) {
                    op.attributes = {};
                    currentAttributes.forEach((value, key) => {
                      if (value !== null) {
                        op.attributes[key] = value;
                      }
                    });
                  }
                }
                insert = "";
                break;
              case "retain":
                if (retain > 0) {
                  op = { retain };
                  if (!isEmpty(attributes)) {
                    op.attributes = assign({}, attributes);
                  }
                }
                retain = 0;
                break;
            }
            if (op) delta.push(op);
            action = null;
          }
        };
        while (item !== null) {
          switch (item.content.constructor) {
            case ContentType:
            case ContentEmbed:
              if (this.adds(item)) {
                if (!this.deletes(item)) {
                  addOp();
                  action = "insert";
                  insert = item.content.getContent()[0];
                  addOp();
                }
              } else if (this.deletes(item)) {
                if (action !== "delete") {
                  addOp();
                  action = "delete";
                }
                deleteLen += 1;
              } else if (!item.deleted) {
                if (action !== "retain") {
                  addOp();
                  action = "retain";
                }
                retain += 1;
              }
              break;
            case ContentString:
              if (this.adds(item)) {
                if (!this.deletes(item)) {
                  if (action !== "insert") {
                    addOp();
                    action = "insert";
                  }
                  insert += /** @type {ContentString} */
                  item.content.str;
                }
              } else if (this.deletes(item)) {
                if (action !== "delete") {
                  addOp();
                  action = "delete";
                }
                deleteLen += item.length;
              } else if (!item.deleted) {
                if (action !== "retain") {
                  addOp();
                  action = "retain";
                }
                retain += item.length;
              }
              break;
            case ContentFormat: {
              const { key, value } = (
                /** @type {ContentFormat} */
                item.content
              );
              if (this.adds(item)) {
                if (!this.deletes(item)) {
                  const curVal = currentAttributes.get(key) ?? null;
                  if (!equalAttrs(curVal, value)) {
                    if (action === "retain") {
                      addOp();
                    }
                    if (equalAttrs(value, oldAttributes.get(key) ?? null)) {
                      delete attributes[key];
                    } else {
                      attributes[key] = value;
                    }
                  } else if (value !== null) {
                    item.delete(transaction);
                  }
                }
              } else if (this.deletes(item)) {
                oldAttributes.set(key, value);
                const curVal = currentAttributes.get(key) ?? null;
                if (!equalAttrs(curVal, value)) {
                  if (action === "retain") {
                    addOp();
                  }
                  attributes[key] = curVal;
                }
              } else if (!item.deleted) {
                oldAttributes.set(key, value);
                const attr = attributes[key];
                if (attr !== void 0) {
                  if (!equalAttrs(attr, value)) {
                    if (action === "retain") {
                      addOp();
                    }
                    if (value === null) {
                      delete attributes[key];
                    } else {
                      attributes[key] = value;
                    }
                  } else if (attr !== null) {
                    item.delete(transaction);
                  }
                }
              }
              if (!item.deleted) {
                if (action === "insert") {
                  addOp();
                }
                updateCurrentAttributes(
                  currentAttributes,
                  /** @type {ContentFormat} */
                  item.content
                );
              }
              break;
            }
          }
          item = item.right;
        }
        addOp();
        while (delta.length > 0) {
          const lastOp = delta[delta.length - 1];
          if (lastOp.retain !== void 0 && lastOp.attributes === void 0) {
            delta.pop();
          } else {
            break;
          }
        }
      });
      this._delta = delta;
    }
    return (
      /** @type {any} */
      this._delta
    );
  }
};
var YText = class _YText extends AbstractType {
  /**
   * @param {String} [string] The initial value of the YText.
   */
  constructor(string) {
    super();
    this._pending = string !== void 0 ? [() => this.insert(0, string)] : [];
    this._searchMarker = [];
    this._hasFormatting = false;
  }
  /**
   * Number of characters of this text type.
   *
   * @type {number}
   */
  get length() {
    this.doc ?? warnPrematureAccess();
    return this._length;
  }
  /**
   * @param {Doc} y
   * @param {Item} item
   */
  _integrate(y, item) {
    super._integrate(y, item);
    try {
      this._pending.forEach((f) => f());
    } catch (e) {
      console.error(e);
    }
    this._pending = null;
  }
  _copy() {
    return new _YText();
  }
  /**
   * Makes a copy of this data type that can be included somewhere else.
   *
   * Note that the content is only readable _after_ it has been included somewhere in the Ydoc.
   *
   * @return {YText}
   */
  clone() {
    const text3 = new _YText();
    text3.applyDelta(this.toDelta());
    return text3;
  }
  /**
   * Creates YTextEvent and calls observers.
   *
   * @param {Transaction} transaction
   * @param {Set<null|string>} parentSubs Keys changed on this type. `null` if list was modified.
   */
  _callObserver(transaction, parentSubs) {
    super._callObserver(transaction, parentSubs);
    const event = new YTextEvent(this, transaction, parentSubs);
    callTypeObservers(this, transaction, event);
    if (!transaction.local && this._hasFormatting) {
      transaction._needFormattingCleanup = true;
    }
  }
  /**
   * Returns the unformatted string representation of this YText type.
   *
   * @public
   */
  toString() {
    this.doc ?? warnPrematureAccess();
    let str = "";
    let n = this._start;
    while (n !== null) {
      if (!n.deleted && n.countable && n.content.constructor === ContentString) {
        str += /** @type {ContentString} */
        n.content.str;
      }
      n = n.right;
    }
    return str;
  }
  /**
   * Returns the unformatted string representation of this YText type.
   *
   * @return {string}
   * @public
   */
  toJSON() {
    return this.toString();
  }
  /**
   * Apply a {@link Delta} on this shared YText type.
   *
   * @param {Array<any>} delta The changes to apply on this element.
   * @param {object}  opts
   * @param {boolean} [opts.sanitize] Sanitize input delta. Removes ending newlines if set to true.
   *
   *
   * @public
   */
  applyDelta(delta, { sanitize = true } = {}) {
    if (this.doc !== null) {
      transact(this.doc, (transaction) => {
        const currPos = new ItemTextListPosition(null, this._start, 0, /* @__PURE__ */ new Map());
        for (let i = 0; i < delta.length; i++) {
          const op = delta[i];
          if (op.insert !== void 0) {
            const ins = !sanitize && typeof op.insert === "string" && i === delta.length - 1 && currPos.right === null && op.insert.slice(-1) === "\n" ? op.insert.slice(0, -1) : op.insert;
            if (typeof ins !== "string" || ins.length > 0) {
              insertText(transaction, this, currPos, ins, op.attributes || {});
            }
          } else if (op.retain !== void 0) {
            formatText(transaction, this, currPos, op.retain, op.attributes || {});
          } else if (op.delete !== void 0) {
            deleteText(transaction, currPos, op.delete);
          }
        }
      });
    } else {
      this._pending.push(() => this.applyDelta(delta));
    }
  }
  /**
   * Returns the Delta representation of this YText type.
   *
   * @param {Snapshot} [snapshot]
   * @param {Snapshot} [prevSnapshot]
   * @param {function('removed' | 'added', ID):any} [computeYChange]
   * @return {any} The Delta representation of this type.
   *
   * @public
   */
  toDelta(snapshot, prevSnapshot, computeYChange) {
    this.doc ?? warnPrematureAccess();
    const ops = [];
    const currentAttributes = /* @__PURE__ */ new Map();
    const doc2 = (
      /** @type {Doc} */
      this.doc
    );
    let str = "";
    let n = this._start;
    function packStr() {
      if (str.length > 0) {
        const attributes = {};
        let addAttributes = false;
        currentAttributes.forEach((value, key) => {
          addAttributes = true;
          attributes[key] = value;
        });
        const op = { insert: str };
        if (addAttributes) {
          op.attributes = attributes;
        }
        ops.push(op);
        str = "";
      }
    }
    const computeDelta = () => {
      while (n !== null) {
        if (isVisible(n, snapshot) || prevSnapshot !== void 0 && isVisible(n, prevSnapshot)) {
          switch (n.content.constructor) {
            case ContentString: {
              const cur = currentAttributes.get("ychange");
              if (snapshot !== void 0 && !isVisible(n, snapshot)) {
                if (cur === void 0 || cur.user !== n.id.client || cur.type !== "removed") {
                  packStr();
                  currentAttributes.set("ychange", computeYChange ? computeYChange("removed", n.id) : { type: "removed" });
                }
              } else if (prevSnapshot !== void 0 && !isVisible(n, prevSnapshot)) {
                if (cur === void 0 || cur.user !== n.id.client || cur.type !== "added") {
                  packStr();
                  currentAttributes.set("ychange", computeYChange ? computeYChange("added", n.id) : { type: "added" });
                }
              } else if (cur !== void 0) {
                packStr();
                currentAttributes.delete("ychange");
              }
              str += /** @type {ContentString} */
              n.content.str;
              break;
            }
            case ContentType:
            case ContentEmbed: {
              packStr();
              const op = {
                insert: n.content.getContent()[0]
              };
              if (currentAttributes.size > 0) {
                const attrs = (
                  /** @type {Object<string,any>} */
                  {}
                );
                op.attributes = attrs;
                currentAttributes.forEach((value, key) => {
                  attrs[key] = value;
                });
              }
              ops.push(op);
              break;
            }
            case ContentFormat:
              if (isVisible(n, snapshot)) {
                packStr();
                updateCurrentAttributes(
                  currentAttributes,
                  /** @type {ContentFormat} */
                  n.content
                );
              }
              break;
          }
        }
        n = n.right;
      }
      packStr();
    };
    if (snapshot || prevSnapshot) {
      transact(doc2, (transaction) => {
        if (snapshot) {
          splitSnapshotAffectedStructs(transaction, snapshot);
        }
        if (prevSnapshot) {
          splitSnapshotAffectedStructs(transaction, prevSnapshot);
        }
        computeDelta();
      }, "cleanup");
    } else {
      computeDelta();
    }
    return ops;
  }
  /**
   * Insert text at a given index.
   *
   * @param {number} index The index at which to start inserting.
   * @param {String} text The text to insert at the specified position.
   * @param {TextAttributes} [attributes] Optionally define some formatting
   *                                    information to apply on the inserted
   *                                    Text.
   * @public
   */
  insert(index2, text3, attributes) {
    if (text3.length <= 0) {
      return;
    }
    const y = this.doc;
    if (y !== null) {
      transact(y, (transaction) => {
        const pos = findPosition(transaction, this, index2, !attributes);
        if (!attributes) {
          attributes = {};
          pos.currentAttributes.forEach((v, k) => {
            attributes[k] = v;
          });
        }
        insertText(transaction, this, pos, text3, attributes);
      });
    } else {
      this._pending.push(() => this.insert(index2, text3, attributes));
    }
  }
  /**
   * Inserts an embed at a index.
   *
   * @param {number} index The index to insert the embed at.
   * @param {Object | AbstractType<any>} embed The Object that represents the embed.
   * @param {TextAttributes} [attributes] Attribute information to apply on the
   *                                    embed
   *
   * @public
   */
  insertEmbed(index2, embed, attributes) {
    const y = this.doc;
    if (y !== null) {
      transact(y, (transaction) => {
        const pos = findPosition(transaction, this, index2, !attributes);
        insertText(transaction, this, pos, embed, attributes || {});
      });
    } else {
      this._pending.push(() => this.insertEmbed(index2, embed, attributes || {}));
    }
  }
  /**
   * Deletes text starting from an index.
   *
   * @param {number} index Index at which to start deleting.
   * @param {number} length The number of characters to remove. Defaults to 1.
   *
   * @public
   */
  delete(index2, length2) {
    if (length2 === 0) {
      return;
    }
    const y = this.doc;
    if (y !== null) {
      transact(y, (transaction) => {
        deleteText(transaction, findPosition(transaction, this, index2, true), length2);
      });
    } else {
      this._pending.push(() => this.delete(index2, length2));
    }
  }
  /**
   * Assigns properties to a range of text.
   *
   * @param {number} index The position where to start formatting.
   * @param {number} length The amount of characters to assign properties to.
   * @param {TextAttributes} attributes Attribute information to apply on the
   *                                    text.
   *
   * @public
   */
  format(index2, length2, attributes) {
    if (length2 === 0) {
      return;
    }
    const y = this.doc;
    if (y !== null) {
      transact(y, (transaction) => {
        const pos = findPosition(transaction, this, index2, false);
        if (pos.right === null) {
          return;
        }
        formatText(transaction, this, pos, length2, attributes);
      });
    } else {
      this._pending.push(() => this.format(index2, length2, attributes));
    }
  }
  /**
   * Removes an attribute.
   *
   * @note Xml-Text nodes don't have attributes. You can use this feature to assign properties to complete text-blocks.
   *
   * @param {String} attributeName The attribute name that is to be removed.
   *
   * @public
   */
  removeAttribute(attributeName) {
    if (this.doc !== null) {
      transact(this.doc, (transaction) => {
        typeMapDelete(transaction, this, attributeName);
      });
    } else {
      this._pending.push(() => this.removeAttribute(attributeName));
    }
  }
  /**
   * Sets or updates an attribute.
   *
   * @note Xml-Text nodes don't have attributes. You can use this feature to assign properties to complete text-blocks.
   *
   * @param {String} attributeName The attribute name that is to be set.
   * @param {any} attributeValue The attribute value that is to be set.
   *
   * @public
   */
  setAttribute(attributeName, attributeValue) {
    if (this.doc !== null) {
      transact(this.doc, (transaction) => {
        typeMapSet(transaction, this, attributeName, attributeValue);
      });
    } else {
      this._pending.push(() => this.setAttribute(attributeName, attributeValue));
    }
  }
  /**
   * Returns an attribute value that belongs to the attribute name.
   *
   * @note Xml-Text nodes don't have attributes. You can use this feature to assign properties to complete text-blocks.
   *
   * @param {String} attributeName The attribute name that identifies the
   *                               queried value.
   * @return {any} The queried attribute value.
   *
   * @public
   */
  getAttribute(attributeName) {
    return (
      /** @type {any} */
      typeMapGet(this, attributeName)
    );
  }
  /**
   * Returns all attribute name/value pairs in a JSON Object.
   *
   * @note Xml-Text nodes don't have attributes. You can use this feature to assign properties to complete text-blocks.
   *
   * @return {Object<string, any>} A JSON Object that describes the attributes.
   *
   * @public
   */
  getAttributes() {
    return typeMapGetAll(this);
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder
   */
  _write(encoder) {
    encoder.writeTypeRef(YTextRefID);
  }
};
var readYText = (_decoder) => new YText();
var YXmlTreeWalker = class {
  /**
   * @param {YXmlFragment | YXmlElement} root
   * @param {function(AbstractType<any>):boolean} [f]
   */
  constructor(root, f = () => true) {
    this._filter = f;
    this._root = root;
    this._currentNode = /** @type {Item} */
    root._start;
    this._firstCall = true;
    root.doc ?? warnPrematureAccess();
  }
  [Symbol.iterator]() {
    return this;
  }
  /**
   * Get the next node.
   *
   * @return {IteratorResult<YXmlElement|YXmlText|YXmlHook>} The next node.
   *
   * @public
   */
  next() {
    let n = this._currentNode;
    let type = n && n.content && /** @type {any} */
    n.content.type;
    if (n !== null && (!this._firstCall || n.deleted || !this._filter(type))) {
      do {
        type = /** @type {any} */
        n.content.type;
        if (!n.deleted && (type.constructor === YXmlElement || type.constructor === YXmlFragment) && type._start !== null) {
          n = type._start;
        } else {
          while (n !== null) {
            const nxt = n.next;
            if (nxt !== null) {
              n = nxt;
              break;
            } else if (n.parent === this._root) {
              n = null;
            } else {
              n = /** @type {AbstractType<any>} */
              n.parent._item;
            }
          }
        }
      } while (n !== null && (n.deleted || !this._filter(
        /** @type {ContentType} */
        n.content.type
      )));
    }
    this._firstCall = false;
    if (n === null) {
      return { value: void 0, done: true };
    }
    this._currentNode = n;
    return { value: (
      /** @type {any} */
      n.content.type
    ), done: false };
  }
};
var YXmlFragment = class _YXmlFragment extends AbstractType {
  constructor() {
    super();
    this._prelimContent = [];
  }
  /**
   * @type {YXmlElement|YXmlText|null}
   */
  get firstChild() {
    const first = this._first;
    return first ? first.content.getContent()[0] : null;
  }
  /**
   * Integrate this type into the Yjs instance.
   *
   * * Save this struct in the os
   * * This type is sent to other client
   * * Observer functions are fired
   *
   * @param {Doc} y The Yjs instance
   * @param {Item} item
   */
  _integrate(y, item) {
    super._integrate(y, item);
    this.insert(
      0,
      /** @type {Array<any>} */
      this._prelimContent
    );
    this._prelimContent = null;
  }
  _copy() {
    return new _YXmlFragment();
  }
  /**
   * Makes a copy of this data type that can be included somewhere else.
   *
   * Note that the content is only readable _after_ it has been included somewhere in the Ydoc.
   *
   * @return {YXmlFragment}
   */
  clone() {
    const el = new _YXmlFragment();
    el.insert(0, this.toArray().map((item) => item instanceof AbstractType ? item.clone() : item));
    return el;
  }
  get length() {
    this.doc ?? warnPrematureAccess();
    return this._prelimContent === null ? this._length : this._prelimContent.length;
  }
  /**
   * Create a subtree of childNodes.
   *
   * @example
   * const walker = elem.createTreeWalker(dom => dom.nodeName === 'div')
   * for (let node in walker) {
   *   // `node` is a div node
   *   nop(node)
   * }
   *
   * @param {function(AbstractType<any>):boolean} filter Function that is called on each child element and
   *                          returns a Boolean indicating whether the child
   *                          is to be included in the subtree.
   * @return {YXmlTreeWalker} A subtree and a position within it.
   *
   * @public
   */
  createTreeWalker(filter) {
    return new YXmlTreeWalker(this, filter);
  }
  /**
   * Returns the first YXmlElement that matches the query.
   * Similar to DOM's {@link querySelector}.
   *
   * Query support:
   *   - tagname
   * TODO:
   *   - id
   *   - attribute
   *
   * @param {CSS_Selector} query The query on the children.
   * @return {YXmlElement|YXmlText|YXmlHook|null} The first element that matches the query or null.
   *
   * @public
   */
  querySelector(query) {
    query = query.toUpperCase();
    const iterator = new YXmlTreeWalker(this, (element2) => element2.nodeName && element2.nodeName.toUpperCase() === query);
    const next = iterator.next();
    if (next.done) {
      return null;
    } else {
      return next.value;
    }
  }
  /**
   * Returns all YXmlElements that match the query.
   * Similar to Dom's {@link querySelectorAll}.
   *
   * @todo Does not yet support all queries. Currently only query by tagName.
   *
   * @param {CSS_Selector} query The query on the children
   * @return {Array<YXmlElement|YXmlText|YXmlHook|null>} The elements that match this query.
   *
   * @public
   */
  querySelectorAll(query) {
    query = query.toUpperCase();
    return from(new YXmlTreeWalker(this, (element2) => element2.nodeName && element2.nodeName.toUpperCase() === query));
  }
  /**
   * Creates YXmlEvent and calls observers.
   *
   * @param {Transaction} transaction
   * @param {Set<null|string>} parentSubs Keys changed on this type. `null` if list was modified.
   */
  _callObserver(transaction, parentSubs) {
    callTypeObservers(this, transaction, new YXmlEvent(this, parentSubs, transaction));
  }
  /**
   * Get the string representation of all the children of this YXmlFragment.
   *
   * @return {string} The string representation of all children.
   */
  toString() {
    return typeListMap(this, (xml) => xml.toString()).join("");
  }
  /**
   * @return {string}
   */
  toJSON() {
    return this.toString();
  }
  /**
   * Creates a Dom Element that mirrors this YXmlElement.
   *
   * @param {Document} [_document=document] The document object (you must define
   *                                        this when calling this method in
   *                                        nodejs)
   * @param {Object<string, any>} [hooks={}] Optional property to customize how hooks
   *                                             are presented in the DOM
   * @param {any} [binding] You should not set this property. This is
   *                               used if DomBinding wants to create a
   *                               association to the created DOM type.
   * @return {Node} The {@link https://developer.mozilla.org/en-US/docs/Web/API/Element|Dom Element}
   *
   * @public
   */
  toDOM(_document = document, hooks = {}, binding) {
    const fragment = _document.createDocumentFragment();
    if (binding !== void 0) {
      binding._createAssociation(fragment, this);
    }
    typeListForEach(this, (xmlType) => {
      fragment.insertBefore(xmlType.toDOM(_document, hooks, binding), null);
    });
    return fragment;
  }
  /**
   * Inserts new content at an index.
   *
   * @example
   *  // Insert character 'a' at position 0
   *  xml.insert(0, [new Y.XmlText('text')])
   *
   * @param {number} index The index to insert content at
   * @param {Array<YXmlElement|YXmlText>} content The array of content
   */
  insert(index2, content) {
    if (this.doc !== null) {
      transact(this.doc, (transaction) => {
        typeListInsertGenerics(transaction, this, index2, content);
      });
    } else {
      this._prelimContent.splice(index2, 0, ...content);
    }
  }
  /**
   * Inserts new content at an index.
   *
   * @example
   *  // Insert character 'a' at position 0
   *  xml.insert(0, [new Y.XmlText('text')])
   *
   * @param {null|Item|YXmlElement|YXmlText} ref The index to insert content at
   * @param {Array<YXmlElement|YXmlText>} content The array of content
   */
  insertAfter(ref, content) {
    if (this.doc !== null) {
      transact(this.doc, (transaction) => {
        const refItem = ref && ref instanceof AbstractType ? ref._item : ref;
        typeListInsertGenericsAfter(transaction, this, refItem, content);
      });
    } else {
      const pc = (
        /** @type {Array<any>} */
        this._prelimContent
      );
      const index2 = ref === null ? 0 : pc.findIndex((el) => el === ref) + 1;
      if (index2 === 0 && ref !== null) {
        throw create2("Reference item not found");
      }
      pc.splice(index2, 0, ...content);
    }
  }
  /**
   * Deletes elements starting from an index.
   *
   * @param {number} index Index at which to start deleting elements
   * @param {number} [length=1] The number of elements to remove. Defaults to 1.
   */
  delete(index2, length2 = 1) {
    if (this.doc !== null) {
      transact(this.doc, (transaction) => {
        typeListDelete(transaction, this, index2, length2);
      });
    } else {
      this._prelimContent.splice(index2, length2);
    }
  }
  /**
   * Transforms this YArray to a JavaScript Array.
   *
   * @return {Array<YXmlElement|YXmlText|YXmlHook>}
   */
  toArray() {
    return typeListToArray(this);
  }
  /**
   * Appends content to this YArray.
   *
   * @param {Array<YXmlElement|YXmlText>} content Array of content to append.
   */
  push(content) {
    this.insert(this.length, content);
  }
  /**
   * Prepends content to this YArray.
   *
   * @param {Array<YXmlElement|YXmlText>} content Array of content to prepend.
   */
  unshift(content) {
    this.insert(0, content);
  }
  /**
   * Returns the i-th element from a YArray.
   *
   * @param {number} index The index of the element to return from the YArray
   * @return {YXmlElement|YXmlText}
   */
  get(index2) {
    return typeListGet(this, index2);
  }
  /**
   * Returns a portion of this YXmlFragment into a JavaScript Array selected
   * from start to end (end not included).
   *
   * @param {number} [start]
   * @param {number} [end]
   * @return {Array<YXmlElement|YXmlText>}
   */
  slice(start = 0, end = this.length) {
    return typeListSlice(this, start, end);
  }
  /**
   * Executes a provided function on once on every child element.
   *
   * @param {function(YXmlElement|YXmlText,number, typeof self):void} f A function to execute on every element of this YArray.
   */
  forEach(f) {
    typeListForEach(this, f);
  }
  /**
   * Transform the properties of this type to binary and write it to an
   * BinaryEncoder.
   *
   * This is called when this Item is sent to a remote peer.
   *
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder The encoder to write data to.
   */
  _write(encoder) {
    encoder.writeTypeRef(YXmlFragmentRefID);
  }
};
var readYXmlFragment = (_decoder) => new YXmlFragment();
var YXmlElement = class _YXmlElement extends YXmlFragment {
  constructor(nodeName = "UNDEFINED") {
    super();
    this.nodeName = nodeName;
    this._prelimAttrs = /* @__PURE__ */ new Map();
  }
  /**
   * @type {YXmlElement|YXmlText|null}
   */
  get nextSibling() {
    const n = this._item ? this._item.next : null;
    return n ? (
      /** @type {YXmlElement|YXmlText} */
      /** @type {ContentType} */
      n.content.type
    ) : null;
  }
  /**
   * @type {YXmlElement|YXmlText|null}
   */
  get prevSibling() {
    const n = this._item ? this._item.prev : null;
    return n ? (
      /** @type {YXmlElement|YXmlText} */
      /** @type {ContentType} */
      n.content.type
    ) : null;
  }
  /**
   * Integrate this type into the Yjs instance.
   *
   * * Save this struct in the os
   * * This type is sent to other client
   * * Observer functions are fired
   *
   * @param {Doc} y The Yjs instance
   * @param {Item} item
   */
  _integrate(y, item) {
    super._integrate(y, item);
    /** @type {Map<string, any>} */
    this._prelimAttrs.forEach((value, key) => {
      this.setAttribute(key, value);
    });
    this._prelimAttrs = null;
  }
  /**
   * Creates an Item with the same effect as this Item (without position effect)
   *
   * @return {YXmlElement}
   */
  _copy() {
    return new _YXmlElement(this.nodeName);
  }
  /**
   * Makes a copy of this data type that can be included somewhere else.
   *
   * Note that the content is only readable _after_ it has been included somewhere in the Ydoc.
   *
   * @return {YXmlElement<KV>}
   */
  clone() {
    const el = new _YXmlElement(this.nodeName);
    const attrs = this.getAttributes();
    forEach(attrs, (value, key) => {
      el.setAttribute(
        key,
        /** @type {any} */
        value
      );
    });
    el.insert(0, this.toArray().map((v) => v instanceof AbstractType ? v.clone() : v));
    return el;
  }
  /**
   * Returns the XML serialization of this YXmlElement.
   * The attributes are ordered by attribute-name, so you can easily use this
   * method to compare YXmlElements
   *
   * @return {string} The string representation of this type.
   *
   * @public
   */
  toString() {
    const attrs = this.getAttributes();
    const stringBuilder = [];
    const keys2 = [];
    for (const key in attrs) {
      keys2.push(key);
    }
    keys2.sort();
    const keysLen = keys2.length;
    for (let i = 0; i < keysLen; i++) {
      const key = keys2[i];
      stringBuilder.push(key + '="' + attrs[key] + '"');
    }
    const nodeName = this.nodeName.toLocaleLowerCase();
    const attrsString = stringBuilder.length > 0 ? " " + stringBuilder.join(" ") : "";
    return `<${nodeName}${attrsString}>${super.toString()}</${nodeName}>`;
  }
  /**
   * Removes an attribute from this YXmlElement.
   *
   * @param {string} attributeName The attribute name that is to be removed.
   *
   * @public
   */
  removeAttribute(attributeName) {
    if (this.doc !== null) {
      transact(this.doc, (transaction) => {
        typeMapDelete(transaction, this, attributeName);
      });
    } else {
      this._prelimAttrs.delete(attributeName);
    }
  }
  /**
   * Sets or updates an attribute.
   *
   * @template {keyof KV & string} KEY
   *
   * @param {KEY} attributeName The attribute name that is to be set.
   * @param {KV[KEY]} attributeValue The attribute value that is to be set.
   *
   * @public
   */
  setAttribute(attributeName, attributeValue) {
    if (this.doc !== null) {
      transact(this.doc, (transaction) => {
        typeMapSet(transaction, this, attributeName, attributeValue);
      });
    } else {
      this._prelimAttrs.set(attributeName, attributeValue);
    }
  }
  /**
   * Returns an attribute value that belongs to the attribute name.
   *
   * @template {keyof KV & string} KEY
   *
   * @param {KEY} attributeName The attribute name that identifies the
   *                               queried value.
   * @return {KV[KEY]|undefined} The queried attribute value.
   *
   * @public
   */
  getAttribute(attributeName) {
    return (
      /** @type {any} */
      typeMapGet(this, attributeName)
    );
  }
  /**
   * Returns whether an attribute exists
   *
   * @param {string} attributeName The attribute name to check for existence.
   * @return {boolean} whether the attribute exists.
   *
   * @public
   */
  hasAttribute(attributeName) {
    return (
      /** @type {any} */
      typeMapHas(this, attributeName)
    );
  }
  /**
   * Returns all attribute name/value pairs in a JSON Object.
   *
   * @param {Snapshot} [snapshot]
   * @return {{ [Key in Extract<keyof KV,string>]?: KV[Key]}} A JSON Object that describes the attributes.
   *
   * @public
   */
  getAttributes(snapshot) {
    return (
      /** @type {any} */
      snapshot ? typeMapGetAllSnapshot(this, snapshot) : typeMapGetAll(this)
    );
  }
  /**
   * Creates a Dom Element that mirrors this YXmlElement.
   *
   * @param {Document} [_document=document] The document object (you must define
   *                                        this when calling this method in
   *                                        nodejs)
   * @param {Object<string, any>} [hooks={}] Optional property to customize how hooks
   *                                             are presented in the DOM
   * @param {any} [binding] You should not set this property. This is
   *                               used if DomBinding wants to create a
   *                               association to the created DOM type.
   * @return {Node} The {@link https://developer.mozilla.org/en-US/docs/Web/API/Element|Dom Element}
   *
   * @public
   */
  toDOM(_document = document, hooks = {}, binding) {
    const dom = _document.createElement(this.nodeName);
    const attrs = this.getAttributes();
    for (const key in attrs) {
      const value = attrs[key];
      if (typeof value === "string") {
        dom.setAttribute(key, value);
      }
    }
    typeListForEach(this, (yxml) => {
      dom.appendChild(yxml.toDOM(_document, hooks, binding));
    });
    if (binding !== void 0) {
      binding._createAssociation(dom, this);
    }
    return dom;
  }
  /**
   * Transform the properties of this type to binary and write it to an
   * BinaryEncoder.
   *
   * This is called when this Item is sent to a remote peer.
   *
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder The encoder to write data to.
   */
  _write(encoder) {
    encoder.writeTypeRef(YXmlElementRefID);
    encoder.writeKey(this.nodeName);
  }
};
var readYXmlElement = (decoder) => new YXmlElement(decoder.readKey());
var YXmlEvent = class extends YEvent {
  /**
   * @param {YXmlElement|YXmlText|YXmlFragment} target The target on which the event is created.
   * @param {Set<string|null>} subs The set of changed attributes. `null` is included if the
   *                   child list changed.
   * @param {Transaction} transaction The transaction instance with which the
   *                                  change was created.
   */
  constructor(target, subs, transaction) {
    super(target, transaction);
    this.childListChanged = false;
    this.attributesChanged = /* @__PURE__ */ new Set();
    subs.forEach((sub) => {
      if (sub === null) {
        this.childListChanged = true;
      } else {
        this.attributesChanged.add(sub);
      }
    });
  }
};
var YXmlHook = class _YXmlHook extends YMap {
  /**
   * @param {string} hookName nodeName of the Dom Node.
   */
  constructor(hookName) {
    super();
    this.hookName = hookName;
  }
  /**
   * Creates an Item with the same effect as this Item (without position effect)
   */
  _copy() {
    return new _YXmlHook(this.hookName);
  }
  /**
   * Makes a copy of this data type that can be included somewhere else.
   *
   * Note that the content is only readable _after_ it has been included somewhere in the Ydoc.
   *
   * @return {YXmlHook}
   */
  clone() {
    const el = new _YXmlHook(this.hookName);
    this.forEach((value, key) => {
      el.set(key, value);
    });
    return el;
  }
  /**
   * Creates a Dom Element that mirrors this YXmlElement.
   *
   * @param {Document} [_document=document] The document object (you must define
   *                                        this when calling this method in
   *                                        nodejs)
   * @param {Object.<string, any>} [hooks] Optional property to customize how hooks
   *                                             are presented in the DOM
   * @param {any} [binding] You should not set this property. This is
   *                               used if DomBinding wants to create a
   *                               association to the created DOM type
   * @return {Element} The {@link https://developer.mozilla.org/en-US/docs/Web/API/Element|Dom Element}
   *
   * @public
   */
  toDOM(_document = document, hooks = {}, binding) {
    const hook = hooks[this.hookName];
    let dom;
    if (hook !== void 0) {
      dom = hook.createDom(this);
    } else {
      dom = document.createElement(this.hookName);
    }
    dom.setAttribute("data-yjs-hook", this.hookName);
    if (binding !== void 0) {
      binding._createAssociation(dom, this);
    }
    return dom;
  }
  /**
   * Transform the properties of this type to binary and write it to an
   * BinaryEncoder.
   *
   * This is called when this Item is sent to a remote peer.
   *
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder The encoder to write data to.
   */
  _write(encoder) {
    encoder.writeTypeRef(YXmlHookRefID);
    encoder.writeKey(this.hookName);
  }
};
var readYXmlHook = (decoder) => new YXmlHook(decoder.readKey());
var YXmlText = class _YXmlText extends YText {
  /**
   * @type {YXmlElement|YXmlText|null}
   */
  get nextSibling() {
    const n = this._item ? this._item.next : null;
    return n ? (
      /** @type {YXmlElement|YXmlText} */
      /** @type {ContentType} */
      n.content.type
    ) : null;
  }
  /**
   * @type {YXmlElement|YXmlText|null}
   */
  get prevSibling() {
    const n = this._item ? this._item.prev : null;
    return n ? (
      /** @type {YXmlElement|YXmlText} */
      /** @type {ContentType} */
      n.content.type
    ) : null;
  }
  _copy() {
    return new _YXmlText();
  }
  /**
   * Makes a copy of this data type that can be included somewhere else.
   *
   * Note that the content is only readable _after_ it has been included somewhere in the Ydoc.
   *
   * @return {YXmlText}
   */
  clone() {
    const text3 = new _YXmlText();
    text3.applyDelta(this.toDelta());
    return text3;
  }
  /**
   * Creates a Dom Element that mirrors this YXmlText.
   *
   * @param {Document} [_document=document] The document object (you must define
   *                                        this when calling this method in
   *                                        nodejs)
   * @param {Object<string, any>} [hooks] Optional property to customize how hooks
   *                                             are presented in the DOM
   * @param {any} [binding] You should not set this property. This is
   *                               used if DomBinding wants to create a
   *                               association to the created DOM type.
   * @return {Text} The {@link https://developer.mozilla.org/en-US/docs/Web/API/Element|Dom Element}
   *
   * @public
   */
  toDOM(_document = document, hooks, binding) {
    const dom = _document.createTextNode(this.toString());
    if (binding !== void 0) {
      binding._createAssociation(dom, this);
    }
    return dom;
  }
  toString() {
    return this.toDelta().map((delta) => {
      const nestedNodes = [];
      for (const nodeName in delta.attributes) {
        const attrs = [];
        for (const key in delta.attributes[nodeName]) {
          attrs.push({ key, value: delta.attributes[nodeName][key] });
        }
        attrs.sort((a, b) => a.key < b.key ? -1 : 1);
        nestedNodes.push({ nodeName, attrs });
      }
      nestedNodes.sort((a, b) => a.nodeName < b.nodeName ? -1 : 1);
      let str = "";
      for (let i = 0; i < nestedNodes.length; i++) {
        const node = nestedNodes[i];
        str += `<${node.nodeName}`;
        for (let j = 0; j < node.attrs.length; j++) {
          const attr = node.attrs[j];
          str += ` ${attr.key}="${attr.value}"`;
        }
        str += ">";
      }
      str += delta.insert;
      for (let i = nestedNodes.length - 1; i >= 0; i--) {
        str += `</${nestedNodes[i].nodeName}>`;
      }
      return str;
    }).join("");
  }
  /**
   * @return {string}
   */
  toJSON() {
    return this.toString();
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder
   */
  _write(encoder) {
    encoder.writeTypeRef(YXmlTextRefID);
  }
};
var readYXmlText = (decoder) => new YXmlText();
var AbstractStruct = class {
  /**
   * @param {ID} id
   * @param {number} length
   */
  constructor(id2, length2) {
    this.id = id2;
    this.length = length2;
  }
  /**
   * @type {boolean}
   */
  get deleted() {
    throw methodUnimplemented();
  }
  /**
   * Merge this struct with the item to the right.
   * This method is already assuming that `this.id.clock + this.length === this.id.clock`.
   * Also this method does *not* remove right from StructStore!
   * @param {AbstractStruct} right
   * @return {boolean} whether this merged with right
   */
  mergeWith(right) {
    return false;
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder The encoder to write data to.
   * @param {number} offset
   * @param {number} encodingRef
   */
  write(encoder, offset, encodingRef) {
    throw methodUnimplemented();
  }
  /**
   * @param {Transaction} transaction
   * @param {number} offset
   */
  integrate(transaction, offset) {
    throw methodUnimplemented();
  }
};
var structGCRefNumber = 0;
var GC = class extends AbstractStruct {
  get deleted() {
    return true;
  }
  delete() {
  }
  /**
   * @param {GC} right
   * @return {boolean}
   */
  mergeWith(right) {
    if (this.constructor !== right.constructor) {
      return false;
    }
    this.length += right.length;
    return true;
  }
  /**
   * @param {Transaction} transaction
   * @param {number} offset
   */
  integrate(transaction, offset) {
    if (offset > 0) {
      this.id.clock += offset;
      this.length -= offset;
    }
    addStruct(transaction.doc.store, this);
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder
   * @param {number} offset
   */
  write(encoder, offset) {
    encoder.writeInfo(structGCRefNumber);
    encoder.writeLen(this.length - offset);
  }
  /**
   * @param {Transaction} transaction
   * @param {StructStore} store
   * @return {null | number}
   */
  getMissing(transaction, store) {
    return null;
  }
};
var ContentBinary = class _ContentBinary {
  /**
   * @param {Uint8Array} content
   */
  constructor(content) {
    this.content = content;
  }
  /**
   * @return {number}
   */
  getLength() {
    return 1;
  }
  /**
   * @return {Array<any>}
   */
  getContent() {
    return [this.content];
  }
  /**
   * @return {boolean}
   */
  isCountable() {
    return true;
  }
  /**
   * @return {ContentBinary}
   */
  copy() {
    return new _ContentBinary(this.content);
  }
  /**
   * @param {number} offset
   * @return {ContentBinary}
   */
  splice(offset) {
    throw methodUnimplemented();
  }
  /**
   * @param {ContentBinary} right
   * @return {boolean}
   */
  mergeWith(right) {
    return false;
  }
  /**
   * @param {Transaction} transaction
   * @param {Item} item
   */
  integrate(transaction, item) {
  }
  /**
   * @param {Transaction} transaction
   */
  delete(transaction) {
  }
  /**
   * @param {StructStore} store
   */
  gc(store) {
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder
   * @param {number} offset
   */
  write(encoder, offset) {
    encoder.writeBuf(this.content);
  }
  /**
   * @return {number}
   */
  getRef() {
    return 3;
  }
};
var readContentBinary = (decoder) => new ContentBinary(decoder.readBuf());
var ContentDeleted = class _ContentDeleted {
  /**
   * @param {number} len
   */
  constructor(len) {
    this.len = len;
  }
  /**
   * @return {number}
   */
  getLength() {
    return this.len;
  }
  /**
   * @return {Array<any>}
   */
  getContent() {
    return [];
  }
  /**
   * @return {boolean}
   */
  isCountable() {
    return false;
  }
  /**
   * @return {ContentDeleted}
   */
  copy() {
    return new _ContentDeleted(this.len);
  }
  /**
   * @param {number} offset
   * @return {ContentDeleted}
   */
  splice(offset) {
    const right = new _ContentDeleted(this.len - offset);
    this.len = offset;
    return right;
  }
  /**
   * @param {ContentDeleted} right
   * @return {boolean}
   */
  mergeWith(right) {
    this.len += right.len;
    return true;
  }
  /**
   * @param {Transaction} transaction
   * @param {Item} item
   */
  integrate(transaction, item) {
    addToDeleteSet(transaction.deleteSet, item.id.client, item.id.clock, this.len);
    item.markDeleted();
  }
  /**
   * @param {Transaction} transaction
   */
  delete(transaction) {
  }
  /**
   * @param {StructStore} store
   */
  gc(store) {
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder
   * @param {number} offset
   */
  write(encoder, offset) {
    encoder.writeLen(this.len - offset);
  }
  /**
   * @return {number}
   */
  getRef() {
    return 1;
  }
};
var readContentDeleted = (decoder) => new ContentDeleted(decoder.readLen());
var createDocFromOpts = (guid, opts) => new Doc({ guid, ...opts, shouldLoad: opts.shouldLoad || opts.autoLoad || false });
var ContentDoc = class _ContentDoc {
  /**
   * @param {Doc} doc
   */
  constructor(doc2) {
    if (doc2._item) {
      console.error("This document was already integrated as a sub-document. You should create a second instance instead with the same guid.");
    }
    this.doc = doc2;
    const opts = {};
    this.opts = opts;
    if (!doc2.gc) {
      opts.gc = false;
    }
    if (doc2.autoLoad) {
      opts.autoLoad = true;
    }
    if (doc2.meta !== null) {
      opts.meta = doc2.meta;
    }
  }
  /**
   * @return {number}
   */
  getLength() {
    return 1;
  }
  /**
   * @return {Array<any>}
   */
  getContent() {
    return [this.doc];
  }
  /**
   * @return {boolean}
   */
  isCountable() {
    return true;
  }
  /**
   * @return {ContentDoc}
   */
  copy() {
    return new _ContentDoc(createDocFromOpts(this.doc.guid, this.opts));
  }
  /**
   * @param {number} offset
   * @return {ContentDoc}
   */
  splice(offset) {
    throw methodUnimplemented();
  }
  /**
   * @param {ContentDoc} right
   * @return {boolean}
   */
  mergeWith(right) {
    return false;
  }
  /**
   * @param {Transaction} transaction
   * @param {Item} item
   */
  integrate(transaction, item) {
    this.doc._item = item;
    transaction.subdocsAdded.add(this.doc);
    if (this.doc.shouldLoad) {
      transaction.subdocsLoaded.add(this.doc);
    }
  }
  /**
   * @param {Transaction} transaction
   */
  delete(transaction) {
    if (transaction.subdocsAdded.has(this.doc)) {
      transaction.subdocsAdded.delete(this.doc);
    } else {
      transaction.subdocsRemoved.add(this.doc);
    }
  }
  /**
   * @param {StructStore} store
   */
  gc(store) {
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder
   * @param {number} offset
   */
  write(encoder, offset) {
    encoder.writeString(this.doc.guid);
    encoder.writeAny(this.opts);
  }
  /**
   * @return {number}
   */
  getRef() {
    return 9;
  }
};
var readContentDoc = (decoder) => new ContentDoc(createDocFromOpts(decoder.readString(), decoder.readAny()));
var ContentEmbed = class _ContentEmbed {
  /**
   * @param {Object} embed
   */
  constructor(embed) {
    this.embed = embed;
  }
  /**
   * @return {number}
   */
  getLength() {
    return 1;
  }
  /**
   * @return {Array<any>}
   */
  getContent() {
    return [this.embed];
  }
  /**
   * @return {boolean}
   */
  isCountable() {
    return true;
  }
  /**
   * @return {ContentEmbed}
   */
  copy() {
    return new _ContentEmbed(this.embed);
  }
  /**
   * @param {number} offset
   * @return {ContentEmbed}
   */
  splice(offset) {
    throw methodUnimplemented();
  }
  /**
   * @param {ContentEmbed} right
   * @return {boolean}
   */
  mergeWith(right) {
    return false;
  }
  /**
   * @param {Transaction} transaction
   * @param {Item} item
   */
  integrate(transaction, item) {
  }
  /**
   * @param {Transaction} transaction
   */
  delete(transaction) {
  }
  /**
   * @param {StructStore} store
   */
  gc(store) {
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder
   * @param {number} offset
   */
  write(encoder, offset) {
    encoder.writeJSON(this.embed);
  }
  /**
   * @return {number}
   */
  getRef() {
    return 5;
  }
};
var readContentEmbed = (decoder) => new ContentEmbed(decoder.readJSON());
var ContentFormat = class _ContentFormat {
  /**
   * @param {string} key
   * @param {Object} value
   */
  constructor(key, value) {
    this.key = key;
    this.value = value;
  }
  /**
   * @return {number}
   */
  getLength() {
    return 1;
  }
  /**
   * @return {Array<any>}
   */
  getContent() {
    return [];
  }
  /**
   * @return {boolean}
   */
  isCountable() {
    return false;
  }
  /**
   * @return {ContentFormat}
   */
  copy() {
    return new _ContentFormat(this.key, this.value);
  }
  /**
   * @param {number} _offset
   * @return {ContentFormat}
   */
  splice(_offset) {
    throw methodUnimplemented();
  }
  /**
   * @param {ContentFormat} _right
   * @return {boolean}
   */
  mergeWith(_right) {
    return false;
  }
  /**
   * @param {Transaction} _transaction
   * @param {Item} item
   */
  integrate(_transaction, item) {
    const p = (
      /** @type {YText} */
      item.parent
    );
    p._searchMarker = null;
    p._hasFormatting = true;
  }
  /**
   * @param {Transaction} transaction
   */
  delete(transaction) {
  }
  /**
   * @param {StructStore} store
   */
  gc(store) {
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder
   * @param {number} offset
   */
  write(encoder, offset) {
    encoder.writeKey(this.key);
    encoder.writeJSON(this.value);
  }
  /**
   * @return {number}
   */
  getRef() {
    return 6;
  }
};
var readContentFormat = (decoder) => new ContentFormat(decoder.readKey(), decoder.readJSON());
var ContentJSON = class _ContentJSON {
  /**
   * @param {Array<any>} arr
   */
  constructor(arr) {
    this.arr = arr;
  }
  /**
   * @return {number}
   */
  getLength() {
    return this.arr.length;
  }
  /**
   * @return {Array<any>}
   */
  getContent() {
    return this.arr;
  }
  /**
   * @return {boolean}
   */
  isCountable() {
    return true;
  }
  /**
   * @return {ContentJSON}
   */
  copy() {
    return new _ContentJSON(this.arr);
  }
  /**
   * @param {number} offset
   * @return {ContentJSON}
   */
  splice(offset) {
    const right = new _ContentJSON(this.arr.slice(offset));
    this.arr = this.arr.slice(0, offset);
    return right;
  }
  /**
   * @param {ContentJSON} right
   * @return {boolean}
   */
  mergeWith(right) {
    this.arr = this.arr.concat(right.arr);
    return true;
  }
  /**
   * @param {Transaction} transaction
   * @param {Item} item
   */
  integrate(transaction, item) {
  }
  /**
   * @param {Transaction} transaction
   */
  delete(transaction) {
  }
  /**
   * @param {StructStore} store
   */
  gc(store) {
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder
   * @param {number} offset
   */
  write(encoder, offset) {
    const len = this.arr.length;
    encoder.writeLen(len - offset);
    for (let i = offset; i < len; i++) {
      const c = this.arr[i];
      encoder.writeString(c === void 0 ? "undefined" : JSON.stringify(c));
    }
  }
  /**
   * @return {number}
   */
  getRef() {
    return 2;
  }
};
var readContentJSON = (decoder) => {
  const len = decoder.readLen();
  const cs = [];
  for (let i = 0; i < len; i++) {
    const c = decoder.readString();
    if (c === "undefined") {
      cs.push(void 0);
    } else {
      cs.push(JSON.parse(c));
    }
  }
  return new ContentJSON(cs);
};
var isDevMode = getVariable("node_env") === "development";
var ContentAny = class _ContentAny {
  /**
   * @param {Array<any>} arr
   */
  constructor(arr) {
    this.arr = arr;
    isDevMode && deepFreeze(arr);
  }
  /**
   * @return {number}
   */
  getLength() {
    return this.arr.length;
  }
  /**
   * @return {Array<any>}
   */
  getContent() {
    return this.arr;
  }
  /**
   * @return {boolean}
   */
  isCountable() {
    return true;
  }
  /**
   * @return {ContentAny}
   */
  copy() {
    return new _ContentAny(this.arr);
  }
  /**
   * @param {number} offset
   * @return {ContentAny}
   */
  splice(offset) {
    const right = new _ContentAny(this.arr.slice(offset));
    this.arr = this.arr.slice(0, offset);
    return right;
  }
  /**
   * @param {ContentAny} right
   * @return {boolean}
   */
  mergeWith(right) {
    this.arr = this.arr.concat(right.arr);
    return true;
  }
  /**
   * @param {Transaction} transaction
   * @param {Item} item
   */
  integrate(transaction, item) {
  }
  /**
   * @param {Transaction} transaction
   */
  delete(transaction) {
  }
  /**
   * @param {StructStore} store
   */
  gc(store) {
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder
   * @param {number} offset
   */
  write(encoder, offset) {
    const len = this.arr.length;
    encoder.writeLen(len - offset);
    for (let i = offset; i < len; i++) {
      const c = this.arr[i];
      encoder.writeAny(c);
    }
  }
  /**
   * @return {number}
   */
  getRef() {
    return 8;
  }
};
var readContentAny = (decoder) => {
  const len = decoder.readLen();
  const cs = [];
  for (let i = 0; i < len; i++) {
    cs.push(decoder.readAny());
  }
  return new ContentAny(cs);
};
var ContentString = class _ContentString {
  /**
   * @param {string} str
   */
  constructor(str) {
    this.str = str;
  }
  /**
   * @return {number}
   */
  getLength() {
    return this.str.length;
  }
  /**
   * @return {Array<any>}
   */
  getContent() {
    return this.str.split("");
  }
  /**
   * @return {boolean}
   */
  isCountable() {
    return true;
  }
  /**
   * @return {ContentString}
   */
  copy() {
    return new _ContentString(this.str);
  }
  /**
   * @param {number} offset
   * @return {ContentString}
   */
  splice(offset) {
    const right = new _ContentString(this.str.slice(offset));
    this.str = this.str.slice(0, offset);
    const firstCharCode = this.str.charCodeAt(offset - 1);
    if (firstCharCode >= 55296 && firstCharCode <= 56319) {
      this.str = this.str.slice(0, offset - 1) + "�";
      right.str = "�" + right.str.slice(1);
    }
    return right;
  }
  /**
   * @param {ContentString} right
   * @return {boolean}
   */
  mergeWith(right) {
    this.str += right.str;
    return true;
  }
  /**
   * @param {Transaction} transaction
   * @param {Item} item
   */
  integrate(transaction, item) {
  }
  /**
   * @param {Transaction} transaction
   */
  delete(transaction) {
  }
  /**
   * @param {StructStore} store
   */
  gc(store) {
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder
   * @param {number} offset
   */
  write(encoder, offset) {
    encoder.writeString(offset === 0 ? this.str : this.str.slice(offset));
  }
  /**
   * @return {number}
   */
  getRef() {
    return 4;
  }
};
var readContentString = (decoder) => new ContentString(decoder.readString());
var typeRefs = [
  readYArray,
  readYMap,
  readYText,
  readYXmlElement,
  readYXmlFragment,
  readYXmlHook,
  readYXmlText
];
var YArrayRefID = 0;
var YMapRefID = 1;
var YTextRefID = 2;
var YXmlElementRefID = 3;
var YXmlFragmentRefID = 4;
var YXmlHookRefID = 5;
var YXmlTextRefID = 6;
var ContentType = class _ContentType {
  /**
   * @param {AbstractType<any>} type
   */
  constructor(type) {
    this.type = type;
  }
  /**
   * @return {number}
   */
  getLength() {
    return 1;
  }
  /**
   * @return {Array<any>}
   */
  getContent() {
    return [this.type];
  }
  /**
   * @return {boolean}
   */
  isCountable() {
    return true;
  }
  /**
   * @return {ContentType}
   */
  copy() {
    return new _ContentType(this.type._copy());
  }
  /**
   * @param {number} offset
   * @return {ContentType}
   */
  splice(offset) {
    throw methodUnimplemented();
  }
  /**
   * @param {ContentType} right
   * @return {boolean}
   */
  mergeWith(right) {
    return false;
  }
  /**
   * @param {Transaction} transaction
   * @param {Item} item
   */
  integrate(transaction, item) {
    this.type._integrate(transaction.doc, item);
  }
  /**
   * @param {Transaction} transaction
   */
  delete(transaction) {
    let item = this.type._start;
    while (item !== null) {
      if (!item.deleted) {
        item.delete(transaction);
      } else if (item.id.clock < (transaction.beforeState.get(item.id.client) || 0)) {
        transaction._mergeStructs.push(item);
      }
      item = item.right;
    }
    this.type._map.forEach((item2) => {
      if (!item2.deleted) {
        item2.delete(transaction);
      } else if (item2.id.clock < (transaction.beforeState.get(item2.id.client) || 0)) {
        transaction._mergeStructs.push(item2);
      }
    });
    transaction.changed.delete(this.type);
  }
  /**
   * @param {StructStore} store
   */
  gc(store) {
    let item = this.type._start;
    while (item !== null) {
      item.gc(store, true);
      item = item.right;
    }
    this.type._start = null;
    this.type._map.forEach(
      /** @param {Item | null} item */
      (item2) => {
        while (item2 !== null) {
          item2.gc(store, true);
          item2 = item2.left;
        }
      }
    );
    this.type._map = /* @__PURE__ */ new Map();
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder
   * @param {number} offset
   */
  write(encoder, offset) {
    this.type._write(encoder);
  }
  /**
   * @return {number}
   */
  getRef() {
    return 7;
  }
};
var readContentType = (decoder) => new ContentType(typeRefs[decoder.readTypeRef()](decoder));
var followRedone = (store, id2) => {
  let nextID = id2;
  let diff = 0;
  let item;
  do {
    if (diff > 0) {
      nextID = createID(nextID.client, nextID.clock + diff);
    }
    item = getItem(store, nextID);
    diff = nextID.clock - item.id.clock;
    nextID = item.redone;
  } while (nextID !== null && item instanceof Item);
  return {
    item,
    diff
  };
};
var keepItem = (item, keep) => {
  while (item !== null && item.keep !== keep) {
    item.keep = keep;
    item = /** @type {AbstractType<any>} */
    item.parent._item;
  }
};
var splitItem = (transaction, leftItem, diff) => {
  const { client, clock } = leftItem.id;
  const rightItem = new Item(
    createID(client, clock + diff),
    leftItem,
    createID(client, clock + diff - 1),
    leftItem.right,
    leftItem.rightOrigin,
    leftItem.parent,
    leftItem.parentSub,
    leftItem.content.splice(diff)
  );
  if (leftItem.deleted) {
    rightItem.markDeleted();
  }
  if (leftItem.keep) {
    rightItem.keep = true;
  }
  if (leftItem.redone !== null) {
    rightItem.redone = createID(leftItem.redone.client, leftItem.redone.clock + diff);
  }
  leftItem.right = rightItem;
  if (rightItem.right !== null) {
    rightItem.right.left = rightItem;
  }
  transaction._mergeStructs.push(rightItem);
  if (rightItem.parentSub !== null && rightItem.right === null) {
    rightItem.parent._map.set(rightItem.parentSub, rightItem);
  }
  leftItem.length = diff;
  return rightItem;
};
var isDeletedByUndoStack = (stack, id2) => some(
  stack,
  /** @param {StackItem} s */
  (s) => isDeleted(s.deletions, id2)
);
var redoItem = (transaction, item, redoitems, itemsToDelete, ignoreRemoteMapChanges, um) => {
  const doc2 = transaction.doc;
  const store = doc2.store;
  const ownClientID = doc2.clientID;
  const redone = item.redone;
  if (redone !== null) {
    return getItemCleanStart(transaction, redone);
  }
  let parentItem = (
    /** @type {AbstractType<any>} */
    item.parent._item
  );
  let left = null;
  let right;
  if (parentItem !== null && parentItem.deleted === true) {
    if (parentItem.redone === null && (!redoitems.has(parentItem) || redoItem(transaction, parentItem, redoitems, itemsToDelete, ignoreRemoteMapChanges, um) === null)) {
      return null;
    }
    while (parentItem.redone !== null) {
      parentItem = getItemCleanStart(transaction, parentItem.redone);
    }
  }
  const parentType = parentItem === null ? (
    /** @type {AbstractType<any>} */
    item.parent
  ) : (
    /** @type {ContentType} */
    parentItem.content.type
  );
  if (item.parentSub === null) {
    left = item.left;
    right = item;
    while (left !== null) {
      let leftTrace = left;
      while (leftTrace !== null && /** @type {AbstractType<any>} */
      leftTrace.parent._item !== parentItem) {
        leftTrace = leftTrace.redone === null ? null : getItemCleanStart(transaction, leftTrace.redone);
      }
      if (leftTrace !== null && /** @type {AbstractType<any>} */
      leftTrace.parent._item === parentItem) {
        left = leftTrace;
        break;
      }
      left = left.left;
    }
    while (right !== null) {
      let rightTrace = right;
      while (rightTrace !== null && /** @type {AbstractType<any>} */
      rightTrace.parent._item !== parentItem) {
        rightTrace = rightTrace.redone === null ? null : getItemCleanStart(transaction, rightTrace.redone);
      }
      if (rightTrace !== null && /** @type {AbstractType<any>} */
      rightTrace.parent._item === parentItem) {
        right = rightTrace;
        break;
      }
      right = right.right;
    }
  } else {
    right = null;
    if (item.right && !ignoreRemoteMapChanges) {
      left = item;
      while (left !== null && left.right !== null && (left.right.redone || isDeleted(itemsToDelete, left.right.id) || isDeletedByUndoStack(um.undoStack, left.right.id) || isDeletedByUndoStack(um.redoStack, left.right.id))) {
        left = left.right;
        while (left.redone) left = getItemCleanStart(transaction, left.redone);
      }
      if (left && left.right !== null) {
        return null;
      }
    } else {
      left = parentType._map.get(item.parentSub) || null;
    }
    if (left !== null && /** @type {AbstractType<any>} */
    left.parent._item !== parentItem) {
      left = parentType._map.get(item.parentSub) || null;
    }
  }
  const nextClock = getState(store, ownClientID);
  const nextId = createID(ownClientID, nextClock);
  const redoneItem = new Item(
    nextId,
    left,
    left && left.lastId,
    right,
    right && right.id,
    parentType,
    item.parentSub,
    item.content.copy()
  );
  item.redone = nextId;
  keepItem(redoneItem, true);
  redoneItem.integrate(transaction, 0);
  return redoneItem;
};
var Item = class _Item extends AbstractStruct {
  /**
   * @param {ID} id
   * @param {Item | null} left
   * @param {ID | null} origin
   * @param {Item | null} right
   * @param {ID | null} rightOrigin
   * @param {AbstractType<any>|ID|null} parent Is a type if integrated, is null if it is possible to copy parent from left or right, is ID before integration to search for it.
   * @param {string | null} parentSub
   * @param {AbstractContent} content
   */
  constructor(id2, left, origin, right, rightOrigin, parent, parentSub, content) {
    super(id2, content.getLength());
    this.origin = origin;
    this.left = left;
    this.right = right;
    this.rightOrigin = rightOrigin;
    this.parent = parent;
    this.parentSub = parentSub;
    this.redone = null;
    this.content = content;
    this.info = this.content.isCountable() ? BIT2 : 0;
  }
  /**
   * This is used to mark the item as an indexed fast-search marker
   *
   * @type {boolean}
   */
  set marker(isMarked) {
    if ((this.info & BIT4) > 0 !== isMarked) {
      this.info ^= BIT4;
    }
  }
  get marker() {
    return (this.info & BIT4) > 0;
  }
  /**
   * If true, do not garbage collect this Item.
   */
  get keep() {
    return (this.info & BIT1) > 0;
  }
  set keep(doKeep) {
    if (this.keep !== doKeep) {
      this.info ^= BIT1;
    }
  }
  get countable() {
    return (this.info & BIT2) > 0;
  }
  /**
   * Whether this item was deleted or not.
   * @type {Boolean}
   */
  get deleted() {
    return (this.info & BIT3) > 0;
  }
  set deleted(doDelete) {
    if (this.deleted !== doDelete) {
      this.info ^= BIT3;
    }
  }
  markDeleted() {
    this.info |= BIT3;
  }
  /**
   * Return the creator clientID of the missing op or define missing items and return null.
   *
   * @param {Transaction} transaction
   * @param {StructStore} store
   * @return {null | number}
   */
  getMissing(transaction, store) {
    if (this.origin && this.origin.client !== this.id.client && this.origin.clock >= getState(store, this.origin.client)) {
      return this.origin.client;
    }
    if (this.rightOrigin && this.rightOrigin.client !== this.id.client && this.rightOrigin.clock >= getState(store, this.rightOrigin.client)) {
      return this.rightOrigin.client;
    }
    if (this.parent && this.parent.constructor === ID && this.id.client !== this.parent.client && this.parent.clock >= getState(store, this.parent.client)) {
      return this.parent.client;
    }
    if (this.origin) {
      this.left = getItemCleanEnd(transaction, store, this.origin);
      this.origin = this.left.lastId;
    }
    if (this.rightOrigin) {
      this.right = getItemCleanStart(transaction, this.rightOrigin);
      this.rightOrigin = this.right.id;
    }
    if (this.left && this.left.constructor === GC || this.right && this.right.constructor === GC) {
      this.parent = null;
    } else if (!this.parent) {
      if (this.left && this.left.constructor === _Item) {
        this.parent = this.left.parent;
        this.parentSub = this.left.parentSub;
      } else if (this.right && this.right.constructor === _Item) {
        this.parent = this.right.parent;
        this.parentSub = this.right.parentSub;
      }
    } else if (this.parent.constructor === ID) {
      const parentItem = getItem(store, this.parent);
      if (parentItem.constructor === GC) {
        this.parent = null;
      } else {
        this.parent = /** @type {ContentType} */
        parentItem.content.type;
      }
    }
    return null;
  }
  /**
   * @param {Transaction} transaction
   * @param {number} offset
   */
  integrate(transaction, offset) {
    if (offset > 0) {
      this.id.clock += offset;
      this.left = getItemCleanEnd(transaction, transaction.doc.store, createID(this.id.client, this.id.clock - 1));
      this.origin = this.left.lastId;
      this.content = this.content.splice(offset);
      this.length -= offset;
    }
    if (this.parent) {
      if (!this.left && (!this.right || this.right.left !== null) || this.left && this.left.right !== this.right) {
        let left = this.left;
        let o;
        if (left !== null) {
          o = left.right;
        } else if (this.parentSub !== null) {
          o = /** @type {AbstractType<any>} */
          this.parent._map.get(this.parentSub) || null;
          while (o !== null && o.left !== null) {
            o = o.left;
          }
        } else {
          o = /** @type {AbstractType<any>} */
          this.parent._start;
        }
        const conflictingItems = /* @__PURE__ */ new Set();
        const itemsBeforeOrigin = /* @__PURE__ */ new Set();
        while (o !== null && o !== this.right) {
          itemsBeforeOrigin.add(o);
          conflictingItems.add(o);
          if (compareIDs(this.origin, o.origin)) {
            if (o.id.client < this.id.client) {
              left = o;
              conflictingItems.clear();
            } else if (compareIDs(this.rightOrigin, o.rightOrigin)) {
              break;
            }
          } else if (o.origin !== null && itemsBeforeOrigin.has(getItem(transaction.doc.store, o.origin))) {
            if (!conflictingItems.has(getItem(transaction.doc.store, o.origin))) {
              left = o;
              conflictingItems.clear();
            }
          } else {
            break;
          }
          o = o.right;
        }
        this.left = left;
      }
      if (this.left !== null) {
        const right = this.left.right;
        this.right = right;
        this.left.right = this;
      } else {
        let r;
        if (this.parentSub !== null) {
          r = /** @type {AbstractType<any>} */
          this.parent._map.get(this.parentSub) || null;
          while (r !== null && r.left !== null) {
            r = r.left;
          }
        } else {
          r = /** @type {AbstractType<any>} */
          this.parent._start;
          this.parent._start = this;
        }
        this.right = r;
      }
      if (this.right !== null) {
        this.right.left = this;
      } else if (this.parentSub !== null) {
        this.parent._map.set(this.parentSub, this);
        if (this.left !== null) {
          this.left.delete(transaction);
        }
      }
      if (this.parentSub === null && this.countable && !this.deleted) {
        this.parent._length += this.length;
      }
      addStruct(transaction.doc.store, this);
      this.content.integrate(transaction, this);
      addChangedTypeToTransaction(
        transaction,
        /** @type {AbstractType<any>} */
        this.parent,
        this.parentSub
      );
      if (
        /** @type {AbstractType<any>} */
        this.parent._item !== null && /** @type {AbstractType<any>} */
        this.parent._item.deleted || this.parentSub !== null && this.right !== null
      ) {
        this.delete(transaction);
      }
    } else {
      new GC(this.id, this.length).integrate(transaction, 0);
    }
  }
  /**
   * Returns the next non-deleted item
   */
  get next() {
    let n = this.right;
    while (n !== null && n.deleted) {
      n = n.right;
    }
    return n;
  }
  /**
   * Returns the previous non-deleted item
   */
  get prev() {
    let n = this.left;
    while (n !== null && n.deleted) {
      n = n.left;
    }
    return n;
  }
  /**
   * Computes the last content address of this Item.
   */
  get lastId() {
    return this.length === 1 ? this.id : createID(this.id.client, this.id.clock + this.length - 1);
  }
  /**
   * Try to merge two items
   *
   * @param {Item} right
   * @return {boolean}
   */
  mergeWith(right) {
    if (this.constructor === right.constructor && compareIDs(right.origin, this.lastId) && this.right === right && compareIDs(this.rightOrigin, right.rightOrigin) && this.id.client === right.id.client && this.id.clock + this.length === right.id.clock && this.deleted === right.deleted && this.redone === null && right.redone === null && this.content.constructor === right.content.constructor && this.content.mergeWith(right.content)) {
      const searchMarker = (
        /** @type {AbstractType<any>} */
        this.parent._searchMarker
      );
      if (searchMarker) {
        searchMarker.forEach((marker) => {
          if (marker.p === right) {
            marker.p = this;
            if (!this.deleted && this.countable) {
              marker.index -= this.length;
            }
          }
        });
      }
      if (right.keep) {
        this.keep = true;
      }
      this.right = right.right;
      if (this.right !== null) {
        this.right.left = this;
      }
      this.length += right.length;
      return true;
    }
    return false;
  }
  /**
   * Mark this Item as deleted.
   *
   * @param {Transaction} transaction
   */
  delete(transaction) {
    if (!this.deleted) {
      const parent = (
        /** @type {AbstractType<any>} */
        this.parent
      );
      if (this.countable && this.parentSub === null) {
        parent._length -= this.length;
      }
      this.markDeleted();
      addToDeleteSet(transaction.deleteSet, this.id.client, this.id.clock, this.length);
      addChangedTypeToTransaction(transaction, parent, this.parentSub);
      this.content.delete(transaction);
    }
  }
  /**
   * @param {StructStore} store
   * @param {boolean} parentGCd
   */
  gc(store, parentGCd) {
    if (!this.deleted) {
      throw unexpectedCase();
    }
    this.content.gc(store);
    if (parentGCd) {
      replaceStruct(store, this, new GC(this.id, this.length));
    } else {
      this.content = new ContentDeleted(this.length);
    }
  }
  /**
   * Transform the properties of this type to binary and write it to an
   * BinaryEncoder.
   *
   * This is called when this Item is sent to a remote peer.
   *
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder The encoder to write data to.
   * @param {number} offset
   */
  write(encoder, offset) {
    const origin = offset > 0 ? createID(this.id.client, this.id.clock + offset - 1) : this.origin;
    const rightOrigin = this.rightOrigin;
    const parentSub = this.parentSub;
    const info = this.content.getRef() & BITS5 | (origin === null ? 0 : BIT8) | // origin is defined
    (rightOrigin === null ? 0 : BIT7) | // right origin is defined
    (parentSub === null ? 0 : BIT6);
    encoder.writeInfo(info);
    if (origin !== null) {
      encoder.writeLeftID(origin);
    }
    if (rightOrigin !== null) {
      encoder.writeRightID(rightOrigin);
    }
    if (origin === null && rightOrigin === null) {
      const parent = (
        /** @type {AbstractType<any>} */
        this.parent
      );
      if (parent._item !== void 0) {
        const parentItem = parent._item;
        if (parentItem === null) {
          const ykey = findRootTypeKey(parent);
          encoder.writeParentInfo(true);
          encoder.writeString(ykey);
        } else {
          encoder.writeParentInfo(false);
          encoder.writeLeftID(parentItem.id);
        }
      } else if (parent.constructor === String) {
        encoder.writeParentInfo(true);
        encoder.writeString(parent);
      } else if (parent.constructor === ID) {
        encoder.writeParentInfo(false);
        encoder.writeLeftID(parent);
      } else {
        unexpectedCase();
      }
      if (parentSub !== null) {
        encoder.writeString(parentSub);
      }
    }
    this.content.write(encoder, offset);
  }
};
var readItemContent = (decoder, info) => contentRefs[info & BITS5](decoder);
var contentRefs = [
  () => {
    unexpectedCase();
  },
  // GC is not ItemContent
  readContentDeleted,
  // 1
  readContentJSON,
  // 2
  readContentBinary,
  // 3
  readContentString,
  // 4
  readContentEmbed,
  // 5
  readContentFormat,
  // 6
  readContentType,
  // 7
  readContentAny,
  // 8
  readContentDoc,
  // 9
  () => {
    unexpectedCase();
  }
  // 10 - Skip is not ItemContent
];
var structSkipRefNumber = 10;
var Skip = class extends AbstractStruct {
  get deleted() {
    return true;
  }
  delete() {
  }
  /**
   * @param {Skip} right
   * @return {boolean}
   */
  mergeWith(right) {
    if (this.constructor !== right.constructor) {
      return false;
    }
    this.length += right.length;
    return true;
  }
  /**
   * @param {Transaction} transaction
   * @param {number} offset
   */
  integrate(transaction, offset) {
    unexpectedCase();
  }
  /**
   * @param {UpdateEncoderV1 | UpdateEncoderV2} encoder
   * @param {number} offset
   */
  write(encoder, offset) {
    encoder.writeInfo(structSkipRefNumber);
    writeVarUint(encoder.restEncoder, this.length - offset);
  }
  /**
   * @param {Transaction} transaction
   * @param {StructStore} store
   * @return {null | number}
   */
  getMissing(transaction, store) {
    return null;
  }
};
var glo = (
  /** @type {any} */
  typeof globalThis !== "undefined" ? globalThis : typeof window !== "undefined" ? window : typeof global !== "undefined" ? global : {}
);
var importIdentifier = "__ $YJS$ __";
if (glo[importIdentifier] === true) {
  console.error("Yjs was already imported. This breaks constructor checks and will lead to issues! - https://github.com/yjs/yjs/issues/438");
}
glo[importIdentifier] = true;

// node_modules/y-protocols/sync.js
var messageYjsSyncStep1 = 0;
var messageYjsSyncStep2 = 1;
var messageYjsUpdate = 2;

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
  readVarUint: () => readVarUint2
});

// src/bus/chunks.js
function chunkFrames(entry, messageId, maxFrameSize) {
  let step2 = maxFrameSize - CHUNK_HEADER_SIZE;
  if (step2 <= 0) throw new RangeError(`maxFrameSize ${maxFrameSize} leaves no room for chunk data`);
  const count = Math.ceil(entry.length / step2);
  step2 = Math.ceil(entry.length / count);
  const frames = [];
  for (let index2 = 0; index2 < count; index2++) {
    const data = entry.subarray(index2 * step2, (index2 + 1) * step2);
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
    const id2 = chunk.messageId;
    let partial = this._partials.get(id2);
    if (partial === void 0) {
      while (this._partials.size >= this.maxPartial) this._drop(this._partials.keys().next().value ?? 0);
      partial = { count: chunk.count, total: chunk.total, started: this._clock(), pieces: /* @__PURE__ */ new Map(), size: 0 };
      this._partials.set(id2, partial);
    }
    if (partial.count !== chunk.count || partial.total !== chunk.total) {
      this._drop(id2);
      throw new FrameError("chunk-mismatch", `chunk of message ${id2} contradicts earlier chunks`);
    }
    if (partial.pieces.has(chunk.index)) {
      this._drop(id2);
      throw new FrameError("chunk-duplicate", `duplicate chunk ${chunk.index} of message ${id2}`);
    }
    if (partial.size + chunk.data.length > partial.total) {
      this._drop(id2);
      throw new FrameError("chunk-overflow", `chunks of message ${id2} exceed its stated size`);
    }
    if (this._buffered + chunk.data.length > this.maxBuffered) {
      this._drop(id2);
      throw new FrameError("reassembly-full", `reassembly buffer full (${this.maxBuffered} bytes)`);
    }
    partial.pieces.set(chunk.index, chunk.data);
    partial.size += chunk.data.length;
    this._buffered += chunk.data.length;
    if (partial.pieces.size < partial.count) return null;
    this._partials.delete(id2);
    this._buffered -= partial.size;
    if (partial.size !== partial.total) {
      throw new FrameError("chunk-short", `message ${id2} is shorter than its stated size`);
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
    for (const [id2, partial] of this._partials) {
      if (partial.started < deadline) {
        this._drop(id2);
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
  _drop(id2) {
    const partial = this._partials.get(id2);
    if (partial === void 0) return;
    this._partials.delete(id2);
    this._buffered -= partial.size;
    this.evicted++;
  }
};

// src/bus/deflate.js
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
  let size2 = 0;
  for (; ; ) {
    let result;
    try {
      result = await reader.read();
    } catch (error) {
      const text3 = String(error instanceof Error ? error.message : error);
      const code = /junk|trailing|after end/i.test(text3) ? "deflate-trailing" : /end of|truncat|incomplete/i.test(text3) ? "deflate-truncated" : "deflate-invalid";
      throw new FrameError(code, `compressed payload is not valid raw DEFLATE: ${text3}`);
    }
    if (result.done) break;
    size2 += result.value.length;
    if (size2 > limit) {
      reader.cancel().catch(() => {
      });
      throw new FrameError("deflate-too-large", `compressed payload inflates past ${limit} bytes`);
    }
    pieces.push(result.value);
  }
  const out = new Uint8Array(size2);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

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
function readVarUint2(bytes, pos) {
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
  let size2 = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size2++;
  }
  return size2;
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
function pingLike(kind2, token) {
  const frame = new Uint8Array(PING_FRAME_SIZE);
  frame[0] = VERSION;
  frame[1] = kind2;
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
  const kind2 = data[1];
  if (version !== VERSION) throw new FrameError("version", `unsupported frame version ${version}`);
  if (kind2 === KIND_BATCH) return { kind: "batch", entries: decodeEntries(data, HEADER_SIZE) };
  if (kind2 === KIND_CHUNK) return decodeChunk(data);
  if (kind2 === KIND_PING || kind2 === KIND_PONG) {
    if (data.length !== PING_FRAME_SIZE) {
      throw new FrameError("ping-size", `ping/pong frame must be ${PING_FRAME_SIZE} bytes, got ${data.length}`);
    }
    const token = new DataView(data.buffer, data.byteOffset, data.length).getFloat64(HEADER_SIZE);
    return kind2 === KIND_PING ? { kind: "ping", token } : { kind: "pong", token };
  }
  throw new FrameError("kind", `unknown frame kind ${kind2}`);
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
    const [size2, start] = readVarUint2(data, topicEnd);
    const payloadEnd = start + size2;
    if (payloadEnd > end) {
      throw new FrameError("payload-overrun", `payload of ${JSON.stringify(topic)} claims ${size2} bytes past the frame end`);
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

// src/bus/config.js
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

// src/bus/outbox.js
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
  constructor(bus, id2, reliable, unordered) {
    this.id = id2;
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

// src/bus/task.js
function taskPoster(run) {
  if (typeof setImmediate === "function") {
    return { post: () => void setImmediate(run), close() {
    } };
  }
  const channel = new MessageChannel();
  channel.port1.onmessage = () => run();
  return {
    post: () => channel.port2.postMessage(null),
    close: () => channel.port1.close()
  };
}

// src/bus/bus.js
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
    this._flushQueued = false;
    this._flushTask = taskPoster(() => this._flush());
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
    const size2 = entrySize(prefix, payload.length);
    if (size2 > this.config.maxMessageSize) {
      throw new MessageTooLarge(`a message of ${size2} bytes exceeds the limit of ${this.config.maxMessageSize}`);
    }
    const peers = to === void 0 ? [...this._peers.values()] : [this._known(to)];
    const small = size2 <= this.config.maxFrameSize - HEADER_SIZE;
    const frames = small ? null : chunkFrames(encodeEntry(topic, payload, flags), this._nextId(), this.config.maxFrameSize);
    if (!reliable) {
      for (const peer of peers) {
        peer.unordered.put(topic, { prefix, payload, frames });
        this._dirty.add(peer.unordered);
      }
    } else {
      const bytes = frames === null ? size2 : frames.reduce((n, f) => n + f.length, 0);
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
    for (const id2 of [...this._peers.keys()]) this.removePeer(id2);
    this._flushTask.close();
    clearInterval(this._ticker);
    this._ticker = void 0;
  }
  // -- internals ---------------------------------------------------------
  _nextId() {
    const id2 = this._messageId;
    this._messageId = this._messageId + 1 >>> 0;
    return id2;
  }
  /** @param {string} peerId */
  _known(peerId) {
    const peer = this._peers.get(peerId);
    if (peer === void 0) throw new UnknownPeer(`no peer ${peerId} on the bus`);
    return peer;
  }
  _scheduleFlush() {
    if (this._flushQueued) return;
    this._flushQueued = true;
    this._flushTask.post();
  }
  _flush() {
    this._flushQueued = false;
    if (this._closed) return;
    const dirty = [...this._dirty];
    this._dirty.clear();
    const at = now();
    for (const outbox of dirty) {
      const before2 = this.counters.framesSent;
      outbox.flush();
      if (this.counters.framesSent !== before2) {
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

// src/editing/schema.js
var schema_exports2 = {};
__export(schema_exports2, {
  MAX_ID_LENGTH: () => MAX_ID_LENGTH,
  MAX_PROP_NAME_LENGTH: () => MAX_PROP_NAME_LENGTH,
  MAX_VALUE_BYTES: () => MAX_VALUE_BYTES,
  MAX_VALUE_DEPTH: () => MAX_VALUE_DEPTH,
  UNPLACED: () => UNPLACED,
  ValidationError: () => ValidationError2,
  checkId: () => checkId,
  checkPropName: () => checkPropName,
  checkType: () => checkType,
  checkValue: () => checkValue,
  isPlainObject: () => isPlainObject,
  parseEntry: () => parseEntry,
  parsePlace: () => parsePlace
});

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
  const last2 = DIGITS[1 + clientId % (BASE - 1)];
  let rest = Math.floor(clientId / (BASE - 1));
  let head = "";
  for (let i = 0; i < SALT_LENGTH - 1; i++) {
    head += DIGITS[rest % BASE];
    rest = Math.floor(rest / BASE);
  }
  return head + last2;
}
function keyBetween(low, high, salt) {
  checkSalt(salt);
  const lo = low !== null ? checked(low, "low") : "";
  const hi = high !== null ? checked(high, "high") : null;
  if (hi !== null && lo >= hi) {
    throw new OrderKeyError(`order keys out of order: ${JSON.stringify(low)} >= ${JSON.stringify(high)}`);
  }
  const room = MAX_KEY_LENGTH - salt.length;
  let head;
  if (hi === null && lo) head = after(lo, room);
  else if (hi !== null && !lo) head = before(hi, room);
  else head = midpoint(lo, hi, true);
  if (head.length > room) {
    throw new OrderKeyError(`no room for an order key between ${JSON.stringify(low)} and ${JSON.stringify(high)}`);
  }
  return head + salt;
}
function keysBetween(low, high, count, salt) {
  if (!Number.isInteger(count) || count < 0) throw new RangeError("count must not be negative");
  checkSalt(salt);
  if (count === 0) return [];
  const prefix = keyBetween(low, high, salt).slice(0, -salt.length);
  let width = 1;
  while (BASE ** width <= count) width++;
  const span = BASE ** width;
  const keys2 = [];
  for (let i = 0; i < count; i++) keys2.push(fixed(prefix, Math.floor((i + 1) * span / (count + 1)), width) + salt);
  return keys2;
}
function fixed(prefix, value, width) {
  let digits = "";
  for (let i = 0; i < width; i++) {
    digits = DIGITS[value % BASE] + digits;
    value = Math.floor(value / BASE);
  }
  return prefix + digits;
}
function after(lo, room) {
  const run = leadingRun(lo, "z");
  const width = Math.min(run + 2, room - run);
  if (width < 1) throw new OrderKeyError(`no room for an order key after ${JSON.stringify(lo)}`);
  return lo.slice(0, run) + step(lo.slice(run, run + width).padEnd(width, "0"), 1);
}
function before(hi, room) {
  const run = leadingRun(hi, "0");
  const width = Math.min(run + 2, room - run);
  if (width < 1) throw new OrderKeyError(`no room for an order key before ${JSON.stringify(hi)}`);
  return hi.slice(0, run) + step(hi.slice(run, run + width).padEnd(width, "0"), -1);
}
function leadingRun(key, digit) {
  let n = 0;
  while (n < key.length && key[n] === digit) n++;
  return n;
}
function step(counter, delta) {
  const digits = [...counter].map(index);
  let i = digits.length - 1;
  digits[i] += delta;
  while (digits[i] < 0 || digits[i] >= BASE) {
    digits[i] -= delta * BASE;
    i--;
    digits[i] += delta;
  }
  return digits.map((d) => DIGITS[d]).join("");
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
    if (outer && hi !== null && !lo) digit = dHi - 1;
    else digit = Math.floor((dLo + dHi) / 2);
    return DIGITS[digit];
  }
  const aboveLo = DIGITS[dLo] + midpoint(lo.slice(1), null, false);
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
var MAX_ID_LENGTH = 128;
var MAX_PROP_NAME_LENGTH = 256;
var MAX_VALUE_BYTES = 64 * 1024;
var MAX_VALUE_DEPTH = 32;
var NAME = new RegExp(`^[A-Za-z0-9_.:\\-]{1,${MAX_ID_LENGTH}}$`);
var utf83 = new TextEncoder();
var UNPLACED = Object.freeze({ parent: null, order: "z" });
var ValidationError2 = class extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "ValidationError";
  }
};
function shown(value) {
  let text3;
  try {
    text3 = typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  } catch {
    text3 = String(value);
  }
  return text3.slice(0, 80);
}
function checkId(value, what = "id") {
  if (typeof value !== "string" || !NAME.test(value)) {
    throw new ValidationError2(
      `${what} must be 1 to ${MAX_ID_LENGTH} characters from A-Z a-z 0-9 _ . : -, got ${shown(value)}`
    );
  }
  return value;
}
function checkType(value) {
  return checkId(value, "type");
}
function codePoints(text3) {
  let count = 0;
  for (const _ of text3) count++;
  return count;
}
function checkPropName(value) {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_PROP_NAME_LENGTH && codePoints(value) > MAX_PROP_NAME_LENGTH) {
    throw new ValidationError2(
      `property name must be a string of 1 to ${MAX_PROP_NAME_LENGTH} characters, got ${shown(value)}`
    );
  }
  return value;
}
function checkValue(value, where = "value") {
  if (typeof value === "string" && value.length * 6 + 2 <= MAX_VALUE_BYTES) return value;
  checkTree(value, where, 0);
  if (typeof value === "string" || Array.isArray(value) || value !== null && typeof value === "object") {
    const size2 = utf83.encode(JSON.stringify(value)).length;
    if (size2 > MAX_VALUE_BYTES) throw new ValidationError2(`${where} is ${size2} bytes as JSON, more than ${MAX_VALUE_BYTES}`);
  }
  return (
    /** @type {JSONValue} */
    value
  );
}
function checkTree(value, where, depth) {
  if (depth > MAX_VALUE_DEPTH) throw new ValidationError2(`${where} is nested more than ${MAX_VALUE_DEPTH} deep`);
  if (value === null || typeof value === "boolean" || typeof value === "string") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new ValidationError2(`${where} is not a finite number`);
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
  throw new ValidationError2(`${where} is not a JSON value: ${typeof value}`);
}
function isPlainObject(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
function parsePlace(raw, where = "pos") {
  if (!isPlainObject(raw)) throw new ValidationError2(`${where} must be an object`);
  const parent = raw.parent ?? null;
  if (parent !== null) checkId(parent, `${where}.parent`);
  const order = raw.order;
  if (!isKey(order)) throw new ValidationError2(`${where}.order is not a valid order key: ${shown(order)}`);
  return { parent: (
    /** @type {string | null} */
    parent
  ), order };
}
function parseEntry(raw) {
  if (!isPlainObject(raw)) throw new ValidationError2("node must be an object");
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
  if (typeof deleted !== "boolean") throw new ValidationError2("deleted must be a boolean");
  return { place, deleted, prev };
}

// src/editing/guard.js
var RejectedUpdate = class extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "RejectedUpdate";
  }
};
var UpdateGuard = class {
  /**
   * @param {Y.Doc} doc the document guarded
   * @param {string} root the name of its only root type
   * @param {NodeCheck} checkNode
   */
  constructor(doc2, root, checkNode) {
    this.doc = doc2;
    this.root = root;
    this.checkNode = checkNode;
    this._shadow = null;
    this._touched = /* @__PURE__ */ new Set();
  }
  /**
   * Apply `update` to the shadow and check what it wrote; throws
   * ValidationError naming the problems (the shadow is then dropped). After
   * a successful check the caller applies the update to the document.
   * @param {Uint8Array} update
   */
  check(update) {
    const shadow = this._catchUp();
    this._touched.clear();
    try {
      applyUpdate(shadow, update);
      this._findProblems(shadow);
    } catch (error) {
      this._drop();
      throw error;
    }
  }
  /**
   * Take a trusted (local) update into the shadow, if there is one.
   * @param {Uint8Array} update
   */
  mirror(update) {
    if (this._shadow !== null) applyUpdate(this._shadow, update);
  }
  _catchUp() {
    if (this._shadow === null) {
      const shadow = new Doc();
      applyUpdate(shadow, encodeStateAsUpdate(this.doc));
      shadow.getMap(this.root).observeDeep((events) => {
        for (const event of events) {
          if (event.path.length) this._touched.add(String(event.path[0]));
          else for (const key of event.changes.keys.keys()) this._touched.add(key);
        }
      });
      this._shadow = shadow;
    }
    return this._shadow;
  }
  _drop() {
    this._shadow?.destroy();
    this._shadow = null;
  }
  /** @param {Y.Doc} shadow */
  _findProblems(shadow) {
    const problems = [];
    const roots = [...shadow.share.keys()].filter((name) => name !== this.root).sort();
    if (roots.length) problems.push(`unknown root types ${JSON.stringify(roots)}`);
    const nodes = shadow.getMap(this.root);
    for (const id2 of [...this._touched].sort()) {
      if (!nodes.has(id2)) continue;
      try {
        this.checkNode(id2, nodes.get(id2));
      } catch (error) {
        if (!(error instanceof ValidationError2)) throw error;
        problems.push(`node ${JSON.stringify(id2).slice(0, 80)}: ${error.message}`);
      }
    }
    if (problems.length) throw new ValidationError2(problems.slice(0, 5).join("; "));
  }
};

// src/editing/model.js
var model_exports = {};
__export(model_exports, {
  CycleError: () => CycleError,
  Document: () => Document,
  EditError: () => EditError,
  FORMAT: () => FORMAT,
  NODES: () => NODES,
  RejectedUpdate: () => RejectedUpdate,
  RemoteOrigin: () => RemoteOrigin,
  VERSION: () => VERSION2,
  readNode: () => readNode,
  readNodes: () => readNodes
});

// src/editing/changes.js
var RemoteOrigin = class {
  /** @param {string} label the peer id, or e.g. "storage" */
  constructor(label) {
    this.label = label;
  }
};
function changeOf(events, transaction) {
  const changes = /* @__PURE__ */ new Map();
  const note = (id2, kind2, key) => {
    const k = `${kind2}\0${id2}`;
    let change = changes.get(k);
    if (change === void 0) changes.set(k, change = { id: id2, kind: kind2, keys: [] });
    if (key !== void 0 && !change.keys.includes(key)) change.keys.push(key);
  };
  for (const event of events) {
    const path = event.path.map(String);
    for (const [key, { action }] of event.changes.keys) {
      if (path.length === 0) note(key, action === "delete" ? "removed" : "added");
      else if (path.length > 1) note(path[0], "props", key);
      else if (key === "pos") note(path[0], "moved");
      else if (key === "deleted") note(path[0], event.target.get("deleted") ? "deleted" : "restored");
      else if (key === "type") note(path[0], "type");
      else note(path[0], "props");
    }
  }
  if (!changes.size) return null;
  const origin = transaction.origin instanceof RemoteOrigin ? transaction.origin.label : null;
  const nodes = [...changes.values()].map((c) => ({ ...c, keys: c.keys.sort() }));
  return { origin, local: origin === null, nodes };
}

// src/editing/tree.js
var tree_exports = {};
__export(tree_exports, {
  Layout: () => Layout,
  computeLayout: () => computeLayout
});
var Layout = class {
  constructor() {
    this.children = /* @__PURE__ */ new Map();
    this.visible = /* @__PURE__ */ new Set();
    this.place = /* @__PURE__ */ new Map();
    this.deleted = /* @__PURE__ */ new Set();
  }
  /**
   * The visible children of `parent` in order.
   * @param {string | null} parent
   * @returns {readonly string[]}
   */
  kids(parent) {
    return this.children.get(parent) ?? [];
  }
  /**
   * Whether `ancestor` is `node` itself or above it in the tree.
   * @param {string} ancestor
   * @param {string} node
   */
  isAncestor(ancestor, node) {
    let current = node;
    while (current !== null) {
      if (current === ancestor) return true;
      current = this.place.get(current)?.parent ?? null;
    }
    return false;
  }
};
function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}
function computeLayout(entries) {
  const layout = new Layout();
  for (const [id2, entry] of entries) {
    layout.place.set(id2, entry.place);
    if (entry.deleted) layout.deleted.add(id2);
  }
  repairCycles(entries, layout.place);
  const hidden = /* @__PURE__ */ new Set();
  for (const id2 of entries.keys()) {
    if (isVisible2(id2, entries, layout.place, layout.visible, hidden)) {
      const parent = (
        /** @type {Place} */
        layout.place.get(id2).parent
      );
      const siblings = layout.children.get(parent);
      if (siblings) siblings.push(id2);
      else layout.children.set(parent, [id2]);
    }
  }
  for (const siblings of layout.children.values()) {
    siblings.sort((a, b) => {
      const pa = (
        /** @type {Place} */
        layout.place.get(a)
      );
      const pb = (
        /** @type {Place} */
        layout.place.get(b)
      );
      return compare(pa.order, pb.order) || compare(a, b);
    });
  }
  return layout;
}
function repairCycles(entries, place) {
  const fellBack = /* @__PURE__ */ new Set();
  const done = /* @__PURE__ */ new Set();
  for (const start of [...entries.keys()].sort(compare)) {
    while (!done.has(start)) {
      const path = [];
      const onPath = /* @__PURE__ */ new Set();
      let current = start;
      while (current !== null && entries.has(current) && !done.has(current)) {
        if (onPath.has(current)) break;
        path.push(current);
        onPath.add(current);
        current = /** @type {Place} */
        place.get(current).parent;
      }
      if (current === null || !onPath.has(current)) {
        for (const id2 of path) done.add(id2);
        continue;
      }
      const cycle = path.slice(path.indexOf(current));
      const loser = cycle.reduce((a, b) => b < a ? b : a);
      const prev = (
        /** @type {Entry} */
        entries.get(loser).prev
      );
      if (!fellBack.has(loser) && prev !== null) {
        fellBack.add(loser);
        place.set(loser, prev);
      } else {
        place.set(loser, { parent: null, order: (prev ?? /** @type {Place} */
        place.get(loser)).order });
      }
    }
  }
}
function isVisible2(id2, entries, place, visible, hidden) {
  const chain = [];
  let current = id2;
  let ok = true;
  while (current !== null && !visible.has(current)) {
    const entry = entries.get(current);
    if (entry === void 0 || entry.deleted || hidden.has(current)) {
      ok = false;
      break;
    }
    chain.push(current);
    current = /** @type {Place} */
    place.get(current).parent;
  }
  const into = ok ? visible : hidden;
  for (const node of chain) into.add(node);
  return ok;
}

// src/editing/view.js
function readNode(id2, node, strict) {
  checkId(id2);
  if (!(node instanceof YMap)) throw new ValidationError2("is not a map");
  const type = checkType(node.get("type"));
  const props = node.get("props");
  if (!(props instanceof YMap)) throw new ValidationError2("props is not a map");
  const values = {};
  for (const [name, value] of props.entries()) {
    if (value instanceof AbstractType || value instanceof Doc) {
      throw new ValidationError2(`property ${JSON.stringify(name).slice(0, 80)} holds a shared type, not JSON`);
    }
    values[name] = strict ? checkValue(value, `property ${JSON.stringify(checkPropName(name))}`) : value;
  }
  const pos = node.get("pos");
  if (pos instanceof AbstractType || pos instanceof Doc) throw new ValidationError2("pos is a shared type, not a plain value");
  return { type, props: values, entry: parseEntry({ pos, deleted: node.get("deleted") }) };
}
function readNodes(nodes, strict) {
  const records = /* @__PURE__ */ new Map();
  const entries = /* @__PURE__ */ new Map();
  const problems = [];
  for (const [id2, node] of nodes.entries()) {
    try {
      const { type, props, entry } = readNode(id2, node, strict);
      records.set(id2, { type, props });
      entries.set(id2, entry);
    } catch (error) {
      if (!(error instanceof ValidationError2)) throw error;
      problems.push(`node ${JSON.stringify(id2).slice(0, 80)}: ${error.message}`);
    }
  }
  return { records, entries, problems };
}
function readView(nodes) {
  const { records, entries } = readNodes(nodes, false);
  const layout = computeLayout(entries);
  const missing = /* @__PURE__ */ new Set();
  for (const place of layout.place.values()) {
    if (place.parent !== null && !entries.has(place.parent)) missing.add(place.parent);
  }
  return { records, layout, missing };
}
function sortedProps(props) {
  const out = {};
  for (const name of Object.keys(props).sort()) out[name] = props[name];
  return out;
}

// src/editing/model.js
var NODES = "nodes";
var FORMAT = "avacollab-editing";
var VERSION2 = 1;
var EditError = class extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "EditError";
  }
};
var CycleError = class extends EditError {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "CycleError";
  }
};
function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}
function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
var Document = class {
  /**
   * @param {Y.Doc} [ydoc] a fresh Y.Doc by default
   * @param {{ captureTimeout?: number }} [options] local transactions closer
   *   together than `captureTimeout` ms are one undo step (default 0: each
   *   operation, or each batch(), is its own step, as in Python)
   */
  constructor(ydoc = new Doc(), { captureTimeout = 0 } = {}) {
    this.ydoc = ydoc;
    this.nodes = ydoc.getMap(NODES);
    this._salt = saltFor(ydoc.clientID);
    this._local = {};
    this._undo = new UndoManager(this.nodes, { captureTimeout, trackedOrigins: /* @__PURE__ */ new Set([this._local]) });
    this._guard = new UpdateGuard(ydoc, NODES, (id2, node) => readNode(id2, node, true));
    this._view = null;
    this._changeCallbacks = [];
    this._updateCallbacks = [];
    this._onTransaction = (transaction) => {
      if (transaction.origin !== this._local) this._view = null;
    };
    this._onUpdate = (update, origin) => {
      if (origin instanceof RemoteOrigin) return;
      this._guard.mirror(update);
      for (const callback of [...this._updateCallbacks]) {
        try {
          callback(update);
        } catch (error) {
          console.error("avacollab: update callback failed", error);
        }
      }
    };
    this._onEvents = (events, transaction) => this._changed(events, transaction);
    ydoc.on("afterTransaction", this._onTransaction);
    ydoc.on("update", this._onUpdate);
    this.nodes.observeDeep(this._onEvents);
  }
  // -- operations ---------------------------------------------------------
  /**
   * Add a node under `parent` (the top level if null) and return its id.
   * `index` is the position among the parent's visible children (default:
   * append). A random id is made unless one is given.
   * @param {string} type
   * @param {Record<string, JSONValue>} [props]
   * @param {{ parent?: string | null, index?: number, id?: string }} [where]
   */
  add(type, props = {}, { parent = null, index: index2, id: id2 } = {}) {
    const nodeId = id2 === void 0 ? randomId() : checkId(id2);
    checkType(type);
    const values = this._checkedProps(props);
    if (this.nodes.has(nodeId)) throw new EditError(`node ${JSON.stringify(nodeId)} already exists`);
    this._checkParent(parent);
    const order = this._orderAt(parent, index2, null);
    this._transact(() => {
      const node = new YMap();
      node.set("type", type);
      node.set("props", new YMap(Object.entries(values)));
      node.set("pos", { parent, order });
      node.set("deleted", false);
      this.nodes.set(nodeId, node);
    }, () => this._patchAdded(nodeId, type, values, { parent, order }));
    return nodeId;
  }
  /**
   * Set one property of a node that is not deleted.
   * @param {string} id
   * @param {string} name
   * @param {JSONValue} value
   */
  setProp(id2, name, value) {
    checkPropName(name);
    const checked2 = checkValue(value, `property ${JSON.stringify(name)}`);
    const props = this._props(this._live(id2));
    this._transact(() => props.set(name, checked2));
  }
  /**
   * Set several properties of a node in one step (one update, one undo),
   * as the `/set ID NAME=VALUE ...` command does. All are checked first:
   * a bad one sets none.
   * @param {string} id
   * @param {Record<string, JSONValue>} props
   */
  set(id2, props) {
    const values = this._checkedProps(props);
    const target = this._props(this._live(id2));
    this._transact(() => {
      for (const [name, value] of Object.entries(values)) target.set(name, value);
    });
  }
  /**
   * Remove one property of a node that is not deleted.
   * @param {string} id
   * @param {string} name
   */
  removeProp(id2, name) {
    checkPropName(name);
    const props = this._props(this._live(id2));
    if (!props.has(name)) throw new EditError(`node ${JSON.stringify(id2)} has no property ${JSON.stringify(name)}`);
    this._transact(() => props.delete(name));
  }
  /**
   * Delete a node and so hide its subtree (soft: undo or restore() bring it back).
   * @param {string} id
   */
  delete(id2) {
    const node = this._live(id2);
    this._transact(() => node.set("deleted", true));
  }
  /**
   * Bring back a deleted node with its properties and subtree.
   * @param {string} id
   */
  restore(id2) {
    const node = this._node(id2);
    if (!node.get("deleted")) throw new EditError(`node ${JSON.stringify(id2)} is not deleted`);
    this._transact(() => node.set("deleted", false));
  }
  /**
   * Move a node under `parent` at `index` among its children (default:
   * append). The old position is kept in `pos.prev`: if a concurrent move
   * by another peer makes this one form a cycle, this node goes back there.
   * @param {string} id
   * @param {string | null} parent
   * @param {number} [index]
   */
  move(id2, parent, index2) {
    const node = this._live(id2);
    this._checkParent(parent);
    const layout = this._layout();
    const old = layout.place.get(id2);
    if (old === void 0) throw new EditError(`node ${JSON.stringify(id2)} does not parse (written past the checks)`);
    if (parent !== null && layout.isAncestor(id2, parent)) {
      throw new CycleError(`cannot move ${JSON.stringify(id2)} into its own subtree (${JSON.stringify(parent)})`);
    }
    const order = this._orderAt(parent, index2, id2);
    this._transact(() => node.set("pos", { parent, order, prev: { parent: old.parent, order: old.order } }));
  }
  /**
   * Move a node to `index` among its current siblings.
   * @param {string} id
   * @param {number} index
   */
  reorder(id2, index2) {
    this._live(id2);
    const layout = this._layout();
    const place = layout.place.get(id2);
    if (place === void 0 || !layout.visible.has(id2)) throw new EditError(`node ${JSON.stringify(id2)} is not in the tree`);
    this.move(id2, place.parent, index2);
  }
  /**
   * Run `fn`'s operations as one transaction: one update, one undo step.
   * @template T
   * @param {() => T} fn
   * @returns {T}
   */
  batch(fn) {
    let result = (
      /** @type {any} */
      void 0
    );
    this._transact(() => {
      result = fn();
    });
    return result;
  }
  /** Undo this replica's last local step; whether there was one. */
  undo() {
    return this._undo.undo() !== null;
  }
  /** Redo the last undone step; whether there was one. */
  redo() {
    return this._undo.redo() !== null;
  }
  get canUndo() {
    return this._undo.canUndo();
  }
  get canRedo() {
    return this._undo.canRedo();
  }
  // -- reading ------------------------------------------------------------
  /**
   * The visible tree, identical on every replica that holds the same updates.
   * @returns {Component[]}
   */
  tree() {
    const { records, layout } = this._read();
    const build = (id2) => {
      const record = (
        /** @type {{ type: string, props: Record<string, JSONValue> }} */
        records.get(id2)
      );
      return { id: id2, type: record.type, properties: sortedProps(record.props), children: layout.kids(id2).map(build) };
    };
    return layout.kids(null).map(build);
  }
  /**
   * Ids of the visible children of `parent` (the top level if null), in order.
   * @param {string | null} parent
   */
  children(parent) {
    return [...this._layout().kids(parent)];
  }
  /**
   * The stored state of a node, deleted or hidden ones included; null if unknown.
   * @param {string} id
   * @returns {NodeState | null}
   */
  node(id2) {
    const { records, layout } = this._read();
    const record = records.get(id2);
    if (record === void 0) return null;
    return {
      id: id2,
      type: record.type,
      props: sortedProps(record.props),
      parent: (
        /** @type {import("./schema.js").Place} */
        layout.place.get(id2).parent
      ),
      deleted: layout.deleted.has(id2),
      visible: layout.visible.has(id2)
    };
  }
  /** The visible tree in the export format `{format, version, components}`. */
  export() {
    return { format: FORMAT, version: VERSION2, components: this.tree() };
  }
  // -- updates ------------------------------------------------------------
  /**
   * Apply an update from elsewhere; `origin` labels the change events.
   * Throws RejectedUpdate, leaving the document untouched, when the bytes
   * do not decode, when the nodes it writes break the schema (read with
   * every check in a shadow copy first, as the Python guard does: a bad
   * id, type, property or position, a shared type where JSON belongs, a
   * root other than `nodes`), or when Yjs fails to apply it.
   * @param {Uint8Array} update
   * @param {string} origin
   */
  applyUpdate(update, origin) {
    try {
      decodeUpdate(update);
    } catch (error) {
      throw new RejectedUpdate(`malformed update: ${errorText(error)}`);
    }
    try {
      this._guard.check(update);
    } catch (error) {
      if (error instanceof ValidationError2) throw new RejectedUpdate(error.message);
      throw new RejectedUpdate(`update does not apply: ${errorText(error)}`);
    }
    try {
      applyUpdate(this.ydoc, update, new RemoteOrigin(origin));
    } catch (error) {
      throw new RejectedUpdate(`update does not apply: ${errorText(error)}`);
    }
  }
  /**
   * Call `callback` with the update of every local transaction (this
   * Document's edits, undo and redo): what must be sent to the other
   * peers. Returns the function that unsubscribes.
   * @param {(update: Uint8Array) => void} callback
   */
  onUpdate(callback) {
    this._updateCallbacks.push(callback);
    return () => {
      this._updateCallbacks = this._updateCallbacks.filter((c) => c !== callback);
    };
  }
  /**
   * Call `callback` after every transaction that changed nodes.
   * @param {(change: Change) => void} callback
   */
  onChange(callback) {
    this._changeCallbacks.push(callback);
    return () => {
      this._changeCallbacks = this._changeCallbacks.filter((c) => c !== callback);
    };
  }
  /** Stop observing the document. */
  close() {
    this.ydoc.off("afterTransaction", this._onTransaction);
    this.ydoc.off("update", this._onUpdate);
    this.nodes.unobserveDeep(this._onEvents);
    this._undo.destroy();
    this._guard._drop();
  }
  // -- internals ----------------------------------------------------------
  /**
   * Run `fn` in a local transaction (or in the batch's). Afterwards `patch`
   * updates the view for what `fn` wrote; without one the view is dropped,
   * so the next operation, in the same batch too, reads what was written.
   * @param {() => void} fn
   * @param {() => void} [patch]
   */
  _transact(fn, patch) {
    let done = false;
    try {
      this.ydoc.transact(() => {
        fn();
        done = true;
        if (patch && this._view !== null) patch();
        else this._view = null;
      }, this._local);
    } finally {
      if (!done) this._view = null;
    }
  }
  /**
   * @param {string} id
   * @param {string} type
   * @param {Record<string, JSONValue>} props
   * @param {import("./schema.js").Place} place
   */
  _patchAdded(id2, type, props, place) {
    const view = (
      /** @type {NonNullable<Document["_view"]>} */
      this._view
    );
    if (view.missing.has(id2) || view.records.has(id2)) {
      this._view = null;
      return;
    }
    view.records.set(id2, { type, props: { ...props } });
    const layout = view.layout;
    layout.place.set(id2, place);
    layout.visible.add(id2);
    const siblings = layout.children.get(place.parent) ?? [];
    layout.children.set(place.parent, siblings);
    const before2 = (s) => {
      const other = (
        /** @type {import("./schema.js").Place} */
        layout.place.get(s).order
      );
      return other < place.order || other === place.order && s < id2;
    };
    let at = siblings.length;
    while (at > 0 && !before2(siblings[at - 1])) at--;
    siblings.splice(at, 0, id2);
  }
  _read() {
    if (this._view === null) this._view = readView(this.nodes);
    return this._view;
  }
  _layout() {
    return this._read().layout;
  }
  /** @param {string} id */
  _node(id2) {
    const node = typeof id2 === "string" ? this.nodes.get(id2) : void 0;
    if (!(node instanceof YMap)) throw new EditError(`no node ${String(JSON.stringify(id2)).slice(0, 80)}`);
    return node;
  }
  /** @param {string} id */
  _live(id2) {
    const node = this._node(id2);
    if (node.get("deleted")) throw new EditError(`node ${JSON.stringify(id2)} is deleted`);
    return node;
  }
  /** @param {Y.Map<any>} node @returns {Y.Map<JSONValue>} */
  _props(node) {
    const props = node.get("props");
    if (!(props instanceof YMap)) throw new EditError("node props is not a map (written past the checks)");
    return props;
  }
  /** @param {Record<string, JSONValue>} props */
  _checkedProps(props) {
    if (!isPlainObject(props)) throw new ValidationError2("props must be an object");
    const out = {};
    for (const [name, value] of Object.entries(props)) out[checkPropName(name)] = checkValue(value, `property ${JSON.stringify(name)}`);
    return out;
  }
  /** @param {string | null} parent */
  _checkParent(parent) {
    if (parent === null) return;
    checkId(parent, "parent");
    if (!this._layout().visible.has(parent)) {
      throw new EditError(`parent ${JSON.stringify(parent)} is not in the tree (unknown or deleted)`);
    }
  }
  /**
   * @param {string | null} parent
   * @param {number | undefined} index
   * @param {string | null} moving
   */
  _orderAt(parent, index2, moving) {
    const layout = this._layout();
    const siblings = layout.kids(parent).filter((s) => s !== moving);
    const at = index2 ?? siblings.length;
    if (!Number.isInteger(at)) throw new ValidationError2(`index must be an integer, got ${String(index2).slice(0, 80)}`);
    if (at < 0 || at > siblings.length) throw new EditError(`index ${at} out of range 0..${siblings.length}`);
    const orders = siblings.map((s) => (
      /** @type {import("./schema.js").Place} */
      layout.place.get(s).order
    ));
    const low = at > 0 ? orders[at - 1] : null;
    const high = orders.slice(at).find((o) => low === null || o > low) ?? null;
    return keyBetween(low, high, this._salt);
  }
  /**
   * @param {Array<Y.YEvent<any>>} events
   * @param {Y.Transaction} transaction
   */
  _changed(events, transaction) {
    if (transaction.origin !== this._local) this._view = null;
    const change = changeOf(events, transaction);
    if (change === null) return;
    for (const callback of [...this._changeCallbacks]) {
      try {
        callback(change);
      } catch (error) {
        console.error("avacollab: change callback failed", error);
      }
    }
  }
};

// src/editing/sync.js
var TOPIC2 = "editing.sync";
var COMPRESS_FROM = 4096;
var MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
var MESSAGE_SYNC = 0;
var STEP1 = messageYjsSyncStep1;
var STEP2 = messageYjsSyncStep2;
var UPDATE = messageYjsUpdate;
var SyncError = class extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "SyncError";
  }
};
function encode(kind2, payload) {
  const encoder = createEncoder();
  writeVarUint(encoder, MESSAGE_SYNC);
  writeVarUint(encoder, kind2);
  writeVarUint8Array(encoder, payload);
  return toUint8Array(encoder);
}
function decode(data) {
  const decoder = createDecoder(data);
  let type, kind2, length2;
  try {
    type = readVarUint(decoder);
    kind2 = readVarUint(decoder);
    length2 = readVarUint(decoder);
  } catch {
    throw new SyncError("truncated sync message");
  }
  if (type !== MESSAGE_SYNC) throw new SyncError(`not a sync message (message type ${type})`);
  if (kind2 !== STEP1 && kind2 !== STEP2 && kind2 !== UPDATE) throw new SyncError(`unknown sync message kind ${kind2}`);
  const rest = data.length - decoder.pos;
  if (rest !== length2) throw new SyncError(`payload is ${rest} bytes, header says ${length2}`);
  return { kind: kind2, payload: data.subarray(decoder.pos) };
}
var Editing = class {
  /**
   * @param {BusLike} bus
   * @param {Y.Doc | Document} doc a Y.Doc (wrapped in a Document) or a Document
   * @param {{ onRejected?: (peer: string, reason: string) => void, maxMessageSize?: number }} [options]
   */
  constructor(bus, doc2, { onRejected, maxMessageSize = MAX_MESSAGE_SIZE } = {}) {
    this.bus = bus;
    this.document = doc2 instanceof Document ? doc2 : new Document(doc2);
    this.maxMessageSize = maxMessageSize;
    this._onRejected = onRejected;
    this._closed = false;
    this._unsubscribe = bus.subscribe(TOPIC2, (message) => this.receive(message.sender, message.payload));
    this._stopUpdates = this.document.onUpdate((update) => this._send(void 0, encode(UPDATE, update)));
  }
  /**
   * Start syncing with a newly connected peer: send it our state vector.
   * @param {string} peer
   */
  peerJoined(peer) {
    this._send(peer, encode(STEP1, encodeStateVector(this.document.ydoc)));
  }
  /**
   * Handle one sync message from `peer`; returns the reason when it was refused.
   * @param {string} peer
   * @param {Uint8Array} data
   * @returns {string | null}
   */
  receive(peer, data) {
    if (this._closed) return null;
    try {
      if (data.length > this.maxMessageSize) {
        throw new SyncError(`message of ${data.length} bytes exceeds the limit of ${this.maxMessageSize}`);
      }
      const { kind: kind2, payload } = decode(data);
      if (kind2 === STEP1) {
        let reply;
        try {
          reply = encodeStateAsUpdate(this.document.ydoc, payload);
        } catch (error) {
          throw new SyncError(`malformed state vector: ${errorText2(error)}`);
        }
        this._send(peer, encode(STEP2, reply));
        return null;
      }
      this.document.applyUpdate(payload, peer);
      return null;
    } catch (error) {
      if (!(error instanceof SyncError || error instanceof RejectedUpdate)) throw error;
      const reason = error.message;
      console.warn(`avacollab editing: refused a sync message from ${peer}: ${reason}`);
      this._onRejected?.(peer, reason);
      return reason;
    }
  }
  /** Stop sending and receiving (the Document stays usable). */
  close() {
    this._closed = true;
    this._unsubscribe();
    this._stopUpdates();
  }
  /**
   * @param {string | undefined} to
   * @param {Uint8Array} data
   */
  _send(to, data) {
    if (this._closed) return;
    const options = to === void 0 ? {} : { to };
    if (data.length < COMPRESS_FROM) {
      try {
        this.bus.publish(TOPIC2, data, options);
        return;
      } catch (error) {
        if (error instanceof UnknownPeer) return;
        if (!(error instanceof BusFull)) {
          if (error instanceof BusError) return;
          throw error;
        }
      }
    }
    this.bus.send(TOPIC2, data, { ...options, compress: data.length >= COMPRESS_FROM }).catch((error) => {
      if (!(error instanceof UnknownPeer)) console.info(`avacollab editing: update not sent: ${errorText2(error)}`);
    });
  }
};
function errorText2(error) {
  return error instanceof Error ? error.message : String(error);
}

// src/presence/presence.js
var presence_exports = {};
__export(presence_exports, {
  MAX_ENTRIES: () => MAX_ENTRIES,
  MAX_UPDATE_BYTES: () => MAX_UPDATE_BYTES,
  Presence: () => Presence,
  TOPIC: () => TOPIC3,
  WireError: () => WireError,
  checkConfig: () => checkConfig,
  decodeUpdate: () => decodeUpdate2,
  presenceOnBus: () => presenceOnBus
});

// node_modules/y-protocols/awareness.js
var outdatedTimeout = 3e4;
var Awareness = class extends Observable {
  /**
   * @param {Y.Doc} doc
   */
  constructor(doc2) {
    super();
    this.doc = doc2;
    this.clientID = doc2.clientID;
    this.states = /* @__PURE__ */ new Map();
    this.meta = /* @__PURE__ */ new Map();
    this._checkInterval = /** @type {any} */
    setInterval(() => {
      const now2 = getUnixTime();
      if (this.getLocalState() !== null && outdatedTimeout / 2 <= now2 - /** @type {{lastUpdated:number}} */
      this.meta.get(this.clientID).lastUpdated) {
        this.setLocalState(this.getLocalState());
      }
      const remove = [];
      this.meta.forEach((meta, clientid) => {
        if (clientid !== this.clientID && outdatedTimeout <= now2 - meta.lastUpdated && this.states.has(clientid)) {
          remove.push(clientid);
        }
      });
      if (remove.length > 0) {
        removeAwarenessStates(this, remove, "timeout");
      }
    }, floor(outdatedTimeout / 10));
    doc2.on("destroy", () => {
      this.destroy();
    });
    this.setLocalState({});
  }
  destroy() {
    this.emit("destroy", [this]);
    this.setLocalState(null);
    super.destroy();
    clearInterval(this._checkInterval);
  }
  /**
   * @return {Object<string,any>|null}
   */
  getLocalState() {
    return this.states.get(this.clientID) || null;
  }
  /**
   * @param {Object<string,any>|null} state
   */
  setLocalState(state) {
    const clientID = this.clientID;
    const currLocalMeta = this.meta.get(clientID);
    const clock = currLocalMeta === void 0 ? 0 : currLocalMeta.clock + 1;
    const prevState = this.states.get(clientID);
    if (state === null) {
      this.states.delete(clientID);
    } else {
      this.states.set(clientID, state);
    }
    this.meta.set(clientID, {
      clock,
      lastUpdated: getUnixTime()
    });
    const added = [];
    const updated = [];
    const filteredUpdated = [];
    const removed = [];
    if (state === null) {
      removed.push(clientID);
    } else if (prevState == null) {
      if (state != null) {
        added.push(clientID);
      }
    } else {
      updated.push(clientID);
      if (!equalityDeep(prevState, state)) {
        filteredUpdated.push(clientID);
      }
    }
    if (added.length > 0 || filteredUpdated.length > 0 || removed.length > 0) {
      this.emit("change", [{ added, updated: filteredUpdated, removed }, "local"]);
    }
    this.emit("update", [{ added, updated, removed }, "local"]);
  }
  /**
   * @param {string} field
   * @param {any} value
   */
  setLocalStateField(field, value) {
    const state = this.getLocalState();
    if (state !== null) {
      this.setLocalState({
        ...state,
        [field]: value
      });
    }
  }
  /**
   * @return {Map<number,Object<string,any>>}
   */
  getStates() {
    return this.states;
  }
};
var removeAwarenessStates = (awareness, clients, origin) => {
  const removed = [];
  for (let i = 0; i < clients.length; i++) {
    const clientID = clients[i];
    if (awareness.states.has(clientID)) {
      awareness.states.delete(clientID);
      if (clientID === awareness.clientID) {
        const curMeta = (
          /** @type {MetaClientState} */
          awareness.meta.get(clientID)
        );
        awareness.meta.set(clientID, {
          clock: curMeta.clock + 1,
          lastUpdated: getUnixTime()
        });
      }
      removed.push(clientID);
    }
  }
  if (removed.length > 0) {
    awareness.emit("change", [{ added: [], updated: [], removed }, origin]);
    awareness.emit("update", [{ added: [], updated: [], removed }, origin]);
  }
};
var encodeAwarenessUpdate = (awareness, clients, states = awareness.states) => {
  const len = clients.length;
  const encoder = createEncoder();
  writeVarUint(encoder, len);
  for (let i = 0; i < len; i++) {
    const clientID = clients[i];
    const state = states.get(clientID) || null;
    const clock = (
      /** @type {MetaClientState} */
      awareness.meta.get(clientID).clock
    );
    writeVarUint(encoder, clientID);
    writeVarUint(encoder, clock);
    writeVarString(encoder, JSON.stringify(state));
  }
  return toUint8Array(encoder);
};
var applyAwarenessUpdate = (awareness, update, origin) => {
  const decoder = createDecoder(update);
  const timestamp = getUnixTime();
  const added = [];
  const updated = [];
  const filteredUpdated = [];
  const removed = [];
  const len = readVarUint(decoder);
  for (let i = 0; i < len; i++) {
    const clientID = readVarUint(decoder);
    let clock = readVarUint(decoder);
    const state = JSON.parse(readVarString(decoder));
    const clientMeta = awareness.meta.get(clientID);
    const prevState = awareness.states.get(clientID);
    const currClock = clientMeta === void 0 ? 0 : clientMeta.clock;
    if (currClock < clock || currClock === clock && state === null && awareness.states.has(clientID)) {
      if (state === null) {
        if (clientID === awareness.clientID && awareness.getLocalState() != null) {
          clock++;
        } else {
          awareness.states.delete(clientID);
        }
      } else {
        awareness.states.set(clientID, state);
      }
      awareness.meta.set(clientID, {
        clock,
        lastUpdated: timestamp
      });
      if (clientMeta === void 0 && state !== null) {
        added.push(clientID);
      } else if (clientMeta !== void 0 && state === null) {
        removed.push(clientID);
      } else if (state !== null) {
        if (!equalityDeep(state, prevState)) {
          filteredUpdated.push(clientID);
        }
        updated.push(clientID);
      }
    }
  }
  if (added.length > 0 || filteredUpdated.length > 0 || removed.length > 0) {
    awareness.emit("change", [{
      added,
      updated: filteredUpdated,
      removed
    }, origin]);
  }
  if (added.length > 0 || updated.length > 0 || removed.length > 0) {
    awareness.emit("update", [{
      added,
      updated,
      removed
    }, origin]);
  }
};

// src/presence/clock.js
var REAL_CLOCK = {
  now: () => typeof performance !== "undefined" ? performance.now() : Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(
    /** @type {any} */
    handle
  )
};

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

// src/presence/state.js
var state_exports = {};
__export(state_exports, {
  InvalidState: () => InvalidState,
  MAX_COORDINATE: () => MAX_COORDINATE,
  MAX_ID_CHARS: () => MAX_ID_CHARS,
  MAX_NAME_CHARS: () => MAX_NAME_CHARS,
  MAX_SELECTION: () => MAX_SELECTION,
  MAX_STATE_BYTES: () => MAX_STATE_BYTES,
  MAX_TIMESTAMP: () => MAX_TIMESTAMP,
  STATUSES: () => STATUSES,
  checkCursor: () => checkCursor,
  decodeState: () => decodeState,
  parseCursor: () => parseCursor,
  parseSelection: () => parseSelection,
  parseState: () => parseState,
  parseStatus: () => parseStatus,
  parseUser: () => parseUser,
  toJson: () => toJson
});
var STATUSES = Object.freeze(["active", "idle", "away"]);
var MAX_STATE_BYTES = 32 * 1024;
var MAX_NAME_CHARS = 64;
var MAX_ID_CHARS = 128;
var MAX_SELECTION = 256;
var MAX_COORDINATE = 1e9;
var MAX_TIMESTAMP = Number.MAX_SAFE_INTEGER;
var COLOR = /^#[0-9a-fA-F]{6}$/;
var UNSAFE = /[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
var utf85 = new TextEncoder();
var InvalidState = class extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "InvalidState";
  }
};
function kind(obj) {
  if (obj === null) return "null";
  if (Array.isArray(obj)) return "a list";
  if (typeof obj === "object") return "an object";
  if (typeof obj === "string") return "a string";
  if (typeof obj === "boolean") return "a boolean";
  if (typeof obj === "number") return "a number";
  return typeof obj;
}
function isObject2(obj) {
  return obj !== null && typeof obj === "object" && !Array.isArray(obj);
}
function text2(obj, field, limit) {
  if (typeof obj !== "string") throw new InvalidState(`${field} must be a string, not ${kind(obj)}`);
  const length2 = obj.length <= limit ? obj.length : [...obj].length;
  if (length2 === 0 || length2 > limit) throw new InvalidState(`${field} must have 1 to ${limit} characters`);
  if (UNSAFE.test(obj)) throw new InvalidState(`${field} contains control characters`);
  return obj;
}
function coordinate(obj, field) {
  if (typeof obj !== "number") throw new InvalidState(`${field} must be a number, not ${kind(obj)}`);
  if (!(Math.abs(obj) <= MAX_COORDINATE)) throw new InvalidState(`${field} must be finite and within ±${MAX_COORDINATE}`);
  return obj;
}
function parseUser(obj) {
  if (!isObject2(obj)) throw new InvalidState(`user must be an object, not ${kind(obj)}`);
  const name = text2(obj.name, "user.name", MAX_NAME_CHARS);
  const color = obj.color;
  if (typeof color !== "string" || !COLOR.test(color)) throw new InvalidState("user.color must be a #rrggbb string");
  return { name, color: color.toLowerCase() };
}
function checkCursor(x, y, component = null) {
  const cursor = { x: coordinate(x, "cursor.x"), y: coordinate(y, "cursor.y") };
  if (component !== null && component !== void 0) cursor.component = text2(component, "cursor.component", MAX_ID_CHARS);
  return cursor;
}
function parseCursor(obj) {
  if (obj === null || obj === void 0) return null;
  if (!isObject2(obj)) throw new InvalidState(`cursor must be an object or null, not ${kind(obj)}`);
  return checkCursor(obj.x, obj.y, obj.component);
}
function parseSelection(obj) {
  if (!Array.isArray(obj)) throw new InvalidState(`selection must be a list, not ${kind(obj)}`);
  if (obj.length > MAX_SELECTION) throw new InvalidState(`selection has ${obj.length} ids, more than ${MAX_SELECTION}`);
  return obj.map((item) => text2(item, "selection id", MAX_ID_CHARS));
}
function parseStatus(obj) {
  if (typeof obj !== "string" || !STATUSES.includes(obj)) throw new InvalidState(`status must be one of ${STATUSES.join(", ")}`);
  return (
    /** @type {Status} */
    obj
  );
}
function parseState(obj) {
  if (!isObject2(obj)) throw new InvalidState(`state must be an object, not ${kind(obj)}`);
  if (!("user" in obj)) throw new InvalidState("state has no user");
  const seen = obj.lastSeen ?? null;
  if (seen !== null && (typeof seen !== "number" || !(seen >= 0 && seen <= MAX_TIMESTAMP))) {
    throw new InvalidState("lastSeen must be null or a time in ms since the epoch");
  }
  return {
    user: parseUser(obj.user),
    cursor: parseCursor(obj.cursor),
    selection: parseSelection(obj.selection ?? []),
    status: parseStatus(obj.status ?? "active"),
    lastSeen: seen === null ? null : Math.round(seen)
  };
}
function decodeState(text3) {
  if (text3.length > MAX_STATE_BYTES || utf85.encode(text3).length > MAX_STATE_BYTES) {
    throw new InvalidState(`state larger than ${MAX_STATE_BYTES} bytes`);
  }
  let obj;
  try {
    obj = JSON.parse(text3);
  } catch (error) {
    throw new InvalidState(`state is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseState(obj);
}
function toJson(state) {
  return { user: state.user, cursor: state.cursor, selection: state.selection, status: state.status, lastSeen: state.lastSeen };
}

// src/presence/wire.js
var MAX_UPDATE_BYTES = 64 * 1024;
var MAX_ENTRIES = 64;
var WireError = class extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "WireError";
  }
};
function decodeUpdate2(data) {
  if (data.length > MAX_UPDATE_BYTES) throw new WireError(`update of ${data.length} bytes exceeds ${MAX_UPDATE_BYTES}`);
  const decoder = createDecoder(data);
  const uint = () => {
    if (!hasContent(decoder)) throw new WireError("truncated update: integer runs past the end");
    const value = readVarUint(decoder);
    if (!Number.isSafeInteger(value) || value < 0) throw new WireError("integer larger than 2**53-1");
    return value;
  };
  const fatal = new TextDecoder("utf-8", { fatal: true });
  const count = uint();
  if (count > MAX_ENTRIES) throw new WireError(`update has ${count} entries, more than ${MAX_ENTRIES}`);
  const entries = [];
  for (let i = 0; i < count; i++) {
    const clientId = uint();
    const clock = uint();
    const length2 = uint();
    if (decoder.pos + length2 > data.length) throw new WireError(`truncated update: string of ${length2} bytes runs past the end`);
    let state;
    try {
      state = fatal.decode(data.subarray(decoder.pos, decoder.pos + length2));
    } catch {
      throw new WireError("state is not valid UTF-8");
    }
    decoder.pos += length2;
    entries.push({ clientId, clock, state });
  }
  if (decoder.pos !== data.length) throw new WireError(`${data.length - decoder.pos} trailing bytes after the last entry`);
  return entries;
}
function encodeEntries(entries) {
  const encoder = createEncoder();
  writeVarUint(encoder, entries.length);
  for (const { clientId, clock, state } of entries) {
    writeVarUint(encoder, clientId);
    writeVarUint(encoder, clock);
    writeVarString(encoder, state);
  }
  return toUint8Array(encoder);
}

// src/presence/session.js
var TOPIC3 = "presence.update";
function presenceOnBus(bus, peerId, config, options = {}) {
  const send = (data, reliable) => {
    try {
      bus.publish(TOPIC3, data, { reliable });
    } catch (error) {
      if (error instanceof BusFull) {
        bus.send(TOPIC3, data).catch(() => {
        });
      } else if (!(error instanceof BusError)) throw error;
    }
  };
  const presence = new Presence(peerId, config, send, options);
  const unsubscribe = bus.subscribe(TOPIC3, (message) => {
    for (const rejection of presence.receive(message.sender, message.payload)) {
      console.warn(`avacollab presence: refused an update from ${rejection.peerId}: ${rejection.reason}`);
      options.onRejected?.(rejection);
    }
  });
  return {
    presence,
    /** @param {string} peer */
    peerJoined: (peer) => {
      if (presence._phase === "running" && peer) presence.republish();
    },
    /** @param {string} peer */
    peerLeft: (peer) => presence.forgetPeer(peer),
    close: () => {
      presence.leave();
      unsubscribe();
    }
  };
}

// src/presence/presence.js
function checkConfig(config) {
  const full = { cursorInterval: 50, idleAfter: 6e4, awayAfter: 3e5, color: null, ...config };
  parseUser({ name: full.name, color: full.color ?? "#000000" });
  for (
    const key of
    /** @type {const} */
    ["cursorInterval", "idleAfter", "awayAfter"]
  ) {
    if (!(full[key] > 0)) throw new RangeError(`${key} must be a positive number of ms`);
  }
  if (!(full.awayAfter > full.idleAfter)) throw new RangeError("awayAfter must be longer than idleAfter");
  return full;
}
var Presence = class {
  /**
   * @param {string} peerId this peer's id in the session
   * @param {PresenceConfig} config
   * @param {(data: Uint8Array, reliable: boolean) => void} send broadcast an update to every peer
   * @param {{ clock?: Clock, wallClock?: () => number, doc?: Y.Doc }} [options]
   */
  constructor(peerId, config, send, { clock = REAL_CLOCK, wallClock = Date.now, doc: doc2 } = {}) {
    this.peerId = peerId;
    this.config = checkConfig(config);
    this._send = send;
    this._clock = clock;
    this._wall = wallClock;
    this.awareness = new Awareness(doc2 ?? new Doc());
    this._remotes = /* @__PURE__ */ new Map();
    this._owners = /* @__PURE__ */ new Map();
    this._listeners = [];
    this._state = {
      user: { name: this.config.name, color: (this.config.color ?? pickColor(peerId, [])).toLowerCase() },
      cursor: null,
      selection: [],
      status: "active",
      lastSeen: this._wall()
    };
    this._phase = "new";
    this._lastInput = clock.now();
    this._publishedAt = -Infinity;
    this._lastReliable = true;
    this._cursorDirty = false;
    this._timers = /* @__PURE__ */ new Map();
    this._reliable = true;
    this._onUpdate = ({ added, updated, removed }, origin) => {
      if (origin !== "local" || this._phase === "new") return;
      if (![...added, ...updated, ...removed].includes(this.awareness.clientID)) return;
      const update = encodeAwarenessUpdate(this.awareness, [this.awareness.clientID]);
      this._lastUpdate = update;
      this._lastReliable = this._reliable;
      this._send(update, this._reliable);
      this._reliable = true;
    };
    this._lastUpdate = new Uint8Array();
    this._onChange = ({ removed }, origin) => {
      if (origin !== "timeout") return;
      const gone = removed.map((id2) => this._owners.get(id2)).filter((p) => p !== void 0);
      this._drop(
        /** @type {string[]} */
        gone,
        "timeout"
      );
    };
    this.awareness.on("update", this._onUpdate);
    this.awareness.on("change", this._onChange);
  }
  get clientId() {
    return this.awareness.clientID;
  }
  /** The local state as published. */
  get state() {
    return this._state;
  }
  /** Publish the local state (taking a color no known peer shows) and start the timers. */
  start() {
    if (this._phase !== "new") throw new Error(`presence already ${this._phase}`);
    this._phase = "running";
    if (!this.config.color) {
      const taken = [...this._remotes.values()].map((r) => r.state.user.color);
      this._state = { ...this._state, user: { ...this._state.user, color: pickColor(this.peerId, taken) } };
    }
    this._publish(true);
    this._arm("status", this._statusDue(), () => this._onStatusTimer());
  }
  /**
   * Move the local cursor (counts as input); sent throttled, unreliably.
   * @param {number} x
   * @param {number} y
   * @param {string | null} [component]
   */
  setCursor(x, y, component = null) {
    const cursor = checkCursor(x, y, component);
    this._checkOpen();
    if (this._input(cursor)) {
      this._publish(true);
    } else {
      this._cursorDirty = true;
      this._flushCursor();
    }
  }
  /** Hide the local cursor (the pointer left the canvas). */
  clearCursor() {
    this._checkOpen();
    if (this._state.cursor !== null) {
      this._state = { ...this._state, cursor: null };
      this._publish(true);
    }
  }
  /**
   * Replace the local selection (counts as input); duplicates are dropped.
   * @param {string[]} ids
   */
  setSelection(ids) {
    const selection = [...new Set(parseSelection(ids))];
    this._checkOpen();
    this._input();
    this._state = { ...this._state, selection };
    this._publish(true);
  }
  /**
   * Set the status by hand; "active" counts as input, the others last until input.
   * @param {Status} status
   */
  setStatus(status) {
    parseStatus(status);
    this._checkOpen();
    if (status === "active") this.touch();
    else if (status !== this._state.status) {
      this._state = { ...this._state, status };
      this._publish(true);
    }
  }
  /** @param {string} name */
  setName(name) {
    const user = parseUser({ name, color: this._state.user.color });
    this._checkOpen();
    this._state = { ...this._state, user };
    this._publish(true);
  }
  /** Record input (a key press, a click); sends only if it ends idle or away. */
  touch() {
    this._checkOpen();
    if (this._input()) this._publish(true);
  }
  /** Send the local state again with a new clock: for a peer that just connected. */
  republish() {
    this._checkOpen();
    this._publish(true);
  }
  /** Send the removal of the local state (a null state) and stop; idempotent. */
  leave() {
    if (this._phase === "left") return;
    const started = this._phase === "running";
    for (const name of [...this._timers.keys()]) this._cancel(name);
    if (started) {
      this._reliable = true;
      this.awareness.setLocalState(null);
      this._emit({ added: [], updated: [], removed: [this.peerId], origin: "local" });
    }
    this._phase = "left";
    this.awareness.off("update", this._onUpdate);
    this.awareness.off("change", this._onChange);
    this.awareness.destroy();
  }
  /** Every peer with a state, the local one included, by peer id. @returns {Map<string, PeerPresence>} */
  states() {
    const view = /* @__PURE__ */ new Map();
    for (const [peerId, r] of this._remotes) view.set(peerId, { peerId, clientId: r.clientId, state: r.state, local: false });
    if (this._phase !== "left") view.set(this.peerId, { peerId: this.peerId, clientId: this.clientId, state: this._state, local: true });
    return view;
  }
  /** @param {(change: PresenceChange) => void} listener @returns {() => void} */
  subscribe(listener) {
    this._listeners.push(listener);
    return () => {
      this._listeners = this._listeners.filter((l) => l !== listener);
    };
  }
  /**
   * Apply an awareness update that `sender` sent; return what was refused.
   * Each entry is judged on its own.
   * @param {string} sender
   * @param {Uint8Array} data
   * @returns {Rejection[]}
   */
  receive(sender, data) {
    if (this._phase === "left") return [];
    let entries;
    try {
      entries = decodeUpdate2(data);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      return [{ peerId: sender, clientId: null, reason: error.message }];
    }
    const before2 = this._remotes.get(sender)?.state ?? null;
    const rejections = [];
    for (const entry of entries) {
      const reason = this._apply(sender, entry);
      if (reason !== null) rejections.push({ peerId: sender, clientId: entry.clientId, reason });
    }
    const after2 = this._remotes.get(sender)?.state ?? null;
    if (before2 !== after2) {
      const added = before2 === null ? [sender] : [];
      const removed = after2 === null ? [sender] : [];
      const updated = added.length || removed.length ? [] : [sender];
      this._emit({ added, updated, removed, origin: "remote" });
      if (after2 !== null) this._resolveColor(sender, after2);
    }
    return rejections;
  }
  /**
   * Drop a peer at once, when the session knows it is gone.
   * @param {string} peerId
   */
  forgetPeer(peerId) {
    this._drop([peerId], "disconnect");
  }
  // -- internals -----------------------------------------------------------
  /**
   * @param {string} sender
   * @param {WireEntry} entry
   * @returns {string | null}
   */
  _apply(sender, { clientId, clock, state }) {
    if (clientId === this.clientId) return "claims the local peer's client id";
    const owner = this._owners.get(clientId);
    if (owner !== void 0 && owner !== sender) return `client id ${clientId} belongs to another peer`;
    const leaving = state === "null";
    if (leaving && owner === void 0) return "removes a client id this peer does not own";
    const known = this.awareness.meta.get(clientId);
    const newer = known === void 0 || known.clock < clock || known.clock === clock && leaving && this.awareness.states.has(clientId);
    const now2 = this._clock.now();
    if (!newer) {
      const remote = owner !== void 0 ? this._remotes.get(sender) : void 0;
      if (remote) remote.heardAt = now2;
      return null;
    }
    let current = this._remotes.get(sender);
    if (current !== void 0 && current.clientId !== clientId) current = void 0;
    let decoded = null;
    if (!leaving) {
      try {
        decoded = decodeState(state);
      } catch (error) {
        if (error instanceof InvalidState) return error.message;
        throw error;
      }
    }
    const previous = this._remotes.get(sender);
    if (current === void 0 && previous !== void 0) this._forgetClient(previous.clientId, sender);
    if (known === void 0 && clock === 0) this.awareness.meta.set(clientId, { clock: -1, lastUpdated: 0 });
    applyAwarenessUpdate(this.awareness, encodeEntries([{ clientId, clock, state }]), sender);
    if (decoded === null) this._forgetClient(clientId, sender);
    else if (current !== void 0) {
      current.state = decoded;
      current.heardAt = now2;
    } else {
      this._owners.set(clientId, sender);
      this._remotes.set(sender, { clientId, state: decoded, heardAt: now2 });
    }
    return null;
  }
  /** @param {number} clientId @param {string} peerId */
  _forgetClient(clientId, peerId) {
    removeAwarenessStates(this.awareness, [clientId], peerId);
    this._owners.delete(clientId);
    this._remotes.delete(peerId);
  }
  /** @param {string[]} peerIds @param {PresenceChange["origin"]} origin */
  _drop(peerIds, origin) {
    const gone = peerIds.filter((p) => this._remotes.has(p));
    for (const peer of gone) this._forgetClient(
      /** @type {{ clientId: number }} */
      this._remotes.get(peer).clientId,
      peer
    );
    if (gone.length) this._emit({ added: [], updated: [], removed: gone, origin });
  }
  /**
   * Two peers on one color: the smaller peer id keeps it (both sides agree
   * without talking about it).
   * @param {string} sender
   * @param {PresenceState} remote
   */
  _resolveColor(sender, remote) {
    if (this.config.color || this._phase !== "running") return;
    const mine = this._state.user.color;
    if (remote.user.color !== mine || sender > this.peerId) return;
    const color = pickColor(this.peerId, [...this._remotes.values()].map((r) => r.state.user.color));
    if (color !== mine) {
      this._state = { ...this._state, user: { ...this._state.user, color } };
      this._publish(true);
    }
  }
  /**
   * Record input; true when it woke the peer from idle or away.
   * @param {import("./state.js").Cursor | null | undefined} [cursor] undefined keeps the cursor
   */
  _input(cursor) {
    this._lastInput = this._clock.now();
    const s = this._state;
    this._state = { ...s, cursor: cursor === void 0 ? s.cursor : cursor, status: "active", lastSeen: this._wall() };
    if (s.status === "active") return false;
    if (this._phase === "running") this._arm("status", this._statusDue(), () => this._onStatusTimer());
    return true;
  }
  /**
   * @param {boolean} reliable
   * @param {number} [slot] the throttle slot this update fills (default: now)
   */
  _publish(reliable, slot) {
    this._cursorDirty = false;
    if (this._phase !== "running") return;
    this._reliable = reliable;
    this._publishedAt = slot ?? this._clock.now();
    this.awareness.setLocalState(toJson(this._state));
    this._emit({ added: [], updated: [this.peerId], removed: [], origin: "local" });
    if (!reliable && !this._timers.has("rest")) this._arm("rest", this._restDue(), () => this._onRestTimer());
  }
  _flushCursor() {
    if (this._phase !== "running") return;
    const interval = this.config.cursorInterval;
    const now2 = this._clock.now();
    if (this._publishedAt + interval <= now2) {
      this._cancel("cursor");
      this._publish(false, this._slot());
    } else if (!this._timers.has("cursor")) {
      this._arm("cursor", this._publishedAt + interval - now2, () => {
        this._timers.delete("cursor");
        if (this._cursorDirty) this._publish(false, this._slot());
      });
    }
  }
  /** When the slot being filled began: the one due, unless a whole interval late (then now). */
  _slot() {
    const due = this._publishedAt + this.config.cursorInterval;
    const now2 = this._clock.now();
    return now2 - due < this.config.cursorInterval ? due : now2;
  }
  _restDue() {
    return Math.max(0, this._publishedAt + 2 * this.config.cursorInterval - this._clock.now());
  }
  _onRestTimer() {
    this._timers.delete("rest");
    if (this._lastReliable || this._phase !== "running") return;
    const due = this._restDue();
    if (due > 0) {
      this._arm("rest", due, () => this._onRestTimer());
      return;
    }
    this._lastReliable = true;
    this._send(this._lastUpdate, true);
  }
  _statusDue() {
    const after2 = this._state.status === "active" ? this.config.idleAfter : this.config.awayAfter;
    return Math.max(0, this._lastInput + after2 - this._clock.now());
  }
  _onStatusTimer() {
    this._timers.delete("status");
    const idleFor = this._clock.now() - this._lastInput;
    let status = this._state.status;
    if (idleFor >= this.config.awayAfter) status = "away";
    else if (idleFor >= this.config.idleAfter && status === "active") status = "idle";
    if (status !== this._state.status) {
      this._state = { ...this._state, status };
      this._publish(true);
    }
    if (status !== "away") this._arm("status", this._statusDue(), () => this._onStatusTimer());
  }
  /** @param {string} name @param {number} delay @param {() => void} callback */
  _arm(name, delay, callback) {
    this._cancel(name);
    this._timers.set(name, this._clock.setTimeout(callback, delay));
  }
  /** @param {string} name */
  _cancel(name) {
    if (!this._timers.has(name)) return;
    this._clock.clearTimeout(this._timers.get(name));
    this._timers.delete(name);
  }
  _checkOpen() {
    if (this._phase === "left") throw new Error("presence has left");
  }
  /** @param {PresenceChange} change */
  _emit(change) {
    for (const listener of [...this._listeners]) {
      try {
        listener(change);
      } catch (error) {
        console.error("avacollab: presence listener failed", error);
      }
    }
  }
};

// src/session/session.js
var session_exports = {};
__export(session_exports, {
  ANSWER: () => ANSWER,
  BYE: () => BYE,
  LinkError: () => LinkError,
  OFFER: () => OFFER,
  PeerLink: () => PeerLink,
  RELIABLE: () => RELIABLE,
  RENEGOTIATE: () => RENEGOTIATE,
  Session: () => Session,
  UNORDERED: () => UNORDERED,
  checkSdp: () => checkSdp,
  iceServersFromWelcome: () => iceServersFromWelcome,
  isOfferer: () => isOfferer,
  parseRenegotiate: () => parseRenegotiate
});

// src/signaling/client.js
var client_exports = {};
__export(client_exports, {
  CLOSE_KEEP_PLACE: () => CLOSE_KEEP_PLACE,
  CLOSE_LEAVE: () => CLOSE_LEAVE,
  CLOSE_REPLACED: () => CLOSE_REPLACED,
  FATAL_CODES: () => FATAL_CODES,
  SignalingClient: () => SignalingClient,
  SignalingError: () => SignalingError,
  VERSION: () => VERSION3,
  backoffDelay: () => backoffDelay,
  defaultResumeStorage: () => defaultResumeStorage,
  resumeKey: () => resumeKey
});
var VERSION3 = 1;
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
function defaultResumeStorage() {
  try {
    const storage = (
      /** @type {any} */
      globalThis.sessionStorage
    );
    return storage !== void 0 && storage !== null ? storage : null;
  } catch {
    return null;
  }
}
function resumeKey(url, room) {
  return `avacollab.resume ${url} ${room}`;
}
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
    this.resumeStorage = options.resumeStorage === void 0 ? defaultResumeStorage() : options.resumeStorage;
    const page = (
      /** @type {any} */
      globalThis
    );
    this._pageEvents = options.pageEvents !== void 0 ? options.pageEvents : typeof page.addEventListener === "function" && typeof page.removeEventListener === "function" ? page : null;
    this._onPageHide = () => this._pageHidden();
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
    const stored = this._takeStoredToken();
    if (stored !== null) this._resume = stored;
    try {
      await this._open();
    } catch (error) {
      if (stored === null || !(error instanceof SignalingError) || error.code === "unreachable") throw error;
      this._resume = void 0;
      await this._open();
    }
    this._startHeartbeat();
    if (this.resumeStorage !== null) this._pageEvents?.addEventListener("pagehide", this._onPageHide);
    return this.welcome;
  }
  /**
   * Leave the room (unless `leave` is false: then the server keeps our place
   * for its resume grace) and stop reconnecting.
   * @param {{ leave?: boolean }} [options]
   */
  close({ leave = true } = {}) {
    this._closing = true;
    this._pageEvents?.removeEventListener("pagehide", this._onPageHide);
    if (leave) this._forgetStoredToken();
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
    const text3 = JSON.stringify(message);
    const ws = this._ws;
    if (ws === null || ws.readyState !== OPEN || !this._joined) {
      this._buffer.push(text3);
      if (this._buffer.length > this.maxBuffered) this._buffer.shift();
      return;
    }
    ws.send(text3);
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
  /** The page is going away (a reload, a navigation, the tab closing). */
  _pageHidden() {
    if (this._closing || this.resumeStorage === null) return;
    const token = this._resume;
    if (token !== void 0) {
      try {
        this.resumeStorage.setItem(resumeKey(this.url, this.room), token);
      } catch (error) {
        console.warn("signaling: cannot keep the resume token", error);
      }
    }
    this.close({ leave: false });
  }
  /** The token an earlier page of this tab left, removed from the storage (or null). */
  _takeStoredToken() {
    if (this.resumeStorage === null) return null;
    try {
      const token = this.resumeStorage.getItem(resumeKey(this.url, this.room));
      this._forgetStoredToken();
      return typeof token === "string" && token !== "" ? token : null;
    } catch {
      return null;
    }
  }
  _forgetStoredToken() {
    try {
      this.resumeStorage?.removeItem(resumeKey(this.url, this.room));
    } catch {
    }
  }
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
        ws.send(JSON.stringify({ type: "hello", version: VERSION3 }));
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
    for (const text3 of this._buffer.splice(0)) ws.send(text3);
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

// src/session/link.js
var RELIABLE = Object.freeze({ label: "bus", options: { negotiated: true, id: 0 } });
var UNORDERED = Object.freeze({
  label: "bus-unordered",
  options: { negotiated: true, id: 1, ordered: false, maxRetransmits: 0 }
});
var sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1e3));
var utf86 = new TextEncoder();
var LinkError = class extends Error {
  /**
   * @param {string} message
   * @param {"timeout" | "error" | "failed"} reason
   */
  constructor(message, reason = "error") {
    super(message);
    this.name = "LinkError";
    this.reason = reason;
  }
};
function isOfferer(ours, theirs) {
  return ours < theirs;
}
function checkSdp(sdp, maxBytes) {
  if (typeof sdp !== "string" || sdp.length > maxBytes || utf86.encode(sdp).length > maxBytes) return null;
  return /^m=application /m.test(sdp) ? sdp : null;
}
async function route(link) {
  try {
    const stats = await Promise.race([link.pc.getStats(), sleep(1).then(() => null)]);
    let found = null;
    stats?.forEach((report) => {
      if (report.type === "transport" && report.selectedCandidatePairId) {
        const pair = stats.get(report.selectedCandidatePairId);
        found = stats.get(pair?.localCandidateId)?.candidateType ?? null;
      }
    });
    return found;
  } catch {
    return null;
  }
}
var PeerLink = class {
  /**
   * @param {Session} session
   * @param {string} peerId
   * @param {boolean} offerer
   */
  constructor(session, peerId, offerer) {
    this.peerId = peerId;
    this.offerer = offerer;
    this.session = session;
    const PC = session._RTCPeerConnection;
    this.pc = new PC({
      iceServers: session.iceServers,
      iceTransportPolicy: session.relayOnly ? "relay" : "all",
      bundlePolicy: "max-bundle"
    });
    this.reliable = this.pc.createDataChannel(RELIABLE.label, RELIABLE.options);
    this.unordered = this.pc.createDataChannel(UNORDERED.label, UNORDERED.options);
    this.senders = /* @__PURE__ */ new Map();
    this.closed = false;
    this._waiters = /* @__PURE__ */ new Set();
  }
  get isOpen() {
    return this.reliable.readyState === "open" && this.unordered.readyState === "open";
  }
  /**
   * Make an offer (offerer only), with a receiving m-line for each kind in
   * `receive` that no unnegotiated local track provides; resolve with its SDP.
   * @param {string[]} [receive]
   */
  async createOffer(receive = []) {
    if (!this.offerer) throw new LinkError("only the offerer makes offers");
    if (this.pc.signalingState !== "stable") throw new LinkError("an offer is already pending");
    const unmatched = /* @__PURE__ */ new Map();
    for (const kind2 of this.wantedReceivers()) unmatched.set(kind2, (unmatched.get(kind2) ?? 0) + 1);
    for (const kind2 of receive) {
      const left = unmatched.get(kind2) ?? 0;
      if (left > 0) unmatched.set(kind2, left - 1);
      else this.pc.addTransceiver(kind2, { direction: "recvonly" });
    }
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this._gathered();
  }
  /**
   * Apply the offerer's SDP (answerer only); resolve with the answer's SDP.
   * @param {string} sdp
   */
  async acceptOffer(sdp) {
    if (this.offerer) throw new LinkError("the offerer does not accept offers");
    await this.pc.setRemoteDescription({ type: "offer", sdp });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this._gathered();
  }
  /**
   * Apply the answerer's SDP (offerer only, after createOffer).
   * @param {string} sdp
   */
  async acceptAnswer(sdp) {
    if (!this.offerer || this.pc.signalingState !== "have-local-offer") throw new LinkError("no offer is pending");
    await this.pc.setRemoteDescription({ type: "answer", sdp });
  }
  /** Kinds of local tracks not yet in any negotiated m-line (the answerer's request). */
  wantedReceivers() {
    return this.pc.getTransceivers().filter((t) => t.mid === null && t.direction !== "stopped" && t.sender.track !== null).map((t) => (
      /** @type {MediaStreamTrack} */
      t.sender.track.kind
    ));
  }
  /**
   * Resolve when both channels are open; reject when the connection fails or
   * closes, or after `timeout` seconds.
   * @param {number} timeout
   * @returns {Promise<void>}
   */
  waitOpen(timeout) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.isOpen) finish(null);
        else if (this.closed || this.pc.connectionState === "failed" || this.pc.connectionState === "closed") {
          finish(new LinkError(`connection to ${this.peerId} ${this.closed ? "closed" : this.pc.connectionState}`, "failed"));
        }
      };
      const timer = setTimeout(() => {
        const pc = this.pc;
        finish(
          new LinkError(
            `connection to ${this.peerId} not open after ${timeout} s (signaling ${pc.signalingState}, ICE ${pc.iceConnectionState}, connection ${pc.connectionState})`,
            "timeout"
          )
        );
      }, timeout * 1e3);
      const sources = [
        [this.reliable, "open"],
        [this.unordered, "open"],
        [this.reliable, "close"],
        [this.pc, "connectionstatechange"]
      ];
      const finish = (error) => {
        clearTimeout(timer);
        for (const [target, type] of sources) target.removeEventListener(type, check);
        this._waiters.delete(check);
        if (error === null) resolve();
        else reject(error);
      };
      for (const [target, type] of sources) target.addEventListener(type, check);
      this._waiters.add(check);
      check();
    });
  }
  close() {
    if (this.closed) return;
    this.closed = true;
    try {
      this.pc.close();
    } catch {
    }
    for (const check of [...this._waiters]) check();
  }
  /** The local description once gathering is complete (or given up on). */
  async _gathered() {
    const pc = this.pc;
    if (pc.iceGatheringState !== "complete") {
      await new Promise((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          pc.removeEventListener("icegatheringstatechange", changed);
          this._waiters.delete(changed);
          resolve(void 0);
        };
        const changed = () => {
          if (pc.iceGatheringState === "complete" || this.closed) finish();
        };
        const timer = setTimeout(finish, this.session.gatherTimeout * 1e3);
        pc.addEventListener("icegatheringstatechange", changed);
        this._waiters.add(changed);
      });
    }
    if (this.closed) throw new LinkError(`connection to ${this.peerId} closed`, "failed");
    const sdp = (
      /** @type {RTCSessionDescription} */
      pc.localDescription.sdp
    );
    return this.session._localSdp(sdp, this.peerId);
  }
};
var Peer2 = class {
  /**
   * @param {string} id
   * @param {string} name
   * @param {boolean} offerer
   */
  constructor(id2, name, offerer) {
    this.id = id2;
    this.name = name;
    this.offerer = offerer;
    this.link = null;
    this.connected = false;
    this.lost = false;
    this.gone = false;
    this.failures = 0;
    this.connecting = false;
    this.offerTimer = void 0;
    this.negotiating = false;
    this.dirty = false;
    this.receive = [];
    this.serves = 0;
    this.early = null;
    this.answer = null;
    this.asked = 0;
    this.askAgain = false;
    this.requests = 0;
  }
};

// src/session/negotiation.js
var RENEGOTIATE = "session.renegotiate";
var OFFER = "session.offer";
var ANSWER = "session.answer";
var KINDS = /* @__PURE__ */ new Set(["audio", "video"]);
function parseRenegotiate(body, maxReceive) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return null;
  const { seq, receive } = (
    /** @type {any} */
    body
  );
  if (!Number.isSafeInteger(seq) || seq < 0 || !Array.isArray(receive) || receive.length > maxReceive) return null;
  return { seq, receive: receive.filter((kind2) => typeof kind2 === "string" && KINDS.has(kind2)) };
}
async function connect(session, peer) {
  if (peer.connecting) return;
  peer.connecting = true;
  try {
    while (!peer.gone && !session._closing) {
      if (peer.failures > session.maxRetries) {
        session._emit("link-failed", {
          peer: peer.id,
          reason: "gave-up",
          attempt: peer.failures,
          final: true,
          error: `no connection after ${peer.failures} attempts`
        });
        return;
      }
      if (peer.failures) {
        const ceiling = Math.min(session.retryBackoff.maximum, session.retryBackoff.initial * 2 ** (peer.failures - 1));
        await sleep(ceiling / 2 + Math.random() * ceiling / 2);
        if (peer.gone || session._closing) return;
      }
      session._dropLink(peer);
      const link = session._newLink(peer);
      try {
        const sdp = await link.createOffer();
        if (peer.link !== link) throw new LinkError("replaced", "failed");
        session.signaling.relay("offer", peer.id, { sdp });
        await link.waitOpen(session.connectTimeout);
      } catch (error) {
        if (peer.gone || session._closing) return;
        peer.failures++;
        session._reportFailure(peer, error);
        continue;
      }
      session._opened(peer, link);
      return;
    }
  } finally {
    peer.connecting = false;
  }
}
function awaitOffer(session, peer) {
  clearTimeout(peer.offerTimer);
  peer.offerTimer = setTimeout(() => {
    session._emit("link-failed", {
      peer: peer.id,
      reason: "timeout",
      attempt: 0,
      final: false,
      error: `no offer from ${peer.id} within ${session.connectTimeout} s`
    });
  }, session.connectTimeout * 1e3);
}
async function onOffer(session, sender, body) {
  const sdp = checkSdp(body, session.maxSdpBytes);
  let peer = session._peers.get(sender);
  if (sdp === null || !sender) {
    console.warn("session: offer refused from", sender);
    return;
  }
  if (peer === void 0) {
    peer = new Peer2(sender, "", isOfferer(session.peerId, sender));
    session._peers.set(sender, peer);
  }
  if (peer.offerer || peer.gone) {
    console.warn("session: offer ignored from", sender);
    return;
  }
  clearTimeout(peer.offerTimer);
  session._dropLink(peer);
  const link = session._newLink(peer);
  try {
    const answer = await link.acceptOffer(sdp);
    if (peer.link !== link) return;
    session.signaling.relay("answer", peer.id, { sdp: answer });
    await link.waitOpen(session.connectTimeout);
  } catch (error) {
    if (peer.link === link) {
      session._reportFailure(peer, error);
      session._dropLink(peer);
      if (!peer.gone && !session._closing) awaitOffer(session, peer);
    }
    return;
  }
  if (peer.link === link) session._opened(peer, link);
}
async function onAnswer(session, sender, body) {
  const link = session._peers.get(sender)?.link;
  const sdp = checkSdp(body, session.maxSdpBytes);
  if (link == null || !link.offerer || link.pc.signalingState !== "have-local-offer" || sdp === null) {
    console.warn("session: answer ignored from", sender);
    return;
  }
  try {
    await link.acceptAnswer(sdp);
  } catch (error) {
    console.warn("session: answer rejected from", sender, error);
    link.close();
  }
}
async function onCandidate(session, sender, candidate) {
  const link = session._peers.get(sender)?.link;
  if (link == null || link.pc.remoteDescription === null) return;
  try {
    await link.pc.addIceCandidate(
      /** @type {RTCIceCandidateInit | null} */
      candidate ?? void 0
    );
  } catch {
  }
}
function syncTracks(session, peer, renegotiate = true) {
  const link = peer.link;
  if (link === null || !peer.connected) return false;
  let changed = false;
  for (const [track, sender] of [...link.senders]) {
    if (!session._tracks.has(track)) {
      link.pc.removeTrack(sender);
      link.senders.delete(track);
      changed = true;
    }
  }
  for (const [track, streams] of session._tracks) {
    if (!link.senders.has(track)) {
      link.senders.set(track, link.pc.addTrack(track, ...streams));
      changed = true;
    }
  }
  if (changed && renegotiate) negotiationNeeded(session, peer, link);
  return changed;
}
function negotiationNeeded(session, peer, link) {
  if (peer.link !== link || !peer.connected) return;
  if (peer.offerer) scheduleOffer(session, peer);
  else if (peer.asked) peer.askAgain = true;
  else ask(session, peer, link);
}
function ask(session, peer, link) {
  peer.requests++;
  peer.asked = peer.requests;
  try {
    session.bus.publishJson(RENEGOTIATE, { seq: peer.asked, receive: link.wantedReceivers() }, { to: peer.id });
  } catch (error) {
    if (!(error instanceof BusError)) throw error;
  }
}
function onRenegotiate(session, message) {
  const peer = session._peers.get(message.sender);
  if (peer === void 0 || !peer.offerer || peer.link === null) return;
  if (!peer.connected) {
    peer.early = message;
    return;
  }
  let request = null;
  try {
    request = parseRenegotiate(messageJson(message), session.maxReceive);
  } catch {
  }
  if (request === null) {
    console.warn("session: invalid renegotiation request from", peer.id);
    return;
  }
  peer.receive = request.receive;
  peer.serves = Math.max(peer.serves, request.seq);
  scheduleOffer(session, peer);
}
function scheduleOffer(session, peer) {
  peer.dirty = true;
  if (!peer.negotiating) negotiate(session, peer);
}
async function negotiate(session, peer) {
  peer.negotiating = true;
  try {
    while (peer.dirty && peer.connected && peer.link !== null) {
      peer.dirty = false;
      const link = peer.link;
      const receive = peer.receive;
      const serves = peer.serves;
      peer.receive = [];
      const answered = new Promise((resolve) => peer.answer = resolve);
      let timer;
      try {
        const sdp = await link.createOffer(receive);
        session.bus.publishJson(OFFER, { sdp, serves }, { to: peer.id });
        const answer = await Promise.race([
          answered,
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new LinkError(`no answer within ${session.connectTimeout} s`, "timeout")), session.connectTimeout * 1e3);
          })
        ]);
        if (answer === null) throw new LinkError("renegotiation abandoned", "failed");
        await link.acceptAnswer(
          /** @type {string} */
          answer
        );
      } catch (error) {
        if (peer.link === link) {
          session._lost(peer, link, "failed", `renegotiation: ${error instanceof Error ? error.message : error}`);
        }
        return;
      } finally {
        clearTimeout(timer);
        peer.answer = null;
      }
      session._emit("renegotiated", { peer: peer.id });
    }
  } finally {
    peer.negotiating = false;
  }
}
function onBusAnswer(session, message) {
  const peer = session._peers.get(message.sender);
  if (peer === void 0 || peer.answer === null) return;
  let sdp = null;
  try {
    sdp = checkSdp(messageJson(message).sdp, session.maxSdpBytes);
  } catch {
  }
  if (sdp !== null) peer.answer(sdp);
  else console.warn("session: invalid renegotiation answer from", peer.id);
}
async function onBusOffer(session, message) {
  const peer = session._peers.get(message.sender);
  if (peer === void 0 || peer.offerer || peer.link === null || !peer.connected || session._closing) return;
  const link = peer.link;
  let answer;
  let serves = 0;
  try {
    const body = messageJson(message);
    const sdp = checkSdp(body?.sdp, session.maxSdpBytes);
    serves = Number.isSafeInteger(body.serves) ? body.serves : 0;
    if (sdp === null) throw new LinkError("no valid sdp");
    answer = await link.acceptOffer(sdp);
  } catch (error) {
    console.warn("session: renegotiation offer rejected from", peer.id, error);
    return;
  }
  if (peer.link !== link) return;
  try {
    session.bus.publishJson(ANSWER, { sdp: answer }, { to: peer.id });
  } catch (error) {
    if (!(error instanceof BusError)) throw error;
  }
  session._emit("renegotiated", { peer: peer.id });
  if (peer.asked && serves >= peer.asked) peer.asked = 0;
  if (!peer.asked && (peer.askAgain || link.wantedReceivers().length)) {
    peer.askAgain = false;
    ask(session, peer, link);
  }
}

// src/session/session.js
var BYE = "session.bye";
function iceServersFromWelcome(entries) {
  const servers = [];
  for (const entry of Array.isArray(entries) ? entries : []) {
    let urls = entry !== null && typeof entry === "object" ? entry.urls : void 0;
    if (typeof urls === "string") urls = [urls];
    if (!Array.isArray(urls) || !urls.length || !urls.every((u) => typeof u === "string")) {
      console.warn("session: ice server skipped", String(JSON.stringify(entry)).slice(0, 200));
      continue;
    }
    const server = { urls };
    if (typeof entry.username === "string") server.username = entry.username;
    if (typeof entry.credential === "string") server.credential = entry.credential;
    servers.push(server);
  }
  return servers;
}
var Session = class {
  /**
   * @param {string} url the signaling server's WebSocket URL
   * @param {string} room
   * @param {SessionOptions} [options]
   */
  constructor(url, room, options = {}) {
    this.room = room;
    this.onEvent = options.onEvent;
    const PC = options.RTCPeerConnection ?? /** @type {any} */
    globalThis.RTCPeerConnection;
    if (typeof PC !== "function") throw new TypeError("no RTCPeerConnection: pass options.RTCPeerConnection");
    this._RTCPeerConnection = PC;
    this.connectTimeout = options.connectTimeout ?? 15;
    this.maxRetries = options.maxRetries ?? 5;
    this.retryBackoff = { initial: 0.5, maximum: 8, ...options.retryBackoff };
    this.gatherTimeout = options.gatherTimeout ?? 5;
    this.relayOnly = options.relayOnly ?? false;
    this.maxSdpBytes = options.maxSdpBytes ?? 65536;
    this.maxReceive = options.maxReceive ?? 16;
    this._rewrite = options.localSdp;
    if (!(this.connectTimeout > 0)) throw new RangeError("connectTimeout must be positive");
    if (!(this.maxRetries >= 0)) throw new RangeError("maxRetries must not be negative");
    const signalingOptions = {
      ...options.signaling,
      name: options.name ?? "",
      onMessage: (message) => this._onSignal(message)
    };
    if (options.token !== void 0) signalingOptions.token = options.token;
    if (options.WebSocket !== void 0) signalingOptions.WebSocket = options.WebSocket;
    if (options.resumeStorage !== void 0) signalingOptions.resumeStorage = options.resumeStorage;
    this.signaling = new SignalingClient(url, room, signalingOptions);
    this.bus = new Bus(options.bus ?? {}, { onPeerDead: (id2) => this._onPeerDead(id2) });
    this.iceServers = [];
    this._peers = /* @__PURE__ */ new Map();
    this._tracks = /* @__PURE__ */ new Map();
    this._ready = false;
    this._held = [];
    this._closing = false;
  }
  /** Our id in the room. */
  get peerId() {
    return this.signaling.peerId;
  }
  /** Members other than us that are not known lost: id to name. */
  get peers() {
    return new Map([...this._peers.values()].filter((p) => !p.lost).map((p) => [p.id, p.name]));
  }
  /** Ids of the peers whose bus is open. */
  get connected() {
    return [...this._peers.values()].filter((p) => p.connected).map((p) => p.id);
  }
  /**
   * The current connection to a peer (for status displays and tests).
   * @param {string} peerId
   */
  link(peerId) {
    return this._peers.get(peerId)?.link ?? null;
  }
  /**
   * Join the room and connect to every member; resolve with the welcome.
   * Rejects with a SignalingError when the first join fails.
   */
  async start() {
    const welcome = await this.signaling.connect();
    this.iceServers = iceServersFromWelcome(welcome.iceServers);
    this.bus.subscribe(RENEGOTIATE, (m) => onRenegotiate(this, m));
    this.bus.subscribe(OFFER, (m) => onBusOffer(this, m));
    this.bus.subscribe(ANSWER, (m) => onBusAnswer(this, m));
    this.bus.subscribe(BYE, (m) => this._onBye(m));
    const others = (Array.isArray(welcome.peers) ? welcome.peers : []).filter((p) => p !== null && typeof p === "object");
    this._emit("joined", {
      room: this.room,
      peer: this.peerId,
      name: String(welcome.name ?? ""),
      peers: others.map((p) => String(p.peer)),
      resumed: Boolean(welcome.resumed)
      // a reloaded page that kept its id
    });
    for (const other of others) this._peerJoined(String(other.peer ?? ""), String(other.name ?? ""));
    this._ready = true;
    for (const message of this._held.splice(0)) this._onSignal(message);
    return welcome;
  }
  /** Leave: say goodbye on the bus, flush it (up to 5 s), close the links, leave the room. */
  async close() {
    if (this._closing) return;
    this._closing = true;
    const open = [...this._peers.values()].filter((p) => p.connected && p.link !== null);
    for (const peer of open) {
      try {
        this.bus.publish(BYE, new Uint8Array(), { to: peer.id });
      } catch (error) {
        if (!(error instanceof BusError)) throw error;
      }
    }
    const deadline = Date.now() + 5e3;
    let timer;
    await Promise.race([
      Promise.all(open.map((p) => this.bus.drain(p.id).catch(() => void 0))),
      new Promise((resolve) => timer = setTimeout(resolve, 5e3))
    ]);
    clearTimeout(timer);
    const links = open.map((p) => p.link).filter((l) => l !== null);
    while (Date.now() < deadline && links.some((l) => l.isOpen && l.reliable.bufferedAmount > 0)) await sleep(0.02);
    for (const peer of this._peers.values()) {
      clearTimeout(peer.offerTimer);
      peer.answer?.(null);
      peer.link?.close();
      peer.link = null;
      peer.connected = false;
    }
    this.bus.close();
    this.signaling.close({ leave: true });
    this._emit("closed", { peer: this.peerId });
  }
  /**
   * Send a media track to every peer (now and later ones); renegotiates.
   * @param {MediaStreamTrack} track
   * @param {...MediaStream} streams
   */
  addTrack(track, ...streams) {
    this._tracks.set(track, streams);
    for (const peer of this._peers.values()) syncTracks(this, peer);
  }
  /**
   * Stop sending a track added with addTrack; renegotiates.
   * @param {MediaStreamTrack} track
   */
  removeTrack(track) {
    this._tracks.delete(track);
    for (const peer of this._peers.values()) syncTracks(this, peer);
  }
  // -- events -------------------------------------------------------------
  /**
   * @param {string} event
   * @param {Record<string, unknown>} fields
   */
  _emit(event, fields) {
    try {
      this.onEvent?.({ event, ts: Math.round(Date.now()) / 1e3, ...fields });
    } catch (error) {
      console.error("session: event handler failed", error);
    }
  }
  /**
   * @param {string} sdp
   * @param {string} peerId
   */
  _localSdp(sdp, peerId) {
    return this._rewrite === void 0 ? sdp : this._rewrite(sdp, peerId);
  }
  // -- signaling ----------------------------------------------------------
  /** @param {import("../signaling/client.js").SignalingMessage} message */
  _onSignal(message) {
    if (!this._ready) {
      this._held.push(message);
      return;
    }
    if (this._closing) return;
    const sender = String(message.from ?? "");
    switch (message.type) {
      case "peer-joined":
        this._peerJoined(String(message.peer ?? ""), String(message.name ?? ""));
        break;
      case "peer-left":
        this._peerLeft(String(message.peer ?? ""), String(message.reason ?? "left"));
        break;
      case "offer":
        onOffer(this, sender, message.sdp);
        break;
      case "answer":
        onAnswer(this, sender, message.sdp);
        break;
      case "candidate":
        onCandidate(this, sender, message.candidate);
        break;
      case "welcome": {
        const servers = iceServersFromWelcome(message.iceServers);
        if (servers.length) this.iceServers = servers;
        this._emit("rejoined", { peer: this.peerId, resumed: Boolean(message.resumed) });
        for (const other of Array.isArray(message.peers) ? message.peers : []) {
          if (other !== null && typeof other === "object") this._peerJoined(String(other.peer ?? ""), String(other.name ?? ""));
        }
        break;
      }
      case "ice-servers":
        this.iceServers = iceServersFromWelcome(message.iceServers);
        break;
      case "error":
        console.warn("session: signaling error", message.code, message.message);
        break;
    }
  }
  /**
   * @param {string} peerId
   * @param {string} name
   */
  _peerJoined(peerId, name) {
    if (!peerId || peerId === this.peerId) return;
    const known = this._peers.get(peerId);
    if (known !== void 0 && !known.gone) {
      known.name = name || known.name;
      if (known.lost && known.offerer && !known.connecting) {
        known.failures = 0;
        connect(this, known);
      }
      return;
    }
    const peer = new Peer2(peerId, name, isOfferer(this.peerId, peerId));
    this._peers.set(peerId, peer);
    this._emit("peer-joined", { peer: peerId, name, offerer: peer.offerer });
    if (peer.offerer) connect(this, peer);
    else awaitOffer(this, peer);
  }
  /**
   * @param {string} peerId
   * @param {string} reason
   */
  _peerLeft(peerId, reason) {
    const peer = this._peers.get(peerId);
    if (peer === void 0) return;
    this._peers.delete(peerId);
    peer.gone = true;
    clearTimeout(peer.offerTimer);
    this._dropLink(peer);
    if (!peer.lost) {
      peer.lost = true;
      this._emit("peer-left", { peer: peerId, name: peer.name, reason });
    }
  }
  // -- making connections -------------------------------------------------
  /** @param {Peer} peer */
  _newLink(peer) {
    const link = new PeerLink(this, peer.id, peer.offerer);
    link.pc.addEventListener("connectionstatechange", () => {
      if (link.pc.connectionState === "failed" && peer.link === link && peer.connected) {
        this._lost(peer, link, "failed", "peer connection failed");
      }
    });
    link.reliable.addEventListener("close", () => {
      if (peer.link === link && peer.connected) this._lost(peer, link, "failed", "data channel closed");
    });
    link.pc.addEventListener("track", (event) => {
      this._emit("track", { peer: peer.id, kind: event.track.kind, track: event.track, streams: event.streams });
    });
    const asChannel = (c) => (
      /** @type {import("../bus/bus.js").ChannelLike} */
      /** @type {unknown} */
      c
    );
    this.bus.addPeer(peer.id, asChannel(link.reliable), asChannel(link.unordered));
    peer.link = link;
    return link;
  }
  /**
   * @param {Peer} peer
   * @param {unknown} error
   */
  _reportFailure(peer, error) {
    const reason = error instanceof LinkError ? error.reason : "error";
    this._emit("link-failed", { peer: peer.id, reason, attempt: peer.failures, final: false, error: String(error instanceof Error ? error.message : error) });
  }
  /**
   * @param {Peer} peer
   * @param {PeerLink} link
   */
  _opened(peer, link) {
    peer.failures = 0;
    peer.connected = true;
    peer.lost = false;
    peer.asked = 0;
    peer.askAgain = false;
    peer.serves = 0;
    const added = syncTracks(this, peer, false);
    const early = peer.early;
    peer.early = null;
    if (early !== null) onRenegotiate(this, early);
    if (added) negotiationNeeded(this, peer, link);
    route(link).then((route2) => {
      if (peer.link === link) this._emit("peer-connected", { peer: peer.id, name: peer.name, offerer: peer.offerer, route: route2 });
    });
  }
  /** @param {Peer} peer */
  _dropLink(peer) {
    const link = peer.link;
    peer.link = null;
    peer.connected = false;
    this.bus.removePeer(peer.id);
    peer.answer?.(null);
    link?.close();
  }
  // -- losing connections -------------------------------------------------
  /** @param {string} peerId */
  _onPeerDead(peerId) {
    const peer = this._peers.get(peerId);
    if (peer !== void 0 && peer.connected && peer.link !== null) {
      this._lost(peer, peer.link, "timeout", `silent for ${this.bus.config.deadAfter} s`);
    }
  }
  /**
   * @param {Peer} peer
   * @param {PeerLink} link
   * @param {string} reason
   * @param {string} error
   */
  _lost(peer, link, reason, error) {
    if (peer.link !== link || this._closing) return;
    peer.failures++;
    this._emit("link-failed", { peer: peer.id, reason, attempt: peer.failures, final: false, error });
    this._dropLink(peer);
    if (!peer.lost) {
      peer.lost = true;
      this._emit("peer-left", { peer: peer.id, name: peer.name, reason });
    }
    if (peer.gone || !this._peers.has(peer.id)) return;
    if (peer.offerer) connect(this, peer);
    else awaitOffer(this, peer);
  }
  /** @param {import("../bus/bus.js").Message} message */
  _onBye(message) {
    const peer = this._peers.get(message.sender);
    if (peer !== void 0) this._peerLeft(peer.id, "left");
  }
};

// src/room.js
async function joinRoom(url, room, options = {}) {
  const { color = null, presence = {}, captureTimeout = 0, ...sessionOptions } = options;
  checkConfig({ name: sessionOptions.name || "peer", color, ...presence });
  let joined = null;
  const held = [];
  const deliver = (action) => joined === null ? held.push(action) : action(joined);
  const session = new Session(url, room, {
    ...sessionOptions,
    onEvent: (event) => deliver((r) => r._onSession(event))
  });
  const doc2 = new Document(void 0, { captureTimeout });
  const editing = new Editing(session.bus, doc2, {
    onRejected: (peer, reason) => deliver((r) => r._emitEvent("editing.rejected", { peer, reason }))
  });
  try {
    await session.start();
  } catch (error) {
    editing.close();
    doc2.close();
    await session.close().catch(() => void 0);
    throw error;
  }
  const presenceConfig = { name: sessionOptions.name || `peer-${session.peerId.slice(0, 8)}`, color, ...presence };
  try {
    joined = new Room(session, doc2, editing, presenceConfig, sessionOptions.onEvent);
  } catch (error) {
    editing.close();
    await session.close().catch(() => void 0);
    throw error;
  }
  for (const action of held.splice(0)) action(joined);
  return joined;
}
var Room = class {
  /**
   * Use joinRoom; this wires pieces that already exist.
   * @param {Session} session a started session
   * @param {Document} doc
   * @param {Editing} editing
   * @param {import("./presence/presence.js").PresenceConfig} presenceConfig
   * @param {((event: SessionEvent) => void) | undefined} onEvent
   */
  constructor(session, doc2, editing, presenceConfig, onEvent) {
    this.session = session;
    this.doc = doc2;
    this.editing = editing;
    this.bus = session.bus;
    this._listeners = { change: /* @__PURE__ */ new Set(), presence: /* @__PURE__ */ new Set(), peers: /* @__PURE__ */ new Set(), event: /* @__PURE__ */ new Set() };
    if (onEvent !== void 0) this._listeners.event.add(onEvent);
    this._link = presenceOnBus(session.bus, session.peerId, presenceConfig, {
      doc: doc2.ydoc,
      onRejected: (r) => this._emitEvent("presence.rejected", { peer: r.peerId, clientId: r.clientId, reason: r.reason })
    });
    this.presence = this._link.presence;
    this._stopChanges = doc2.onChange((change) => this._emit("change", change));
    this._stopPresence = this.presence.subscribe((change) => this._emit("presence", change));
    this._leaving = null;
    this.presence.start();
  }
  /** The room's name. */
  get name() {
    return this.session.room;
  }
  /** Our peer id in the room. */
  get peerId() {
    return this.session.peerId;
  }
  /** The other members, by id: name and whether our bus to them is open. @returns {Map<string, RoomPeer>} */
  get peers() {
    const connected = new Set(this.session.connected);
    return new Map([...this.session.peers].map(([id2, name]) => [id2, { id: id2, name, connected: connected.has(id2) }]));
  }
  /**
   * Listen to one kind of room event; returns the function that stops it.
   * @template {keyof RoomEvents} K
   * @param {K} kind
   * @param {(value: RoomEvents[K]) => void} listener
   * @returns {() => void}
   */
  on(kind2, listener) {
    const listeners = this._listeners[kind2];
    if (listeners === void 0) throw new TypeError(`no room event ${JSON.stringify(kind2)}: change, presence, peers or event`);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }
  /**
   * Leave: our presence is removed everywhere, the last edits are flushed
   * (up to 5 s), the links closed and the room left. The document stays
   * readable; idempotent.
   * @returns {Promise<void>}
   */
  leave() {
    if (this._leaving === null) {
      this._leaving = (async () => {
        this._link.close();
        this.editing.close();
        await this.session.close();
        this._stopChanges();
        this._stopPresence();
      })();
    }
    return this._leaving;
  }
  // -- internals ------------------------------------------------------------
  /** @param {SessionEvent} event */
  _onSession(event) {
    const peer = typeof event.peer === "string" ? event.peer : "";
    if (event.event === "peer-connected") this._connected(peer);
    else if (event.event === "peer-left") this._link.peerLeft(peer);
    this._emit("event", event);
    if (event.event === "peer-joined" || event.event === "peer-connected" || event.event === "peer-left") {
      this._emit("peers", this.peers);
    }
  }
  /** @param {string} peer */
  _connected(peer) {
    if (this._leaving !== null || !peer) return;
    this.editing.peerJoined(peer);
    this._link.peerJoined(peer);
  }
  /**
   * An event of our own in the session's event stream.
   * @param {string} name
   * @param {Record<string, unknown>} fields
   */
  _emitEvent(name, fields) {
    this._emit("event", { event: name, ts: Math.round(Date.now()) / 1e3, ...fields });
  }
  /**
   * @template {keyof RoomEvents} K
   * @param {K} kind
   * @param {RoomEvents[K]} value
   */
  _emit(kind2, value) {
    for (const listener of [...this._listeners[kind2]]) {
      try {
        listener(value);
      } catch (error) {
        console.error(`avacollab: room ${kind2} listener failed`, error);
      }
    }
  }
};
export {
  Bus,
  BusFull,
  CycleError,
  Document,
  EditError,
  Editing,
  Presence,
  Room,
  Session,
  SignalingClient,
  SignalingError,
  ValidationError2 as ValidationError,
  bus_exports as bus,
  colors_exports as colors,
  sync_exports as editingSync,
  joinRoom,
  messageJson,
  model_exports as model,
  order_exports as order,
  presence_exports as presence,
  presenceOnBus,
  state_exports as presenceState,
  schema_exports2 as schema,
  session_exports as session,
  client_exports as signaling,
  tree_exports as tree,
  wire_exports as wire
};
