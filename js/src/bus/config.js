// The bus's limits and timings, its errors, and the shapes it works with.
//
// The JavaScript twin of avacollab/bus/config.py (and the errors of
// avacollab/bus/core.py).

/** Base class of the errors the bus throws on publish. */
export class BusError extends Error {}
/** A peer's reliable queue has no room; nothing was queued for anyone. */
export class BusFull extends BusError {}
/** A message addressed to a peer the bus does not know. */
export class UnknownPeer extends BusError {}
/** The bus was closed. */
export class BusClosed extends BusError {}

/**
 * @typedef {object} BusConfig limits and timings (seconds); the defaults are avacollab.bus.BusConfig's
 * @property {number} maxFrameSize largest frame sent (65,536)
 * @property {number} maxIncomingFrame frames larger than this are dropped unread (262,144)
 * @property {number} maxMessageSize largest message, encoded, published or reassembled (16 MiB)
 * @property {number} maxPartialMessages chunked messages in reassembly per peer and channel (8)
 * @property {number} partialTimeout an incomplete chunked message is given up after this (30)
 * @property {number} reliableQueueBytes reliable bytes queued per peer before BusFull (16 MiB)
 * @property {number} unorderedQueueMessages topics queued per peer on the unordered channel (256)
 * @property {number} highWater stop handing frames to a channel at this bufferedAmount (262,144)
 * @property {number} lowWater resume below this (65,536)
 * @property {number} pingInterval seconds between pings to a peer sent nothing else meanwhile (1)
 * @property {number} rttInterval seconds between pings to a peer that hears from us anyway (5)
 * @property {number} deadAfter a peer silent this long is reported dead (5)
 */

/** @type {Readonly<BusConfig>} */
export const DEFAULTS = Object.freeze({
  maxFrameSize: 65_536,
  maxIncomingFrame: 262_144,
  maxMessageSize: 16 * 1024 * 1024,
  maxPartialMessages: 8,
  partialTimeout: 30,
  reliableQueueBytes: 16 * 1024 * 1024,
  unorderedQueueMessages: 256,
  highWater: 262_144,
  lowWater: 65_536,
  pingInterval: 1,
  rttInterval: 5,
  deadAfter: 5,
});

/**
 * @typedef {{ topic: string, payload: Uint8Array, sender: string, reliable: boolean, flags: number }} Message
 * @typedef {(message: Message) => void | Promise<void>} Handler
 * @typedef {{
 *   readonly readyState: string,
 *   readonly bufferedAmount: number,
 *   bufferedAmountLowThreshold: number,
 *   binaryType: string,
 *   send(data: Uint8Array): void,
 *   addEventListener(type: string, listener: (event: any) => void): void,
 *   removeEventListener(type: string, listener: (event: any) => void): void,
 * }} ChannelLike the part of RTCDataChannel the bus uses
 * @typedef {{ to?: string, reliable?: boolean, flags?: number }} PublishOptions
 */

/** Monotonic time in seconds. */
export const now = () => performance.now() / 1000;
const utf8 = new TextDecoder();

/** The JSON value of a message's payload. @param {Message} message */
export function messageJson(message) {
  return JSON.parse(utf8.decode(message.payload));
}
