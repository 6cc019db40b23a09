// The awareness update on the wire, read strictly: the JavaScript twin of
// plugins/avacollab-presence/avacollab_presence/wire.py (docs/presence.md).

import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";

/** Largest awareness update accepted, in bytes (wire.py's MAX_UPDATE_BYTES). */
export const MAX_UPDATE_BYTES = 64 * 1024;
/** Most entries one update may carry (a mesh peer sends one: its own). */
export const MAX_ENTRIES = 64;

/** @typedef {{ clientId: number, clock: number, state: string }} WireEntry */

/** Bytes that are not a well-formed awareness update within the limits. */
export class WireError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "WireError";
  }
}

/**
 * Decode an awareness update strictly (wire.py's decode_update): every
 * length checked against the bytes there and the limits, no trailing bytes.
 * @param {Uint8Array} data
 * @returns {WireEntry[]}
 */
export function decodeUpdate(data) {
  if (data.length > MAX_UPDATE_BYTES) throw new WireError(`update of ${data.length} bytes exceeds ${MAX_UPDATE_BYTES}`);
  const decoder = decoding.createDecoder(data);
  /** @returns {number} */
  const uint = () => {
    if (!decoding.hasContent(decoder)) throw new WireError("truncated update: integer runs past the end");
    let value;
    try {
      value = decoding.readVarUint(decoder);
    } catch (error) {
      // lib0 throws plain Errors ("Unexpected end of array", "Integer out of
      // Range"): bytes from a peer, refused like any other malformed update.
      throw new WireError(`malformed integer: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!Number.isSafeInteger(value) || value < 0) throw new WireError("integer larger than 2**53-1");
    return value;
  };
  const fatal = new TextDecoder("utf-8", { fatal: true });
  const count = uint();
  if (count > MAX_ENTRIES) throw new WireError(`update has ${count} entries, more than ${MAX_ENTRIES}`);
  /** @type {WireEntry[]} */
  const entries = [];
  for (let i = 0; i < count; i++) {
    const clientId = uint();
    const clock = uint();
    const length = uint();
    if (decoder.pos + length > data.length) throw new WireError(`truncated update: string of ${length} bytes runs past the end`);
    let state;
    try {
      state = fatal.decode(data.subarray(decoder.pos, decoder.pos + length));
    } catch {
      throw new WireError("state is not valid UTF-8");
    }
    decoder.pos += length;
    entries.push({ clientId, clock, state });
  }
  if (decoder.pos !== data.length) throw new WireError(`${data.length - decoder.pos} trailing bytes after the last entry`);
  return entries;
}

/** @param {WireEntry[]} entries */
export function encodeEntries(entries) {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const { clientId, clock, state } of entries) {
    encoding.writeVarUint(encoder, clientId);
    encoding.writeVarUint(encoder, clock);
    encoding.writeVarString(encoder, state);
  }
  return encoding.toUint8Array(encoder);
}
