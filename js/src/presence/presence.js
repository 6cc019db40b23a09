// Presence over y-protocols awareness: the JavaScript twin of
// plugins/avacollab-presence/avacollab_presence/presence.py
// (docs/presence.md). The local state lives in a y-protocols Awareness, so
// what goes out is what any Yjs client sends; what comes in is decoded
// within bounds and judged entry by entry before the Awareness applies it.
//
// - Cursor moves are throttled: at most one update per `cursorInterval`
//   (50 ms) carrying the newest position, on the unordered channel; once the
//   cursor rests (two intervals) the last update is sent again reliably.
//   Every other change goes out at once, reliably.
// - Status follows input: idle after `idleAfter`, away after `awayAfter`.
// - A remote peer owns the first awareness client id it sends and nothing
//   else: an entry claiming another peer's (or our) client id, or carrying
//   an invalid state, is refused on its own and changes nothing.
// - A peer that leaves the session is dropped at once (forgetPeer); leave()
//   sends the null state that removes ours everywhere.
// - y-protocols renews the local state every 15 s and drops a remote one
//   not renewed for 30 s (its outdatedTimeout, Python's default timeout).

import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from "y-protocols/awareness";
import * as Y from "yjs";

import { REAL_CLOCK } from "./clock.js";
import { pickColor } from "./colors.js";
import { InvalidState, checkCursor, decodeState, parseSelection, parseStatus, parseUser, toJson } from "./state.js";
import { WireError, decodeUpdate, encodeEntries } from "./wire.js";

// The names this module has always offered (the `presence` namespace of index.js).
export { MAX_ENTRIES, MAX_UPDATE_BYTES, WireError, decodeUpdate } from "./wire.js";
export { TOPIC, presenceOnBus } from "./session.js";

/**
 * Client ids no peer owns any more whose clock the awareness keeps
 * (presence.py's MAX_RETIRED_CLIENTS). The clock keeps a late copy of a
 * retired client's update from bringing its state back; y-protocols keeps
 * it for every client id it ever saw, and a hostile peer can name up to 64
 * new ones in each update: past this many, the oldest retired clocks go.
 */
export const MAX_RETIRED_CLIENTS = 1024;

/** @typedef {import("./state.js").PresenceState} PresenceState */
/** @typedef {import("./state.js").Status} Status */
/** @typedef {import("./clock.js").Clock} Clock */
/** @typedef {import("./wire.js").WireEntry} WireEntry */
/**
 * @typedef {{ peerId: string, clientId: number, state: PresenceState, local: boolean }} PeerPresence
 * @typedef {{ added: string[], updated: string[], removed: string[], origin: "local" | "remote" | "timeout" | "disconnect" }} PresenceChange
 * @typedef {{ peerId: string, clientId: number | null, reason: string }} Rejection
 * @typedef {{ name: string, color?: string | null, cursorInterval?: number, idleAfter?: number, awayAfter?: number }} PresenceConfig
 */

/**
 * A PresenceConfig with its defaults, checked: InvalidState for a bad name
 * or color, RangeError for timings that do not fit.
 * @param {PresenceConfig} config
 * @returns {Required<PresenceConfig>}
 */
export function checkConfig(config) {
  const full = { cursorInterval: 50, idleAfter: 60_000, awayAfter: 300_000, color: null, ...config };
  parseUser({ name: full.name, color: full.color ?? "#000000" });
  for (const key of /** @type {const} */ (["cursorInterval", "idleAfter", "awayAfter"])) {
    if (!(full[key] > 0)) throw new RangeError(`${key} must be a positive number of ms`);
  }
  if (!(full.awayAfter > full.idleAfter)) throw new RangeError("awayAfter must be longer than idleAfter");
  return full;
}

/**
 * The local peer's presence and its view of everyone else's. Nothing is
 * sent before start(); after leave() the setters throw and updates are ignored.
 */
export class Presence {
  /**
   * @param {string} peerId this peer's id in the session
   * @param {PresenceConfig} config
   * @param {(data: Uint8Array, reliable: boolean) => void} send broadcast an update to every peer
   * @param {{ clock?: Clock, wallClock?: () => number, doc?: Y.Doc }} [options]
   */
  constructor(peerId, config, send, { clock = REAL_CLOCK, wallClock = Date.now, doc } = {}) {
    this.peerId = peerId;
    this.config = checkConfig(config);
    this._send = send;
    this._clock = clock;
    this._wall = wallClock;
    this.awareness = new Awareness(doc ?? new Y.Doc());
    /** @type {Map<string, { clientId: number, state: PresenceState, heardAt: number }>} */
    this._remotes = new Map();
    /** @type {Map<number, string>} */
    this._owners = new Map();
    /** @type {Set<number>} client ids retired, oldest first */
    this._retired = new Set();
    /** @type {Array<(change: PresenceChange) => void>} */
    this._listeners = [];
    /** @type {PresenceState} */
    this._state = {
      user: { name: this.config.name, color: (this.config.color ?? pickColor(peerId, [])).toLowerCase() },
      cursor: null,
      selection: [],
      status: "active",
      lastSeen: this._wall(),
    };
    /** @type {"new" | "running" | "left"} */
    this._phase = "new";
    this._lastInput = clock.now();
    this._publishedAt = -Infinity;
    this._lastReliable = true;
    this._cursorDirty = false;
    /** @type {Map<string, unknown>} */
    this._timers = new Map();
    this._reliable = true; // the channel of the update being published
    // Every local update the Awareness makes (ours, and its own 15 s renewals) goes out.
    /** @param {{ added: number[], updated: number[], removed: number[] }} changes @param {unknown} origin */
    this._onUpdate = ({ added, updated, removed }, origin) => {
      if (origin !== "local" || this._phase === "new") return;
      if (![...added, ...updated, ...removed].includes(this.awareness.clientID)) return;
      const update = encodeAwarenessUpdate(this.awareness, [this.awareness.clientID]);
      this._lastUpdate = update;
      this._lastReliable = this._reliable;
      this._send(update, this._reliable);
      this._reliable = true;
    };
    /** @type {Uint8Array} */
    this._lastUpdate = new Uint8Array();
    /** @param {{ removed: number[] }} changes @param {unknown} origin */
    this._onChange = ({ removed }, origin) => {
      if (origin !== "timeout") return;
      const gone = removed.map((id) => this._owners.get(id)).filter((p) => p !== undefined);
      this._drop(/** @type {string[]} */ (gone), "timeout");
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
      this.awareness.setLocalState(null); // _onUpdate sends it
      this._emit({ added: [], updated: [], removed: [this.peerId], origin: "local" });
    }
    this._phase = "left";
    this.awareness.off("update", this._onUpdate);
    this.awareness.off("change", this._onChange);
    this.awareness.destroy();
  }

  /** Every peer with a state, the local one included, by peer id. @returns {Map<string, PeerPresence>} */
  states() {
    /** @type {Map<string, PeerPresence>} */
    const view = new Map();
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
      entries = decodeUpdate(data);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      return [{ peerId: sender, clientId: null, reason: error.message }];
    }
    const before = this._remotes.get(sender)?.state ?? null;
    /** @type {Rejection[]} */
    const rejections = [];
    for (const entry of entries) {
      const reason = this._apply(sender, entry);
      if (reason !== null) rejections.push({ peerId: sender, clientId: entry.clientId, reason });
    }
    const after = this._remotes.get(sender)?.state ?? null;
    if (before !== after) {
      const added = before === null ? [sender] : [];
      const removed = after === null ? [sender] : [];
      const updated = added.length || removed.length ? [] : [sender];
      this._emit({ added, updated, removed, origin: "remote" });
      if (after !== null) this._resolveColor(sender, after);
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
    if (owner !== undefined && owner !== sender) return `client id ${clientId} belongs to another peer`;
    const leaving = state === "null";
    if (leaving && owner === undefined) return "removes a client id this peer does not own";
    // y-protocols' clock rule: only a newer entry (or a removal at the same clock) applies.
    const known = this.awareness.meta.get(clientId);
    const newer = known === undefined || known.clock < clock || (known.clock === clock && leaving && this.awareness.states.has(clientId));
    const now = this._clock.now();
    if (!newer) {
      const remote = owner !== undefined ? this._remotes.get(sender) : undefined;
      if (remote) remote.heardAt = now; // a late unordered copy: the peer is alive
      return null;
    }
    let current = this._remotes.get(sender);
    if (current !== undefined && current.clientId !== clientId) current = undefined; // it restarted its awareness
    /** @type {PresenceState | null} */
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
    if (current === undefined && previous !== undefined) this._forgetClient(previous.clientId, sender);
    // Checked: y-protocols applies it by its own rules (an unknown client id
    // starts at clock 0, so a first entry at clock 0 is taken here directly).
    if (known === undefined && clock === 0) this.awareness.meta.set(clientId, { clock: -1, lastUpdated: 0 });
    applyAwarenessUpdate(this.awareness, encodeEntries([{ clientId, clock, state }]), sender);
    if (decoded === null) this._forgetClient(clientId, sender);
    else if (current !== undefined) {
      current.state = decoded;
      current.heardAt = now;
    } else {
      this._owners.set(clientId, sender);
      this._remotes.set(sender, { clientId, state: decoded, heardAt: now });
    }
    return null;
  }

  /** @param {number} clientId @param {string} peerId */
  _forgetClient(clientId, peerId) {
    removeAwarenessStates(this.awareness, [clientId], peerId);
    this._owners.delete(clientId);
    this._remotes.delete(peerId);
    this._retired.delete(clientId);
    this._retired.add(clientId);
    if (this._retired.size > MAX_RETIRED_CLIENTS) {
      const oldest = /** @type {number} */ (this._retired.values().next().value);
      this._retired.delete(oldest);
      // Owned again since: its clock is in use.
      if (!this._owners.has(oldest) && !this.awareness.states.has(oldest)) this.awareness.meta.delete(oldest);
    }
  }

  /** @param {string[]} peerIds @param {PresenceChange["origin"]} origin */
  _drop(peerIds, origin) {
    const gone = peerIds.filter((p) => this._remotes.has(p));
    for (const peer of gone) this._forgetClient(/** @type {{ clientId: number }} */ (this._remotes.get(peer)).clientId, peer);
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
    this._state = { ...s, cursor: cursor === undefined ? s.cursor : cursor, status: "active", lastSeen: this._wall() };
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
    this.awareness.setLocalState(toJson(this._state)); // _onUpdate sends it
    this._emit({ added: [], updated: [this.peerId], removed: [], origin: "local" });
    if (!reliable && !this._timers.has("rest")) this._arm("rest", this._restDue(), () => this._onRestTimer());
  }

  _flushCursor() {
    if (this._phase !== "running") return;
    const interval = this.config.cursorInterval;
    const now = this._clock.now();
    if (this._publishedAt + interval <= now) {
      this._cancel("cursor");
      this._publish(false, this._slot());
    } else if (!this._timers.has("cursor")) {
      this._arm("cursor", this._publishedAt + interval - now, () => {
        this._timers.delete("cursor");
        if (this._cursorDirty) this._publish(false, this._slot());
      });
    }
  }

  /** When the slot being filled began: the one due, unless a whole interval late (then now). */
  _slot() {
    const due = this._publishedAt + this.config.cursorInterval;
    const now = this._clock.now();
    return now - due < this.config.cursorInterval ? due : now;
  }

  _restDue() {
    return Math.max(0, this._publishedAt + 2 * this.config.cursorInterval - this._clock.now());
  }

  _onRestTimer() {
    this._timers.delete("rest");
    if (this._lastReliable || this._phase !== "running") return;
    const due = this._restDue();
    if (due > 0) {
      this._arm("rest", due, () => this._onRestTimer()); // it moved meanwhile
      return;
    }
    // The cursor rests: repeat the last update (same clock: peers that have it ignore it) reliably.
    this._lastReliable = true;
    this._send(this._lastUpdate, true);
  }

  _statusDue() {
    const after = this._state.status === "active" ? this.config.idleAfter : this.config.awayAfter;
    return Math.max(0, this._lastInput + after - this._clock.now());
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
}
