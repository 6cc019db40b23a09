// Two connected in-memory data channels: the part of RTCDataChannel the bus
// uses (send, bufferedAmount and its low-water event, open/message/close),
// delivering on a later task as a real channel does. The JavaScript twin of
// avacollab.bus.channels.MemoryChannel.

export class MemoryChannel extends EventTarget {
  /** @param {string} label */
  constructor(label) {
    super();
    this.label = label;
    this.readyState = "open";
    this.binaryType = "arraybuffer";
    this.bufferedAmountLowThreshold = 0;
    this.bufferedAmount = 0;
    this.paused = false;
    /** @type {MemoryChannel | null} */
    this.remote = null;
    /** @type {Uint8Array[]} */
    this.inFlight = [];
    /** @type {Uint8Array[]} every frame sent, for tests that look at the wire */
    this.sent = [];
    this._scheduled = false;
  }

  /** @param {Uint8Array} data */
  send(data) {
    if (this.readyState !== "open") throw new Error(`channel ${this.label} is ${this.readyState}`);
    const copy = new Uint8Array(data);
    this.sent.push(copy);
    this.inFlight.push(copy);
    this.bufferedAmount += copy.length;
    this._schedule();
  }

  /** Stop delivering, so bufferedAmount grows as on a congested link. */
  pause() {
    this.paused = true;
  }

  resume() {
    this.paused = false;
    this._schedule();
  }

  /**
   * Deliver raw data to this end, as if the other side had sent it.
   * @param {ArrayBufferLike | string} data
   */
  inject(data) {
    this.dispatchEvent(Object.assign(new Event("message"), { data }));
  }

  _schedule() {
    if (this._scheduled || this.paused || !this.inFlight.length) return;
    this._scheduled = true;
    setImmediate(() => {
      this._scheduled = false;
      while (this.inFlight.length && !this.paused && this.readyState === "open") {
        const data = /** @type {Uint8Array} */ (this.inFlight.shift());
        const before = this.bufferedAmount;
        this.bufferedAmount -= data.length;
        if (before > this.bufferedAmountLowThreshold && this.bufferedAmountLowThreshold >= this.bufferedAmount) {
          this.dispatchEvent(new Event("bufferedamountlow"));
        }
        const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.length);
        this.remote?.inject(buffer);
      }
    });
  }
}

/** @param {string} label */
export function channelPair(label) {
  const a = new MemoryChannel(label);
  const b = new MemoryChannel(label);
  a.remote = b;
  b.remote = a;
  return [a, b];
}

/**
 * Two buses joined as peers "a" and "b", each over a reliable and an unordered pair.
 * @param {typeof import("../src/bus/bus.js").Bus} Bus
 * @param {Partial<import("../src/bus/bus.js").BusConfig>} [config]
 * @param {{ onPeerDead?: (peerId: string) => void }} [options]
 */
export function busPair(Bus, config = {}, options = {}) {
  const [ra, rb] = channelPair("bus");
  const [ua, ub] = channelPair("bus-unordered");
  const a = new Bus(config, options);
  const b = new Bus(config, options);
  a.addPeer("b", ra, ua);
  b.addPeer("a", rb, ub);
  return { a, b, channels: { ra, rb, ua, ub } };
}
