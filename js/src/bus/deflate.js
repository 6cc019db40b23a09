// Payload compression for FLAG_DEFLATE: raw DEFLATE through the stream APIs,
// inflated under a byte limit.
//
// The JavaScript twin of deflate() and inflate() in avacollab/bus/wire.py.

import { FrameError } from "./wire.js";

/**
 * Compress a payload for FLAG_DEFLATE: raw DEFLATE, no zlib header.
 * @param {Uint8Array} payload
 * @returns {Promise<Uint8Array>}
 */
export async function deflate(payload) {
  const stream = new Blob([plain(payload)]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The bytes as the stream APIs take them: backed by an ArrayBuffer, not a
 * SharedArrayBuffer (copied only in that rare case).
 * @param {Uint8Array} bytes
 * @returns {Uint8Array<ArrayBuffer>}
 */
function plain(bytes) {
  return bytes.buffer instanceof ArrayBuffer ? /** @type {Uint8Array<ArrayBuffer>} */ (bytes) : new Uint8Array(bytes);
}

/** Compressed bytes handed to the decompressor at a time (see inflate). */
export const INFLATE_SLICE = 4096;

/**
 * Undo deflate(); throw a FrameError past `limit` bytes or on bad data.
 *
 * The limit is enforced while inflating. A DecompressionStream inflates
 * each chunk written to it whole before its output can be read (browsers
 * do, as the standard lets them), so the payload goes in by slices of
 * INFLATE_SLICE bytes, the next one only once the reader has taken the
 * last one's output, and nothing more goes in once the output passes the
 * limit. DEFLATE expands a byte to at most 1,032, so a small hostile
 * payload cannot make the receiver hold more than `limit` bytes plus what
 * two slices inflate to (about 8 MiB); written whole, a 256 KiB frame of
 * zeros would inflate to 264 MiB before the first read.
 * @param {Uint8Array} data
 * @param {number} limit
 * @returns {Promise<Uint8Array>}
 */
export async function inflate(data, limit) {
  if (!(limit > 0)) throw new RangeError("limit must be positive");
  const stream = new DecompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  const input = plain(data);
  // Each write waits for the stream's backpressure: the transform of the
  // next slice runs only when the reader has pulled. Errors and the reader's
  // cancel surface on the reading side; this loop just stops.
  (async () => {
    for (let at = 0; at < input.length; at += INFLATE_SLICE) {
      await writer.write(input.subarray(at, at + INFLATE_SLICE));
    }
    await writer.close();
  })().catch(() => {});
  const reader = stream.readable.getReader();
  /** @type {Uint8Array[]} */
  const pieces = [];
  let size = 0;
  for (;;) {
    let result;
    try {
      result = await reader.read();
    } catch (error) {
      const text = String(error instanceof Error ? error.message : error);
      // Browsers say "junk" for bytes after the end of the stream.
      const code = /junk|trailing|after end/i.test(text)
        ? "deflate-trailing"
        : /end of|truncat|incomplete/i.test(text)
          ? "deflate-truncated"
          : "deflate-invalid";
      throw new FrameError(code, `compressed payload is not valid raw DEFLATE: ${text}`);
    }
    if (result.done) break;
    size += result.value.length;
    if (size > limit) {
      reader.cancel().catch(() => {});
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
