// A room joined with everything a web editor needs: the high-level API.
//
//   const room = await joinRoom("ws://host:8765/ws", "design", { name: "Ann" });
//   const id = room.doc.add("Button", { label: "Buy" });
//   room.presence.setCursor(120, 40);
//   room.on("change", () => render(room.doc.tree()));
//   await room.leave();
//
// joinRoom makes a Session and, on it, what the Python plugins make on a
// `avacollab join` session, wired the same way
// (plugins/avacollab-editing/avacollab_editing/session.py and
// plugins/avacollab-presence/avacollab_presence/session.py):
//
// * editing: a Document whose updates travel on `editing.sync`; when a
//   peer's bus opens (the `peer-connected` event) it gets our state vector
//   (sync step 1) and answers with what we lack.
// * presence: awareness on `presence.update`, started once our peer id is
//   known; a newly connected peer gets our state again, a peer that leaves
//   is dropped at once.
//
// Nothing here touches the wire itself: each layer (Session, Editing,
// presenceOnBus) stays usable alone.

import { Editing } from "./editing/sync.js";
import { Document } from "./editing/model.js";
import { checkConfig } from "./presence/presence.js";
import { presenceOnBus } from "./presence/session.js";
import { Session } from "./session/session.js";

/** @typedef {import("./session/session.js").SessionEvent} SessionEvent */
/** @typedef {import("./session/session.js").SessionOptions} SessionOptions */
/** @typedef {import("./editing/changes.js").Change} Change */
/** @typedef {import("./presence/presence.js").PresenceChange} PresenceChange */
/** @typedef {import("./presence/presence.js").Presence} Presence */
/** @typedef {import("./presence/presence.js").Rejection} Rejection */

/**
 * The options of joinRoom: every Session option (name, token, onEvent,
 * connectTimeout, RTCPeerConnection, WebSocket, ...) and these.
 * @typedef {SessionOptions & {
 *   color?: string | null,
 *   presence?: { cursorInterval?: number, idleAfter?: number, awayAfter?: number },
 *   captureTimeout?: number,
 * }} RoomOptions
 *   `color`: a #rrggbb presence color (default: one from the palette that no
 *   peer shows); `presence`: its timings in ms (cursor updates at most every
 *   50, idle after 60,000, away after 300,000); `captureTimeout`: local edits
 *   closer together than this many ms are one undo step (default 0: each
 *   operation or batch() is its own step).
 */

/**
 * A member of the room: id, display name, whether our bus to it is open.
 * @typedef {{ id: string, name: string, connected: boolean }} RoomPeer
 */

/**
 * What room.on() listens to:
 *   "change"    a transaction changed the tree (ours, undo/redo, a peer's): the Change
 *   "presence"  someone's presence changed (ours too): the PresenceChange
 *   "peers"     a peer joined, connected or left: room.peers
 *   "event"     every session event (joined, peer-joined, peer-connected,
 *               peer-left, link-failed, rejoined, closed, ...) and the
 *               refusals `editing.rejected` { peer, reason } and
 *               `presence.rejected` { peer, clientId, reason }
 * @typedef {{
 *   change: Change,
 *   presence: PresenceChange,
 *   peers: Map<string, RoomPeer>,
 *   event: SessionEvent,
 * }} RoomEvents
 */

/**
 * Join `room` on the signaling server at `url` (its WebSocket URL, e.g.
 * `ws://127.0.0.1:8765/ws`) with a shared document and presence. Resolves
 * once joined (the peers connect in the background: watch "peers");
 * rejects with a SignalingError when the join is refused, and before
 * connecting with InvalidState (a bad name or color) or RangeError (presence
 * timings that do not fit).
 * @param {string} url
 * @param {string} room
 * @param {RoomOptions} [options]
 * @returns {Promise<Room>}
 */
export async function joinRoom(url, room, options = {}) {
  const { color = null, presence = {}, captureTimeout = 0, ...sessionOptions } = options;
  // Checked before connecting: a bad color or timing must not leave a joined session behind.
  checkConfig({ name: sessionOptions.name || "peer", color, ...presence });
  /** @type {Room | null} */
  let joined = null;
  /** @type {Array<(room: Room) => void>} what happened before the Room existed, in order */
  const held = [];
  /** @param {(room: Room) => void} action */
  const deliver = (action) => (joined === null ? held.push(action) : action(joined));
  const session = new Session(url, room, {
    ...sessionOptions,
    onEvent: (event) => deliver((r) => r._onSession(event)),
  });
  const doc = new Document(undefined, { captureTimeout });
  // Subscribed before start(): a peer's first sync message may come as soon as its channel opens.
  const editing = new Editing(session.bus, doc, {
    onRejected: (peer, reason) => deliver((r) => r._emitEvent("editing.rejected", { peer, reason })),
  });
  try {
    await session.start();
  } catch (error) {
    editing.close();
    doc.close();
    await session.close().catch(() => undefined);
    throw error;
  }
  const presenceConfig = { name: sessionOptions.name || `peer-${session.peerId.slice(0, 8)}`, color, ...presence };
  try {
    joined = new Room(session, doc, editing, presenceConfig, sessionOptions.onEvent);
  } catch (error) {
    editing.close();
    await session.close().catch(() => undefined);
    throw error;
  }
  for (const action of held.splice(0)) action(joined);
  return joined;
}

/** A joined room: see joinRoom. */
export class Room {
  /**
   * Use joinRoom; this wires pieces that already exist.
   * @param {Session} session a started session
   * @param {Document} doc
   * @param {Editing} editing
   * @param {import("./presence/presence.js").PresenceConfig} presenceConfig
   * @param {((event: SessionEvent) => void) | undefined} onEvent
   */
  constructor(session, doc, editing, presenceConfig, onEvent) {
    this.session = session;
    /** The shared component tree: add, set, setProp, removeProp, move, reorder, delete, restore, batch, undo, redo, tree, node, children. */
    this.doc = doc;
    this.editing = editing;
    /** The data-channel bus: publish, send, subscribe on your own topics. */
    this.bus = session.bus;
    /** @type {{ [K in keyof RoomEvents]: Set<(value: RoomEvents[K]) => void> }} */
    this._listeners = { change: new Set(), presence: new Set(), peers: new Set(), event: new Set() };
    if (onEvent !== undefined) this._listeners.event.add(onEvent);
    this._link = presenceOnBus(session.bus, session.peerId, presenceConfig, {
      doc: doc.ydoc,
      onRejected: (r) => this._emitEvent("presence.rejected", { peer: r.peerId, clientId: r.clientId, reason: r.reason }),
    });
    /** Our presence (setCursor, clearCursor, setSelection, setStatus, setName, touch) and everyone's (states()). */
    this.presence = this._link.presence;
    this._stopChanges = doc.onChange((change) => this._emit("change", change));
    this._stopPresence = this.presence.subscribe((change) => this._emit("presence", change));
    /** @type {Promise<void> | null} */
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
    return new Map([...this.session.peers].map(([id, name]) => [id, { id, name, connected: connected.has(id) }]));
  }

  /**
   * Listen to one kind of room event; returns the function that stops it.
   * @template {keyof RoomEvents} K
   * @param {K} kind
   * @param {(value: RoomEvents[K]) => void} listener
   * @returns {() => void}
   */
  on(kind, listener) {
    const listeners = this._listeners[kind];
    if (listeners === undefined) throw new TypeError(`no room event ${JSON.stringify(kind)}: change, presence, peers or event`);
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
        this._link.close(); // the null state goes out before the bus drains
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
    this._emit("event", { event: name, ts: Math.round(Date.now()) / 1000, ...fields });
  }

  /**
   * @template {keyof RoomEvents} K
   * @param {K} kind
   * @param {RoomEvents[K]} value
   */
  _emit(kind, value) {
    for (const listener of [...this._listeners[kind]]) {
      try {
        listener(value);
      } catch (error) {
        console.error(`avacollab: room ${kind} listener failed`, error);
      }
    }
  }
}
