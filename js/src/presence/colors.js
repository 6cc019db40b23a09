// Peer colors: the JavaScript twin of
// plugins/avacollab-presence/avacollab_presence/colors.py; both give the same
// color for the same peer id and colors present (conformance/presence_colors.json).
//
// The palette holds 12 hues spaced evenly around the color wheel at one
// saturation and lightness. A peer id hashes (SHA-256) to its preferred slot;
// when that is taken, the peer takes the free slot whose hue is farthest from
// every taken one, ties going to the slot nearest the preferred one
// (clockwise first), so every replica computes the same answer.

import { digest } from "lib0/hash/sha256";

/**
 * colors.py's PALETTE (HLS hue i/12, lightness 0.45, saturation 0.7),
 * written out: recomputing it would need Python's round-half-even.
 */
export const PALETTE = Object.freeze([
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
  "#c32273",
]);
export const PALETTE_SIZE = PALETTE.length;

const utf8 = new TextEncoder();

/**
 * The palette slot a peer id hashes to: the first 8 bytes of its SHA-256,
 * big-endian, modulo the palette size.
 * @param {string} peerId
 */
export function preferredSlot(peerId) {
  const hash = digest(utf8.encode(peerId));
  const first = new DataView(hash.buffer, hash.byteOffset, 8).getBigUint64(0);
  return Number(first % BigInt(PALETTE_SIZE));
}

/**
 * The color for `peerId` given the colors other peers already show. Colors
 * outside the palette take no slot; with every slot taken the preferred
 * color is shared.
 * @param {string} peerId
 * @param {Iterable<string>} taken
 */
export function pickColor(peerId, taken) {
  const used = new Set();
  for (const color of taken) {
    const slot = PALETTE.indexOf(String(color).toLowerCase());
    if (slot >= 0) used.add(slot);
  }
  const preferred = preferredSlot(peerId);
  const free = [];
  for (let slot = 0; slot < PALETTE_SIZE; slot++) if (!used.has(slot)) free.push(slot);
  if (free.includes(preferred) || !free.length) return PALETTE[preferred];
  /** @param {number} slot */
  const rank = (slot) => {
    let spread = Infinity;
    for (const other of used) spread = Math.min(spread, distance(slot, other));
    const offset = (((slot - preferred) % PALETTE_SIZE) + PALETTE_SIZE) % PALETTE_SIZE;
    return [-spread, Math.min(offset, PALETTE_SIZE - offset), offset];
  };
  let best = free[0];
  let bestRank = rank(best);
  for (const slot of free.slice(1)) {
    const r = rank(slot);
    if (r[0] < bestRank[0] || (r[0] === bestRank[0] && (r[1] < bestRank[1] || (r[1] === bestRank[1] && r[2] < bestRank[2])))) {
      best = slot;
      bestRank = r;
    }
  }
  return PALETTE[best];
}

/**
 * @param {number} a
 * @param {number} b
 */
function distance(a, b) {
  const steps = Math.abs(a - b) % PALETTE_SIZE;
  return Math.min(steps, PALETTE_SIZE - steps);
}
