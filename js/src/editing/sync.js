// Document sync over the bus: the JavaScript twin of
// plugins/avacollab-editing/avacollab_editing/sync.py and the bus part of
// session.py. Messages travel on the topic `editing.sync` (reliable
// channel) in the y-protocols framing, written by y-protocols itself:
//
//   varuint(0) varuint(kind) varuint(length) payload
//
// kind 0 is step 1 (payload: the sender's state vector), 1 step 2 (the
// update the other side lacks), 2 an update. A peer that connects gets our
// step 1 and answers with step 2 (and does the same the other way); every
// local transaction is broadcast as an update. Messages of COMPRESS_FROM
// bytes or more are deflated on the wire, as the Python peers do.

import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";

import { BusError, BusFull, UnknownPeer } from "../bus/bus.js";
import { RejectedUpdate } from "./guard.js";
import { Document } from "./model.js";

export const TOPIC = "editing.sync";
/** Sync messages of at least this many bytes are deflated on the wire (session.py's COMPRESS_FROM). */
export const COMPRESS_FROM = 4096;
/** Largest sync message read (the bus's own message limit, 16 MiB, by default). */
export const MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

const MESSAGE_SYNC = 0;
export const STEP1 = syncProtocol.messageYjsSyncStep1;
export const STEP2 = syncProtocol.messageYjsSyncStep2;
export const UPDATE = syncProtocol.messageYjsUpdate;

/** A sync message is malformed, or carries an update the document refused. */
export class SyncError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "SyncError";
  }
}

/**
 * Frame `payload` as a sync message of `kind`.
 * @param {number} kind STEP1, STEP2 or UPDATE
 * @param {Uint8Array} payload
 */
export function encode(kind, payload) {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  encoding.writeVarUint(encoder, kind);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}

/**
 * Split a sync message into its kind and payload. Strict, as sync.py is:
 * the declared length must match the bytes that follow exactly; awareness
 * messages (presence has its own topic) and unknown kinds are refused.
 * @param {Uint8Array} data
 * @returns {{ kind: number, payload: Uint8Array }}
 */
export function decode(data) {
  const decoder = decoding.createDecoder(data);
  let type, kind, length;
  try {
    type = decoding.readVarUint(decoder);
    kind = decoding.readVarUint(decoder);
    length = decoding.readVarUint(decoder);
  } catch {
    throw new SyncError("truncated sync message");
  }
  if (type !== MESSAGE_SYNC) throw new SyncError(`not a sync message (message type ${type})`);
  if (kind !== STEP1 && kind !== STEP2 && kind !== UPDATE) throw new SyncError(`unknown sync message kind ${kind}`);
  const rest = data.length - decoder.pos;
  if (rest !== length) throw new SyncError(`payload is ${rest} bytes, header says ${length}`);
  return { kind, payload: data.subarray(decoder.pos) };
}

/**
 * What Editing needs of a bus: the JavaScript Bus is one.
 * @typedef {object} BusLike
 * @property {(topic: string, handler: (message: { sender: string, payload: Uint8Array }) => void) => () => void} subscribe
 * @property {(topic: string, payload: Uint8Array, options?: { to?: string, reliable?: boolean }) => number} publish
 * @property {(topic: string, payload: Uint8Array, options?: { to?: string, compress?: boolean }) => Promise<number>} send
 */

/**
 * Keeps one Document in sync with the peers of a bus. The session calls
 * peerJoined() when a peer connects; refused messages are reported to
 * `onRejected` (and logged) and change nothing.
 */
export class Editing {
  /**
   * @param {BusLike} bus
   * @param {Y.Doc | Document} doc a Y.Doc (wrapped in a Document) or a Document
   * @param {{ onRejected?: (peer: string, reason: string) => void, maxMessageSize?: number }} [options]
   */
  constructor(bus, doc, { onRejected, maxMessageSize = MAX_MESSAGE_SIZE } = {}) {
    this.bus = bus;
    this.document = doc instanceof Document ? doc : new Document(doc);
    this.maxMessageSize = maxMessageSize;
    this._onRejected = onRejected;
    this._closed = false;
    this._unsubscribe = bus.subscribe(TOPIC, (message) => this.receive(message.sender, message.payload));
    this._stopUpdates = this.document.onUpdate((update) => this._send(undefined, encode(UPDATE, update)));
  }

  /**
   * Start syncing with a newly connected peer: send it our state vector.
   * @param {string} peer
   */
  peerJoined(peer) {
    this._send(peer, encode(STEP1, Y.encodeStateVector(this.document.ydoc)));
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
      const { kind, payload } = decode(data);
      if (kind === STEP1) {
        let reply;
        try {
          reply = Y.encodeStateAsUpdate(this.document.ydoc, payload);
        } catch (error) {
          throw new SyncError(`malformed state vector: ${errorText(error)}`);
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
    const options = to === undefined ? {} : { to };
    if (data.length < COMPRESS_FROM) {
      try {
        this.bus.publish(TOPIC, data, options);
        return;
      } catch (error) {
        if (error instanceof UnknownPeer) return; // it left: step 2 brings it everything when it is back
        if (!(error instanceof BusFull)) {
          if (error instanceof BusError) return; // closed: the peers resync on their side
          throw error;
        }
        // Never drop an update: wait for room (send() does). The CRDT holds
        // an update back until what it needs has arrived, so order does not matter.
      }
    }
    this.bus.send(TOPIC, data, { ...options, compress: data.length >= COMPRESS_FROM }).catch((error) => {
      if (!(error instanceof UnknownPeer)) console.info(`avacollab editing: update not sent: ${errorText(error)}`);
    });
  }
}

/** @param {unknown} error */
function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}
