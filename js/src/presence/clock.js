// Where Presence takes its time from: the JavaScript twin of
// plugins/avacollab-presence/avacollab_presence/clock.py. Tests pass a fake
// one to move time by hand.

/** @typedef {{ now(): number, setTimeout(fn: () => void, ms: number): unknown, clearTimeout(handle: unknown): void }} Clock */

/** @type {Clock} */
export const REAL_CLOCK = {
  now: () => (typeof performance !== "undefined" ? performance.now() : Date.now()),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(/** @type {any} */ (handle)),
};
