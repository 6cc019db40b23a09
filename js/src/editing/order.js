// Fractional order keys: the JavaScript twin of
// plugins/avacollab-editing/avacollab_editing/fractional.py. Both must give
// the same key for the same bounds and salt (conformance/order_keys.json), so
// a browser and a Python peer inserting side by side keep one sibling order.
//
// A key is a non-empty string of base-62 digits (0-9A-Za-z, compared as plain
// strings, so ASCII order is numeric order) read as a fraction in (0, 1).
// Every generated key ends with a salt derived from the writing replica, so
// two replicas inserting between the same two siblings at once produce two
// different keys, and later inserts still fit between them.

export const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE = DIGITS.length;
export const SALT_LENGTH = 4;
export const MAX_KEY_LENGTH = 256;

const KEY = new RegExp(`^[${DIGITS}]{1,${MAX_KEY_LENGTH}}$`);

/** An order key is malformed, or two bounds are not in increasing order. */
export class OrderKeyError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "OrderKeyError";
  }
}

/**
 * Whether `key` is a well-formed order key.
 * @param {unknown} key
 * @returns {key is string}
 */
export function isKey(key) {
  return typeof key === "string" && KEY.test(key) && !key.endsWith("0");
}

/** @param {string} digit */
function index(digit) {
  return DIGITS.indexOf(digit);
}

/**
 * A short replica-specific suffix (for a Yjs client id); its last digit is
 * never "0": a key ending in "0" would leave no room below it.
 * @param {number} clientId a non-negative safe integer
 */
export function saltFor(clientId) {
  if (!Number.isSafeInteger(clientId) || clientId < 0) throw new RangeError(`bad client id ${clientId}`);
  const last = DIGITS[1 + (clientId % (BASE - 1))];
  let rest = Math.floor(clientId / (BASE - 1));
  let head = "";
  for (let i = 0; i < SALT_LENGTH - 1; i++) {
    head += DIGITS[rest % BASE];
    rest = Math.floor(rest / BASE);
  }
  return head + last;
}

/**
 * A key strictly between `low` and `high` (null: open end). Deterministic:
 * the same bounds and salt always give the same key. Appends and prepends
 * step a counter that widens with the run of "z" (or "0") digits before it,
 * so keys grow with the logarithm of the number of inserts (fractional.py's
 * key_between, step for step).
 * @param {string | null} low
 * @param {string | null} high
 * @param {string} salt
 */
export function keyBetween(low, high, salt) {
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
  // Every head is above lo and below hi at one of its own digits, so any
  // extension of it (the salt) stays strictly between them.
  return head + salt;
}

/**
 * `count` increasing keys strictly between `low` and `high`, for bulk
 * inserts: one shared prefix, then a fixed width spread evenly.
 * @param {string | null} low
 * @param {string | null} high
 * @param {number} count
 * @param {string} salt
 * @returns {string[]}
 */
export function keysBetween(low, high, count, salt) {
  if (!Number.isInteger(count) || count < 0) throw new RangeError("count must not be negative");
  checkSalt(salt);
  if (count === 0) return [];
  const prefix = keyBetween(low, high, salt).slice(0, -salt.length);
  let width = 1;
  while (BASE ** width <= count) width++;
  const span = BASE ** width;
  const keys = [];
  for (let i = 0; i < count; i++) keys.push(fixed(prefix, Math.floor(((i + 1) * span) / (count + 1)), width) + salt);
  return keys;
}

/**
 * @param {string} prefix
 * @param {number} value
 * @param {number} width
 */
function fixed(prefix, value, width) {
  let digits = "";
  for (let i = 0; i < width; i++) {
    digits = DIGITS[value % BASE] + digits;
    value = Math.floor(value / BASE);
  }
  return prefix + digits;
}

/**
 * A head above `lo` (non-empty) for appending: the run of leading "z" digits
 * kept, the next (run + 2) digits (padded with "0") incremented as a counter
 * (fractional.py's _after: see the comments there).
 * @param {string} lo
 * @param {number} room the longest head allowed
 */
function after(lo, room) {
  const run = leadingRun(lo, "z");
  const width = Math.min(run + 2, room - run);
  if (width < 1) throw new OrderKeyError(`no room for an order key after ${JSON.stringify(lo)}`);
  return lo.slice(0, run) + step(lo.slice(run, run + width).padEnd(width, "0"), 1);
}

/**
 * A head below `hi` for prepending: `after` mirrored (a run of "0", decremented).
 * @param {string} hi
 * @param {number} room the longest head allowed
 */
function before(hi, room) {
  const run = leadingRun(hi, "0");
  const width = Math.min(run + 2, room - run);
  if (width < 1) throw new OrderKeyError(`no room for an order key before ${JSON.stringify(hi)}`);
  return hi.slice(0, run) + step(hi.slice(run, run + width).padEnd(width, "0"), -1);
}

/**
 * @param {string} key
 * @param {string} digit
 */
function leadingRun(key, digit) {
  let n = 0;
  while (n < key.length && key[n] === digit) n++;
  return n;
}

/**
 * `counter` (base-62 digits) plus `delta` (1 or -1), same width; the callers
 * never let it over- or underflow.
 * @param {string} counter
 * @param {number} delta
 */
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

/**
 * A digit string strictly between lo and hi that is not a prefix of hi
 * (fractional.py's _midpoint, step for step: see the comments there).
 * @param {string} lo "" means zero
 * @param {string | null} hi null means one
 * @param {boolean} outer false below the first digit of a key with neighbours on both sides
 * @returns {string}
 */
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
    if (outer && hi !== null && !lo) digit = dHi - 1; // below a key that extends lo: step by one
    else digit = Math.floor((dLo + dHi) / 2); // halve the gap
    return DIGITS[digit];
  }
  const aboveLo = DIGITS[dLo] + midpoint(lo.slice(1), null, false);
  if (hi === null || hi.length === 1) return aboveLo;
  const belowHi = DIGITS[dHi] + midpoint("", hi.slice(1), false);
  return belowHi.length < aboveLo.length ? belowHi : aboveLo;
}

/**
 * @param {string} key
 * @param {string} name
 */
function checked(key, name) {
  if (!isKey(key)) throw new OrderKeyError(`${name} is not a valid order key: ${JSON.stringify(key)}`);
  return key;
}

/** @param {string} salt */
function checkSalt(salt) {
  if (!isKey(salt)) throw new OrderKeyError(`invalid salt: ${JSON.stringify(salt)}`);
}
