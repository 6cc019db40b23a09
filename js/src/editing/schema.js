// What a valid node looks like: the JavaScript twin of
// plugins/avacollab-editing/avacollab_editing/schema.py. Both give the same
// verdict on the same record (conformance/node_records.json), so a browser
// refuses what a Python peer's guard would refuse, before writing it.
//
// Pure checks with no Yjs. Every failure is a ValidationError whose message
// says which value is wrong and why.

import { isKey } from "./order.js";

export const MAX_ID_LENGTH = 128;
export const MAX_PROP_NAME_LENGTH = 256;
export const MAX_VALUE_BYTES = 64 * 1024;
export const MAX_VALUE_DEPTH = 32;

const NAME = new RegExp(`^[A-Za-z0-9_.:\\-]{1,${MAX_ID_LENGTH}}$`);
const utf8 = new TextEncoder();

/**
 * A JSON value as stored in a node's properties (nested values are checked
 * by checkValue; tsc cannot type a recursive alias written in JSDoc).
 * @typedef {null | boolean | number | string | any[] | { [key: string]: any }} JSONValue
 */

/**
 * A position: the parent id (null: the top level) and an order key.
 * @typedef {{ parent: string | null, order: string }} Place
 */

/**
 * What the tree layout needs to know about one node.
 * @typedef {{ place: Place, deleted: boolean, prev: Place | null }} Entry
 */

/**
 * Where a node with no stored `pos` goes: the top level, near the end
 * (layout.py's UNPLACED; an undo can leave a node without a position).
 * @type {Readonly<Place>}
 */
export const UNPLACED = Object.freeze({ parent: null, order: "z" });

/** A value does not fit the document schema. */
export class ValidationError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "ValidationError";
  }
}

/** @param {unknown} value */
function shown(value) {
  let text;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  } catch {
    text = String(value);
  }
  return text.slice(0, 80);
}

/**
 * `value` if it is a valid node id (1 to 128 characters from A-Z a-z 0-9 _ . : -).
 * @param {unknown} value
 * @param {string} [what]
 * @returns {string}
 */
export function checkId(value, what = "id") {
  if (typeof value !== "string" || !NAME.test(value)) {
    throw new ValidationError(
      `${what} must be 1 to ${MAX_ID_LENGTH} characters from A-Z a-z 0-9 _ . : -, got ${shown(value)}`,
    );
  }
  return value;
}

/**
 * `value` if it is a valid component type (the same rules as ids).
 * @param {unknown} value
 */
export function checkType(value) {
  return checkId(value, "type");
}

/**
 * Characters as Python counts them: code points, not UTF-16 units.
 * @param {string} text
 */
function codePoints(text) {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * `value` if it is a valid property name: 1 to 256 characters (code points).
 * @param {unknown} value
 * @returns {string}
 */
export function checkPropName(value) {
  if (
    typeof value !== "string" ||
    value.length === 0 ||
    (value.length > MAX_PROP_NAME_LENGTH && codePoints(value) > MAX_PROP_NAME_LENGTH)
  ) {
    throw new ValidationError(
      `property name must be a string of 1 to ${MAX_PROP_NAME_LENGTH} characters, got ${shown(value)}`,
    );
  }
  return value;
}

/**
 * `value` if it is a JSON value within the limits: null, a boolean, a
 * string, a finite number, arrays and plain objects nested at most 32 deep,
 * at most 64 KiB as compact UTF-8 JSON. (Python also refuses integers past
 * ±(2**53 - 1); a JavaScript number is a double, which Yjs stores as one.)
 * @param {unknown} value
 * @param {string} [where]
 * @returns {JSONValue}
 */
export function checkValue(value, where = "value") {
  if (typeof value === "string" && value.length * 6 + 2 <= MAX_VALUE_BYTES) return value; // the common case
  checkTree(value, where, 0);
  if (typeof value === "string" || Array.isArray(value) || (value !== null && typeof value === "object")) {
    const size = utf8.encode(JSON.stringify(value)).length;
    if (size > MAX_VALUE_BYTES) throw new ValidationError(`${where} is ${size} bytes as JSON, more than ${MAX_VALUE_BYTES}`);
  }
  return /** @type {JSONValue} */ (value);
}

/**
 * @param {unknown} value
 * @param {string} where
 * @param {number} depth
 */
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

/**
 * An object literal (or one without a prototype): what JSON decodes an object to.
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
export function isPlainObject(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Read a stored position `{parent: id | null, order: key}`.
 * @param {unknown} raw
 * @param {string} [where]
 * @returns {Place}
 */
export function parsePlace(raw, where = "pos") {
  if (!isPlainObject(raw)) throw new ValidationError(`${where} must be an object`);
  const parent = raw.parent ?? null;
  if (parent !== null) checkId(parent, `${where}.parent`);
  const order = raw.order;
  if (!isKey(order)) throw new ValidationError(`${where}.order is not a valid order key: ${shown(order)}`);
  return { parent: /** @type {string | null} */ (parent), order };
}

/**
 * Read the position part of a stored node (`pos` with its optional `prev`,
 * and `deleted`). A missing `pos` reads as UNPLACED.
 * @param {unknown} raw
 * @returns {Entry}
 */
export function parseEntry(raw) {
  if (!isPlainObject(raw)) throw new ValidationError("node must be an object");
  const pos = raw.pos ?? null;
  /** @type {Place} */
  let place = UNPLACED;
  /** @type {Place | null} */
  let prev = null;
  if (pos !== null) {
    place = parsePlace(pos);
    const prevRaw = /** @type {Record<string, unknown>} */ (pos).prev ?? null;
    if (prevRaw !== null) prev = parsePlace(prevRaw, "pos.prev");
  }
  const deleted = raw.deleted === undefined ? false : raw.deleted;
  if (typeof deleted !== "boolean") throw new ValidationError("deleted must be a boolean");
  return { place, deleted, prev };
}
