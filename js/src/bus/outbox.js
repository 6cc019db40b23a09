// Per-peer queues: what waits for each of a peer's two channels, and the
// peer's reassembly and liveness state.
//
// The JavaScript twin of avacollab/bus/outbox.py.

import { BatchWriter, Reassembler, entrySize } from "./wire.js";
import { now } from "./config.js";

/**
 * @typedef {import("./bus.js").Bus} Bus
 * @typedef {import("./config.js").ChannelLike} ChannelLike
 */


export class Outbox {
  /**
   * @param {Bus} bus
   * @param {ChannelLike} channel
   */
  constructor(bus, channel) {
    this.bus = bus;
    this.channel = channel;
  }

  /** Hand frames to the channel while it has room. */
  flush() {}

  /** @param {Uint8Array} frame */
  _send(frame) {
    try {
      this.channel.send(frame);
    } catch {
      this.bus.counters.sendErrors++;
      return false;
    }
    this.bus.counters.framesSent++;
    this.bus.counters.bytesSent += frame.length;
    return true;
  }

  /**
   * Send a ping or pong now if the channel has room; say whether it went
   * (outbox.py's send_control). Control frames skip the queues: they are
   * tiny and only meaningful now, and a peer's pings must not grow our
   * buffer past the high-water mark while it stops reading.
   * @param {Uint8Array} frame
   */
  sendControl(frame) {
    return this._room() && this._send(frame);
  }

  _room() {
    return this.channel.readyState === "open" && this.channel.bufferedAmount < this.bus.config.highWater;
  }
}

export class ReliableOutbox extends Outbox {
  /**
   * @param {Bus} bus
   * @param {ChannelLike} channel
   */
  constructor(bus, channel) {
    super(bus, channel);
    this.writer = new BatchWriter(bus.config.maxFrameSize);
  }

  /** @override */
  flush() {
    while (this._room()) {
      const next = this.writer.pop();
      if (next === null) break;
      if (!this._send(next[0])) break;
      this.bus.counters.messagesSent += next[1];
    }
  }
}

export class LatestOutbox extends Outbox {
  /**
   * @param {Bus} bus
   * @param {ChannelLike} channel
   */
  constructor(bus, channel) {
    super(bus, channel);
    /** @type {Map<string, { prefix: Uint8Array, payload: Uint8Array, frames: Uint8Array[] | null }>} */
    this.queue = new Map();
    /** @type {Uint8Array[]} frames of a chunked message being sent: never replaced */
    this.sending = [];
  }

  /**
   * @param {string} topic
   * @param {{ prefix: Uint8Array, payload: Uint8Array, frames: Uint8Array[] | null }} item
   */
  put(topic, item) {
    if (this.queue.delete(topic)) this.bus.counters.replaced++;
    else if (this.queue.size >= this.bus.config.unorderedQueueMessages) {
      const oldest = this.queue.keys().next().value;
      if (oldest !== undefined) this.queue.delete(oldest);
      this.bus.counters.overflowed++;
    }
    this.queue.set(topic, item);
  }

  /** @override */
  flush() {
    const config = this.bus.config;
    while (this._room()) {
      const frame = this.sending.shift();
      if (frame !== undefined) {
        if (!this._send(frame)) return;
        if (!this.sending.length) this.bus.counters.messagesSent++;
        continue;
      }
      if (!this.queue.size) return;
      const [topic, first] = this.queue.entries().next().value ?? [];
      if (topic === undefined || first === undefined) return;
      this.queue.delete(topic);
      if (first.frames !== null) {
        this.sending = [...first.frames];
        continue;
      }
      // Pack the small queued messages, oldest first, into one frame.
      const writer = new BatchWriter(config.maxFrameSize);
      writer.add(first.prefix, first.payload);
      let count = 1;
      for (const [key, item] of this.queue) {
        if (item.frames !== null) break;
        if (writer.size + entrySize(item.prefix, item.payload.length) > config.maxFrameSize) break;
        writer.add(item.prefix, item.payload);
        this.queue.delete(key);
        count++;
      }
      const popped = writer.pop();
      if (popped === null || !this._send(popped[0])) return;
      this.bus.counters.messagesSent += count;
    }
  }
}

export class Peer {
  /**
   * @param {Bus} bus
   * @param {string} id
   * @param {ChannelLike} reliable
   * @param {ChannelLike} unordered
   */
  constructor(bus, id, reliable, unordered) {
    this.id = id;
    this.reliable = new ReliableOutbox(bus, reliable);
    this.unordered = new LatestOutbox(bus, unordered);
    const options = {
      maxMessageSize: bus.config.maxMessageSize,
      maxPartial: bus.config.maxPartialMessages,
      timeout: bus.config.partialTimeout,
    };
    this.reassemblers = [new Reassembler(options), new Reassembler(options)];
    /** @type {Array<Promise<void> | null>} deliveries waiting behind an inflate, per channel */
    this.pending = [null, null];
    /** @type {Array<[ChannelLike, string, (event: any) => void]>} */
    this.listeners = [];
    this.lastHeard = now();
    this.lastSent = 0;
    this.lastPing = 0;
    /** @type {number | null} smoothed round-trip time in seconds */
    this.rtt = null;
    this.dead = false;
  }

  /** @returns {Outbox[]} */
  get outboxes() {
    return [this.reliable, this.unordered];
  }
}

