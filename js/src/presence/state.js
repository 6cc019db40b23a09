// The presence state one peer publishes, and its strict validation: the
// JavaScript twin of plugins/avacollab-presence/avacollab_presence/state.py
// (docs/presence.md). On the wire a state is the JSON object of a
// y-protocols awareness entry:
//
//   {"user": {"name": "Ada", "color": "#d9467a"},
//    "cursor": {"x": 120.5, "y": 48, "component": "btn-1"},   // or null
//    "selection": ["btn-1", "panel-2"],
//    "status": "active",                                    // idle, away
//    "lastSeen": 1718000000000}                             // ms since the epoch
//
// Only `user` is required; a missing field takes its default. Keys this
// version does not know are kept and ignored. A state that breaks a rule
// throws InvalidState with a reason meant for a log line.

export const STATUSES = Object.freeze(["active", "idle", "away"]);
/** Largest state accepted, as UTF-8 JSON. */
export const MAX_STATE_BYTES = 32 * 1024;
export const MAX_NAME_CHARS = 64;
/** Longest component id, in the cursor or the selection. */
export const MAX_ID_CHARS = 128;
/** Most component ids one selection may hold. */
export const MAX_SELECTION = 256;
/** Largest cursor coordinate magnitude. */
export const MAX_COORDINATE = 1e9;
export const MAX_TIMESTAMP = Number.MAX_SAFE_INTEGER;

const COLOR = /^#[0-9a-fA-F]{6}$/;
// Control characters and bidirectional overrides would let a name or an id
// rewrite the terminal or the line it is printed on.
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const utf8 = new TextEncoder();

/**
 * @typedef {"active" | "idle" | "away"} Status
 * @typedef {{ name: string, color: string }} User
 * @typedef {{ x: number, y: number, component?: string }} Cursor
 * @typedef {{ user: User, cursor: Cursor | null, selection: string[], status: Status, lastSeen: number | null }} PresenceState
 */

/** A presence state that breaks the schema; the message says which rule. */
export class InvalidState extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "InvalidState";
  }
}

/** @param {unknown} obj */
function kind(obj) {
  if (obj === null) return "null";
  if (Array.isArray(obj)) return "a list";
  if (typeof obj === "object") return "an object";
  if (typeof obj === "string") return "a string";
  if (typeof obj === "boolean") return "a boolean";
  if (typeof obj === "number") return "a number";
  return typeof obj;
}

/** @param {unknown} obj @returns {obj is Record<string, unknown>} */
function isObject(obj) {
  return obj !== null && typeof obj === "object" && !Array.isArray(obj);
}

/**
 * @param {unknown} obj
 * @param {string} field
 * @param {number} limit in characters (code points, as Python counts them)
 */
function text(obj, field, limit) {
  if (typeof obj !== "string") throw new InvalidState(`${field} must be a string, not ${kind(obj)}`);
  const length = obj.length <= limit ? obj.length : [...obj].length;
  if (length === 0 || length > limit) throw new InvalidState(`${field} must have 1 to ${limit} characters`);
  if (UNSAFE.test(obj)) throw new InvalidState(`${field} contains control characters`);
  return obj;
}

/**
 * @param {unknown} obj
 * @param {string} field
 */
function coordinate(obj, field) {
  if (typeof obj !== "number") throw new InvalidState(`${field} must be a number, not ${kind(obj)}`);
  if (!(Math.abs(obj) <= MAX_COORDINATE)) throw new InvalidState(`${field} must be finite and within ±${MAX_COORDINATE}`);
  return obj;
}

/**
 * `user`: a safe, non-empty name and a #rrggbb color (kept lower case).
 * @param {unknown} obj
 * @returns {User}
 */
export function parseUser(obj) {
  if (!isObject(obj)) throw new InvalidState(`user must be an object, not ${kind(obj)}`);
  const name = text(obj.name, "user.name", MAX_NAME_CHARS);
  const color = obj.color;
  if (typeof color !== "string" || !COLOR.test(color)) throw new InvalidState("user.color must be a #rrggbb string");
  return { name, color: color.toLowerCase() };
}

/**
 * A cursor from its parts: finite x and y, an optional component id.
 * @param {unknown} x
 * @param {unknown} y
 * @param {unknown} [component]
 * @returns {Cursor}
 */
export function checkCursor(x, y, component = null) {
  /** @type {Cursor} */
  const cursor = { x: coordinate(x, "cursor.x"), y: coordinate(y, "cursor.y") };
  if (component !== null && component !== undefined) cursor.component = text(component, "cursor.component", MAX_ID_CHARS);
  return cursor;
}

/**
 * `cursor`: null, or an object checked by checkCursor.
 * @param {unknown} obj
 * @returns {Cursor | null}
 */
export function parseCursor(obj) {
  if (obj === null || obj === undefined) return null;
  if (!isObject(obj)) throw new InvalidState(`cursor must be an object or null, not ${kind(obj)}`);
  return checkCursor(obj.x, obj.y, obj.component);
}

/**
 * `selection`: a list of at most MAX_SELECTION component ids.
 * @param {unknown} obj
 * @returns {string[]}
 */
export function parseSelection(obj) {
  if (!Array.isArray(obj)) throw new InvalidState(`selection must be a list, not ${kind(obj)}`);
  if (obj.length > MAX_SELECTION) throw new InvalidState(`selection has ${obj.length} ids, more than ${MAX_SELECTION}`);
  return obj.map((item) => text(item, "selection id", MAX_ID_CHARS));
}

/**
 * `status`: one of STATUSES.
 * @param {unknown} obj
 * @returns {Status}
 */
export function parseStatus(obj) {
  if (typeof obj !== "string" || !STATUSES.includes(obj)) throw new InvalidState(`status must be one of ${STATUSES.join(", ")}`);
  return /** @type {Status} */ (obj);
}

/**
 * Validate a decoded JSON value and return it as a PresenceState (a float
 * lastSeen is rounded to the millisecond).
 * @param {unknown} obj
 * @returns {PresenceState}
 */
export function parseState(obj) {
  if (!isObject(obj)) throw new InvalidState(`state must be an object, not ${kind(obj)}`);
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
    lastSeen: seen === null ? null : Math.round(seen),
  };
}

/**
 * Parse and validate a state's JSON text, as it arrives in an update.
 * @param {string} text
 */
export function decodeState(text) {
  if (text.length > MAX_STATE_BYTES || utf8.encode(text).length > MAX_STATE_BYTES) {
    throw new InvalidState(`state larger than ${MAX_STATE_BYTES} bytes`);
  }
  let obj;
  try {
    obj = JSON.parse(text);
  } catch (error) {
    throw new InvalidState(`state is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseState(obj);
}

/**
 * A state's wire form (what parseState reads back).
 * @param {PresenceState} state
 */
export function toJson(state) {
  return { user: state.user, cursor: state.cursor, selection: state.selection, status: state.status, lastSeen: state.lastSeen };
}
