// Presence on the bus: the JavaScript twin of the bus side of
// plugins/avacollab-presence/avacollab_presence/session.py (docs/presence.md).

import * as Y from "yjs";

import { BusError, BusFull } from "../bus/bus.js";
import { Presence } from "./presence.js";

/** @typedef {import("./presence.js").PresenceConfig} PresenceConfig */
/** @typedef {import("./presence.js").Rejection} Rejection */
/** @typedef {import("./clock.js").Clock} Clock */

export const TOPIC = "presence.update";

/**
 * Run `presence` over a bus on the topic presence.update: throttled cursor
 * updates on the unordered channel, the rest reliable (waiting for room
 * rather than dropping). The session calls peerJoined (the newcomer gets
 * our state) and peerLeft (its state goes at once).
 * @param {import("../editing/sync.js").BusLike} bus
 * @param {string} peerId
 * @param {PresenceConfig} config
 * @param {{ clock?: Clock, wallClock?: () => number, doc?: Y.Doc, onRejected?: (rejection: Rejection) => void }} [options]
 */
export function presenceOnBus(bus, peerId, config, options = {}) {
  /** @param {Uint8Array} data @param {boolean} reliable */
  const send = (data, reliable) => {
    try {
      bus.publish(TOPIC, data, { reliable });
    } catch (error) {
      if (error instanceof BusFull) {
        bus.send(TOPIC, data).catch(() => {});
      } else if (!(error instanceof BusError)) throw error;
    }
  };
  const presence = new Presence(peerId, config, send, options);
  const unsubscribe = bus.subscribe(TOPIC, (message) => {
    for (const rejection of presence.receive(message.sender, message.payload)) {
      console.warn(`avacollab presence: refused an update from ${rejection.peerId}: ${rejection.reason}`);
      options.onRejected?.(rejection);
    }
  });
  return {
    presence,
    /** @param {string} peer */
    peerJoined: (peer) => {
      if (presence._phase === "running" && peer) presence.republish();
    },
    /** @param {string} peer */
    peerLeft: (peer) => presence.forgetPeer(peer),
    close: () => {
      presence.leave();
      unsubscribe();
    },
  };
}
